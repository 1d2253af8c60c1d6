package ydoc

import (
	"math/rand/v2"
	"testing"
)

// TestStructListMatchesSlice checks the blocked list against a plain slice
// through many inserts and removals, so that blocks split and vanish.
func TestStructListMatchesSlice(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	l := &structList{}
	var model []*item
	// Clocks spaced widely so that an insertion can take the midpoint of
	// its neighbours and the list stays sorted.
	for k := range 50 {
		it := &item{id: ID{1, uint64(k+1) << 40}, length: 1}
		l.push(it)
		model = append(model, it)
	}
	index := func(p pos) int {
		n := p.i
		for _, b := range l.blocks[:p.b] {
			n += len(b)
		}
		return n
	}
	for step := range 20000 {
		i := r.IntN(len(model))
		p, ok := l.find(model[i].id.Clock)
		if !ok || l.at(p) != model[i] || index(p) != i {
			t.Fatalf("step %d: find(%d) = %v %v, want index %d", step, model[i].id.Clock, p, ok, i)
		}
		if r.IntN(3) > 0 || len(model) < 10 {
			hi := model[i].id.Clock + 1<<41
			if i+1 < len(model) {
				hi = model[i+1].id.Clock
			}
			mid := model[i].id.Clock + (hi-model[i].id.Clock)/2
			if mid == model[i].id.Clock {
				continue
			}
			it := &item{id: ID{1, mid}, length: 1}
			q := l.insertAfter(p, it)
			model = append(model[:i+1], append([]*item{it}, model[i+1:]...)...)
			if l.at(q) != it || index(q) != i+1 {
				t.Fatalf("step %d: insertAfter returned %v", step, q)
			}
		} else {
			l.remove(p)
			model = append(model[:i], model[i+1:]...)
		}
		if c := l.countFrom(pos{}); c != len(model) {
			t.Fatalf("step %d: %d structs, want %d", step, c, len(model))
		}
		for _, b := range l.blocks {
			if len(b) == 0 || len(b) > 2*maxBlock {
				t.Fatalf("step %d: block of %d", step, len(b))
			}
		}
	}
	k := 0
	for p, ok := (pos{}), true; ok; p, ok = l.next(p) {
		if l.at(p) != model[k] {
			t.Fatalf("order differs at %d", k)
		}
		k++
	}
	if len(l.blocks) < 3 {
		t.Errorf("only %d blocks: splitting was not exercised", len(l.blocks))
	}
}
