package tally

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The published examples, copied byte for byte from the shared data into
// the repository so a fresh clone tests them.
const vectorsPath = "../../../testdata/vote-vectors.json"

type vectors struct {
	Schulze struct {
		Candidates []string            `json:"candidates"`
		Ballots    [][2]any            `json:"ballots"`
		D          map[string][]*int64 `json:"pairwise_d"`
		P          map[string][]*int64 `json:"strongest_paths_p"`
		Expected   struct {
			Order  string `json:"schulze_order"`
			Winner string `json:"winner"`
		} `json:"expected"`
	} `json:"schulze_wikipedia_45"`
	Tennessee struct {
		Candidates []string `json:"candidates"`
		Ballots    [][2]any `json:"ballots"`
		Expected   struct {
			Plurality  string           `json:"plurality"`
			Condorcet  string           `json:"condorcet_winner"`
			Order      string           `json:"schulze_order"`
			RankedPair string           `json:"ranked_pairs_winner"`
			Borda      map[string]int64 `json:"borda_points_n-1"`
		} `json:"expected"`
		MJ struct {
			Profiles map[string][]int64 `json:"profiles_pct_E_G_F_P"`
			Order    string             `json:"expected_mj_order"`
		} `json:"mj_variant"`
	} `json:"tennessee"`
	MieuxVoter struct {
		Tallies map[string][]int64 `json:"tallies"`
		Ranks   map[string]int     `json:"expected_ranks_lower_median"`
	} `json:"mj_mieuxvoter_go_readme"`
	Book struct {
		Cases []struct {
			Grades []int `json:"grades"`
			Value  []int `json:"majority_value"`
		} `json:"cases"`
		Pairwise struct {
			A []int `json:"A"`
			B []int `json:"B"`
		} `json:"pairwise_case"`
	} `json:"mj_majority_value_book_1_5"`
}

func loadVectors(t testing.TB) *vectors {
	t.Helper()
	data, err := os.ReadFile(vectorsPath)
	if err != nil {
		t.Fatalf("the published vectors are part of the repository: %v", err)
	}
	var v vectors
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("parse %s: %v", vectorsPath, err)
	}
	return &v
}

func index(names []string, name string) int {
	i := slices.Index(names, name)
	if i < 0 {
		panic("unknown candidate " + name)
	}
	return i
}

// schulzeElection builds the Wikipedia example: [count, "ACBED"].
func schulzeElection(t *testing.T, v *vectors) *Election {
	s := v.Schulze
	e := &Election{Vote: Vote{Kind: Ranked, Options: s.Candidates}}
	for _, b := range s.Ballots {
		var ranking [][]int
		for _, c := range b[1].(string) {
			ranking = append(ranking, []int{index(s.Candidates, string(c))})
		}
		e.Ballots = append(e.Ballots, Ballot{Weight: int64(b[0].(float64)), Ranking: ranking})
	}
	if len(e.Ballots) == 0 {
		t.Fatal("no ballots in the Schulze example")
	}
	return e
}

func tennesseeElection(t *testing.T, v *vectors) *Election {
	s := v.Tennessee
	e := &Election{Vote: Vote{Kind: Ranked, Options: s.Candidates}}
	for _, b := range s.Ballots {
		var ranking [][]int
		for _, c := range b[1].([]any) {
			ranking = append(ranking, []int{index(s.Candidates, c.(string))})
		}
		e.Ballots = append(e.Ballots, Ballot{Weight: int64(b[0].(float64)), Ranking: ranking})
	}
	if len(e.Ballots) != 4 {
		t.Fatalf("Tennessee: %d groups of voters, want 4", len(e.Ballots))
	}
	return e
}

func names(r *Result, groups [][]int) string {
	var parts []string
	for _, g := range groups {
		parts = append(parts, join(r.Options, g, "="))
	}
	return strings.Join(parts, ">")
}

func mustCount(t *testing.T, e *Election, m Method, cfg Config) *Result {
	t.Helper()
	r, err := Count(e.Vote, e.Ballots, m, cfg)
	if err != nil {
		t.Fatalf("count %s: %v", m, err)
	}
	return r
}

func TestVectorsSchulzeWikipedia(t *testing.T) {
	v := loadVectors(t)
	e := schulzeElection(t, v)
	r := mustCount(t, e, Schulze, Config{})
	cands := v.Schulze.Candidates
	for a, name := range cands {
		for b := range cands {
			if a == b {
				continue
			}
			if want := *v.Schulze.D[name][b]; r.Pairwise[a][b] != want {
				t.Errorf("d[%s][%s] = %d, want %d", name, cands[b], r.Pairwise[a][b], want)
			}
			if want := *v.Schulze.P[name][b]; r.Paths[a][b] != want {
				t.Errorf("p[%s][%s] = %d, want %d", name, cands[b], r.Paths[a][b], want)
			}
		}
	}
	if got, want := names(r, r.Ranking), v.Schulze.Expected.Order; got != want {
		t.Errorf("Schulze order %s, want %s", got, want)
	}
	if got := join(r.Options, r.Winners, ","); got != v.Schulze.Expected.Winner {
		t.Errorf("winner %s, want %s", got, v.Schulze.Expected.Winner)
	}
	// No Condorcet winner here: the facts are strongest paths, one per
	// other option, each won.
	if len(r.Why) != 4 {
		t.Fatalf("why: %+v, want 4 path facts", r.Why)
	}
	for _, f := range r.Why {
		if f.Kind != FactPath || f.Option != index(cands, "E") || f.For <= f.Against {
			t.Errorf("fact %+v: want E's stronger path", f)
		}
	}
}

func TestVectorsTennessee(t *testing.T) {
	v := loadVectors(t)
	e := tennesseeElection(t, v)
	cands := v.Tennessee.Candidates
	exp := v.Tennessee.Expected

	r := mustCount(t, e, Plurality, Config{})
	if got := r.Options[r.Winners[0]] + " (" + strconv.FormatInt(r.Totals[r.Winners[0]], 10) + ")"; got != exp.Plurality {
		t.Errorf("plurality %s, want %s", got, exp.Plurality)
	}

	r = mustCount(t, e, Schulze, Config{})
	if got := names(r, r.Ranking); got != exp.Order {
		t.Errorf("Schulze %s, want %s", got, exp.Order)
	}
	if r.Why[0].Kind != FactCondorcet || r.Options[r.Why[0].Option] != exp.Condorcet {
		t.Errorf("first fact %+v, want %s as Condorcet winner", r.Why[0], exp.Condorcet)
	}
	// Borda points of complete strict ballots are the rows of d summed.
	for a, name := range cands {
		var sum int64
		for _, x := range r.Pairwise[a] {
			sum += x
		}
		if sum != exp.Borda[name] {
			t.Errorf("Borda %s = %d, want %d", name, sum, exp.Borda[name])
		}
	}

	r = mustCount(t, e, RankedPairs, Config{})
	if got := r.Options[r.Winners[0]]; got != exp.RankedPair || len(r.Winners) != 1 {
		t.Errorf("ranked pairs winner %v, want %s", r.Winners, exp.RankedPair)
	}
	// With a Condorcet winner and no cycle, ranked pairs agrees with Schulze.
	if got := names(r, r.Ranking); got != exp.Order {
		t.Errorf("ranked pairs %s, want %s", got, exp.Order)
	}

	// IRV: "Chattanooga out -> K 32; Nashville out -> K 58 vs M 42".
	r = mustCount(t, e, IRV, Config{})
	K, M, N, C := index(cands, "Knoxville"), index(cands, "Memphis"), index(cands, "Nashville"), index(cands, "Chattanooga")
	if len(r.Rounds) != 3 {
		t.Fatalf("IRV rounds %+v, want 3", r.Rounds)
	}
	if r.Rounds[0].Eliminated != C || r.Rounds[1].Counts[K] != 32 || r.Rounds[1].Eliminated != N ||
		r.Rounds[2].Counts[K] != 58 || r.Rounds[2].Counts[M] != 42 || r.Rounds[2].Elected != K {
		t.Errorf("IRV rounds %+v", r.Rounds)
	}
	if got := names(r, r.Ranking); got != "Knoxville>Memphis>Nashville>Chattanooga" {
		t.Errorf("IRV ranking %s", got)
	}
	last := r.Why[len(r.Why)-1]
	if last.Kind != FactMajority || last.Option != K || last.For != 58 || last.Total != 100 || last.Round != 2 {
		t.Errorf("IRV last fact %+v", last)
	}
}

func TestVectorsMajorityJudgmentTennessee(t *testing.T) {
	v := loadVectors(t)
	e := tennesseeElection(t, v)
	g := &Election{Vote: Vote{Kind: Graded, Options: e.Vote.Options, Grades: []string{"Poor", "Fair", "Good", "Excellent"}}}
	for _, b := range e.Ballots {
		grades := make([]int, 4)
		for place, group := range b.Ranking {
			grades[group[0]] = 3 - place
		}
		g.Ballots = append(g.Ballots, Ballot{Weight: b.Weight, Grades: grades})
	}
	r := mustCount(t, g, MajorityJudgment, Config{})
	for name, pct := range v.Tennessee.MJ.Profiles {
		o := index(g.Vote.Options, name)
		want := slices.Clone(pct)
		slices.Reverse(want) // the vector lists best first
		if !reflect.DeepEqual(r.Profiles[o], want) {
			t.Errorf("profile %s %v, want %v", name, r.Profiles[o], want)
		}
	}
	if got := names(r, r.Ranking); got != v.Tennessee.MJ.Order {
		t.Errorf("MJ %s, want %s", got, v.Tennessee.MJ.Order)
	}
}

func TestVectorsMajorityJudgmentMieuxVoter(t *testing.T) {
	v := loadVectors(t)
	opts := []string{"A", "B", "C", "D", "E"}
	var profiles [][]int64
	for _, o := range opts {
		profiles = append(profiles, v.MieuxVoter.Tallies[o])
	}
	r, err := JudgeProfiles(opts, []string{"g0", "g1", "g2", "g3", "g4"}, profiles)
	if err != nil {
		t.Fatal(err)
	}
	for place, group := range r.Ranking {
		for _, o := range group {
			if want := v.MieuxVoter.Ranks[opts[o]]; want != place+1 {
				t.Errorf("%s ranked %d, want %d (ranking %s)", opts[o], place+1, want, names(r, r.Ranking))
			}
		}
	}
	// B and C share majority grade 3; the fact says how the tie broke.
	var tb *Fact
	for i := range r.Why {
		if r.Why[i].Kind == FactTieBreak && r.Why[i].Option == 1 {
			tb = &r.Why[i]
		}
	}
	if tb == nil || tb.Other != 2 || tb.Grade != 3 || tb.Step != 1 || tb.For != 4 || tb.Against != 3 {
		t.Errorf("B over C tie-break fact %+v", tb)
	}
}

// majorityValue is the textbook definition, judge by judge: the lower
// middle grade, removed, again and again. The vectors check it; it then
// checks mjCompare, which walks runs instead.
func majorityValue(grades []int) []int {
	g := slices.Clone(grades)
	slices.Sort(g)
	var seq []int
	for len(g) > 0 {
		i := (len(g) - 1) / 2
		seq = append(seq, g[i])
		g = slices.Delete(g, i, i+1)
	}
	return seq
}

func profileOf(grades []int, k int) []int64 {
	p := make([]int64, k)
	for _, g := range grades {
		p[g]++
	}
	return p
}

func TestVectorsMajorityValueBook(t *testing.T) {
	v := loadVectors(t)
	if len(v.Book.Cases) == 0 {
		t.Fatal("no book cases")
	}
	for _, c := range v.Book.Cases {
		if got := majorityValue(c.Grades); !slices.Equal(got, c.Value) {
			t.Errorf("majority value of %v = %v, want %v", c.Grades, got, c.Value)
		}
	}
	p := v.Book.Pairwise
	r, err := JudgeProfiles([]string{"A", "B"}, []string{"0", "1", "2", "3"}, [][]int64{profileOf(p.A, 4), profileOf(p.B, 4)})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(r, r.Ranking); got != "B>A" {
		t.Errorf("book pairwise case %s, want B>A", got)
	}
}
