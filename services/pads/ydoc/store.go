package ydoc

// structStore keeps, per client, every integrated struct sorted by clock and
// covering clocks 0 to the client's state without gaps.
type structStore struct {
	clients map[uint64]*structList
}

// structList is one client's structs in clock order, kept in blocks so that
// a split or a merge in the middle of a large document moves at most one
// block, not the whole list.
type structList struct {
	blocks [][]*item // none empty
}

const maxBlock = 128

// pos is the place of a struct in a structList: block, then index.
type pos struct{ b, i int }

func (p pos) before(q pos) bool { return p.b < q.b || (p.b == q.b && p.i < q.i) }

func (l *structList) at(p pos) *item { return l.blocks[p.b][p.i] }

func (l *structList) last() *item {
	b := l.blocks[len(l.blocks)-1]
	return b[len(b)-1]
}

func (l *structList) lastPos() pos {
	return pos{len(l.blocks) - 1, len(l.blocks[len(l.blocks)-1]) - 1}
}

func (l *structList) next(p pos) (pos, bool) {
	if p.i+1 < len(l.blocks[p.b]) {
		return pos{p.b, p.i + 1}, true
	}
	if p.b+1 < len(l.blocks) {
		return pos{p.b + 1, 0}, true
	}
	return p, false
}

func (l *structList) prev(p pos) (pos, bool) {
	if p.i > 0 {
		return pos{p.b, p.i - 1}, true
	}
	if p.b > 0 {
		return pos{p.b - 1, len(l.blocks[p.b-1]) - 1}, true
	}
	return p, false
}

// countFrom is the number of structs from p to the end.
func (l *structList) countFrom(p pos) int {
	n := len(l.blocks[p.b]) - p.i
	for _, b := range l.blocks[p.b+1:] {
		n += len(b)
	}
	return n
}

func (l *structList) push(it *item) {
	if n := len(l.blocks); n > 0 && len(l.blocks[n-1]) < maxBlock {
		l.blocks[n-1] = append(l.blocks[n-1], it)
		return
	}
	b := make([]*item, 1, maxBlock)
	b[0] = it
	l.blocks = append(l.blocks, b)
}

// insertAfter puts it right after p, and returns its place; a full block
// is cut in two.
func (l *structList) insertAfter(p pos, it *item) pos {
	b := l.blocks[p.b]
	if len(b) >= 2*maxBlock {
		half := len(b) / 2
		right := append(make([]*item, 0, maxBlock*2), b[half:]...)
		clear(b[half:])
		l.blocks[p.b] = b[:half]
		l.blocks = append(l.blocks, nil)
		copy(l.blocks[p.b+2:], l.blocks[p.b+1:])
		l.blocks[p.b+1] = right
		if p.i >= half {
			p = pos{p.b + 1, p.i - half}
		}
		b = l.blocks[p.b]
	}
	b = append(b, nil)
	copy(b[p.i+2:], b[p.i+1:])
	b[p.i+1] = it
	l.blocks[p.b] = b
	return pos{p.b, p.i + 1}
}

// remove deletes the struct at p; a block left empty goes.
func (l *structList) remove(p pos) {
	b := l.blocks[p.b]
	copy(b[p.i:], b[p.i+1:])
	b[len(b)-1] = nil
	b = b[:len(b)-1]
	if len(b) > 0 {
		l.blocks[p.b] = b
		return
	}
	copy(l.blocks[p.b:], l.blocks[p.b+1:])
	l.blocks[len(l.blocks)-1] = nil
	l.blocks = l.blocks[:len(l.blocks)-1]
}

// find returns the place of the struct holding clock.
func (l *structList) find(clock uint64) (pos, bool) {
	if l == nil || len(l.blocks) == 0 || clock >= l.last().end() {
		return pos{}, false
	}
	lo, hi := 0, len(l.blocks)-1 // the last block starting at or before clock
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if l.blocks[mid][0].id.Clock <= clock {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	b := l.blocks[lo]
	i, j := 0, len(b)-1
	for i <= j {
		mid := (i + j) / 2
		it := b[mid]
		switch {
		case clock < it.id.Clock:
			j = mid - 1
		case clock >= it.end():
			i = mid + 1
		default:
			return pos{lo, mid}, true
		}
	}
	return pos{}, false
}

func (s *structStore) state(client uint64) uint64 {
	l := s.clients[client]
	if l == nil {
		return 0
	}
	return l.last().end()
}

func (s *structStore) get(id ID) *item {
	l := s.clients[id.Client]
	if p, ok := l.find(id.Clock); ok {
		return l.at(p)
	}
	return nil
}

// add appends a struct that starts at its client's state.
func (s *structStore) add(it *item) bool {
	l := s.clients[it.id.Client]
	if l == nil {
		if it.id.Clock != 0 {
			return false
		}
		l = &structList{}
		s.clients[it.id.Client] = l
	} else if l.last().end() != it.id.Clock {
		return false
	}
	l.push(it)
	return true
}

// split cuts the item at p so that a new item starts off clock units in,
// and returns that right part and its place.
func (d *Doc) split(p pos, left *item, off uint64) (*item, pos) {
	str, c := left.splitContent(off)
	right := &item{
		id:          ID{left.id.Client, left.id.Clock + off},
		length:      left.length - off,
		origin:      ID{left.id.Client, left.id.Clock + off - 1},
		rightOrigin: left.rightOrigin,
		left:        left,
		right:       left.right,
		parent:      left.parent,
		parentSub:   left.parentSub,
		flags:       left.flags,
		ref:         left.ref,
		str:         str,
		content:     c,
	}
	left.length = off
	left.right = right
	if right.right != nil {
		right.right.left = right
	}
	if right.hasSub() && right.right == nil && right.parent != nil && right.parent.entries != nil {
		right.parent.entries[right.parentSub] = right
	}
	rp := d.store.clients[left.id.Client].insertAfter(p, right)
	d.tx.merge = append(d.tx.merge, right)
	return right, rp
}

// cleanStart returns the struct starting exactly at id, splitting an item
// if id points inside it. GC ranges are returned whole.
func (d *Doc) cleanStart(id ID) *item {
	l := d.store.clients[id.Client]
	p, ok := l.find(id.Clock)
	if !ok {
		return nil
	}
	it := l.at(p)
	if it.id.Clock < id.Clock && !it.isGC() {
		right, _ := d.split(p, it, id.Clock-it.id.Clock)
		return right
	}
	return it
}

// cleanEnd returns the struct ending exactly at id, splitting if needed.
func (d *Doc) cleanEnd(id ID) *item {
	l := d.store.clients[id.Client]
	p, ok := l.find(id.Clock)
	if !ok {
		return nil
	}
	it := l.at(p)
	if id.Clock != it.end()-1 && !it.isGC() {
		d.split(p, it, id.Clock-it.id.Clock+1)
	}
	return it
}
