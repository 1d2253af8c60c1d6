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

const (
	benchBallots = 100_000
	benchOptions = 20
)

// benchRanked: complete strict rankings drawn around a common order (each
// voter swaps a few neighbours), so the count has a real winner and
// pairwise majorities of every size, as an assembly's would.
func benchRanked(n, count int) *Election {
	rng := rand.New(rand.NewPCG(11, 12))
	e := &Election{Vote: Vote{Kind: Ranked, Options: make2(n)}}
	flat := make([]int, n*count)
	groups := make([][]int, n*count)
	for i := 0; i < count; i++ {
		perm := flat[i*n : i*n+n]
		for j := range perm {
			perm[j] = j
		}
		for s := 0; s < 3*n; s++ {
			j := rng.IntN(n - 1)
			perm[j], perm[j+1] = perm[j+1], perm[j]
		}
		ranking := groups[i*n : i*n+n]
		for j := range ranking {
			ranking[j] = perm[j : j+1 : j+1]
		}
		e.Ballots = append(e.Ballots, Ballot{Weight: 1, Ranking: ranking})
	}
	return e
}

func BenchmarkSchulze(b *testing.B) {
	e := benchRanked(benchOptions, benchBallots)
	var goNs float64
	var goRanking [][]int
	b.Run("go", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r, err := Count(e.Vote, e.Ballots, Schulze, Config{})
			if err != nil {
				b.Fatal(err)
			}
			goRanking = r.Ranking
		}
		goNs = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	// The peer: testdata/schulze.py counts the same ballots, written as a
	// PrefLib file; it must find the same ranking. Its own counting time
	// (parsing excluded) is the python-ns/op metric, and python/go the
	// ratio to the Go count above.
	b.Run("python", func(b *testing.B) {
		py, err := exec.LookPath("python3")
		if err != nil {
			if os.Getenv("COOPBOX_REQUIRE_ALL") != "" {
				b.Fatalf("python3 is required: %v", err)
			}
			b.Skip("python3 not installed: no peer")
		}
		path := filepath.Join(b.TempDir(), "ballots.soc")
		var buf bytes.Buffer
		if err := WritePrefLib(&buf, e, "ballots.soc"); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
			b.Fatal(err)
		}
		var seconds float64
		for b.Loop() {
			out, err := exec.Command(py, "testdata/schulze.py", path).Output()
			if err != nil {
				b.Fatalf("python3 testdata/schulze.py: %v", err)
			}
			var res struct {
				Ranking [][]int `json:"ranking"`
				Seconds float64 `json:"count_seconds"`
			}
			if err := json.Unmarshal(out, &res); err != nil {
				b.Fatalf("schulze.py output: %v", err)
			}
			if !reflect.DeepEqual(res.Ranking, goRanking) {
				b.Fatalf("Python ranking %v, Go %v", res.Ranking, goRanking)
			}
			seconds += res.Seconds
		}
		pyNs := seconds * 1e9 / float64(b.N)
		b.ReportMetric(pyNs, "python-ns/op")
		if goNs > 0 {
			b.ReportMetric(pyNs/goNs, "python/go")
		}
	})
}

func BenchmarkRankedPairs(b *testing.B) {
	e := benchRanked(benchOptions, benchBallots)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Count(e.Vote, e.Ballots, RankedPairs, Config{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIRV(b *testing.B) {
	e := benchRanked(benchOptions, benchBallots)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Count(e.Vote, e.Ballots, IRV, Config{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMajorityJudgment(b *testing.B) {
	rng := rand.New(rand.NewPCG(13, 14))
	k := 6
	e := &Election{Vote: Vote{Kind: Graded, Options: make2(benchOptions), Grades: make2(k)}}
	flat := make([]int, benchOptions*benchBallots)
	for i := 0; i < benchBallots; i++ {
		grades := flat[i*benchOptions : (i+1)*benchOptions]
		for o := range grades {
			// Option o leans towards grade o*k/n, so profiles differ.
			grades[o] = min(k-1, max(0, o*k/benchOptions+rng.IntN(3)-1))
			if rng.IntN(50) == 0 {
				grades[o] = NoGrade
			}
		}
		e.Ballots = append(e.Ballots, Ballot{Weight: 1, Grades: grades})
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Count(e.Vote, e.Ballots, MajorityJudgment, Config{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadPrefLib(b *testing.B) {
	e := benchRanked(benchOptions, benchBallots)
	var buf bytes.Buffer
	if err := WritePrefLib(&buf, e, "x.soc"); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadPrefLib(bytes.NewReader(buf.Bytes()), "soc"); err != nil {
			b.Fatal(err)
		}
	}
}
