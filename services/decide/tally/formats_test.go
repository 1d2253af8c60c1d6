package tally

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

const tennesseeSOC = `# FILE NAME: tennessee.soc
# TITLE: Tennessee capital
# DESCRIPTION:
# DATA TYPE: soc
# MODIFICATION TYPE: synthetic
# RELATES TO:
# RELATED FILES:
# PUBLICATION DATE: 2026-12-02
# MODIFICATION DATE: 2026-12-02
# NUMBER ALTERNATIVES: 4
# NUMBER VOTERS: 100
# NUMBER UNIQUE ORDERS: 4
# ALTERNATIVE NAME 1: Memphis
# ALTERNATIVE NAME 2: Nashville
# ALTERNATIVE NAME 3: Chattanooga
# ALTERNATIVE NAME 4: Knoxville
42: 1,2,3,4
26: 2,3,4,1
15: 3,4,2,1
17: 4,3,2,1
`

func TestReadPrefLibTennessee(t *testing.T) {
	e, err := Read(strings.NewReader(tennesseeSOC), "tennessee.soc")
	if err != nil {
		t.Fatal(err)
	}
	if e.Title != "Tennessee capital" || e.Vote.Kind != Ranked || len(e.Ballots) != 4 || e.Ballots[0].Weight != 42 {
		t.Fatalf("read %+v", e)
	}
	r := mustCount(t, e, Schulze, Config{})
	if got := names(r, r.Ranking); got != "Nashville>Chattanooga>Knoxville>Memphis" {
		t.Errorf("Schulze %s", got)
	}
	// The same file without a name is recognised by its content.
	e2, err := Read(strings.NewReader(tennesseeSOC), "-")
	if err != nil || !reflect.DeepEqual(e, e2) {
		t.Errorf("read from stdin: %v", err)
	}
}

func TestReadPrefLibTiesAndCategories(t *testing.T) {
	toi := "# DATA TYPE: toi\n# NUMBER ALTERNATIVES: 4\n# ALTERNATIVE NAME 1: a\n# ALTERNATIVE NAME 2: b\n" +
		"# ALTERNATIVE NAME 3: c\n# ALTERNATIVE NAME 4: d\n13: 1, {4, 3}\n2: \n"
	e, err := ReadPrefLib(strings.NewReader(toi), "")
	if err != nil {
		t.Fatal(err)
	}
	want := []Ballot{{Weight: 13, Ranking: [][]int{{0}, {3, 2}}}, {Weight: 2}}
	if !reflect.DeepEqual(e.Ballots, want) {
		t.Errorf("toi ballots %+v, want %+v", e.Ballots, want)
	}
	cat := "# DATA TYPE: cat\n# NUMBER ALTERNATIVES: 3\n# NUMBER CATEGORIES: 3\n# CATEGORY NAME 1: Yes\n" +
		"# CATEGORY NAME 2: Maybe\n# CATEGORY NAME 3: No\n# ALTERNATIVE NAME 1: x\n# ALTERNATIVE NAME 2: y\n" +
		"# ALTERNATIVE NAME 3: z\n86: {}, 1, {2, 3}\n1: 1, 3, {}\n"
	e, err = ReadPrefLib(strings.NewReader(cat), "cat")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(e.Vote.Grades, []string{"No", "Maybe", "Yes"}) {
		t.Errorf("grades %v, want worst first", e.Vote.Grades)
	}
	want = []Ballot{{Weight: 86, Grades: []int{1, 0, 0}}, {Weight: 1, Grades: []int{2, NoGrade, 1}}}
	if !reflect.DeepEqual(e.Ballots, want) {
		t.Errorf("cat ballots %+v, want %+v", e.Ballots, want)
	}
}

func TestReadPrefLibErrors(t *testing.T) {
	head := "# NUMBER ALTERNATIVES: 3\n# ALTERNATIVE NAME 1: a\n# ALTERNATIVE NAME 2: b\n# ALTERNATIVE NAME 3: c\n"
	for _, tt := range []struct {
		name, ext, text, want string
	}{
		{"tie in soc", "soc", head + "1: 1,2,3\n2: 1,{2,3}\n", "line 6: a tie in a .soc file"},
		{"incomplete soc", "soc", head + "1: 1,2\n", "line 5: an incomplete order"},
		{"unknown alternative", "soi", head + "1: 1,4\n", `line 5: alternative "4" is not a number in 1..3`},
		{"duplicate", "toi", head + "1: 1,{2,1}\n", "line 5: alternative 1 appears twice"},
		{"negative count", "soi", head + "-1: 1\n", `line 5: count "-1"`},
		{"no count", "soi", head + "1,2\n", `line 5: expected "count: preferences"`},
		{"missing name", "soi", "# NUMBER ALTERNATIVES: 2\n# ALTERNATIVE NAME 1: a\n1: 1\n", "line 3: no ALTERNATIVE NAME 2"},
		{"header after data", "soi", head + "1: 1\n# TITLE: x\n", "line 6: header line after"},
		{"type mismatch", "soc", "# DATA TYPE: toi\n", "line 1: DATA TYPE toi in a .soc file"},
		{"voters mismatch", "soi", "# NUMBER VOTERS: 5\n" + head + "1: 1\n", "NUMBER VOTERS is 5 but the lines count 1"},
		{"too many alternatives", "soi", "# NUMBER ALTERNATIVES: 65\n", "line 1: NUMBER ALTERNATIVES"},
		{"unclosed brace", "toi", head + "1: {1,2\n", "line 5: a { without }"},
		{"empty group in order", "toi", head + "1: {},1\n", "line 5: empty group"},
		{"no type", "", head + "1: 1\n", "no DATA TYPE"},
		{"long line", "soi", head + "1: 1" + strings.Repeat(" ", MaxLineLen) + "\n", "line 5: longer than"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadPrefLib(strings.NewReader(tt.text), tt.ext)
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
	big := strings.NewReader(head + strings.Repeat("1: 1,2,3\n", MaxFileSize/9+1))
	if _, err := ReadPrefLib(big, "soc"); !errors.Is(err, ErrTooLarge) {
		t.Errorf("a file past MaxFileSize: %v", err)
	}
}

func TestReadJSONErrors(t *testing.T) {
	for _, tt := range []struct {
		name, text, want string
	}{
		{"syntax", "{\n\"vote\": {\"kind\": \"ranked\",\n\"options\": [\"a\" \"b\"]}}", "line 3"},
		{"unknown field", `{"vote": {"kind": "ranked", "options": ["a"], "colour": 1}, "ballots": []}`, "unknown field"},
		{"ballots first", `{"ballots": [], "vote": {"kind": "ranked", "options": ["a"]}}`, `"ballots" before "vote"`},
		{"bad ballot", "{\"vote\": {\"kind\": \"ranked\", \"options\": [\"a\", \"b\"]},\n\"ballots\": [\n{\"ranking\": [[0]]},\n{\"ranking\": [[0], [2]]}]}", "line 4: ballot 1: unknown option 2"},
		{"grade out of range", `{"vote": {"kind": "graded", "options": ["a"], "grades": ["bad", "good"]}, "ballots": [{"grades": [2]}]}`, "ballot 0: grade 2 for option 0 outside 0..1"},
		{"missing choice", `{"vote": {"kind": "single", "options": ["a"]}, "ballots": [{"weight": 2}]}`, `ballot 0: "choice" missing`},
		{"choice on ranked", `{"vote": {"kind": "ranked", "options": ["a"]}, "ballots": [{"choice": 0}]}`, "another kind"},
		{"negative weight", `{"vote": {"kind": "ranked", "options": ["a"]}, "ballots": [{"weight": -3}]}`, "negative weight -3"},
		{"too many approvals", `{"vote": {"kind": "approval", "options": ["a","b"], "max_approvals": 1}, "ballots": [{"approved": [0,1]}]}`, "2 approvals, at most 1"},
		{"twice", `{"vote": {"kind": "ranked", "options": ["a"]}, "vote": {"kind": "ranked", "options": ["a"]}}`, "given twice"},
		{"trailing", `{"vote": {"kind": "ranked", "options": ["a"]}, "ballots": []} {}`, "data after"},
		{"no ballots", `{"vote": {"kind": "ranked", "options": ["a"]}}`, "required"},
		{"wrong format", `{"format": "other"}`, "format"},
		{"bad vote", `{"vote": {"kind": "ranked", "options": []}}`, "0 options"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadJSON(strings.NewReader(tt.text))
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestRoundTrip: write → read → count gives the same result as counting
// the ballots written, for every method, in both formats.
func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := 0; trial < 60; trial++ {
		n := 1 + rng.IntN(7)
		ranked := randomRanked(rng, n, rng.IntN(40), trial%2 == 0)
		ranked.Title = "trial"
		graded := randomGraded(rng, n, 2+rng.IntN(5), rng.IntN(40))
		check := func(e *Election, methods ...Method) {
			t.Helper()
			var pl, js bytes.Buffer
			if err := WritePrefLib(&pl, e, "x"); err != nil {
				t.Fatal(err)
			}
			ext, _ := PrefLibType(e)
			fromPL, err := Read(bytes.NewReader(pl.Bytes()), "x."+ext)
			if err != nil {
				t.Fatalf("read back PrefLib: %v\n%s", err, pl.String())
			}
			if err := WriteJSON(&js, e); err != nil {
				t.Fatal(err)
			}
			fromJS, err := Read(bytes.NewReader(js.Bytes()), "x.json")
			if err != nil {
				t.Fatalf("read back JSON: %v\n%s", err, js.String())
			}
			if !reflect.DeepEqual(fromJS.Ballots, e.Ballots) && len(e.Ballots) > 0 {
				t.Fatalf("JSON changed the ballots:\n%+v\n%+v", e.Ballots, fromJS.Ballots)
			}
			for _, m := range methods {
				want := mustCount(t, e, m, Config{})
				for _, back := range []*Election{fromPL, fromJS} {
					got := mustCount(t, back, m, Config{})
					if !reflect.DeepEqual(got, want) {
						t.Fatalf("%s after a round trip:\n%+v\nwant\n%+v\nfile:\n%s", m, got, want, pl.String())
					}
				}
			}
		}
		check(ranked, Schulze, RankedPairs, IRV, Plurality)
		check(graded, MajorityJudgment)
	}
	// Every other kind goes through JSON.
	for _, e := range []*Election{
		{Vote: Vote{Kind: Approval, Options: []string{"a", "b"}, MaxApprovals: 2}, Ballots: []Ballot{{Weight: 2, Approved: []int{1}}, {Weight: 1}}},
		{Vote: Vote{Kind: Dots, Options: []string{"a", "b"}, Points: 3}, Ballots: []Ballot{{Weight: 1, Points: []int64{1, 2}}}},
		{Vote: Vote{Kind: Single, Options: []string{"a", "b"}}, Ballots: []Ballot{{Weight: 1, Choice: 0}, {Weight: 1, Choice: Blank}}},
		{Vote: Vote{Kind: YesNo, Options: []string{"oui", "non", "abstention"}}, Ballots: []Ballot{{Weight: 3, Choice: Abstain}, {Weight: 1, Choice: Yes}}},
		{Vote: Vote{Kind: DatePoll, Options: []string{"lundi"}}, Ballots: []Ballot{{Weight: 1, Grades: []int{NoGrade}}}},
	} {
		var js bytes.Buffer
		if err := WriteJSON(&js, e); err != nil {
			t.Fatal(err)
		}
		back, err := ReadJSON(&js)
		if err != nil {
			t.Fatalf("%s: %v", e.Vote.Kind, err)
		}
		if !reflect.DeepEqual(back.Ballots, e.Ballots) || !reflect.DeepEqual(back.Vote, e.Vote) {
			t.Errorf("%s: round trip gave %+v", e.Vote.Kind, back)
		}
		if err := WritePrefLib(&js, e, "x"); !errors.Is(err, ErrVote) {
			t.Errorf("%s to PrefLib: %v, want ErrVote", e.Vote.Kind, err)
		}
	}
}

func randomGraded(rng *rand.Rand, n, k, count int) *Election {
	e := &Election{Vote: Vote{Kind: Graded, Options: make2(n), Grades: make2(k)}}
	for i := 0; i < count; i++ {
		grades := make([]int, n)
		for o := range grades {
			grades[o] = rng.IntN(k+1) - 1 // NoGrade sometimes
		}
		e.Ballots = append(e.Ballots, Ballot{Weight: int64(rng.IntN(5)), Grades: grades})
	}
	return e
}

func TestPrefLibTypeIsMostRestrictive(t *testing.T) {
	v := Vote{Kind: Ranked, Options: []string{"a", "b", "c"}}
	for _, tt := range []struct {
		b    Ballot
		want string
	}{
		{rk(1, g(0), g(1), g(2)), "soc"},
		{rk(1, g(0), g(1)), "soi"},
		{rk(1, g(0), g(1, 2)), "toc"},
		{rk(1, g(0, 1)), "toi"},
	} {
		got, err := PrefLibType(&Election{Vote: v, Ballots: []Ballot{tt.b}})
		if err != nil || got != tt.want {
			t.Errorf("%+v: %s %v, want %s", tt.b, got, err, tt.want)
		}
	}
	// Identical ballots merge into one line, counts added.
	var buf bytes.Buffer
	e := &Election{Vote: v, Ballots: []Ballot{rk(1, g(1), g(0, 2)), rk(2, g(0), g(1), g(2)), rk(3, g(1), g(2, 0))}}
	if err := WritePrefLib(&buf, e, "x.toc"); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(buf.String(), "# NUMBER UNIQUE ORDERS: 2\n# ALTERNATIVE NAME 1: a\n# ALTERNATIVE NAME 2: b\n# ALTERNATIVE NAME 3: c\n4: 2,{1,3}\n2: 1,2,3\n") {
		t.Errorf("written:\n%s", buf.String())
	}
}

func FuzzReadPrefLib(f *testing.F) {
	f.Add([]byte(tennesseeSOC), "soc")
	f.Add([]byte("# DATA TYPE: toi\n# NUMBER ALTERNATIVES: 2\n# ALTERNATIVE NAME 1: a\n# ALTERNATIVE NAME 2: b\n3: {1,2}\n1: 2\n"), "")
	f.Add([]byte("# DATA TYPE: cat\n# NUMBER ALTERNATIVES: 2\n# NUMBER CATEGORIES: 2\n# CATEGORY NAME 1: Y\n# CATEGORY NAME 2: N\n# ALTERNATIVE NAME 1: a\n# ALTERNATIVE NAME 2: b\n3: {},{1,2}\n"), "cat")
	f.Fuzz(func(t *testing.T, data []byte, ext string) {
		switch ext {
		case "", "soc", "soi", "toc", "toi", "cat":
		default:
			ext = ""
		}
		e, err := ReadPrefLib(bytes.NewReader(data), ext)
		if err != nil {
			if !errors.Is(err, ErrFormat) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("error not wrapping ErrFormat: %v", err)
			}
			return
		}
		fuzzCountAndRoundTrip(t, e)
	})
}

func FuzzReadJSON(f *testing.F) {
	var buf bytes.Buffer
	e, _ := ReadPrefLib(strings.NewReader(tennesseeSOC), "soc")
	WriteJSON(&buf, e)
	f.Add(buf.Bytes())
	f.Add([]byte(`{"vote": {"kind": "graded", "options": ["a", "b"], "grades": ["x", "y", "z"]}, "ballots": [{"weight": 2, "grades": [2, null]}]}`))
	f.Add([]byte(`{"vote": {"kind": "yesno", "options": ["y", "n", "a"]}, "ballots": [{"choice": 2}]}`))
	f.Add([]byte(`{"vote": {"kind": "dots", "options": ["a", "b"], "points": 3}, "ballots": [{"points": [1, 2]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := ReadJSON(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrFormat) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("error not wrapping ErrFormat: %v", err)
			}
			return
		}
		fuzzCountAndRoundTrip(t, e)
	})
}

// fuzzCountAndRoundTrip: what a reader accepts counts without error by
// every method of its kind, and survives a JSON round trip unchanged.
func fuzzCountAndRoundTrip(t *testing.T, e *Election) {
	for _, m := range Methods() {
		if !m.Accepts(e.Vote.Kind) || (m == ApprovalCount && e.Vote.Kind == Graded && len(e.Vote.Grades) != 2) {
			continue
		}
		if _, err := Count(e.Vote, e.Ballots, m, Config{}); err != nil {
			t.Fatalf("accepted file does not count by %s: %v", m, err)
		}
	}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, e); err != nil {
		t.Fatalf("write accepted election: %v", err)
	}
	back, err := ReadJSON(&buf)
	if err != nil {
		t.Fatalf("read back: %v\n%s", err, buf.String())
	}
	if len(back.Ballots) != len(e.Ballots) {
		t.Fatalf("round trip: %d ballots, want %d", len(back.Ballots), len(e.Ballots))
	}
}

// TestReadJSONBallotTooLong: a ballot longer than any valid one is
// refused before it is decoded into a slice.
func TestReadJSONBallotTooLong(t *testing.T) {
	huge := `{"vote": {"kind": "graded", "options": ["a"], "grades": ["x", "y"]}, "ballots": [` + "\n" +
		`{"grades": [0]},` + "\n" + `{"grades": [` + strings.Repeat("0,", 20000) + `0]}]}`
	_, err := ReadJSON(strings.NewReader(huge))
	if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "line 3: ballot 1: longer than") {
		t.Errorf("error %v", err)
	}
	_, err = ReadJSON(strings.NewReader(`{"vote": {"kind": "graded", "options": ["a"], "grades": ["x", "y"]}, "ballots": [` + "\n\n" + `{"grades": [-2]}]}`))
	if !isProblem(err, GradeOutOfRange) || !strings.Contains(err.Error(), "line 3: ballot 0: grade -2 for option 0 outside 0..1") {
		t.Errorf("negative grade: %v", err)
	}
	_, err = ReadJSON(strings.NewReader(`{"vote": {"kind": "graded", "options": ["a"], "grades": ["x", "y"]}, "ballots": [` + "\n\n" + `{"grades": [0], "colour": 2}]}`))
	if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), `line 3: ballot 0: json: unknown field "colour"`) {
		t.Errorf("unknown ballot field: %v", err)
	}
}

func TestDecodeBallot(t *testing.T) {
	ranked := &Vote{Kind: Ranked, Options: []string{"a", "b", "c"}}
	single := &Vote{Kind: Single, Options: []string{"a", "b"}}
	graded := &Vote{Kind: Graded, Options: []string{"a", "b"}, Grades: []string{"bad", "good"}}
	for _, tt := range []struct {
		v    *Vote
		json string
		want Ballot
	}{
		{ranked, `{"weight": 2, "ranking": [[1], [0, 2]]}`, Ballot{Weight: 2, Ranking: [][]int{{1}, {0, 2}}}},
		{ranked, `{}`, Ballot{Weight: 1}},
		{ranked, `{"ranking": [], "weight": 0}`, Ballot{Weight: 0}},
		{&Vote{Kind: Approval, Options: []string{"a"}}, `{"approved": []}`, Ballot{Weight: 1}},
		{single, `{"choice": -1}`, Ballot{Weight: 1, Choice: Blank}},
		{graded, ` {"grades": [null, 1]} `, Ballot{Weight: 1, Grades: []int{NoGrade, 1}}},
	} {
		got, err := DecodeBallot(tt.v, []byte(tt.json))
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %+v %v, want %+v", tt.json, got, err, tt.want)
			continue
		}
		back, err := EncodeBallot(tt.v, &got)
		if err != nil {
			t.Fatal(err)
		}
		again, err := DecodeBallot(tt.v, back)
		if err != nil || !reflect.DeepEqual(again, got) {
			t.Errorf("%s: encoded %s decodes to %+v %v", tt.json, back, again, err)
		}
	}
	for _, tt := range []struct {
		v       *Vote
		json    string
		problem Problem // "" for a JSON error
		want    string
	}{
		{ranked, `{"ranking": [[3]]}`, UnknownOption, "unknown option 3"},
		{ranked, `{"ranking": [[0, 0]]}`, DuplicateOption, "option 0 given twice"},
		{single, `{"choice": 2}`, UnknownChoice, "unknown choice 2"},
		{single, `{"weight": 1}`, "", `"choice" missing`},
		{graded, `{"grades": [2, 0]}`, GradeOutOfRange, "grade 2 for option 0 outside 0..1"},
		{ranked, `null`, "", "a JSON object"},
		{ranked, `{"ranking": [[0]]} {}`, "", "data after the ballot"},
		{ranked, `{"ranking": "first"}`, "", "cannot unmarshal"},
		{ranked, `{"weight": -1}`, NegativeWeight, "negative weight -1"},
	} {
		_, err := DecodeBallot(tt.v, []byte(tt.json))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.json, err, tt.want)
		}
		if tt.problem != "" && !isProblem(err, tt.problem) {
			t.Errorf("%s: %v, want problem %s", tt.json, err, tt.problem)
		}
		if tt.problem == "" && !errors.Is(err, ErrFormat) {
			t.Errorf("%s: %v, want ErrFormat", tt.json, err)
		}
	}
}

func FuzzDecodeBallot(f *testing.F) {
	f.Add(`{"weight": 2, "ranking": [[1], [0, 2]]}`, "ranked")
	f.Add(`{"grades": [null, 1, 0]}`, "graded")
	f.Add(`{"approved": [2]}`, "approval")
	f.Add(`{"points": [1, 2, 0]}`, "dots")
	f.Add(`{"choice": 1}`, "yesno")
	votes := map[string]*Vote{
		"ranked":   {Kind: Ranked, Options: []string{"a", "b", "c"}},
		"graded":   {Kind: Graded, Options: []string{"a", "b", "c"}, Grades: []string{"x", "y"}},
		"approval": {Kind: Approval, Options: []string{"a", "b", "c"}, MaxApprovals: 2},
		"dots":     {Kind: Dots, Options: []string{"a", "b", "c"}, Points: 3},
		"yesno":    {Kind: YesNo, Options: []string{"y", "n", "a"}},
	}
	f.Fuzz(func(t *testing.T, data, kind string) {
		v, ok := votes[kind]
		if !ok {
			v = votes["ranked"]
		}
		b, err := DecodeBallot(v, []byte(data))
		if err != nil {
			if !errors.Is(err, ErrFormat) && !errors.Is(err, ErrBallot) {
				t.Fatalf("error neither ErrFormat nor ErrBallot: %v", err)
			}
			return
		}
		if err := v.CheckBallot(&b); err != nil {
			t.Fatalf("decoded ballot does not fit: %v", err)
		}
		back, err := EncodeBallot(v, &b)
		if err != nil {
			t.Fatal(err)
		}
		again, err := DecodeBallot(v, back)
		if err != nil || !reflect.DeepEqual(again, b) {
			t.Fatalf("round trip %s → %+v %v, want %+v", back, again, err, b)
		}
	})
}
