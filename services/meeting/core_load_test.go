package meeting

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coopbox/coopbox/services/page"
)

// TestFanOut300 connects 300 participants to a meeting's event stream over
// loopback, makes ten changes, and checks that every participant received
// every one, in order. It logs the memory each connection costs (server and
// client ends together: both live in this process) and how long the
// fan-out of a change takes to reach the last of them.
func TestFanOut300(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	const people, changes = 300, 10
	h := newHarness(t)
	// No pads: adding an item is then one change (no notes pad linked in
	// a second one), so each change below is one event.
	h.s.opts.Peer = func(string) page.Service { return nil }
	id := h.meeting(map[string]any{"title": "Grande AG", "lang": "fr"})
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	goroutines := runtime.NumGoroutine()

	type got struct {
		items []int // item count of each state received after the first
		err   error
	}
	results := make([]got, people)
	ready := make(chan struct{}, people)
	var wg sync.WaitGroup
	var bodies []func() error
	var mu sync.Mutex
	for i := range people {
		// A bare connection per participant (no client transport and its
		// goroutines), so that the figure is mostly the server's.
		conn, err := net.Dial("tcp", h.srv.Listener.Addr().String())
		if err != nil {
			t.Fatalf("participant %d: %v", i, err)
		}
		req, _ := http.NewRequest("GET", h.srv.URL+"/meeting/m/"+id+"/events", nil)
		req.Header.Set("X-Test-Person", fmt.Sprintf("p%d|P%d|participant", i, i))
		if err := req.Write(conn); err != nil {
			t.Fatalf("participant %d: %v", i, err)
		}
		res, err := http.ReadResponse(bufio.NewReaderSize(conn, 1024), req)
		if err != nil {
			t.Fatalf("participant %d: %v", i, err)
		}
		if res.StatusCode != 200 {
			t.Fatalf("participant %d: status %d", i, res.StatusCode)
		}
		mu.Lock()
		bodies = append(bodies, conn.Close)
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			rd := bufio.NewReader(res.Body)
			first, err := readEvent(rd)
			if err == nil && first.Name != "state" {
				err = fmt.Errorf("first event %q", first.Name)
			}
			ready <- struct{}{}
			if results[i].err = err; err != nil {
				return
			}
			for len(results[i].items) < changes {
				ev, err := readEvent(rd)
				if err != nil {
					results[i].err = err
					return
				}
				if ev.Name != "state" {
					continue // the room's first events
				}
				results[i].items = append(results[i].items, strings.Count(string(ev.Data), `"plannedSec"`))
			}
		}()
	}
	deadline := time.After(30 * time.Second)
	for range people {
		select {
		case <-ready:
		case <-deadline:
			t.Fatal("not every participant got the first state within 30 s")
		}
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	perConn := (int64(after.HeapInuse+after.StackInuse) - int64(before.HeapInuse+before.StackInuse)) / people
	t.Logf("%d event streams open: %d goroutines more, %.1f KiB per connection (heap+stacks; the server's end and a bare client end, one goroutine and 1 KiB of buffer)",
		people, runtime.NumGoroutine()-goroutines, float64(perConn)/1024)
	if n := h.s.live.Subscribers(id); n != people {
		t.Fatalf("the hub counts %d streams, want %d", n, people)
	}

	start := time.Now()
	for i := range changes {
		// Items, as a facilitator adds them during the meeting: each is
		// one change and one event.
		h.item(id, fmt.Sprintf("Point %d", i+1), KindDebate, 5, "")
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("not every participant got every change within 30 s")
	}
	t.Logf("%d changes reached all %d participants in %v", changes, people, time.Since(start).Round(time.Millisecond))
	for i, r := range results {
		if r.err != nil {
			t.Fatalf("participant %d: %v", i, r.err)
		}
		for k, n := range r.items {
			if n != k+1 {
				t.Fatalf("participant %d: change %d showed %d items, want %d", i, k+1, n, k+1)
			}
		}
	}
	for _, c := range bodies {
		c()
	}
}
