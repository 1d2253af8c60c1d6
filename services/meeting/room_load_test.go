package meeting

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/coopbox/coopbox/services/page"
)

// TestCheckFanOut300: 300 people follow the stream while the same 300
// answer a check, 20 at a time. Every stream receives the final
// distribution (300 answers): no stream is dropped for falling behind, and
// no answer is lost. The time from the last answer's acknowledgement to
// the last stream seeing it is logged.
func TestCheckFanOut300(t *testing.T) {
	if testing.Short() {
		t.Skip("300 streams: not in -short")
	}
	const people = 300
	h := newRoomHarness(t)
	var c checkView
	h.must(201, &c, "fac", "POST", "{m}/checks", `{"kind":"scale"}`)
	streams := make([]<-chan page.Event, people)
	for i := range people {
		streams[i] = h.events(fmt.Sprintf("p%03d", i))
	}
	for i, ev := range streams {
		if e := next(t, ev, "room"); len(e) == 0 {
			t.Fatalf("stream %d: no first state", i)
		}
	}
	start := time.Now()
	work := make(chan int)
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				h.must(200, nil, fmt.Sprintf("p%03d", i), "POST", fmt.Sprintf("{m}/checks/%d/answer", c.ID), map[string]int{"value": i % 11})
			}
		}()
	}
	for i := range people {
		work <- i
	}
	close(work)
	wg.Wait()
	acked := time.Now()
	deadline := time.After(30 * time.Second)
	for i, ev := range streams {
	wait:
		for {
			select {
			case e, ok := <-ev:
				if !ok {
					t.Fatalf("stream %d ended (dropped for falling behind?)", i)
				}
				if e.Name != "check" {
					continue
				}
				var v checkView
				if err := json.Unmarshal(e.Data, &v); err != nil {
					t.Fatal(err)
				}
				if v.Total == people {
					break wait
				}
			case <-deadline:
				t.Fatalf("stream %d did not see %d answers within 30 s", i, people)
			}
		}
	}
	t.Logf("%d answers in %v (%d events to each of %d streams); every stream had the last %v after its acknowledgement",
		people, acked.Sub(start).Round(time.Millisecond), people, people, time.Since(acked).Round(time.Millisecond))
}
