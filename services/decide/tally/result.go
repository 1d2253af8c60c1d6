package tally

import (
	"fmt"
	"slices"
)

// Method is a way of counting.
type Method string

// The methods, and the kinds of vote each counts.
const (
	Plurality        Method = "plurality"   // single, ranked (first choice)
	ApprovalCount    Method = "approval"    // approval, graded with 2 grades (best = approved)
	ScoreCount       Method = "score"       // score, dots
	YesNoCount       Method = "yesno"       // yesno
	Schulze          Method = "schulze"     // ranked
	RankedPairs      Method = "rankedpairs" // ranked
	IRV              Method = "irv"         // ranked
	MajorityJudgment Method = "mj"          // graded
	DateCount        Method = "dates"       // dates
)

// Methods lists every method, in the order the CLI documents them.
func Methods() []Method {
	return []Method{Schulze, RankedPairs, IRV, MajorityJudgment, ApprovalCount, Plurality, ScoreCount, YesNoCount, DateCount}
}

// Accepts says whether the method counts ballots of this kind.
func (m Method) Accepts(k Kind) bool {
	switch m {
	case Plurality:
		return k == Single || k == Ranked
	case ApprovalCount:
		return k == Approval || k == Graded
	case ScoreCount:
		return k == Score || k == Dots
	case YesNoCount:
		return k == YesNo
	case Schulze, RankedPairs, IRV:
		return k == Ranked
	case MajorityJudgment:
		return k == Graded
	case DateCount:
		return k == DatePoll
	}
	return false
}

// DefaultMethod is the method a vote of this kind is counted by when the
// caller names none.
func DefaultMethod(k Kind) Method {
	switch k {
	case Ranked:
		return Schulze
	case Graded:
		return MajorityJudgment
	case Approval:
		return ApprovalCount
	case Score, Dots:
		return ScoreCount
	case YesNo:
		return YesNoCount
	case DatePoll:
		return DateCount
	}
	return Plurality
}

// Rule is a yes/no vote's majority.
type Rule string

// The majorities. Base is the weight they are taken of (see Base).
const (
	// SimpleMajority: more yes than no (the base plays no part).
	SimpleMajority Rule = "simple"
	// AbsoluteMajority: yes is more than half of the base.
	AbsoluteMajority Rule = "absolute"
	// TwoThirds: yes is at least two thirds of the base.
	TwoThirds Rule = "two_thirds"
)

// Base is the weight a majority is taken of.
type Base string

// The bases.
const (
	// Cast: yes + no. Abstentions are not votes cast ("suffrages
	// exprimés"): they count for neither side.
	Cast Base = "cast"
	// Present: yes + no + abstain. Abstaining then weighs like no.
	Present Base = "present"
	// Members: Majority.Members, the total weight of the members with a
	// voting right, which the caller passes (a member who did not vote
	// then weighs like no).
	Members Base = "members"
)

// Majority configures a yes/no count. The zero value is a simple majority
// of votes cast.
type Majority struct {
	Rule    Rule  `json:"rule"`
	Base    Base  `json:"base"`
	Members int64 `json:"members,omitempty"`
}

// Config is what a count needs beyond the vote and the ballots.
type Config struct {
	Majority Majority
	// TieOrder breaks the ties a method must break to go on (ranked pairs'
	// equal pairs, instant runoff's eliminations): a permutation of the
	// options, the first preferred. Nil means option order (option 0
	// first). A service that wants a fair rule draws it at random in the
	// room, or from a ballot, and passes it here.
	TieOrder []int
}

// Result is a count: the ranking, the winners, the method's tables and the
// facts that say why the winners won. Tables a method does not fill stay
// nil. Option indexes refer to Options.
type Result struct {
	Method  Method   `json:"method"`
	Options []string `json:"options"`
	// Ranking: groups of options, best first; options in one group are
	// tied (no method here breaks a tie for first place, except instant
	// runoff, which must to go on, and says so in Why). For yes/no it is
	// [[Yes] [No]] when adopted, [[No] [Yes]] when not; abstain is no
	// outcome and is not ranked.
	Ranking [][]int `json:"ranking"`
	// Winners is Ranking[0]: one option, or several when tied.
	Winners []int `json:"winners"`
	// Weight is the total weight of the ballots counted.
	Weight int64 `json:"weight"`
	// Blank is the weight of blank single-choice ballots.
	Blank int64 `json:"blank,omitempty"`

	// Totals: per option, the weight (plurality, approval), the sum of
	// score × weight (score, dots), yes/no/abstain weights (yes/no),
	// available weight, yes plus if need be (dates).
	Totals []int64 `json:"totals,omitempty"`
	// Averages (score, dots): Totals[o] / Weight, 0 when no weight.
	Averages []float64 `json:"averages,omitempty"`
	// Pairwise (Schulze, ranked pairs): Pairwise[a][b] is the weight that
	// ranks a above b (the matrix d); the diagonal is 0.
	Pairwise [][]int64 `json:"pairwise,omitempty"`
	// Paths (Schulze): Paths[a][b] is the strength of the strongest path
	// from a to b (the matrix p), 0 when none; diagonal 0.
	Paths [][]int64 `json:"paths,omitempty"`
	// Pairs (ranked pairs): every pair with a majority, in the order
	// considered, each locked or skipped.
	Pairs []Pair `json:"pairs,omitempty"`
	// Rounds (instant runoff), first round first.
	Rounds []Round `json:"rounds,omitempty"`
	// Profiles (majority judgment): Profiles[o][g] is the weight giving
	// option o the grade g, worst grade first, no grade counted as grade 0.
	// (dates): Profiles[o] = [no, if need be, yes] weights.
	Profiles [][]int64 `json:"profiles,omitempty"`
	// NoGrade (majority judgment, dates): per option, the weight that gave
	// no grade or no answer (inside Profiles[o][0] for majority judgment).
	NoGrade []int64 `json:"no_grade,omitempty"`
	// MajorityGrades (majority judgment): per option, the lower middle
	// grade.
	MajorityGrades []int `json:"majority_grades,omitempty"`
	// Decision (yes/no).
	Decision *Decision `json:"decision,omitempty"`
	// Why: numbers that explain the outcome, for the service to write as
	// sentences (see FactKind).
	Why []Fact `json:"why"`
}

// Pair is a pairwise victory considered by ranked pairs.
type Pair struct {
	Winner  int   `json:"winner"`
	Loser   int   `json:"loser"`
	For     int64 `json:"for"`     // Pairwise[Winner][Loser]
	Against int64 `json:"against"` // Pairwise[Loser][Winner]
	Locked  bool  `json:"locked"`  // false: skipped, it would have closed a cycle
}

// Round is one round of instant runoff.
type Round struct {
	// Counts: per option, the weight of the ballots whose highest
	// continuing choice it is; 0 for options already out.
	Counts []int64 `json:"counts"`
	// Continuing: the options still in the race at this round.
	Continuing []int `json:"continuing"`
	// Exhausted: weight of ballots that rank no continuing option.
	Exhausted int64 `json:"exhausted"`
	// Undecided: weight of ballots whose highest continuing choice is a
	// tie between continuing options; they count for nobody this round.
	Undecided int64 `json:"undecided"`
	// Elected: the option with a majority of Counts, or the last one left;
	// -1 while the count goes on.
	Elected int `json:"elected"`
	// Eliminated: the option dropped after this round, -1 when none.
	Eliminated int `json:"eliminated"`
	// Tied: when several options had the lowest count, all of them, in
	// option order (the tie-break picked Eliminated); nil otherwise.
	Tied []int `json:"tied,omitempty"`
}

// Decision is the outcome of a yes/no vote.
type Decision struct {
	Adopted bool  `json:"adopted"`
	Rule    Rule  `json:"rule"`
	Base    Base  `json:"base"`
	Yes     int64 `json:"yes"`
	No      int64 `json:"no"`
	Abstain int64 `json:"abstain"`
	// BaseWeight: the weight the rule is taken of (yes+no for a simple
	// majority).
	BaseWeight int64 `json:"base_weight"`
	// Needed: the least yes weight that adopts (at least 1: nothing is
	// adopted without a yes).
	Needed int64 `json:"needed"`
}

// FactKind says what a Fact states and which of its fields are set.
type FactKind string

// The facts. Option is the option the fact is about (a winner, usually);
// Other is another option or -1; the numbers are weights unless said.
const (
	// FactMost: Option has the highest total, For; Other is the runner-up
	// with Against (-1 and 0 when none); Total is the weight counted.
	// (plurality, approval, score, dots, dates)
	FactMost FactKind = "most"
	// FactTie: Options share first place, each with For (a total where the
	// method has one).
	FactTie FactKind = "tie"
	// FactCondorcet: Option beats every other option head to head.
	FactCondorcet FactKind = "condorcet"
	// FactBeats: Option beats Other head to head, For to Against.
	FactBeats FactKind = "beats"
	// FactPath (Schulze): Option's strongest path to Other is For, Other's
	// back is Against, and For > Against.
	FactPath FactKind = "path"
	// FactLocked (ranked pairs): the pair Option over Other (For to
	// Against) was locked; Step is its place among the pairs (0 first).
	FactLocked FactKind = "locked"
	// FactSkipped (ranked pairs): the pair Option over Other (For to
	// Against) was skipped because the pairs locked before it already
	// put Other above Option.
	FactSkipped FactKind = "skipped"
	// FactMajority (instant runoff): in Round (0 first) Option has For, more
	// than half of Total, the weight of the ballots still active (counted
	// for someone, or undecided).
	FactMajority FactKind = "majority"
	// FactLast (instant runoff): in Round Option is the last one left, with
	// For of Total.
	FactLast FactKind = "last"
	// FactEliminated (instant runoff): after Round, Option is out with For;
	// Options lists the tie when the tie-break chose it.
	FactEliminated FactKind = "eliminated"
	// FactMajorityGrade (majority judgment): Option's majority grade is
	// Grade; For is the weight above it, Against the weight below, Total
	// the weight.
	FactMajorityGrade FactKind = "majority_grade"
	// FactTieBreak (majority judgment): Option and Other share majority
	// grade Grade; after removing Step middle grades from each, Option's
	// next middle grade is For and Other's is Against (grades, not
	// weights), so Option ranks first.
	FactTieBreak FactKind = "tie_break"
	// FactAdopted and FactRejected (yes/no): For yes, Against no, Abstain,
	// Total the base weight, Needed the least yes that adopts.
	FactAdopted  FactKind = "adopted"
	FactRejected FactKind = "rejected"
)

// Fact is one number-bearing reason; see FactKind for the fields each kind
// sets.
type Fact struct {
	Kind    FactKind `json:"kind"`
	Option  int      `json:"option"`
	Other   int      `json:"other"`
	Options []int    `json:"options,omitempty"`
	Round   int      `json:"round,omitempty"`
	Step    int      `json:"step,omitempty"`
	Grade   int      `json:"grade,omitempty"`
	For     int64    `json:"for"`
	Against int64    `json:"against"`
	Abstain int64    `json:"abstain,omitempty"`
	Total   int64    `json:"total,omitempty"`
	Needed  int64    `json:"needed,omitempty"`
}

// Count checks the vote and every ballot, then counts them by method m.
// A ballot that does not fit refuses the whole count with a *BallotError
// naming it. The result depends only on the multiset of ballots, never on
// their order.
func Count(v Vote, ballots []Ballot, m Method, cfg Config) (*Result, error) {
	if err := v.CheckBallots(ballots); err != nil {
		return nil, err
	}
	if !m.Accepts(v.Kind) {
		return nil, fmt.Errorf("%w: method %q does not count %s ballots", ErrVote, m, v.Kind)
	}
	if m == ApprovalCount && v.Kind == Graded && len(v.Grades) != 2 {
		return nil, fmt.Errorf("%w: approval counts graded ballots of two grades only, not %d", ErrVote, len(v.Grades))
	}
	prio, err := tiePriority(cfg.TieOrder, len(v.Options))
	if err != nil {
		return nil, err
	}
	r := &Result{Method: m, Options: slices.Clone(v.Options)}
	for i := range ballots {
		r.Weight += ballots[i].Weight
	}
	switch m {
	case Plurality:
		plurality(r, v, ballots)
	case ApprovalCount:
		approval(r, v, ballots)
	case ScoreCount:
		score(r, v, ballots)
	case YesNoCount:
		if err := yesNo(r, ballots, cfg.Majority); err != nil {
			return nil, err
		}
	case DateCount:
		dates(r, v, ballots)
	case Schulze:
		schulze(r, len(v.Options), ballots)
	case RankedPairs:
		rankedPairs(r, len(v.Options), ballots, prio)
	case IRV:
		irv(r, len(v.Options), ballots, prio)
	case MajorityJudgment:
		mjBallots(r, len(v.Grades), ballots)
	}
	if len(r.Ranking) > 0 {
		r.Winners = slices.Clone(r.Ranking[0])
	}
	if r.Why == nil {
		r.Why = []Fact{}
	}
	return r, nil
}

// tiePriority turns a tie order into prio[option] = rank in the order (0
// preferred), checking that it is a permutation.
func tiePriority(order []int, n int) ([]int, error) {
	prio := make([]int, n)
	if order == nil {
		for i := range prio {
			prio[i] = i
		}
		return prio, nil
	}
	if len(order) != n {
		return nil, fmt.Errorf("%w: tie order of %d options for %d", ErrVote, len(order), n)
	}
	for i := range prio {
		prio[i] = -1
	}
	for rank, o := range order {
		if o < 0 || o >= n || prio[o] >= 0 {
			return nil, fmt.Errorf("%w: tie order is not a permutation of the options (option %d)", ErrVote, o)
		}
		prio[o] = rank
	}
	return prio, nil
}

// rankByTotals groups options by total, highest first; ties keep option
// order inside their group.
func rankByTotals(totals []int64) [][]int {
	order := make([]int, len(totals))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case totals[a] > totals[b]:
			return -1
		case totals[a] < totals[b]:
			return 1
		}
		return 0
	})
	return groupSorted(order, func(a, b int) bool { return totals[a] == totals[b] })
}

// groupSorted cuts a sorted order into groups of equal neighbours.
func groupSorted(order []int, equal func(a, b int) bool) [][]int {
	var groups [][]int
	for i, o := range order {
		if i > 0 && equal(order[i-1], o) {
			groups[len(groups)-1] = append(groups[len(groups)-1], o)
			continue
		}
		groups = append(groups, []int{o})
	}
	return groups
}

// mostFacts states the winner by totals, or the tie for first place.
func mostFacts(r *Result, totals []int64) {
	if len(r.Ranking) == 0 {
		return
	}
	top := r.Ranking[0]
	if len(top) > 1 {
		r.Why = append(r.Why, Fact{Kind: FactTie, Option: top[0], Other: -1, Options: slices.Clone(top), For: totals[top[0]], Total: r.Weight})
		return
	}
	f := Fact{Kind: FactMost, Option: top[0], Other: -1, For: totals[top[0]], Total: r.Weight}
	if len(r.Ranking) > 1 {
		f.Other = r.Ranking[1][0]
		f.Against = totals[f.Other]
	}
	r.Why = append(r.Why, f)
}
