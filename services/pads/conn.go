package pads

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// conn is one WebSocket client of a pad. A reader goroutine decodes its
// messages; a writer goroutine sends from a bounded queue, so that a slow
// phone never holds up the pad: when its queue is full it is disconnected,
// and it resyncs when it comes back.
type conn struct {
	ws       *websocket.Conn
	readOnly bool
	out      chan []byte
	ctx      context.Context
	cancel   context.CancelCauseFunc
	once     sync.Once
	closing  atomic.Bool
}

const sendQueue = 512

var errTooSlow = errors.New("client too slow")

func newConn(ctx context.Context, ws *websocket.Conn, readOnly bool) *conn {
	ctx, cancel := context.WithCancelCause(ctx)
	return &conn{ws: ws, readOnly: readOnly, out: make(chan []byte, sendQueue), ctx: ctx, cancel: cancel}
}

// send queues msg; a full queue disconnects the client.
func (c *conn) send(msg []byte) {
	if c.closing.Load() {
		return
	}
	select {
	case c.out <- msg:
	case <-c.ctx.Done():
	default:
		c.fail(errTooSlow)
	}
}

// fail closes the connection with err's text as the reason, once.
func (c *conn) fail(err error) {
	c.once.Do(func() {
		c.closing.Store(true)
		status := websocket.StatusPolicyViolation
		switch {
		case errors.Is(err, errMalformed):
			status = websocket.StatusUnsupportedData
		case errors.Is(err, errPadClosed), errors.Is(err, errTooSlow):
			status = websocket.StatusGoingAway
		case errors.Is(err, errPadFull):
			status = websocket.StatusMessageTooBig
		}
		reason := err.Error()
		if len(reason) > 120 { // a close reason has at most 123 bytes
			reason = reason[:120]
		}
		// Close sends the close frame with its reason and waits for the
		// client's; only then is the context cancelled, which would
		// otherwise cut the connection without a reason.
		go func() {
			c.ws.Close(status, reason)
			c.cancel(err)
		}()
	})
}

// writeLoop sends queued messages until the connection ends.
func (c *conn) writeLoop() {
	for {
		select {
		case <-c.ctx.Done():
			return
		case msg := <-c.out:
			if c.closing.Load() {
				return
			}
			// Not c.ctx: cancelling a write's context cuts the connection
			// at once, which would lose a close frame being sent.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			err := c.ws.Write(ctx, websocket.MessageBinary, msg)
			cancel()
			if err != nil {
				c.fail(errTooSlow)
				return
			}
		}
	}
}

// serve runs the connection on pad p until it ends.
func (c *conn) serve(p *pad) {
	go c.writeLoop()
	defer p.leave(c)
	defer func() {
		// A failing connection is cancelled by fail once its close frame
		// is out; one that simply ended is cancelled here.
		if !c.closing.Load() {
			c.cancel(nil)
		}
	}()
	if !p.submit(job{kind: jobHello, c: c}) {
		c.fail(errPadClosed)
		return
	}
	for {
		typ, data, err := c.ws.Read(c.ctx)
		if err != nil || c.closing.Load() {
			return
		}
		if typ != websocket.MessageBinary {
			c.fail(errors.New("text messages are not part of the protocol"))
			return
		}
		m, err := decodeMessage(data)
		if err != nil {
			c.fail(err)
			return
		}
		switch m.Type {
		case msgSync:
			switch m.SyncType {
			case syncStep1:
				if !p.submit(job{kind: jobStep1, c: c, data: m.Payload}) {
					c.fail(errPadClosed)
					return
				}
			case syncStep2, syncUpdate:
				if c.readOnly {
					if !isEmptyUpdate(m.Payload) && !p.submit(job{kind: jobReadOnly, c: c, data: m.Payload}) {
						c.fail(errPadClosed)
						return
					}
					continue
				}
				if !p.submit(job{kind: jobUpdate, c: c, data: m.Payload}) {
					c.fail(errPadClosed)
					return
				}
			}
		case msgAwareness:
			if err := p.relayAwareness(c, m.Payload); err != nil {
				c.fail(err)
				return
			}
		case msgQueryAwareness:
			if msg := p.awarenessMessage(); msg != nil {
				c.send(msg)
			}
		}
	}
}

// isEmptyUpdate reports whether u is the update that says nothing (no
// structs, no deletions), which every client sends in answer to the server's
// state vector when it has nothing new.
func isEmptyUpdate(u []byte) bool { return len(u) == 2 && u[0] == 0 && u[1] == 0 }
