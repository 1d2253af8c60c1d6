package appliance

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"
)

// A generation is the box between two restores: the handlers built on one
// open database. Every request enters the current generation and leaves it
// when it is done. A restore closes the generation (new requests wait for
// the next one), closes the services (which end their WebSockets and event
// streams cleanly), waits a bounded time for the requests in flight, then
// cancels the context of every request still running and stops waiting: no
// service, and no client, can make a restore wait forever.
type generation struct {
	https, welcome http.Handler

	all    context.Context // cancelled when a restore stops waiting for requests
	endAll context.CancelFunc

	mu     sync.Mutex
	n      int
	closed bool
	idle   chan struct{} // closed once the generation is closed and empty
	next   chan struct{} // closed when the next generation is in place
}

func newGeneration(https, welcome http.Handler) *generation {
	g := &generation{https: https, welcome: welcome, idle: make(chan struct{}), next: make(chan struct{})}
	g.all, g.endAll = context.WithCancel(context.Background())
	return g
}

// enter counts a request in; false once the generation is closed.
func (g *generation) enter() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.n++
	return true
}

func (g *generation) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n--
	if g.closed && g.n == 0 {
		close(g.idle)
	}
}

// close refuses new requests; those in flight go on.
func (g *generation) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.closed {
		g.closed = true
		if g.n == 0 {
			close(g.idle)
		}
	}
}

// drain waits up to d for the requests in flight (the services are closing
// their long-lived ones cleanly, with a close frame), then cancels the
// context of every request left and waits up to d more. It returns how many
// still run: 0 normally; a handler that ignores its context meets bbolt's
// "database not open" once the file is closed, never a corrupted file.
func (g *generation) drain(d time.Duration) int {
	wait := func(d time.Duration) bool {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-g.idle:
			return true
		case <-t.C:
			return false
		}
	}
	if !wait(d) {
		g.endAll()
		wait(d)
	}
	g.endAll()
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.n
}

// longLived tells the requests that stay open for a session's length: a
// WebSocket upgrade, or an event stream (EventSource always sends this Accept).
func longLived(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket") ||
		strings.Contains(r.Header.Get("Accept"), "text/event-stream")
}

// connLimiter caps the long-lived connections, per client address and in
// total: each holds a goroutine, buffers and, for a pad, a share of every
// broadcast. A phone has a few tabs; a hostile client must not take them all.
type connLimiter struct {
	perAddr, total int

	mu     sync.Mutex
	n      int
	byAddr map[string]int
}

func newConnLimiter(perAddr, total int) *connLimiter {
	return &connLimiter{perAddr: perAddr, total: total, byAddr: map[string]int{}}
}

// What a refused connection is told, as the error code of its 429 or 503.
const (
	refusedAddr  = "too_many_connections"
	refusedTotal = "box_full"
)

// acquire takes a connection for addr, or says which cap refused it.
func (l *connLimiter) acquire(addr string) (refused string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.n >= l.total:
		return refusedTotal
	case l.byAddr[addr] >= l.perAddr:
		return refusedAddr
	}
	l.n++
	l.byAddr[addr]++
	return ""
}

func (l *connLimiter) release(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n--
	if l.byAddr[addr]--; l.byAddr[addr] <= 0 {
		delete(l.byAddr, addr)
	}
}
