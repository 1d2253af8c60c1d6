package ydoc

import "testing"

// TestOutOfOrderDelivery delivers a deletion before the insertion it
// deletes, and an insertion before the one it follows: both wait, then
// apply when their dependencies arrive.
func TestOutOfOrderDelivery(t *testing.T) {
	author := NewDoc(1)
	text := author.Text("t")
	u1, _ := text.Insert(0, "hello", nil)
	u2, _ := text.Insert(5, " world", nil)
	u3, _ := text.Delete(0, 1)
	other := NewDoc(2)
	u4, _ := other.Text("t").Insert(0, "¡", nil) // concurrent, other client

	d := NewDoc(3)
	for _, step := range []struct {
		update  []byte
		want    string
		pending bool
	}{
		{u3, "", true},  // deletes clock 0: not there yet
		{u2, "", true},  // follows clock 4: not there yet
		{u4, "¡", true}, // independent: applies at once
		{u2, "¡", true}, // duplicate: nothing new
		// Everything resolves; concurrent insertions at the same place are
		// ordered by client ID, lowest first (yjs gives "hello¡" too).
		{u1, "ello world¡", false},
		{u1, "ello world¡", false}, // duplicate of the past
	} {
		if err := d.ApplyUpdate(step.update); err != nil {
			t.Fatal(err)
		}
		if got := d.Text("t").String(); got != step.want {
			t.Fatalf("text %q, want %q", got, step.want)
		}
		if got := d.HasPending(); got != step.pending {
			t.Fatalf("after text %q: HasPending = %v, want %v", step.want, got, step.pending)
		}
	}
	if sv := d.StateVector(); sv[1] != 11 || sv[2] != 1 {
		t.Errorf("state vector %v", sv)
	}
	state := d.EncodeStateAsUpdate(nil)
	if err := d.ApplyUpdate(state); err != nil || d.Text("t").String() != "ello world¡" {
		t.Errorf("applying the document's own state changed it: %v", err)
	}
}

// TestSkipStruct: an update may leave clocks out with a Skip struct (yjs's
// merged and diffed updates do); what follows waits for them.
func TestSkipStruct(t *testing.T) {
	author := NewDoc(1)
	u1, _ := author.Text("t").Insert(0, "abc", nil)
	u2, _ := author.Text("t").Insert(3, "def", nil)
	dec, err := decodeUpdate(u2)
	if err != nil {
		t.Fatal(err)
	}
	// Rewrite u2 as "skip clocks 0-2, then the item at 3".
	e := &encoder{}
	e.uvarint(1)
	e.uvarint(2)
	e.uvarint(1)
	e.uvarint(0)
	e.byte1(refSkip)
	e.uvarint(3)
	encodeItem(e, dec.clients[0].structs[0], 0)
	e.uvarint(0)

	d := NewDoc(2)
	if err := d.ApplyUpdate(e.buf); err != nil {
		t.Fatal(err)
	}
	if got := d.Text("t").String(); got != "" || !d.HasPending() {
		t.Fatalf("after the skip: text %q, pending %v", got, d.HasPending())
	}
	if err := d.ApplyUpdate(u1); err != nil {
		t.Fatal(err)
	}
	if got := d.Text("t").String(); got != "abcdef" || d.HasPending() {
		t.Fatalf("text %q, pending %v; want abcdef and nothing pending", got, d.HasPending())
	}
}
