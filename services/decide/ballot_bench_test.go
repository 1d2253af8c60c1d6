package decide

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

// BenchmarkVoters500 has 500 voters cast their secret ballots (printed
// cards) over loopback HTTP, spread at random over 10 seconds as in a room,
// into a real bbolt file: it reports the p99 and worst latency of a ballot
// and the ballots lost (acknowledged but not counted, or refused), which
// must be 0. Run with -benchtime=1x: one iteration takes 10 s.
func BenchmarkVoters500(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		h, v := secretVoteB(b)
		codes := printCardsB(b, h, v, 500)
		b.StartTimer()
		var mu sync.Mutex
		var lat []time.Duration
		receipts := map[string]bool{}
		lost := 0
		var wg sync.WaitGroup
		start := time.Now()
		for i, code := range codes {
			at := time.Duration(rand.Int64N(int64(10 * time.Second)))
			wg.Go(func() {
				time.Sleep(time.Until(start.Add(at)))
				t0 := time.Now()
				st, body := castCard(h, v, code, fmt.Sprintf(`{"choice":%d}`, i%3))
				d := time.Since(t0)
				mu.Lock()
				defer mu.Unlock()
				lat = append(lat, d)
				if st != 200 {
					lost++
					return
				}
				receipts[string(body)] = true
			})
		}
		wg.Wait()
		b.StopTimer()
		h.setState(v.ID, "closed")
		res := h.result(v.ID)
		lost += 500 - res.Ballots
		if len(receipts) != res.Ballots {
			lost += abs(len(receipts) - res.Ballots)
		}
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
		b.ReportMetric(float64(lost), "lost")
		if lost != 0 {
			b.Errorf("%d ballots lost", lost)
		}
		b.StartTimer()
	}
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// secretVoteB and printCardsB are the tests' helpers for a benchmark.
func secretVoteB(b *testing.B) (*harness, Vote) {
	h := newHarness(b, 5)
	v := h.createVote(map[string]any{"title": "Secret budget", "type": "yesno", "secret": true}, true)
	return h, v
}

func printCardsB(b *testing.B, h *harness, v Vote, n int) []string {
	body := h.must2(h.do("facilitator", "", "POST", "/decide/v/"+v.ID+"/cards", "count="+fmt.Sprint(n)))(200)
	var codes []string
	for _, m := range cardCodeRE.FindAllSubmatch(body, -1) {
		codes = append(codes, string(m[1]))
	}
	if len(codes) != n {
		b.Fatalf("%d codes, want %d", len(codes), n)
	}
	return codes
}
