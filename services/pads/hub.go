package pads

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/coopbox/coopbox/services/pads/ydoc"
)

// hub keeps the pads that have connections in memory. A pad is loaded on its
// first connection and leaves memory when it has had none for idleAfter.
type hub struct {
	st        *store
	log       *slog.Logger
	limits    Limits
	idleAfter time.Duration
	now       func() time.Time // the box's clock, for versions

	mu     sync.Mutex
	pads   map[string]*pad
	closed bool
}

// Limits bound what one client may send and how big a pad may grow.
type Limits struct {
	// MaxMessage is the largest WebSocket message accepted (bytes).
	MaxMessage int64
	// MaxPad is the largest a pad's stored state may grow (bytes of
	// snapshot plus log); updates beyond it are refused.
	MaxPad int64
	// CompactEvery is how many log entries accumulate before the log is
	// folded into the snapshot.
	CompactEvery int
	// MaxExport is the largest output of one export, and how much of a
	// pad's text search reads (bytes); 0 means 32 MiB.
	MaxExport int
}

func (l Limits) maxExport() int {
	if l.MaxExport <= 0 {
		return maxExport
	}
	return l.MaxExport
}

// DefaultLimits suit a Raspberry Pi: a 50 KB pad is a long AG report; 16 MiB
// leaves room for a year of edits before compaction trims history.
var DefaultLimits = Limits{MaxMessage: 4 << 20, MaxPad: 16 << 20, CompactEvery: 1000}

var (
	errPadFull   = errors.New("pad full")
	errPadClosed = errors.New("pad closed")
)

// pad is one document in memory. Only its writer goroutine touches doc, so
// every answer computed from doc reflects committed updates only: updates
// are applied, committed and broadcast in the writer, and sync requests are
// answered there after the commit of the batch they arrived in.
type pad struct {
	id  string
	hub *hub

	doc   *ydoc.Doc // writer goroutine only
	seq   uint64    // last committed log entry; writer only
	fresh int       // log entries since the snapshot; writer only
	size  int64     // bytes stored for this pad; writer only

	jobs     chan job
	quit     chan struct{} // closed by stop
	quitOnce sync.Once
	done     chan struct{} // closed when the writer has returned
	failed   bool          // writer only: storage failed, memory may be ahead of disk
	changed  bool          // writer only: updates since the last version
	lastAuto time.Time     // writer only: when the last automatic version was taken
	touched  time.Time     // writer only: when the metadata's Updated was last set

	mu        sync.Mutex
	conns     map[*conn]struct{}
	aware     map[uint64]awareness // client id → latest presence
	closing   bool
	idleTimer *time.Timer
}

type awareness struct {
	clock uint64
	state []byte
	owner *conn
}

type jobKind int

const (
	jobUpdate   jobKind = iota // apply, commit, broadcast
	jobStep1                   // answer a client's state vector with the diff
	jobHello                   // send the server's state vector to a new client
	jobReadOnly                // an update from a read-only client: refuse it if it changes anything
	jobFunc                    // run fn on the document; commit and relay the update it returns
)

// autoVersionEvery is how often, while people write, the pad keeps a version
// of itself on its own; one more is taken when it leaves memory.
const autoVersionEvery = 10 * time.Minute

type job struct {
	kind jobKind
	c    *conn
	data []byte
	fn   func(*ydoc.Doc) ([]byte, error) // jobFunc
	done chan error                      // jobFunc
}

func newHub(st *store, log *slog.Logger, limits Limits) *hub {
	return &hub{st: st, log: log, limits: limits, idleAfter: 30 * time.Second, now: time.Now, pads: map[string]*pad{}}
}

func randomClientID() uint64 {
	var b [8]byte
	rand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:]) >> 11 // 53 bits, as Yjs clients draw
}

// join returns the pad id loaded in memory with c added to it.
func (h *hub) join(id string, c *conn) (*pad, error) {
	for {
		h.mu.Lock()
		if h.closed {
			h.mu.Unlock()
			return nil, errPadClosed
		}
		p, ok := h.pads[id]
		if !ok {
			var err error
			if p, err = h.load(id); err != nil {
				h.mu.Unlock()
				return nil, err
			}
			h.pads[id] = p
			go p.writer()
		}
		h.mu.Unlock()
		if p.add(c) {
			return p, nil
		}
		<-p.done // it was unloading: wait and load it again
	}
}

// load reads a pad from the store into a new document.
func (h *hub) load(id string) (*pad, error) {
	snapshot, updates, last, err := h.st.load(id)
	if err != nil {
		return nil, fmt.Errorf("load pad %s: %w", id, err)
	}
	doc := ydoc.NewDoc(randomClientID())
	size := int64(len(snapshot))
	if snapshot != nil {
		if err := doc.ApplyUpdate(snapshot); err != nil {
			return nil, fmt.Errorf("load pad %s snapshot: %w", id, err)
		}
	}
	for i, u := range updates {
		if err := doc.ApplyUpdate(u); err != nil {
			return nil, fmt.Errorf("load pad %s update %d: %w", id, i, err)
		}
		size += int64(len(u))
	}
	// What is stored was accepted when it came, so it loads whole (the
	// readers flatten what lies too deep); what comes next meets the limit.
	doc.SetMaxDepth(maxDepth)
	return &pad{id: id, hub: h, doc: doc, seq: last, fresh: len(updates), size: size, lastAuto: h.now(),
		jobs: make(chan job, 1024), quit: make(chan struct{}), done: make(chan struct{}),
		conns: map[*conn]struct{}{}, aware: map[uint64]awareness{}}, nil
}

// add registers c; false if the pad is unloading.
func (p *pad) add(c *conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closing {
		return false
	}
	if p.idleTimer != nil {
		p.idleTimer.Stop()
		p.idleTimer = nil
	}
	p.conns[c] = struct{}{}
	return true
}

// leave removes c, tells the others that its clients' presence is gone, and
// schedules unloading when nobody is left.
func (p *pad) leave(c *conn) {
	p.mu.Lock()
	delete(p.conns, c)
	var gone []awarenessEntry
	for id, a := range p.aware {
		if a.owner == c {
			gone = append(gone, awarenessEntry{ClientID: id, Clock: a.clock + 1, State: []byte("null")})
			delete(p.aware, id)
		}
	}
	others := p.connsLocked()
	if len(p.conns) == 0 && !p.closing {
		p.idleTimer = time.AfterFunc(p.hub.idleAfter, p.unloadIfIdle)
	}
	p.mu.Unlock()
	if len(gone) > 0 {
		msg := encodeAwarenessMessage(encodeAwareness(gone))
		for _, o := range others {
			o.send(msg)
		}
	}
}

func (p *pad) connsLocked() []*conn {
	out := make([]*conn, 0, len(p.conns))
	for c := range p.conns {
		out = append(out, c)
	}
	return out
}

// unloadIfIdle stops the pad's writer and forgets it, if still unused.
func (p *pad) unloadIfIdle() {
	h := p.hub
	h.mu.Lock()
	p.mu.Lock()
	if len(p.conns) > 0 || p.closing {
		p.mu.Unlock()
		h.mu.Unlock()
		return
	}
	p.closing = true
	if h.pads[p.id] == p {
		delete(h.pads, p.id)
	}
	p.mu.Unlock()
	h.mu.Unlock()
	p.stop()
}

// stop ends the writer and waits for it.
func (p *pad) stop() {
	p.quitOnce.Do(func() { close(p.quit) })
	<-p.done
}

// relayAwareness records presence updates from c and sends them to every
// connection of the pad, c included: y-websocket clients count any message as
// a sign of life and reconnect after 30 s of silence.
func (p *pad) relayAwareness(c *conn, payload []byte) error {
	entries, err := decodeAwareness(payload)
	if err != nil {
		return err
	}
	p.mu.Lock()
	for _, e := range entries {
		cur, ok := p.aware[e.ClientID]
		if ok && cur.owner != c {
			continue // another connection's client: not c's to change
		}
		if string(e.State) == "null" {
			delete(p.aware, e.ClientID)
			continue
		}
		if !ok || e.Clock >= cur.clock {
			p.aware[e.ClientID] = awareness{clock: e.Clock, state: append([]byte(nil), e.State...), owner: c}
		}
	}
	all := p.connsLocked()
	p.mu.Unlock()
	msg := encodeAwarenessMessage(payload)
	for _, o := range all {
		o.send(msg)
	}
	return nil
}

// awarenessMessage returns every known presence, for a client that joins or asks.
func (p *pad) awarenessMessage() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.aware) == 0 {
		return nil
	}
	entries := make([]awarenessEntry, 0, len(p.aware))
	for id, a := range p.aware {
		entries = append(entries, awarenessEntry{ClientID: id, Clock: a.clock, State: a.state})
	}
	return encodeAwarenessMessage(encodeAwareness(entries))
}

// submit queues a job for the writer; false when the pad is going away.
func (p *pad) submit(j job) bool {
	select {
	case p.jobs <- j:
		return true
	case <-p.quit:
		return false
	}
}

// writer is the pad's only user of doc. It takes jobs in batches: applies
// every update of the batch, commits them to the log in one transaction
// (group commit), broadcasts them, then answers the sync requests.
func (p *pad) writer() {
	defer close(p.done)
	defer p.flush()
	batch := make([]job, 0, 256)
	for {
		select {
		case j := <-p.jobs:
			batch = append(batch[:0], j)
		case <-p.quit:
			return
		}
	more:
		for len(batch) < cap(batch) {
			select {
			case j := <-p.jobs:
				batch = append(batch, j)
			default:
				break more
			}
		}
		if err := p.run(batch); err != nil {
			p.hub.log.Error("pad write failed: closing its connections", "pad", p.id, "err", err)
			p.failed = true
			p.fail()
			return
		}
	}
}

func (p *pad) run(batch []job) error {
	var updates [][]byte
	var from []*conn
	var before ydoc.StateVector
	if countUpdates(batch) > 1 {
		before = p.doc.StateVector()
	}
	for _, j := range batch {
		if j.kind != jobUpdate {
			continue
		}
		if p.size+int64(len(j.data)) > p.hub.limits.MaxPad {
			j.c.fail(errPadFull)
			continue
		}
		if err := p.doc.ApplyUpdate(j.data); err != nil {
			j.c.fail(fmt.Errorf("%w: %v", errMalformed, err))
			continue
		}
		updates = append(updates, j.data)
		from = append(from, j.c)
		p.size += int64(len(j.data))
	}
	if len(updates) > 0 {
		last, err := p.hub.st.appendUpdates(p.id, updates)
		if err != nil {
			return err
		}
		p.seq = last
		p.fresh += len(updates)
		p.changed = true
		p.mu.Lock()
		all := p.connsLocked()
		p.mu.Unlock()
		p.relay(all, updates, from, before)
	}
	for _, j := range batch {
		switch j.kind {
		case jobStep1:
			diff, err := p.doc.DiffUpdate(j.data)
			if err != nil {
				j.c.fail(fmt.Errorf("%w: state vector: %v", errMalformed, err))
				continue
			}
			j.c.send(encodeSync(syncStep2, diff))
		case jobReadOnly:
			// A stock client answers the server's state vector with the
			// document's whole delete set even when it has nothing new:
			// only an update that would change the pad is refused.
			adds, err := p.doc.Adds(j.data)
			if err != nil {
				j.c.fail(fmt.Errorf("%w: %v", errMalformed, err))
				continue
			}
			if adds {
				j.c.send(encodePermissionDenied("read-only pad"))
			}
		case jobHello:
			j.c.send(encodeSync(syncStep1, ydoc.EncodeStateVector(p.doc.StateVector())))
			if m := p.awarenessMessage(); m != nil {
				j.c.send(m)
			}
		}
	}
	if err := p.maybeAutoVersion(); err != nil {
		return err
	}
	for _, j := range batch {
		if j.kind == jobFunc {
			fnErr, storeErr := p.runFunc(j.fn)
			if storeErr == nil {
				storeErr = p.maybeAutoVersion()
			}
			j.done <- errors.Join(fnErr, storeErr)
			if storeErr != nil {
				return storeErr
			}
		}
	}
	if p.fresh >= p.hub.limits.CompactEvery {
		return p.compact()
	}
	return nil
}

// maybeAutoVersion keeps a version when the pad changed and the last
// automatic one is ten minutes old, and, once a minute while people write,
// records in the pad's metadata when it was last written in (the pad list
// sorts by it).
func (p *pad) maybeAutoVersion() error {
	if !p.changed {
		return nil
	}
	now := p.hub.now()
	if now.Sub(p.touched) >= time.Minute {
		if _, err := p.hub.st.updateMeta(p.id, func(m *padMeta) error { m.Updated = now; return nil }); err != nil {
			return fmt.Errorf("pad %s: %w", p.id, err)
		}
		p.touched = now
	}
	if now.Sub(p.lastAuto) >= autoVersionEvery {
		return p.saveVersion("", "")
	}
	return nil
}

// runFunc runs fn on the document; the update it returns is committed, then
// relayed to every connection. fn's own error goes back to its caller; an
// error storing the update is the pad's (storeErr), which then fails.
func (p *pad) runFunc(fn func(*ydoc.Doc) ([]byte, error)) (fnErr, storeErr error) {
	u, err := fn(p.doc)
	if err != nil || u == nil {
		return err, nil
	}
	last, err := p.hub.st.appendUpdates(p.id, [][]byte{u})
	if err != nil {
		return nil, err
	}
	p.seq, p.fresh, p.changed = last, p.fresh+1, true
	p.size += int64(len(u))
	p.mu.Lock()
	all := p.connsLocked()
	p.mu.Unlock()
	msg := encodeSync(syncUpdate, u)
	for _, c := range all {
		c.send(msg)
	}
	return nil, nil
}

// saveVersion stores the pad's current state as a version; an empty name
// makes an automatic one.
func (p *pad) saveVersion(name, by string) error {
	state := p.doc.EncodeStateAsUpdate(nil)
	now := p.hub.now()
	if _, err := p.hub.st.addVersion(p.id, versionMeta{Name: name, By: by, Created: now}, state); err != nil {
		return fmt.Errorf("version of pad %s: %w", p.id, err)
	}
	p.changed = false
	if name == "" {
		p.lastAuto = now
	}
	return nil
}

// withPad runs fn in the writer of pad id, loading the pad if nobody has it
// open, and waits for it.
func (h *hub) withPad(id string, fn func(*ydoc.Doc) ([]byte, error)) error {
	for {
		h.mu.Lock()
		if h.closed {
			h.mu.Unlock()
			return errPadClosed
		}
		p, ok := h.pads[id]
		if !ok {
			var err error
			if p, err = h.load(id); err != nil {
				h.mu.Unlock()
				return err
			}
			h.pads[id] = p
			go p.writer()
		}
		h.mu.Unlock()
		p.mu.Lock()
		if p.closing {
			p.mu.Unlock()
			<-p.done
			continue
		}
		if len(p.conns) == 0 && p.idleTimer == nil {
			p.idleTimer = time.AfterFunc(h.idleAfter, p.unloadIfIdle)
		}
		p.mu.Unlock()
		done := make(chan error, 1)
		if !p.submit(job{kind: jobFunc, fn: fn, done: done}) {
			continue
		}
		select {
		case err := <-done:
			return err
		case <-p.done:
			return errPadClosed
		}
	}
}

func countUpdates(batch []job) int {
	n := 0
	for _, j := range batch {
		if j.kind == jobUpdate {
			n++
		}
	}
	return n
}

// relay sends the batch's committed updates to the pad's connections. One
// update goes as it came, to everyone but its sender. Several go as one
// merged update to everyone (a sender ignores its own structs): under load a
// batch holds many updates, and one message per connection instead of one
// per update and connection is what keeps 200 authors on a Pi possible.
func (p *pad) relay(all []*conn, updates [][]byte, from []*conn, before ydoc.StateVector) {
	if len(updates) == 1 || before == nil {
		for i, u := range updates {
			msg := encodeSync(syncUpdate, u)
			for _, c := range all {
				if c != from[i] {
					c.send(msg)
				}
			}
		}
		return
	}
	merged, err := p.doc.UpdateSince(before, updates)
	if err != nil { // cannot happen: each update was applied, so it decodes
		p.hub.log.Error("merge updates", "pad", p.id, "err", err)
		p.relay(all, updates, from, nil)
		return
	}
	msg := encodeSync(syncUpdate, merged)
	for _, c := range all {
		c.send(msg)
	}
}

// compact folds the log into the snapshot.
func (p *pad) compact() error {
	if p.fresh == 0 {
		return nil
	}
	state := p.doc.EncodeStateAsUpdate(nil)
	if err := p.hub.st.compact(p.id, state, p.seq); err != nil {
		return fmt.Errorf("compact pad %s: %w", p.id, err)
	}
	p.fresh = 0
	p.size = int64(len(state))
	return nil
}

// flush compacts on the way out of memory, so the next load is one snapshot.
func (p *pad) flush() {
	if p.failed {
		return
	}
	if p.changed {
		if err := p.saveVersion("", ""); err != nil {
			p.hub.log.Warn("version on unload", "pad", p.id, "err", err)
		}
	}
	if err := p.compact(); err != nil {
		p.hub.log.Warn("compact on unload", "pad", p.id, "err", err)
	}
}

// fail drops a pad whose storage failed: its memory may hold updates that
// are not on disk, so every connection is closed; clients reconnect, the pad
// loads again from disk and the clients' sync sends back what is missing.
func (p *pad) fail() {
	h := p.hub
	h.mu.Lock()
	p.mu.Lock()
	p.closing = true
	if h.pads[p.id] == p {
		delete(h.pads, p.id)
	}
	all := p.connsLocked()
	p.mu.Unlock()
	h.mu.Unlock()
	for _, c := range all {
		c.fail(errPadClosed)
	}
}

// close ends every pad: connections closed, logs compacted.
func (h *hub) close() {
	h.mu.Lock()
	h.closed = true
	pads := make([]*pad, 0, len(h.pads))
	for _, p := range h.pads {
		pads = append(pads, p)
	}
	h.pads = map[string]*pad{}
	h.mu.Unlock()
	for _, p := range pads {
		p.mu.Lock()
		p.closing = true
		all := p.connsLocked()
		p.mu.Unlock()
		for _, c := range all {
			c.fail(errPadClosed)
		}
		p.stop()
	}
}
