package ydoc

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
)

// Nesting depth. Every reader of a document (the pad's exports, search,
// y-prosemirror in each browser) walks nested types recursively, so a
// document whose elements nest thousands deep costs every reader time and
// memory out of all proportion to its size. A Doc with a depth limit
// (SetMaxDepth) refuses an update that would nest types deeper than the
// limit: ApplyUpdate returns ErrTooDeep and the document is unchanged.
//
// Depth is not written in an update: an item names its parent only
// indirectly (a root's name, the ID of the item holding the parent type, or
// no parent at all when it has an origin, whose parent it shares), so it
// is a property of the integrated tree. The check therefore runs after
// decoding and before integration, resolving each new type's parent
// through the update's own structs and the integrated ones, whose depth
// each branch keeps. A type whose parent cannot be resolved yet (it waits
// for another update) is checked when it integrates instead: if it would
// then be too deep it becomes a GC range, as an item whose parent is gone
// does, since the update that brought it was accepted long before.

// ErrTooDeep is returned by ApplyUpdate when the update would nest types
// deeper than the document's limit.
var ErrTooDeep = errors.New("ydoc: types nested too deeply")

// SetMaxDepth limits how deep types may nest in the document from now on:
// a root type has depth 0, a type inside it depth 1, and so on. Zero means
// no limit (the default). What the document already holds is kept.
func (d *Doc) SetMaxDepth(n int) { d.maxDepth = max(n, 0) }

// tooDeep reports whether a type inside parent would pass the limit.
func (d *Doc) tooDeep(parent *branch) bool {
	return d.maxDepth > 0 && parent.depth >= d.maxDepth
}

// depthCheck resolves the parents of an update's structs before they are
// integrated. What it learns about a struct it notes in the struct's
// scratch field: the structs are fresh from the decoder, and it only
// follows references into the update itself, never into pending structs.
type depthCheck struct {
	d       *Doc
	clients map[uint64][]*item // the update's structs by client, in clock order
	path    []depthStep        // scratch for parentDepth

	// the client looked up last (most references are to the same one)
	client uint64
	state  uint64  // its state in the document
	list   []*item // its structs in the update
}

type depthStep struct {
	it  *item
	add int // 1 when the next item holds it as its parent type, 0 when it shares its parent
}

// Results of parentDepth other than a depth.
const (
	depthNone    = -1 // the item will have no parent (it becomes a GC range)
	depthUnknown = -2 // its parent is in a struct the document does not have yet
	depthBusy    = -3 // being resolved: a cycle, which never integrates
)

// scratch encodes a parentDepth result as a non-zero number: zero means
// not resolved yet.
func toScratch(v int) int32   { return int32(v - depthBusy + 1) }
func fromScratch(s int32) int { return int(s) + depthBusy - 1 }

// checkDepth returns ErrTooDeep if a type of u would integrate deeper than
// the limit.
func (d *Doc) checkDepth(u *decodedUpdate) error {
	if d.maxDepth == 0 {
		return nil
	}
	var c *depthCheck
	for _, cs := range u.clients {
		state := d.store.state(cs.client)
		for _, it := range cs.structs {
			if it.ref != refType || it.id.Clock < state {
				continue // only new types nest
			}
			if c == nil {
				c = d.newDepthCheck(u)
			}
			if pd := c.parentDepth(it); pd >= d.maxDepth {
				return fmt.Errorf("%w: %s %d:%d at depth %d (at most %d)", ErrTooDeep, typeName(it.content.typ), it.id.Client, it.id.Clock, pd+1, d.maxDepth)
			}
		}
	}
	return nil
}

func typeName(b *branch) string {
	if b.nodeName != "" {
		return "element " + b.nodeName
	}
	return "type"
}

func (d *Doc) newDepthCheck(u *decodedUpdate) *depthCheck {
	c := &depthCheck{d: d, clients: make(map[uint64][]*item, len(u.clients)), client: noID.Client}
	for _, cs := range u.clients {
		l, twice := c.clients[cs.client]
		if !twice {
			c.clients[cs.client] = cs.structs
			continue
		}
		// A client named twice: one list in clock order, as integrateBatch
		// makes it.
		l = append(slices.Clip(l), cs.structs...)
		slices.SortStableFunc(l, func(a, b *item) int { return cmp.Compare(a.id.Clock, b.id.Clock) })
		c.clients[cs.client] = l
	}
	return c
}

// find returns the update's struct holding id, if any.
func (c *depthCheck) find(id ID) *item {
	l := c.list
	i, found := slices.BinarySearchFunc(l, id.Clock, func(it *item, clock uint64) int {
		switch {
		case clock < it.id.Clock:
			return 1
		case clock >= it.end():
			return -1
		}
		return 0
	})
	if !found {
		return nil
	}
	return l[i]
}

// parentDepth is the depth of the parent the item will have once
// integrated, resolved as Doc.resolve will: through its origin, else its
// right origin, else the parent written on the wire. Chains of items
// inside the update are followed without recursion and remembered.
func (c *depthCheck) parentDepth(it *item) int {
	c.path = c.path[:0]
	v := 0
	for {
		if it.scratch != 0 {
			v = fromScratch(it.scratch)
			break
		}
		next, add, direct := c.step(it)
		if next == nil {
			v = direct
			it.scratch = toScratch(v)
			break
		}
		it.scratch = toScratch(depthBusy)
		c.path = append(c.path, depthStep{it, add})
		it = next
	}
	for i := len(c.path) - 1; i >= 0; i-- {
		s := c.path[i]
		if v >= 0 {
			v += s.add
		} else if v == depthBusy {
			v = depthUnknown
		}
		s.it.scratch = toScratch(v)
	}
	return v
}

// step resolves one link of an item's parent chain: either the answer
// (next nil), or the struct of the update the answer depends on.
func (c *depthCheck) step(it *item) (next *item, add, direct int) {
	if it.ref == refGC || it.ref == refSkip {
		return nil, 0, depthNone
	}
	// The neighbour whose parent the item shares, as in resolve.
	var ref ID
	switch {
	case it.origin.valid():
		ref = it.origin
	case it.rightOrigin.valid():
		ref = it.rightOrigin
	case it.wire == nil:
		return nil, 0, depthNone
	case it.wire.byName:
		return nil, 0, 0
	default:
		// The parent is the type held by the item with this ID.
		p, inUpdate := c.lookup(it.wire.id)
		switch {
		case p == nil:
			return nil, 0, depthUnknown
		case p.ref != refType:
			return nil, 0, depthNone
		case inUpdate:
			return p, 1, 0
		}
		return nil, 0, p.content.typ.depth
	}
	n, inUpdate := c.lookup(ref)
	switch {
	case n == nil:
		return nil, 0, depthUnknown
	case inUpdate:
		return n, 0, 0
	case n.isGC() || n.parent == nil:
		return nil, 0, depthNone
	}
	return nil, 0, n.parent.depth
}

// lookup finds the struct holding id: integrated, or in the update.
func (c *depthCheck) lookup(id ID) (it *item, inUpdate bool) {
	if id.Client != c.client {
		c.client, c.state, c.list = id.Client, c.d.store.state(id.Client), c.clients[id.Client]
	}
	if id.Clock < c.state {
		return c.d.store.get(id), false
	}
	if it := c.find(id); it != nil {
		return it, true
	}
	return nil, false
}
