package ydoc

// structStore keeps, per client, every integrated struct sorted by clock and
// covering clocks 0 to the client's state without gaps.
type structStore struct {
	clients map[uint64][]*item
}

func (s *structStore) state(client uint64) uint64 {
	l := s.clients[client]
	if len(l) == 0 {
		return 0
	}
	return l[len(l)-1].end()
}

// find returns the index of the struct holding clock, or -1.
func findIndex(l []*item, clock uint64) int {
	lo, hi := 0, len(l)-1
	if hi < 0 || clock >= l[hi].end() {
		return -1
	}
	// Guess by proportion first: clocks are mostly dense.
	if last := l[hi].end(); last > 0 {
		mid := min(int(float64(clock)/float64(last)*float64(hi)), hi)
		if it := l[mid]; it.id.Clock <= clock {
			if clock < it.end() {
				return mid
			}
			lo = mid + 1
		} else {
			hi = mid - 1
		}
	}
	for lo <= hi {
		mid := (lo + hi) / 2
		it := l[mid]
		if it.id.Clock <= clock {
			if clock < it.end() {
				return mid
			}
			lo = mid + 1
		} else {
			hi = mid - 1
		}
	}
	return -1
}

func (s *structStore) get(id ID) *item {
	l := s.clients[id.Client]
	if i := findIndex(l, id.Clock); i >= 0 {
		return l[i]
	}
	return nil
}

func (s *structStore) add(it *item) bool {
	l := s.clients[it.id.Client]
	if n := len(l); (n == 0 && it.id.Clock != 0) || (n > 0 && l[n-1].end() != it.id.Clock) {
		return false
	}
	s.clients[it.id.Client] = append(l, it)
	return true
}

// insertAfter puts it right after index i in its client's list.
func (s *structStore) insertAfter(client uint64, i int, it *item) {
	l := s.clients[client]
	l = append(l, nil)
	copy(l[i+2:], l[i+1:])
	l[i+1] = it
	s.clients[client] = l
}

// split cuts the item at index i of its client's list so that a new item
// starts off clock units in, and returns that right part.
func (d *Doc) split(i int, left *item, off uint64) *item {
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
	if left.isGC() {
		right.origin, right.rightOrigin = noID, noID
	}
	left.length = off
	if !left.isGC() {
		left.right = right
		if right.right != nil {
			right.right.left = right
		}
		if right.hasSub() && right.right == nil && right.parent != nil {
			right.parent.entries[right.parentSub] = right
		}
	}
	d.store.insertAfter(left.id.Client, i, right)
	d.tx.merge = append(d.tx.merge, right)
	return right
}

// cleanStart returns the struct starting exactly at id, splitting an item
// if id points inside it. GC ranges are returned whole.
func (d *Doc) cleanStart(id ID) *item {
	l := d.store.clients[id.Client]
	i := findIndex(l, id.Clock)
	if i < 0 {
		return nil
	}
	it := l[i]
	if it.id.Clock < id.Clock && !it.isGC() {
		return d.split(i, it, id.Clock-it.id.Clock)
	}
	return it
}

// cleanEnd returns the struct ending exactly at id, splitting if needed.
func (d *Doc) cleanEnd(id ID) *item {
	l := d.store.clients[id.Client]
	i := findIndex(l, id.Clock)
	if i < 0 {
		return nil
	}
	it := l[i]
	if id.Clock != it.end()-1 && !it.isGC() {
		d.split(i, it, id.Clock-it.id.Clock+1)
	}
	return it
}
