package ydoc

import (
	"cmp"
	"slices"
)

// cleanup ends a transaction the way Yjs does: the content of deleted items
// is dropped (garbage collection), then neighbouring structs that can be
// one are merged, which keeps both memory and the encoding small.
func (d *Doc) cleanup() {
	tx := &d.tx
	tx.ds = normalizeDeletions(tx.ds)
	for _, s := range tx.ds {
		l := d.store.clients[s.client]
		for p, ok := l.find(s.clock); ok; p, ok = l.next(p) {
			it := l.at(p)
			if it.id.Clock >= s.clock+s.len {
				break
			}
			if !it.isGC() && it.deleted() {
				d.gc(it, false)
			}
		}
	}
	for k := len(tx.ds) - 1; k >= 0; k-- {
		s := tx.ds[k]
		l := d.store.clients[s.client]
		p, ok := l.find(s.clock + s.len - 1)
		if !ok {
			continue
		}
		if q, ok := l.next(p); ok {
			p = q
		}
		for p != (pos{}) && l.at(p).id.Clock >= s.clock {
			p, _ = d.mergeLefts(l, p)
			if p, ok = l.prev(p); !ok {
				break
			}
		}
	}
	for _, b := range tx.before {
		l := d.store.clients[b.client]
		first, _ := l.find(b.clock)
		if first == (pos{}) {
			var ok bool
			if first, ok = l.next(first); !ok {
				continue
			}
		}
		for p := l.lastPos(); !p.before(first); {
			var ok bool
			p, _ = d.mergeLefts(l, p)
			if p, ok = l.prev(p); !ok {
				break
			}
		}
	}
	for k := len(tx.merge) - 1; k >= 0; k-- {
		id := tx.merge[k].id
		l := d.store.clients[id.Client]
		p, ok := l.find(id.Clock)
		if !ok {
			continue
		}
		if q, ok := l.next(p); ok {
			if _, n := d.mergeLefts(l, q); n > 1 {
				continue
			}
		}
		if _, ok := l.prev(p); ok {
			d.mergeLefts(l, p)
		}
	}
}

// normalizeDeletions sorts deletions by client and clock and merges
// touching ranges, in place.
func normalizeDeletions(ds []deletion) []deletion {
	if len(ds) < 2 {
		return ds
	}
	slices.SortFunc(ds, func(a, b deletion) int {
		if a.client != b.client {
			return cmp.Compare(a.client, b.client)
		}
		return cmp.Compare(a.clock, b.clock)
	})
	out := ds[:1]
	for _, x := range ds[1:] {
		last := &out[len(out)-1]
		if last.client == x.client && last.clock+last.len >= x.clock {
			last.len = max(last.len, x.clock+x.len-last.clock)
			continue
		}
		out = append(out, x)
	}
	return out
}

// gc drops the content of a deleted item. Children of a dropped type
// become GC ranges: nothing can refer to their position any more.
func (d *Doc) gc(it *item, parentGone bool) {
	todo := []*item{it}
	gone := []bool{parentGone}
	for len(todo) > 0 {
		it, parentGone := todo[len(todo)-1], gone[len(gone)-1]
		todo, gone = todo[:len(todo)-1], gone[:len(gone)-1]
		if !it.deleted() || it.isGC() {
			continue
		}
		if it.ref == refType {
			t := it.content.typ
			for c := t.start; c != nil; c = c.right {
				todo, gone = append(todo, c), append(gone, true)
			}
			for _, c := range t.entries {
				for ; c != nil; c = c.left {
					todo, gone = append(todo, c), append(gone, true)
				}
			}
			t.start, t.entries = nil, nil
		}
		if parentGone {
			d.toGC(it)
		} else if it.ref != refDeleted {
			it.ref, it.str, it.content = refDeleted, nil, nil
			it.flags &^= flagCountable
		}
	}
}

// mergeLefts merges the struct at p into its left neighbours while
// possible; it returns the place of the merged struct and how many merges
// it made.
func (d *Doc) mergeLefts(l *structList, p pos) (pos, int) {
	n := 0
	for {
		q, ok := l.prev(p)
		if !ok || !merge(l.at(q), l.at(p)) {
			return p, n
		}
		l.remove(p)
		p = q
		n++
	}
}

// merge appends right to left when they are one run: same client, same
// kind, contiguous clocks, neighbours in the list with matching origins.
func merge(left, right *item) bool {
	if left.ref != right.ref || !mergeableRef(left.ref) || left.deleted() != right.deleted() {
		return false
	}
	if left.isGC() {
		left.length += right.length
		return true
	}
	if right.origin != left.lastID() || left.right != right || left.rightOrigin != right.rightOrigin ||
		left.id.Client != right.id.Client || left.end() != right.id.Clock {
		return false
	}
	switch left.ref {
	case refString:
		left.str = append(left.str, right.str...)
	case refJSON:
		left.content.json = append(left.content.json, right.content.json...)
	case refAny:
		left.content.anys = append(left.content.anys, right.content.anys...)
	}
	if right.hasSub() && right.parent != nil && right.parent.entries[right.parentSub] == right {
		right.parent.entries[right.parentSub] = left
	}
	left.right = right.right
	if left.right != nil {
		left.right.left = left
	}
	left.length += right.length
	return true
}
