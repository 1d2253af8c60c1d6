package tally

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// r builds a ranked ballot from groups.
func rk(w int64, groups ...[]int) Ballot { return Ballot{Weight: w, Ranking: groups} }

func g(o ...int) []int { return o }

func TestPlurality(t *testing.T) {
	v := Vote{Kind: Single, Options: []string{"A", "B", "C"}}
	tests := []struct {
		name    string
		ballots []Ballot
		ranking [][]int
		totals  []int64
		blank   int64
		fact    FactKind
	}{
		{"clear", []Ballot{{Weight: 3, Choice: 1}, {Weight: 2, Choice: 0}, {Weight: 1, Choice: Blank}},
			[][]int{{1}, {0}, {2}}, []int64{2, 3, 0}, 1, FactMost},
		{"tie", []Ballot{{Weight: 2, Choice: 2}, {Weight: 2, Choice: 0}},
			[][]int{{0, 2}, {1}}, []int64{2, 0, 2}, 0, FactTie},
		{"no ballots", nil, [][]int{{0, 1, 2}}, []int64{0, 0, 0}, 0, FactTie},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Count(v, tt.ballots, Plurality, Config{})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(r.Ranking, tt.ranking) || !slices.Equal(r.Totals, tt.totals) || r.Blank != tt.blank {
				t.Errorf("got ranking %v totals %v blank %d, want %v %v %d", r.Ranking, r.Totals, r.Blank, tt.ranking, tt.totals, tt.blank)
			}
			if r.Why[0].Kind != tt.fact {
				t.Errorf("fact %+v, want %s", r.Why[0], tt.fact)
			}
		})
	}
	// From ranked ballots: first choices; a tied first group is blank.
	rv := Vote{Kind: Ranked, Options: []string{"A", "B", "C"}}
	r, err := Count(rv, []Ballot{rk(2, g(1), g(0)), rk(1, g(0, 2)), rk(1, g(2))}, Plurality, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.Totals, []int64{0, 2, 1}) || r.Blank != 1 || !slices.Equal(r.Winners, []int{1}) {
		t.Errorf("ranked plurality: totals %v blank %d winners %v", r.Totals, r.Blank, r.Winners)
	}
	f := r.Why[0]
	if f.Kind != FactMost || f.Option != 1 || f.For != 2 || f.Other != 2 || f.Against != 1 || f.Total != 4 {
		t.Errorf("fact %+v", f)
	}
}

func TestApprovalAndLimits(t *testing.T) {
	// "None of these" is an ordinary option: with at least one approval
	// required, a voter who likes nothing approves it.
	v := Vote{Kind: Approval, Options: []string{"A", "B", "C", "none of these"}, MinApprovals: 1, MaxApprovals: 2}
	ballots := []Ballot{
		{Weight: 2, Approved: []int{0, 1}},
		{Weight: 1, Approved: []int{1}},
		{Weight: 4, Approved: []int{3}},
		{Weight: 1, Approved: []int{2, 0}},
	}
	r, err := Count(v, ballots, ApprovalCount, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.Totals, []int64{3, 3, 1, 4}) || !reflect.DeepEqual(r.Ranking, [][]int{{3}, {0, 1}, {2}}) {
		t.Errorf("totals %v ranking %v", r.Totals, r.Ranking)
	}
	for _, tt := range []struct {
		b    Ballot
		want Problem
	}{
		{Ballot{Weight: 1}, TooFewApprovals},
		{Ballot{Weight: 1, Approved: []int{0, 1, 2}}, TooManyApprovals},
		{Ballot{Weight: 1, Approved: []int{0, 0}}, DuplicateOption},
		{Ballot{Weight: 1, Approved: []int{4}}, UnknownOption},
	} {
		_, err := Count(v, append(slices.Clone(ballots), tt.b), ApprovalCount, Config{})
		var be *BallotError
		if !errors.As(err, &be) || be.Problem != tt.want || be.Ballot != 4 || !errors.Is(err, ErrBallot) {
			t.Errorf("ballot %+v: error %v, want %s at ballot 4", tt.b, err, tt.want)
		}
	}
}

func TestScoreAndDots(t *testing.T) {
	v := Vote{Kind: Score, Options: []string{"A", "B"}, MaxScore: 5}
	r, err := Count(v, []Ballot{{Weight: 2, Points: []int64{5, 1}}, {Weight: 1, Points: []int64{0, 4}}}, ScoreCount, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.Totals, []int64{10, 6}) || r.Weight != 3 || !slices.Equal(r.Winners, []int{0}) {
		t.Errorf("score totals %v weight %d winners %v", r.Totals, r.Weight, r.Winners)
	}
	if !slices.Equal(r.Averages, []float64{10.0 / 3, 2}) {
		t.Errorf("score averages %v, want [3.33 2]", r.Averages)
	}
	if _, err := Count(v, []Ballot{{Weight: 1, Points: []int64{6, 0}}}, ScoreCount, Config{}); !isProblem(err, ScoreOutOfRange) {
		t.Errorf("score 6 of 5: %v", err)
	}

	d := Vote{Kind: Dots, Options: []string{"A", "B", "C"}, Points: 5, MaxPerOption: 3}
	r, err = Count(d, []Ballot{{Weight: 1, Points: []int64{3, 2, 0}}, {Weight: 2, Points: []int64{0, 1, 3}}}, ScoreCount, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.Totals, []int64{3, 4, 6}) || !reflect.DeepEqual(r.Ranking, [][]int{{2}, {1}, {0}}) {
		t.Errorf("dots totals %v ranking %v", r.Totals, r.Ranking)
	}
	for _, tt := range []struct {
		points []int64
		want   Problem
	}{
		{[]int64{3, 3, 0}, TooManyPoints},
		{[]int64{4, 0, 0}, TooManyOnOption},
		{[]int64{-1, 0, 0}, NegativePoints},
		{[]int64{1, 1}, WrongLength},
	} {
		if _, err := Count(d, []Ballot{{Weight: 1, Points: tt.points}}, ScoreCount, Config{}); !isProblem(err, tt.want) {
			t.Errorf("points %v: %v, want %s", tt.points, err, tt.want)
		}
	}
}

func isProblem(err error, p Problem) bool {
	var be *BallotError
	return errors.As(err, &be) && be.Problem == p
}

func TestYesNo(t *testing.T) {
	v := Vote{Kind: YesNo, Options: []string{"pour", "contre", "abstention"}}
	ballots := func(yes, no, abs int64) []Ballot {
		return []Ballot{{Weight: yes, Choice: Yes}, {Weight: no, Choice: No}, {Weight: abs, Choice: Abstain}}
	}
	tests := []struct {
		name         string
		yes, no, abs int64
		m            Majority
		adopted      bool
		base, needed int64
	}{
		{"simple", 5, 4, 3, Majority{}, true, 9, 5},
		{"simple tie fails", 4, 4, 0, Majority{Rule: SimpleMajority}, false, 8, 5},
		{"absolute of cast", 5, 4, 3, Majority{Rule: AbsoluteMajority, Base: Cast}, true, 9, 5},
		{"absolute of present: abstentions weigh", 5, 4, 3, Majority{Rule: AbsoluteMajority, Base: Present}, false, 12, 7},
		{"absolute of members", 11, 0, 0, Majority{Rule: AbsoluteMajority, Base: Members, Members: 20}, true, 20, 11},
		{"absolute of members: half is not enough", 10, 0, 0, Majority{Rule: AbsoluteMajority, Base: Members, Members: 20}, false, 20, 11},
		{"two thirds exactly", 6, 3, 5, Majority{Rule: TwoThirds}, true, 9, 6},
		{"two thirds missed", 5, 3, 0, Majority{Rule: TwoThirds}, false, 8, 6},
		{"two thirds of members", 14, 0, 0, Majority{Rule: TwoThirds, Base: Members, Members: 21}, true, 21, 14},
		{"nothing without a yes", 0, 0, 5, Majority{Rule: TwoThirds}, false, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Count(v, ballots(tt.yes, tt.no, tt.abs), YesNoCount, Config{Majority: tt.m})
			if err != nil {
				t.Fatal(err)
			}
			d := r.Decision
			if d.Adopted != tt.adopted || d.BaseWeight != tt.base || d.Needed != tt.needed {
				t.Errorf("got adopted %v base %d needed %d, want %v %d %d", d.Adopted, d.BaseWeight, d.Needed, tt.adopted, tt.base, tt.needed)
			}
			want := No
			kind := FactRejected
			if tt.adopted {
				want, kind = Yes, FactAdopted
			}
			if !slices.Equal(r.Winners, []int{want}) || r.Why[0].Kind != kind || r.Why[0].For != tt.yes || r.Why[0].Against != tt.no || r.Why[0].Abstain != tt.abs {
				t.Errorf("winners %v fact %+v", r.Winners, r.Why[0])
			}
		})
	}
	if _, err := Count(v, ballots(5, 5, 5), YesNoCount, Config{Majority: Majority{Rule: AbsoluteMajority, Base: Members, Members: 10}}); !errors.Is(err, ErrVote) {
		t.Errorf("members' weight below the votes: %v", err)
	}
	if _, err := Count(v, []Ballot{{Weight: 1, Choice: 3}}, YesNoCount, Config{}); !isProblem(err, UnknownChoice) {
		t.Errorf("choice 3: %v", err)
	}
}

func TestDates(t *testing.T) {
	v := Vote{Kind: DatePoll, Options: []string{"mon", "tue", "wed"}}
	ballots := []Ballot{
		{Weight: 1, Grades: []int{DateYes, DateIfNeedBe, DateNo}},
		{Weight: 1, Grades: []int{DateIfNeedBe, DateYes, NoGrade}},
		{Weight: 1, Grades: []int{DateNo, DateYes, DateYes}},
	}
	r, err := Count(v, ballots, DateCount, Config{})
	if err != nil {
		t.Fatal(err)
	}
	// Can come: mon 2, tue 3, wed 1 (one gave no answer).
	if !reflect.DeepEqual(r.Ranking, [][]int{{1}, {0}, {2}}) || !slices.Equal(r.Totals, []int64{2, 3, 1}) {
		t.Errorf("ranking %v totals %v", r.Ranking, r.Totals)
	}
	if !slices.Equal(r.NoGrade, []int64{0, 0, 1}) || !slices.Equal(r.Profiles[2], []int64{1, 0, 1}) {
		t.Errorf("no answer %v profile %v", r.NoGrade, r.Profiles[2])
	}
	r, err = Count(v, []Ballot{{Weight: 1, Grades: []int{DateYes, DateIfNeedBe, DateNo}}, {Weight: 1, Grades: []int{DateIfNeedBe, DateYes, DateNo}}}, DateCount, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r.Ranking, [][]int{{0, 1}, {2}}) {
		t.Errorf("equal dates not tied: %v", r.Ranking)
	}
	// Equal "can come": more glad yeses first.
	r, err = Count(v, []Ballot{{Weight: 1, Grades: []int{DateYes, DateYes, DateNo}}, {Weight: 1, Grades: []int{DateIfNeedBe, DateYes, DateNo}}}, DateCount, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r.Ranking, [][]int{{1}, {0}, {2}}) {
		t.Errorf("yes over if need be: %v", r.Ranking)
	}
}

func TestCycleRankedPairsSchulze(t *testing.T) {
	v := Vote{Kind: Ranked, Options: []string{"A", "B", "C"}}
	// 4 A>B>C, 3 B>C>A, 2 C>A>B: d A>B 6:3, B>C 7:2, C>A 5:4, a cycle.
	ballots := []Ballot{rk(4, g(0), g(1), g(2)), rk(3, g(1), g(2), g(0)), rk(2, g(2), g(0), g(1))}
	r, err := Count(v, ballots, RankedPairs, Config{})
	if err != nil {
		t.Fatal(err)
	}
	want := []Pair{{1, 2, 7, 2, true}, {0, 1, 6, 3, true}, {2, 0, 5, 4, false}}
	if !reflect.DeepEqual(r.Pairs, want) || !reflect.DeepEqual(r.Ranking, [][]int{{0}, {1}, {2}}) {
		t.Errorf("pairs %v ranking %v", r.Pairs, r.Ranking)
	}
	wantWhy := []Fact{
		{Kind: FactLocked, Option: 0, Other: 1, Step: 1, For: 6, Against: 3},
		{Kind: FactSkipped, Option: 2, Other: 0, Step: 2, For: 5, Against: 4},
	}
	if !reflect.DeepEqual(r.Why, wantWhy) {
		t.Errorf("why %+v", r.Why)
	}
	s, err := Count(v, ballots, Schulze, Config{})
	if err != nil {
		t.Fatal(err)
	}
	wantP := [][]int64{{0, 6, 6}, {5, 0, 7}, {5, 5, 0}}
	if !reflect.DeepEqual(s.Paths, wantP) || !reflect.DeepEqual(s.Ranking, [][]int{{0}, {1}, {2}}) {
		t.Errorf("Schulze p %v ranking %v", s.Paths, s.Ranking)
	}
}

func TestTieBreaks(t *testing.T) {
	v := Vote{Kind: Ranked, Options: []string{"A", "B", "C"}}
	// A perfect cycle: every victory 2 to 1.
	ballots := []Ballot{rk(1, g(0), g(1), g(2)), rk(1, g(1), g(2), g(0)), rk(1, g(2), g(0), g(1))}
	s, err := Count(v, ballots, Schulze, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s.Ranking, [][]int{{0, 1, 2}}) || s.Why[0].Kind != FactTie {
		t.Errorf("Schulze breaks no tie: %v %+v", s.Ranking, s.Why)
	}
	for _, tt := range []struct {
		order   []int
		ranking [][]int
	}{
		{nil, [][]int{{0}, {1}, {2}}},
		{[]int{2, 0, 1}, [][]int{{2}, {0}, {1}}},
		{[]int{1, 2, 0}, [][]int{{1}, {2}, {0}}},
	} {
		r, err := Count(v, ballots, RankedPairs, Config{TieOrder: tt.order})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(r.Ranking, tt.ranking) {
			t.Errorf("ranked pairs, tie order %v: %v, want %v", tt.order, r.Ranking, tt.ranking)
		}
	}
	if _, err := Count(v, ballots, RankedPairs, Config{TieOrder: []int{0, 0, 1}}); !errors.Is(err, ErrVote) {
		t.Errorf("tie order with a repeat: %v", err)
	}

	// IRV: A 3, B 2, C 2, D 1 first round; D out, its ballot goes to B:
	// A 3, B 3, C 2... build a lowest tie instead: B and C tied at 2 in
	// round 1 and round 0 decides.
	iv := Vote{Kind: Ranked, Options: []string{"A", "B", "C", "D"}}
	ib := []Ballot{
		rk(4, g(0)),
		rk(2, g(1)),
		rk(3, g(2)),
		rk(1, g(3), g(1)),
	}
	r, err := Count(iv, ib, IRV, Config{})
	if err != nil {
		t.Fatal(err)
	}
	// Round 0: A4 B2 C3 D1 → D out. Round 1: A4 B3 C3 → B and C tie;
	// in round 0 B had 2 < C's 3, so B goes. Round 2: A4 C3, 3 exhausted.
	if len(r.Rounds) != 3 || r.Rounds[1].Eliminated != 1 || !slices.Equal(r.Rounds[1].Tied, []int{1, 2}) ||
		r.Rounds[2].Elected != 0 || r.Rounds[2].Exhausted != 3 {
		t.Errorf("IRV rounds %+v", r.Rounds)
	}
	if !reflect.DeepEqual(r.Ranking, [][]int{{0}, {2}, {1}, {3}}) {
		t.Errorf("IRV ranking %v", r.Ranking)
	}
	// Same counts in every round: the tie order decides (the last goes).
	eb := []Ballot{rk(1, g(0)), rk(1, g(1))}
	r, err = Count(Vote{Kind: Ranked, Options: []string{"A", "B"}}, eb, IRV, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Winners[0] != 0 || r.Rounds[0].Eliminated != 1 || r.Why[0].Kind != FactEliminated || len(r.Why[0].Options) != 2 {
		t.Errorf("IRV even tie: %+v", r)
	}
	r, err = Count(Vote{Kind: Ranked, Options: []string{"A", "B"}}, eb, IRV, Config{TieOrder: []int{1, 0}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Winners[0] != 1 {
		t.Errorf("IRV even tie with B first in tie order: winner %v", r.Winners)
	}
}

func TestIRVUndecided(t *testing.T) {
	v := Vote{Kind: Ranked, Options: []string{"A", "B", "C"}}
	// The 3-weight ballot ties A and B first: undecided while both run,
	// yet active, so C's 4 of 10 is no majority; once B is out it counts
	// for A: 5 of 9.
	ballots := []Ballot{rk(3, g(0, 1)), rk(2, g(0)), rk(1, g(1)), rk(4, g(2))}
	r, err := Count(v, ballots, IRV, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Rounds[0].Undecided != 3 || r.Rounds[0].Eliminated != 1 || r.Rounds[1].Counts[0] != 5 || r.Rounds[1].Elected != 0 {
		t.Errorf("rounds %+v", r.Rounds)
	}
}

func TestMajorityJudgment(t *testing.T) {
	v := Vote{Kind: Graded, Options: []string{"A", "B", "C"}, Grades: []string{"reject", "poor", "fair", "good", "very good"}}
	ballots := []Ballot{
		{Weight: 1, Grades: []int{4, 2, NoGrade}},
		{Weight: 1, Grades: []int{3, 2, 1}},
		{Weight: 1, Grades: []int{1, 3, NoGrade}},
		{Weight: 1, Grades: []int{0, 2, 4}},
	}
	r, err := Count(v, ballots, MajorityJudgment, Config{})
	if err != nil {
		t.Fatal(err)
	}
	// A: 0 1 3 4 → lower middle 1 (poor); B: 2 2 2 3 → fair; C: no grade
	// twice counts as reject: 0 0 1 4 → reject.
	if !slices.Equal(r.MajorityGrades, []int{1, 2, 0}) || !reflect.DeepEqual(r.Ranking, [][]int{{1}, {0}, {2}}) {
		t.Errorf("majority grades %v ranking %v", r.MajorityGrades, r.Ranking)
	}
	if !slices.Equal(r.NoGrade, []int64{0, 0, 2}) || !slices.Equal(r.Profiles[2], []int64{2, 1, 0, 0, 1}) {
		t.Errorf("no grade %v profile C %v", r.NoGrade, r.Profiles[2])
	}
	f := r.Why[0]
	if f.Kind != FactMajorityGrade || f.Option != 1 || f.Grade != 2 || f.For != 1 || f.Against != 0 || f.Total != 4 {
		t.Errorf("fact %+v", f)
	}
	if _, err := Count(v, []Ballot{{Weight: 1, Grades: []int{5, 0, 0}}}, MajorityJudgment, Config{}); !isProblem(err, GradeOutOfRange) {
		t.Errorf("grade 5 of 0..4: %v", err)
	}
	if _, err := Count(v, []Ballot{{Weight: 1, Grades: []int{1, 0}}}, MajorityJudgment, Config{}); !isProblem(err, WrongLength) {
		t.Errorf("two grades for three options: %v", err)
	}
}

// TestMajorityJudgmentAgainstTextbook compares the run-walking comparison
// with the judge-by-judge definition on random small profiles, odd and
// even counts, many ties.
func TestMajorityJudgmentAgainstTextbook(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 3000; trial++ {
		judges := 1 + rng.IntN(9)
		k := 2 + rng.IntN(4)
		a, b := make([]int, judges), make([]int, judges)
		for i := range a {
			a[i], b[i] = rng.IntN(k), rng.IntN(k)
		}
		pa, pb := profileOf(a, k), profileOf(b, k)
		r, err := JudgeProfiles([]string{"a", "b"}, make2(k), [][]int64{pa, pb})
		if err != nil {
			t.Fatal(err)
		}
		want := slices.Compare(majorityValue(b), majorityValue(a)) // higher sequence first
		var got int
		switch {
		case len(r.Ranking) == 1:
			got = 0
		case r.Ranking[0][0] == 0:
			got = -1
		default:
			got = 1
		}
		if got != want {
			t.Fatalf("a=%v b=%v: got %d want %d (values %v %v)", a, b, got, want, majorityValue(a), majorityValue(b))
		}
	}
}

func make2(k int) []string {
	s := make([]string, k)
	for i := range s {
		s[i] = string(rune('a' + i))
	}
	return s
}

func TestVoteValidate(t *testing.T) {
	opts := []string{"A", "B"}
	for _, tt := range []struct {
		name string
		v    Vote
	}{
		{"unknown kind", Vote{Kind: "borda", Options: opts}},
		{"no options", Vote{Kind: Ranked}},
		{"too many options", Vote{Kind: Ranked, Options: make2(MaxOptions + 1)}},
		{"same name twice", Vote{Kind: Ranked, Options: []string{"A", "A"}}},
		{"yes/no with two labels", Vote{Kind: YesNo, Options: opts}},
		{"one grade", Vote{Kind: Graded, Options: opts, Grades: []string{"x"}}},
		{"grades on a ranked vote", Vote{Kind: Ranked, Options: opts, Grades: []string{"x", "y"}}},
		{"max below min approvals", Vote{Kind: Approval, Options: opts, MinApprovals: 2, MaxApprovals: 1}},
		{"no best score", Vote{Kind: Score, Options: opts}},
		{"too many points", Vote{Kind: Dots, Options: opts, Points: MaxPoints + 1}},
		{"per option above points", Vote{Kind: Dots, Options: opts, Points: 3, MaxPerOption: 4}},
	} {
		if err := tt.v.Validate(); !errors.Is(err, ErrVote) {
			t.Errorf("%s: %v, want ErrVote", tt.name, err)
		}
	}
	if _, err := Count(Vote{Kind: Ranked, Options: opts}, nil, MajorityJudgment, Config{}); !errors.Is(err, ErrVote) {
		t.Errorf("MJ of ranked ballots: %v", err)
	}
}

func TestBallotProblems(t *testing.T) {
	ranked := Vote{Kind: Ranked, Options: []string{"A", "B", "C"}}
	for _, tt := range []struct {
		b    Ballot
		want Problem
	}{
		{rk(-1, g(0)), NegativeWeight},
		{rk(MaxWeight+1, g(0)), WeightTooLarge},
		{rk(1, g(0), g(3)), UnknownOption},
		{rk(1, g(0), g(-1)), UnknownOption},
		{rk(1, g(0), g(1, 0)), DuplicateOption},
		{rk(1, g(0), g()), EmptyGroup},
		{Ballot{Weight: 1, Ranking: [][]int{{0}}, Grades: []int{1, 1, 1}}, FieldOfOtherKind},
		{Ballot{Weight: 1, Choice: 2}, FieldOfOtherKind},
	} {
		err := ranked.CheckBallot(&tt.b)
		if !isProblem(err, tt.want) || err.Error() == "" {
			t.Errorf("ballot %+v: %v, want %s", tt.b, err, tt.want)
		}
	}
	// A total weight past the limit is refused, not wrapped around.
	many := make([]Ballot, 5000)
	for i := range many {
		many[i] = rk(MaxWeight, g(0))
	}
	if _, err := Count(ranked, many, Schulze, Config{}); !isProblem(err, TotalTooLarge) {
		t.Errorf("total weight past the limit: %v", err)
	}
	if err := (&Vote{Kind: Single, Options: []string{"A"}}).CheckBallot(&Ballot{Weight: 1, Choice: 1}); !isProblem(err, UnknownChoice) {
		t.Errorf("choice 1 of one option: %v", err)
	}
}

// TestOrderIndependent: every method gives the same result whatever the
// order of the ballots, and the Schulze and ranked pairs winners are the
// Condorcet winner when there is one.
func TestOrderIndependent(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 200; trial++ {
		n := 2 + rng.IntN(6)
		e := randomRanked(rng, n, 1+rng.IntN(30), true)
		for _, m := range []Method{Schulze, RankedPairs, IRV, Plurality} {
			r1 := mustCount(t, e, m, Config{})
			shuffled := slices.Clone(e.Ballots)
			rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			r2, err := Count(e.Vote, shuffled, m, Config{})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(r1, r2) {
				t.Fatalf("%s depends on ballot order:\n%+v\n%+v", m, r1, r2)
			}
			if m == Schulze || m == RankedPairs {
				d := flat(r1.Pairwise)
				for w := 0; w < n; w++ {
					if condorcet(d, n, w) && !slices.Equal(r1.Winners, []int{w}) {
						t.Fatalf("%s: Condorcet winner %d, winners %v", m, w, r1.Winners)
					}
				}
			}
		}
	}
}

func flat(m [][]int64) []int64 {
	var f []int64
	for _, row := range m {
		f = append(f, row...)
	}
	return f
}

// randomRanked makes n options and up to count ballots, with ties and
// incomplete rankings when mixed.
func randomRanked(rng *rand.Rand, n, count int, mixed bool) *Election {
	e := &Election{Vote: Vote{Kind: Ranked, Options: make2(n)}}
	for i := 0; i < count; i++ {
		perm := rng.Perm(n)
		var ranking [][]int
		keep := n
		if mixed {
			keep = rng.IntN(n + 1)
		}
		for j := 0; j < keep; j++ {
			if mixed && j > 0 && rng.IntN(4) == 0 {
				ranking[len(ranking)-1] = append(ranking[len(ranking)-1], perm[j])
				continue
			}
			ranking = append(ranking, []int{perm[j]})
		}
		e.Ballots = append(e.Ballots, Ballot{Weight: int64(rng.IntN(4)), Ranking: ranking})
	}
	return e
}

// TestSchulzeTiesAreNotTransitive: a ties b and c while b beats c. The
// winners are every option nobody beats, a and b; c comes after.
func TestSchulzeTiesAreNotTransitive(t *testing.T) {
	v := Vote{Kind: Ranked, Options: []string{"a", "b", "c"}}
	ballots := []Ballot{rk(1, g(0), g(1), g(2)), rk(1, g(1), g(2), g(0))}
	for _, m := range []Method{Schulze, RankedPairs} {
		r, err := Count(v, ballots, m, Config{})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(r.Ranking, [][]int{{0, 1}, {2}}) || !slices.Equal(r.Winners, []int{0, 1}) {
			t.Errorf("%s: ranking %v winners %v, want [[0 1] [2]]", m, r.Ranking, r.Winners)
		}
	}
}

func TestNoBallots(t *testing.T) {
	for _, tt := range []struct {
		v Vote
		m Method
	}{
		{Vote{Kind: Ranked, Options: []string{"a", "b", "c"}}, Schulze},
		{Vote{Kind: Ranked, Options: []string{"a", "b", "c"}}, RankedPairs},
		{Vote{Kind: Ranked, Options: []string{"a", "b", "c"}}, IRV},
		{Vote{Kind: Graded, Options: []string{"a", "b", "c"}, Grades: []string{"x", "y"}}, MajorityJudgment},
		{Vote{Kind: Score, Options: []string{"a", "b", "c"}, MaxScore: 3}, ScoreCount},
		{Vote{Kind: DatePoll, Options: []string{"a", "b", "c"}}, DateCount},
	} {
		for _, ballots := range [][]Ballot{nil, {{Weight: 0, Ranking: nil}}} {
			if tt.v.Kind != Ranked && ballots != nil {
				continue
			}
			r, err := Count(tt.v, ballots, tt.m, Config{})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(r.Ranking, [][]int{{0, 1, 2}}) || !slices.Equal(r.Winners, []int{0, 1, 2}) {
				t.Errorf("%s with no vote: ranking %v winners %v, want all tied", tt.m, r.Ranking, r.Winners)
			}
		}
	}
}
