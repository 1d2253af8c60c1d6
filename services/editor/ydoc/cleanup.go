package ydoc

// cleanup ends a transaction the way Yjs does: the content of deleted items
// is dropped (garbage collection), then neighbouring structs that can be
// one are merged, which keeps both memory and the encoding small.
func (d *Doc) cleanup() {
	tx := &d.tx
	tx.ds.normalize()
	for client, spans := range tx.ds {
		for _, s := range spans {
			l := d.store.clients[client]
			for i := findIndex(l, s.clock); i >= 0 && i < len(l) && l[i].id.Clock < s.clock+s.len; i++ {
				if it := l[i]; !it.isGC() && it.deleted() {
					d.gc(it, false)
				}
			}
		}
	}
	for client, spans := range tx.ds {
		for k := len(spans) - 1; k >= 0; k-- {
			s := spans[k]
			l := d.store.clients[client]
			last := findIndex(l, s.clock+s.len-1)
			if last < 0 {
				continue
			}
			for i := min(len(l)-1, last+1); i > 0 && d.store.clients[client][i].id.Clock >= s.clock; {
				i -= 1 + d.mergeLefts(client, i)
			}
		}
	}
	for client, l := range d.store.clients {
		before := tx.beforeState[client]
		if before == l[len(l)-1].end() {
			continue
		}
		first := max(findIndex(l, before), 1)
		for i := len(l) - 1; i >= first; {
			i -= 1 + d.mergeLefts(client, i)
		}
	}
	for k := len(tx.merge) - 1; k >= 0; k-- {
		id := tx.merge[k].id
		l := d.store.clients[id.Client]
		pos := findIndex(l, id.Clock)
		if pos < 0 {
			continue
		}
		if pos+1 < len(l) && d.mergeLefts(id.Client, pos+1) > 1 {
			continue
		}
		if pos > 0 {
			d.mergeLefts(id.Client, pos)
		}
	}
	d.tx = transaction{}
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

// mergeLefts merges the struct at index pos of a client's list into its
// left neighbours while possible and returns how many merges it made.
func (d *Doc) mergeLefts(client uint64, pos int) int {
	l := d.store.clients[client]
	i := pos
	for ; i > 0; i-- {
		left, right := l[i-1], l[i]
		if !merge(left, right) {
			break
		}
	}
	merged := pos - i
	if merged > 0 {
		l = append(l[:i+1], l[pos+1:]...)
		clear(l[len(l):min(len(l)+merged, cap(l))])
		d.store.clients[client] = l
	}
	return merged
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
