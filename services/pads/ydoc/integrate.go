package ydoc

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
)

// Doc is a Yjs document: the struct store, the root types by name, and what
// has arrived before its dependencies. A Doc is not safe for concurrent use.
type Doc struct {
	clientID uint64
	store    structStore
	roots    map[string]*branch

	pending   map[uint64][]*item // structs waiting for their dependencies
	missing   map[uint64]uint64  // client -> state at which pending may progress
	pendingDS deleteSet          // deletions of clocks not yet received
	maxDepth  int                // how deep types may nest; 0: no limit (depth.go)

	tx   transaction
	inTx bool // a local transaction is open (Transact)

	// scratch sets for conflict resolution, reused between integrations
	before, conflicting map[*item]struct{}
}

// transaction collects what one ApplyUpdate or local edit changed, for the
// clean-up that follows (garbage collection and merging of structs).
type transaction struct {
	before []clientClock // state before the transaction of each client that grew
	ds     []deletion    // items deleted in the transaction
	merge  []*item       // items split in the transaction
}

type clientClock struct{ client, clock uint64 }

type deletion struct{ client, clock, len uint64 }

// beforeState is a client's state when the transaction began.
func (tx *transaction) beforeState(s *structStore, client uint64) uint64 {
	for _, b := range tx.before {
		if b.client == client {
			return b.clock
		}
	}
	return s.state(client)
}

var errInTx = errors.New("ydoc: ApplyUpdate called inside Transact")

// NewDoc returns an empty document whose local edits use clientID. Only
// local edits use it; it must not be used by any other writer of the same
// document (Yjs picks a random 32-bit number, and so should callers). Yjs
// changes its client ID when it sees its own in a remote update; Doc does
// not, so a reloaded document must not share its ID with a live editor.
func NewDoc(clientID uint64) *Doc {
	return &Doc{
		clientID:    clientID & maxSafe,
		store:       structStore{clients: map[uint64]*structList{}},
		roots:       map[string]*branch{},
		pending:     map[uint64][]*item{},
		missing:     map[uint64]uint64{},
		pendingDS:   deleteSet{},
		before:      map[*item]struct{}{},
		conflicting: map[*item]struct{}{},
	}
}

// ClientID is the client ID of local edits.
func (d *Doc) ClientID() uint64 { return d.clientID }

func (d *Doc) root(name string) *branch {
	b := d.roots[name]
	if b == nil {
		b = &branch{name: name, typeRef: typeUnknown}
		d.roots[name] = b
	}
	return b
}

// begin starts a transaction; the slices of the last one are reused.
func (d *Doc) begin() {
	d.tx.before = d.tx.before[:0]
	d.tx.ds = d.tx.ds[:0]
	clear(d.tx.merge)
	d.tx.merge = d.tx.merge[:0]
}

// addStruct appends an integrated struct to the store, noting the client's
// state before the transaction the first time the client grows in it.
func (d *Doc) addStruct(it *item) {
	c := it.id.Client
	found := false
	for _, b := range d.tx.before {
		if b.client == c {
			found = true
			break
		}
	}
	if !found {
		d.tx.before = append(d.tx.before, clientClock{c, it.id.Clock})
	}
	d.store.add(it)
}

// ApplyUpdate decodes a Yjs v1 update and merges it into the document.
// Structs whose dependencies are missing wait in the document until they
// arrive. On a decoding error the document is left unchanged.
func (d *Doc) ApplyUpdate(update []byte) error {
	if d.inTx {
		return errInTx
	}
	u, err := decodeUpdate(update)
	if err != nil {
		return fmt.Errorf("apply update: %w", err)
	}
	if err := d.checkDepth(u); err != nil {
		return fmt.Errorf("apply update: %w", err)
	}
	d.begin()
	d.integrateBatch(u.clients)
	for d.pendingReady() {
		batch := make([]clientStructs, 0, len(d.pending))
		for c, l := range d.pending {
			batch = append(batch, clientStructs{c, l})
		}
		d.pending, d.missing = map[uint64][]*item{}, map[uint64]uint64{}
		d.integrateBatch(batch)
	}
	var rest deleteSet
	if len(u.ds) > 0 {
		rest = d.applyDeleteSet(u.ds)
	}
	if len(d.pendingDS) > 0 {
		more := d.applyDeleteSet(d.pendingDS)
		if rest == nil {
			rest = more
		} else {
			for c, s := range more {
				rest[c] = append(rest[c], s...)
			}
		}
	}
	rest.normalize()
	d.pendingDS = rest
	d.cleanup()
	return nil
}

func (d *Doc) pendingReady() bool {
	for c, need := range d.missing {
		if d.store.state(c) >= need {
			return true
		}
	}
	return false
}

type queue struct {
	client  uint64
	refs    []*item
	i       int
	blocked bool
}

// integrateBatch integrates structs of several clients in causal order:
// when a struct depends on another client's struct, that client's queue is
// worked on first; what cannot be integrated goes to pending.
func (d *Doc) integrateBatch(batch []clientStructs) {
	if len(batch) == 0 {
		return
	}
	queues := make([]queue, 0, len(batch))
	for _, cs := range batch {
		queues = append(queues, queue{client: cs.client, refs: cs.structs})
	}
	slices.SortStableFunc(queues, func(a, b queue) int { return cmp.Compare(a.client, b.client) })
	// An update may name a client twice: join its lists.
	for i := 1; i < len(queues); i++ {
		if queues[i].client == queues[i-1].client {
			l := append(slices.Clip(queues[i-1].refs), queues[i].refs...)
			slices.SortStableFunc(l, func(a, b *item) int { return cmp.Compare(a.id.Clock, b.id.Clock) })
			queues[i-1].refs = l
			queues = slices.Delete(queues, i, i+1)
			i--
		}
	}
	queueOf := func(c uint64) *queue {
		i, ok := slices.BinarySearchFunc(queues, c, func(q queue, c uint64) int { return cmp.Compare(q.client, c) })
		if !ok || queues[i].blocked {
			return nil
		}
		return &queues[i]
	}
	// Higher client IDs first, as Yjs does.
	next := len(queues) - 1
	nextQueue := func() *queue {
		for ; next >= 0; next-- {
			if q := &queues[next]; !q.blocked && q.i < len(q.refs) {
				return q
			}
		}
		return nil
	}
	need := func(c, state uint64) {
		if n, ok := d.missing[c]; !ok || state < n {
			d.missing[c] = state
		}
	}
	var stack []*item
	block := func() {
		for _, it := range stack {
			c := it.id.Client
			d.pending[c] = append(d.pending[c], it)
			if q := queueOf(c); q != nil {
				d.pending[c] = append(d.pending[c], q.refs[q.i:]...)
				q.blocked = true
			}
		}
		stack = stack[:0]
	}
	cur := nextQueue()
	if cur == nil {
		return
	}
	head := cur.refs[cur.i]
	cur.i++
	for {
		if head.ref != refSkip {
			c := head.id.Client
			st := d.store.state(c)
			switch {
			case head.id.Clock > st: // an earlier struct of this client is missing
				stack = append(stack, head)
				need(c, head.id.Clock)
				block()
			default:
				if m, ok := d.missingDep(head); ok {
					stack = append(stack, head)
					if q := queueOf(m); q != nil && q.i < len(q.refs) {
						head = q.refs[q.i]
						q.i++
						continue
					}
					need(m, d.store.state(m)+1)
					block()
				} else if off := st - head.id.Clock; off < head.length {
					d.integrate(head, off)
				}
			}
		}
		switch {
		case len(stack) > 0:
			head = stack[len(stack)-1]
			stack = stack[:len(stack)-1]
		case cur != nil && !cur.blocked && cur.i < len(cur.refs):
			head = cur.refs[cur.i]
			cur.i++
		default:
			if cur = nextQueue(); cur == nil {
				if len(d.pending) > 0 {
					d.sortPending()
				}
				return
			}
			head = cur.refs[cur.i]
			cur.i++
		}
	}
}

// sortPending keeps every pending list in clock order without exact
// duplicates, so that a re-sent update does not grow it.
func (d *Doc) sortPending() {
	for c, l := range d.pending {
		slices.SortStableFunc(l, func(a, b *item) int {
			switch {
			case a.id.Clock < b.id.Clock:
				return -1
			case a.id.Clock > b.id.Clock:
				return 1
			}
			return 0
		})
		out := l[:0]
		for _, it := range l {
			if n := len(out); n > 0 && out[n-1].id.Clock == it.id.Clock && out[n-1].length == it.length {
				continue
			}
			out = append(out, it)
		}
		d.pending[c] = out
	}
}

// missingDep returns the client of a dependency (origin, right origin,
// parent) that has not been integrated yet.
func (d *Doc) missingDep(it *item) (uint64, bool) {
	if it.isGC() {
		return 0, false
	}
	absent := func(id ID) bool {
		return id.valid() && id.Client != it.id.Client && id.Clock >= d.store.state(id.Client)
	}
	switch {
	case absent(it.origin):
		return it.origin.Client, true
	case absent(it.rightOrigin):
		return it.rightOrigin.Client, true
	case it.wire != nil && !it.wire.byName && absent(it.wire.id):
		return it.wire.id.Client, true
	}
	return 0, false
}

// resolve turns an item's wire references into pointers: left and right
// neighbours from its origins, and its parent. An item whose parent cannot
// be found (garbage collected, or not a type) ends with no parent and is
// integrated as a GC range, as Yjs does.
func (d *Doc) resolve(it *item) {
	w := it.wire
	it.wire = nil
	if it.origin.valid() {
		if it.left = d.cleanEnd(it.origin); it.left == nil {
			return
		}
		it.origin = it.left.lastID()
	}
	if it.rightOrigin.valid() {
		if it.right = d.cleanStart(it.rightOrigin); it.right == nil {
			return
		}
		it.rightOrigin = it.right.id
	}
	switch {
	case (it.left != nil && it.left.isGC()) || (it.right != nil && it.right.isGC()):
	case w == nil:
		from := it.left
		if from == nil {
			from = it.right
		}
		if from != nil {
			it.parent = from.parent
			it.parentSub = from.parentSub
			it.flags = it.flags&^flagHasSub | from.flags&flagHasSub
		}
	case w.byName:
		it.parent = d.root(w.name)
	default:
		if p := d.store.get(w.id); p != nil && p.ref == refType {
			it.parent = p.content.typ
		}
	}
}

// integrate places an item (or GC range) in the document, skipping the
// first off clock units that the document already has.
func (d *Doc) integrate(it *item, off uint64) {
	if it.isGC() {
		it.id.Clock += off
		it.length -= off
		d.addStruct(it)
		return
	}
	d.resolve(it)
	if off > 0 {
		it.id.Clock += off
		it.left = d.cleanEnd(ID{it.id.Client, it.id.Clock - 1})
		if it.left == nil || it.left.isGC() {
			it.parent = nil
		} else {
			it.origin = it.left.lastID()
		}
		str, c := it.splitContent(off)
		if it.ref == refString {
			it.str = str
		} else if c != nil {
			it.content = c
		}
		it.length -= off
	}
	d.link(it)
}

// link integrates an item whose neighbours and parent are resolved.
func (d *Doc) link(it *item) {
	p := it.parent
	if p == nil || (it.ref == refType && d.tooDeep(p)) {
		// no parent, or one too deep that checkDepth could not see (the
		// type waited for another update): it becomes a GC range
		d.toGC(it)
		d.addStruct(it)
		return
	}
	d.place(it)
	if !it.hasSub() && it.countable() && !it.deleted() {
		p.length += it.length
	}
	d.addStruct(it)
	switch it.ref {
	case refType:
		it.content.typ.item = it
		it.content.typ.depth = p.depth + 1
	case refDeleted:
		d.tx.ds = append(d.tx.ds, deletion{it.id.Client, it.id.Clock, it.length})
	case refFormat:
		p.format = true
	}
	if (p.item != nil && p.item.deleted()) || (it.hasSub() && it.right != nil) {
		d.deleteItem(it)
	}
}

// place links an item into its parent's list at the position YATA gives
// it: after its origin, and among concurrent insertions at the same place
// ordered by their own origins and, last, by client ID.
func (d *Doc) place(it *item) {
	p := it.parent
	left := it.left
	if (left == nil && (it.right == nil || it.right.left != nil)) || (left != nil && left.right != it.right) {
		var o *item
		switch {
		case left != nil:
			o = left.right
		case it.hasSub():
			o = p.entries[it.parentSub]
			for o != nil && o.left != nil {
				o = o.left
			}
		default:
			o = p.start
		}
		before, conflicting := d.before, d.conflicting
		clear(before)
		clear(conflicting)
		for o != nil && o != it.right {
			before[o] = struct{}{}
			conflicting[o] = struct{}{}
			if it.origin == o.origin {
				if o.id.Client < it.id.Client {
					left = o
					clear(conflicting)
				} else if it.rightOrigin == o.rightOrigin {
					break
				}
			} else if oo := d.originItem(o); oo != nil && has(before, oo) {
				if !has(conflicting, oo) {
					left = o
					clear(conflicting)
				}
			} else {
				break
			}
			o = o.right
		}
		it.left = left
	}
	if it.left != nil {
		it.right = it.left.right
		it.left.right = it
	} else {
		var r *item
		if it.hasSub() {
			r = p.entries[it.parentSub]
			for r != nil && r.left != nil {
				r = r.left
			}
		} else {
			r = p.start
			p.start = it
		}
		it.right = r
	}
	if it.right != nil {
		it.right.left = it
	} else if it.hasSub() {
		if p.entries == nil {
			p.entries = map[string]*item{}
		}
		p.entries[it.parentSub] = it
		if it.left != nil {
			d.deleteItem(it.left) // the previous value of the key
		}
	}
}

func (d *Doc) originItem(o *item) *item {
	if !o.origin.valid() {
		return nil
	}
	return d.store.get(o.origin)
}

func has(m map[*item]struct{}, it *item) bool {
	_, ok := m[it]
	return ok
}

// toGC turns an item into a GC range in place.
func (d *Doc) toGC(it *item) {
	*it = item{id: it.id, length: it.length, origin: noID, rightOrigin: noID, flags: flagDeleted, ref: refGC}
}

// deleteItem marks an item deleted; deleting a type deletes its content.
func (d *Doc) deleteItem(it *item) {
	todo := []*item{it}
	for len(todo) > 0 {
		it := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		if it.deleted() {
			continue
		}
		if it.countable() && !it.hasSub() && it.parent != nil {
			it.parent.length -= it.length
		}
		it.flags |= flagDeleted
		d.tx.ds = append(d.tx.ds, deletion{it.id.Client, it.id.Clock, it.length})
		if it.ref != refType {
			continue
		}
		t := it.content.typ
		visit := func(c *item) {
			if !c.deleted() {
				todo = append(todo, c)
			} else if c.id.Clock < d.tx.beforeState(&d.store, c.id.Client) {
				d.tx.merge = append(d.tx.merge, c)
			}
		}
		for c := t.start; c != nil; c = c.right {
			visit(c)
		}
		for _, c := range t.entries {
			visit(c)
		}
	}
}

// applyDeleteSet deletes the given ranges and returns those that cover
// clocks the document has not received yet.
func (d *Doc) applyDeleteSet(ds deleteSet) deleteSet {
	var rest deleteSet
	for client, spans := range ds {
		st := d.store.state(client)
		for _, s := range spans {
			end := s.clock + s.len
			if s.clock >= st {
				rest.add(client, s.clock, s.len)
				continue
			}
			if st < end {
				rest.add(client, st, end-st)
			}
			l := d.store.clients[client]
			p, _ := l.find(s.clock)
			if it := l.at(p); !it.deleted() && it.id.Clock < s.clock {
				_, p = d.split(p, it, s.clock-it.id.Clock)
			}
			for ok := true; ok; p, ok = l.next(p) {
				it := l.at(p)
				if it.id.Clock >= end {
					break
				}
				if !it.deleted() {
					if end < it.end() {
						_, rp := d.split(p, it, end-it.id.Clock)
						p, _ = l.prev(rp)
					}
					d.deleteItem(it)
				}
			}
		}
	}
	return rest
}

// HasPending reports whether structs or deletions are waiting for updates
// the document has not received.
func (d *Doc) HasPending() bool {
	for _, l := range d.pending {
		if len(l) > 0 {
			return true
		}
	}
	return len(d.pendingDS) > 0
}
