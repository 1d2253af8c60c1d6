package ydoc

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"
)

// chain returns the update that writes elements nested n deep into the
// fragment "default" of a fresh document (in one transaction), each level
// holding a paragraph first, so that the element that nests goes in
// through its origin (its left neighbour) rather than its parent's ID.
func chain(t testing.TB, n int) (*Doc, []byte) {
	t.Helper()
	d := NewDoc(7)
	u, err := d.Transact(func() error {
		el, _, err := d.XMLFragment("default").InsertElement(0, "bulletList")
		for i := 1; i < n && err == nil; i++ {
			if _, _, err = el.InsertElement(0, "paragraph"); err == nil {
				el, _, err = el.InsertElement(1, "bulletList")
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return d, u
}

func depthOf(f *XMLFragment) int {
	depth := 0
	for kids := f.Children(); len(kids) > 0; {
		depth++
		el, ok := kids[len(kids)-1].(*XMLElement)
		if !ok {
			break
		}
		kids = el.Children()
	}
	return depth
}

// TestDepthLimit: an update that would nest types deeper than the limit is
// refused whole and changes nothing; up to the limit it is accepted.
func TestDepthLimit(t *testing.T) {
	const limit = 32
	for _, n := range []int{limit, limit + 1, 2000} {
		_, u := chain(t, n)
		d := NewDoc(1)
		d.SetMaxDepth(limit)
		empty := d.EncodeStateAsUpdate(nil)
		err := d.ApplyUpdate(u)
		switch {
		case n <= limit && err != nil:
			t.Errorf("%d levels: %v, want accepted", n, err)
		case n <= limit && depthOf(d.XMLFragment("default")) != n:
			t.Errorf("%d levels: the document holds %d", n, depthOf(d.XMLFragment("default")))
		case n > limit && !errors.Is(err, ErrTooDeep):
			t.Errorf("%d levels: %v, want ErrTooDeep", n, err)
		case n > limit && !bytes.Equal(d.EncodeStateAsUpdate(nil), empty):
			t.Errorf("%d levels: the refused update changed the document", n)
		}
	}
}

// TestDepthLimitAcrossUpdates: depth is a property of the integrated tree,
// so an update adding one level under the deepest element is refused,
// while a sibling of that element (whose parent is its origin's) is
// accepted.
func TestDepthLimitAcrossUpdates(t *testing.T) {
	const limit = 32
	_, u := chain(t, limit)
	d := NewDoc(1)
	d.SetMaxDepth(limit)
	if err := d.ApplyUpdate(u); err != nil {
		t.Fatal(err)
	}
	// nth returns the element at depth n of a chain.
	nth := func(src *Doc, n int) *XMLElement {
		el := src.XMLFragment("default").Children()[0].(*XMLElement)
		for range n - 1 {
			el = el.Children()[1].(*XMLElement)
		}
		return el
	}
	edit := func(fn func(src *Doc) error) []byte {
		src, _ := chain(t, limit)
		u, err := src.Transact(func() error { return fn(src) })
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	child := edit(func(src *Doc) error { _, _, err := nth(src, limit).InsertElement(0, "paragraph"); return err })
	text := edit(func(src *Doc) error { _, _, err := nth(src, limit).InsertText(0); return err })
	sibling := edit(func(src *Doc) error { _, _, err := nth(src, limit-1).InsertElement(2, "paragraph"); return err })
	nephew := edit(func(src *Doc) error {
		el, _, err := nth(src, limit-1).InsertElement(2, "paragraph")
		if err == nil {
			_, _, err = el.InsertText(0)
		}
		return err
	})
	before := d.EncodeStateAsUpdate(nil)
	for name, u := range map[string][]byte{"element": child, "text": text, "child of a new sibling": nephew} {
		if err := d.ApplyUpdate(u); !errors.Is(err, ErrTooDeep) {
			t.Errorf("%s under the deepest element: %v, want ErrTooDeep", name, err)
		}
		if !bytes.Equal(d.EncodeStateAsUpdate(nil), before) {
			t.Errorf("%s: the refused update changed the document", name)
		}
	}
	if err := d.ApplyUpdate(sibling); err != nil {
		t.Errorf("a sibling at the limit: %v", err)
	}
}

// TestDepthLimitOutOfOrder: a type that waited for its parent cannot be
// checked when it arrives; when the parent comes it integrates as a GC
// range, so the document never nests deeper than its limit.
func TestDepthLimitOutOfOrder(t *testing.T) {
	const limit = 8
	src, u := chain(t, limit)
	leaf := src.XMLFragment("default").Children()[0].(*XMLElement)
	for range limit - 1 {
		leaf = leaf.Children()[1].(*XMLElement)
	}
	_, child, err := leaf.InsertElement(0, "paragraph")
	if err != nil {
		t.Fatal(err)
	}
	d := NewDoc(1)
	d.SetMaxDepth(limit)
	if err := d.ApplyUpdate(child); err != nil {
		t.Fatalf("the early child: %v", err)
	}
	if !d.HasPending() {
		t.Fatal("the early child did not wait for its parent")
	}
	if err := d.ApplyUpdate(u); err != nil {
		t.Fatalf("the parent chain: %v", err)
	}
	if d.HasPending() {
		t.Error("the child still waits")
	}
	if got := depthOf(d.XMLFragment("default")); got != limit {
		t.Errorf("the document nests %d deep, want %d", got, limit)
	}
	// Local edits meet the same limit.
	el := d.XMLFragment("default").Children()[0].(*XMLElement)
	for range limit - 1 {
		el = el.Children()[1].(*XMLElement)
	}
	if _, _, err := el.InsertElement(0, "paragraph"); !errors.Is(err, ErrTooDeep) {
		t.Errorf("a local insert past the limit: %v, want ErrTooDeep", err)
	}
}

// TestDeltaOf: formats of keys the reader does not keep neither appear in
// the delta nor split its runs, so a text carrying thousands of them reads
// in proportion to itself.
func TestDeltaOf(t *testing.T) {
	d := NewDoc(3)
	txt := d.Text("t")
	for i := range 2000 {
		attrs := map[string]any{"k" + strconv.Itoa(i): true}
		if i >= 1000 {
			attrs["bold"] = true
		}
		if _, err := txt.Insert(i, "a", attrs); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(txt.Delta()); n != 2000 {
		t.Fatalf("the whole delta has %d ops, want one per character", n)
	}
	got := txt.DeltaOf(func(k string) bool { return k == "bold" })
	if len(got) != 2 || got[0].Attributes != nil || got[1].Attributes["bold"] != true ||
		got[0].Insert != strings.Repeat("a", 1000) || got[1].Insert != strings.Repeat("a", 1000) || len(got[1].Attributes) != 1 {
		t.Errorf("DeltaOf(bold) = %d ops %+v", len(got), got[:min(len(got), 3)])
	}
}

// FuzzDepthLimit feeds arbitrary updates to a document with a depth limit
// that already nests to its limit: a refused update changes nothing, and
// whatever is accepted leaves every type within the limit, its recorded
// depth that of its parents.
func FuzzDepthLimit(f *testing.F) {
	const limit = 6
	_, base := chain(f, limit)
	_, deeper := chain(f, limit+2)
	f.Add(deeper)
	f.Add(base)
	f.Add(sampleUpdate())
	f.Fuzz(func(t *testing.T, b []byte) {
		d := NewDoc(3)
		d.SetMaxDepth(limit)
		if err := d.ApplyUpdate(base); err != nil {
			t.Fatal(err)
		}
		before := d.EncodeStateAsUpdate(nil)
		err := d.ApplyUpdate(b)
		if errors.Is(err, ErrTooDeep) && !bytes.Equal(d.EncodeStateAsUpdate(nil), before) {
			t.Fatal("a refused update changed the document")
		}
		for _, l := range d.store.clients {
			for _, blk := range l.blocks {
				for _, it := range blk {
					if it.ref != refType || it.parent == nil {
						continue
					}
					typ := it.content.typ
					if typ.depth > limit || typ.depth != it.parent.depth+1 {
						t.Fatalf("a type at depth %d under one at %d (limit %d)", typ.depth, it.parent.depth, limit)
					}
				}
			}
		}
	})
}

// FuzzAdds feeds a read-only client's update, as any client may send it,
// to the check that tells a real edit from a sync answer: an error or an
// answer, never a panic, and an update that adds nothing changes nothing.
func FuzzAdds(f *testing.F) {
	f.Add(sampleUpdate())
	f.Add([]byte{0, 0})
	f.Add([]byte{0, 1, 1, 1, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		d := NewDoc(3)
		if err := d.ApplyUpdate(sampleUpdate()); err != nil {
			t.Fatal(err)
		}
		before := d.EncodeStateAsUpdate(nil)
		adds, err := d.Adds(b)
		if err != nil || adds {
			return
		}
		if err := d.ApplyUpdate(b); err != nil {
			t.Fatalf("Adds accepted what ApplyUpdate refuses: %v", err)
		}
		if !bytes.Equal(d.EncodeStateAsUpdate(nil), before) {
			t.Fatal("an update that adds nothing changed the document")
		}
	})
}
