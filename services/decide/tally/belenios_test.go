package tally

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"reflect"
	"slices"
	"strconv"
	"testing"
)

// Belenios (belenios-tool, Debian's package) is a tally we did not write.
// Its "method schulze" and "method majority-judgment" read on stdin a JSON
// list of ballots, one number per choice: a rank (1 best, 0 unranked) or a
// grade (1 best .. G worst).

func beleniosTool(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("belenios-tool")
	if err != nil {
		if os.Getenv("COOPBOX_REQUIRE_ALL") != "" {
			t.Fatalf("belenios-tool is required (COOPBOX_REQUIRE_ALL is set): %v", err)
		}
		t.Skip("belenios-tool not installed (apt-get install belenios-tool)")
	}
	return path
}

func runBelenios(t *testing.T, tool string, ballots [][]int, args ...string) map[string]json.RawMessage {
	t.Helper()
	in, err := json.Marshal(ballots)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(tool, append([]string{"method"}, args...)...)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("belenios-tool %v: %v: %s", args, err, stderr.String())
	}
	var res map[string]json.RawMessage
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("belenios-tool output %q: %v", out, err)
	}
	return res
}

func beleniosGroups(t *testing.T, raw json.RawMessage) [][]int {
	t.Helper()
	var groups [][]int
	if err := json.Unmarshal(raw, &groups); err != nil {
		t.Fatalf("belenios winners %s: %v", raw, err)
	}
	for _, g := range groups {
		slices.Sort(g)
	}
	return groups
}

// expand turns weighted ranked ballots into Belenios's one row per voter.
func expandRanks(e *Election) [][]int {
	var rows [][]int
	for _, b := range e.Ballots {
		ranks := make([]int, len(e.Vote.Options))
		for place, group := range b.Ranking {
			for _, o := range group {
				ranks[o] = place + 1
			}
		}
		for i := int64(0); i < b.Weight; i++ {
			rows = append(rows, ranks)
		}
	}
	return rows
}

func TestBeleniosSchulze(t *testing.T) {
	tool := beleniosTool(t)
	v := loadVectors(t)
	rng := rand.New(rand.NewPCG(7, 8))
	elections := []*Election{schulzeElection(t, v), tennesseeElection(t, v)}
	// Belenios ranks a link by its winning votes and then, when they are
	// equal, by fewer losing votes; plain Schulze (ours, and the published
	// p matrix) stops at winning votes. Random elections are kept only
	// when no two victories have the same winning votes, where the two
	// agree; weights up to 300 make that common.
	for len(elections) < 10 {
		e := randomRanked(rng, 3+rng.IntN(6), 10+rng.IntN(30), true)
		for i := range e.Ballots {
			e.Ballots[i].Weight = 1 + rng.Int64N(300)
		}
		if distinctVictories(mustCount(t, e, Schulze, Config{}).Pairwise) {
			elections = append(elections, e)
		}
	}
	for i, e := range elections {
		n := len(e.Vote.Options)
		res := runBelenios(t, tool, expandRanks(e), "schulze", "--nchoices="+strconv.Itoa(n), "--blank-allowed=false")
		r := mustCount(t, e, Schulze, Config{})
		var raw [][]int64
		if err := json.Unmarshal(res["raw"], &raw); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(raw, r.Pairwise) {
			t.Errorf("election %d: d differs from Belenios:\n%v\n%v", i, r.Pairwise, raw)
		}
		if got := beleniosGroups(t, res["winners"]); !reflect.DeepEqual(got, r.Ranking) {
			t.Errorf("election %d: ranking %v, Belenios %v (d %v)", i, r.Ranking, got, r.Pairwise)
		}
	}
}

// Belenios takes the upper middle grade where we take the lower one. On a
// reversed scale its upper middle is our lower middle and its ranking
// comes out reversed, so reversing the grades we give it and the ranking
// it gives back must give our ranking exactly, tie-breaks included.
func TestBeleniosMajorityJudgment(t *testing.T) {
	tool := beleniosTool(t)
	v := loadVectors(t)

	// First, our reading of its format: the Mieux Voter example, given in
	// its own scale, gives the Belenios ranking the vectors record.
	opts := []string{"A", "B", "C", "D", "E"}
	var rows [][]int
	k := 5
	for judge := 0; judge < 10; judge++ {
		row := make([]int, len(opts))
		for o, name := range opts {
			tally := v.MieuxVoter.Tallies[name]
			left := judge
			for g := 0; g < k; g++ {
				if left < int(tally[g]) {
					row[o] = k - g // worst first → 1 best
					break
				}
				left -= int(tally[g])
			}
		}
		rows = append(rows, row)
	}
	res := runBelenios(t, tool, rows, "majority-judgment", "--nchoices=5", "--ngrades=5", "--blank-allowed=false")
	if got, want := beleniosGroups(t, res["winners"]), [][]int{{1}, {2}, {0, 4}, {3}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Belenios on the Mieux Voter example: %v, want %v (upper middle)", got, want)
	}

	rng := rand.New(rand.NewPCG(9, 10))
	for i := 0; i < 12; i++ {
		n, k := 2+rng.IntN(5), 2+rng.IntN(5)
		e := randomGraded(rng, n, k, 5+rng.IntN(40))
		r := mustCount(t, e, MajorityJudgment, Config{})
		var rows [][]int
		for _, b := range e.Ballots {
			row := make([]int, n)
			for o, g := range b.Grades {
				if g == NoGrade {
					g = 0
				}
				row[o] = g + 1 // reversed scale: our worst is its best
			}
			for j := int64(0); j < b.Weight; j++ {
				rows = append(rows, row)
			}
		}
		if len(rows) == 0 {
			continue
		}
		res := runBelenios(t, tool, rows, "majority-judgment", "--nchoices="+strconv.Itoa(n), "--ngrades="+strconv.Itoa(k), "--blank-allowed=false")
		got := beleniosGroups(t, res["winners"])
		slices.Reverse(got)
		if !reflect.DeepEqual(got, r.Ranking) {
			t.Errorf("election %d: ranking %v, Belenios reversed %v (profiles %v)", i, r.Ranking, got, r.Profiles)
		}
	}
}

func distinctVictories(d [][]int64) bool {
	seen := map[int64]bool{}
	for a := range d {
		for b := range d {
			if d[a][b] > d[b][a] {
				if seen[d[a][b]] {
					return false
				}
				seen[d[a][b]] = true
			}
		}
	}
	return true
}
