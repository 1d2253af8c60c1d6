package decide

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// live fans the events of each assembly out to its Server-Sent Event
// streams: the projector view, the desk, the members' pages. An event is
// published only after the change it tells of is committed. A stream that
// cannot keep up is ended (its EventSource reconnects and the page reloads
// the state), so a slow phone never holds up a publisher.
type live struct {
	heartbeat time.Duration

	mu     sync.Mutex
	subs   map[string]map[*stream]struct{} // by assembly id
	closed bool
	done   chan struct{} // closed by close: every stream ends
}

type stream struct {
	events chan event
	gone   chan struct{} // closed when the stream is dropped for being slow
}

type event struct {
	name string
	data []byte
}

// streamBuffer is how many events a stream may fall behind before it is
// dropped.
const streamBuffer = 64

func newLive() *live {
	return &live{heartbeat: 25 * time.Second, subs: map[string]map[*stream]struct{}{}, done: make(chan struct{})}
}

// publish sends the event name with v as JSON data to every stream of the
// assembly.
func (l *live) publish(assemblyID, name string, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for st := range l.subs[assemblyID] {
		select {
		case st.events <- event{name, data}:
		default:
			delete(l.subs[assemblyID], st)
			close(st.gone)
		}
	}
}

// subscribers counts the open streams of an assembly.
func (l *live) subscribers(assemblyID string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.subs[assemblyID])
}

func (l *live) subscribe(assemblyID string) (*stream, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, false
	}
	st := &stream{events: make(chan event, streamBuffer), gone: make(chan struct{})}
	if l.subs[assemblyID] == nil {
		l.subs[assemblyID] = map[*stream]struct{}{}
	}
	l.subs[assemblyID][st] = struct{}{}
	return st, true
}

func (l *live) unsubscribe(assemblyID string, st *stream) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.subs[assemblyID], st)
	if len(l.subs[assemblyID]) == 0 {
		delete(l.subs, assemblyID)
	}
}

// serve streams an assembly's events to one client until it goes away, is
// too slow, or the service closes. first are sent before anything else
// (the current state, so that a page needs no second request).
func (l *live) serve(w http.ResponseWriter, r *http.Request, assemblyID string, first ...event) {
	st, ok := l.subscribe(assemblyID)
	if !ok {
		http.Error(w, "closing", http.StatusServiceUnavailable)
		return
	}
	defer l.unsubscribe(assemblyID, st)
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	write := func(e event) bool {
		rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", e.name, e.data); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	// retry: how long EventSource waits before reconnecting.
	fmt.Fprint(w, "retry: 2000\n\n")
	for _, e := range first {
		if !write(e) {
			return
		}
	}
	if rc.Flush() != nil {
		return
	}
	tick := time.NewTicker(l.heartbeat)
	defer tick.Stop()
	for {
		select {
		case e := <-st.events:
			if !write(e) {
				return
			}
		case <-tick.C:
			rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if _, err := fmt.Fprint(w, ": ♥\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		case <-st.gone:
			return
		case <-l.done:
			return
		case <-r.Context().Done():
			return
		}
	}
}

// close ends every stream; later subscriptions are refused.
func (l *live) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		l.closed = true
		close(l.done)
	}
}
