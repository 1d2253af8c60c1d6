package page

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Hub fans the events of each topic (an assembly, a meeting) out to its
// Server-Sent Event streams: the projector view, the desk, the phones. A
// service publishes an event only after the change it tells of is
// committed. A stream that cannot keep up is ended (its EventSource
// reconnects and the page reloads the state), so a slow phone never holds
// up a publisher. Close ends every stream: services call it in their own
// Close, before a restore.
type Hub struct {
	heartbeat time.Duration

	mu     sync.Mutex
	subs   map[string]map[*Stream]struct{} // by topic
	closed bool
	done   chan struct{} // closed by close: every stream ends
}

// Stream is one subscription: Events in order, Gone closed when the hub
// dropped it for falling behind.
type Stream struct {
	Events chan Event
	Gone   chan struct{}
}

// Event is one Server-Sent Event: its name and its JSON data.
type Event struct {
	Name string
	Data []byte
}

// NewEvent makes the event name with v as JSON.
func NewEvent(name string, v any) (Event, error) {
	data, err := json.Marshal(v)
	return Event{Name: name, Data: data}, err
}

// StreamBuffer is how many events a stream may fall behind before it is
// dropped.
const StreamBuffer = 64

// NewHub returns a hub with no streams.
func NewHub() *Hub {
	return &Hub{heartbeat: 25 * time.Second, subs: map[string]map[*Stream]struct{}{}, done: make(chan struct{})}
}

// Publish sends the event name with v as JSON data to every stream of the
// topic.
func (l *Hub) Publish(topic, name string, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for st := range l.subs[topic] {
		select {
		case st.Events <- Event{name, data}:
		default:
			delete(l.subs[topic], st)
			close(st.Gone)
		}
	}
}

// Subscribers counts the open streams of a topic.
func (l *Hub) Subscribers(topic string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.subs[topic])
}

// Subscribe opens a stream of topic without HTTP (Serve does it for a
// client); false once the hub is closed.
func (l *Hub) Subscribe(topic string) (*Stream, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, false
	}
	st := &Stream{Events: make(chan Event, StreamBuffer), Gone: make(chan struct{})}
	if l.subs[topic] == nil {
		l.subs[topic] = map[*Stream]struct{}{}
	}
	l.subs[topic][st] = struct{}{}
	return st, true
}

// Unsubscribe ends a stream.
func (l *Hub) Unsubscribe(topic string, st *Stream) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.subs[topic], st)
	if len(l.subs[topic]) == 0 {
		delete(l.subs, topic)
	}
}

// Serve streams a topic's events to one client until it goes away, is too
// slow, or the hub closes. first are sent before anything else (the current
// state, so that a page needs no second request).
func (l *Hub) Serve(w http.ResponseWriter, r *http.Request, topic string, first ...Event) {
	st, ok := l.Subscribe(topic)
	if !ok {
		http.Error(w, "closing", http.StatusServiceUnavailable)
		return
	}
	defer l.Unsubscribe(topic, st)
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	write := func(e Event) bool {
		rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", e.Name, e.Data); err != nil {
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
		case e := <-st.Events:
			if !write(e) {
				return
			}
		case <-tick.C:
			rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if _, err := fmt.Fprint(w, ": ♥\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		case <-st.Gone:
			return
		case <-l.done:
			return
		case <-r.Context().Done():
			return
		}
	}
}

// Close ends every stream; later subscriptions are refused.
func (l *Hub) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		l.closed = true
		close(l.done)
	}
}
