package tally

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
)

// TestRankedPairsAgainstSearch locks the same victories with a plain
// graph search for cycles, instead of the bit-set closure Count keeps.
func TestRankedPairsAgainstSearch(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for trial := 0; trial < 300; trial++ {
		n := 2 + rng.IntN(9)
		e := randomRanked(rng, n, 1+rng.IntN(25), trial%3 != 0)
		r := mustCount(t, e, RankedPairs, Config{})
		locked := make([][]bool, n)
		for i := range locked {
			locked[i] = make([]bool, n)
		}
		reaches := func(from, to int) bool {
			seen := make([]bool, n)
			stack := []int{from}
			for len(stack) > 0 {
				x := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				if x == to {
					return true
				}
				if seen[x] {
					continue
				}
				seen[x] = true
				for y := 0; y < n; y++ {
					if locked[x][y] {
						stack = append(stack, y)
					}
				}
			}
			return false
		}
		for _, p := range r.Pairs {
			want := !reaches(p.Loser, p.Winner)
			if p.Locked != want {
				t.Fatalf("trial %d: pair %+v locked %v, a search says %v", trial, p, p.Locked, want)
			}
			locked[p.Winner][p.Loser] = want
		}
	}
}

// TestSchulzeAgainstPython counts random elections, ties and incomplete
// rankings included, with testdata/schulze.py, written apart from the Go
// code (sets instead of bit masks), and compares d and the ranking.
func TestSchulzeAgainstPython(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("COOPBOX_REQUIRE_ALL") != "" {
			t.Fatalf("python3 is required: %v", err)
		}
		t.Skip("python3 not installed")
	}
	rng := rand.New(rand.NewPCG(17, 18))
	dir := t.TempDir()
	for trial := 0; trial < 12; trial++ {
		e := randomRanked(rng, 2+rng.IntN(10), 1+rng.IntN(40), true)
		r := mustCount(t, e, Schulze, Config{})
		ext, err := PrefLibType(e)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := WritePrefLib(&buf, e, "x."+ext); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "x."+ext)
		if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(py, "testdata/schulze.py", path).Output()
		if err != nil {
			t.Fatalf("schulze.py: %v", err)
		}
		var res struct {
			Ranking [][]int   `json:"ranking"`
			D       [][]int64 `json:"d"`
		}
		if err := json.Unmarshal(out, &res); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(res.D, r.Pairwise) || !reflect.DeepEqual(res.Ranking, r.Ranking) {
			t.Errorf("trial %d: Go d %v ranking %v; Python d %v ranking %v\n%s", trial, r.Pairwise, r.Ranking, res.D, res.Ranking, buf.String())
		}
	}
}
