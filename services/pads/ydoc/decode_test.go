package ydoc

import (
	"errors"
	"testing"
)

// A small update made by yjs 13.6: doc.getText('t').insert(0, 'hi😀') by
// client 1, then delete(0, 1).
func sampleUpdate() []byte {
	e := &encoder{}
	e.uvarint(1) // one client
	e.uvarint(1) // one struct
	e.uvarint(1) // client 1
	e.uvarint(0) // from clock 0
	e.byte1(refString)
	e.uvarint(1) // parent by name
	e.str("t")
	e.str("hi😀")
	e.uvarint(1) // delete set: one client
	e.uvarint(1)
	e.uvarint(1)
	e.uvarint(0)
	e.uvarint(1)
	return e.buf
}

func TestApplySample(t *testing.T) {
	d := NewDoc(9)
	if err := d.ApplyUpdate(sampleUpdate()); err != nil {
		t.Fatal(err)
	}
	if got, want := d.Text("t").String(), "i😀"; got != want {
		t.Errorf("text = %q, want %q", got, want)
	}
	if got, want := d.Text("t").Len(), 3; got != want {
		t.Errorf("len = %d, want %d (UTF-16 units)", got, want)
	}
	if got := d.StateVector()[1]; got != 4 {
		t.Errorf("state of client 1 = %d, want 4", got)
	}
}

func TestDecodeErrorsLeaveDocUnchanged(t *testing.T) {
	u := sampleUpdate()
	for n := range len(u) {
		d := NewDoc(9)
		err := d.ApplyUpdate(u[:n])
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("truncated to %d bytes: err = %v, want ErrMalformed", n, err)
		}
		if len(d.StateVector()) != 0 || d.HasPending() {
			t.Errorf("truncated to %d bytes: document changed", n)
		}
	}
}

func TestHostileUpdates(t *testing.T) {
	huge := func(ref byte) []byte {
		e := &encoder{}
		e.uvarint(1)
		e.uvarint(2)
		e.uvarint(5)
		e.uvarint(0)
		e.byte1(ref)
		e.uvarint(1 << 51) // a GC or skip range of 2^52 clocks costs nothing
		e.byte1(refGC)
		e.uvarint(1 << 51)
		e.uvarint(0)
		return e.buf
	}
	d := NewDoc(1)
	if err := d.ApplyUpdate(huge(refGC)); err != nil {
		t.Fatalf("huge GC: %v", err)
	}
	if d.StateVector()[5] != 1<<52 {
		t.Errorf("state = %d", d.StateVector()[5])
	}
	if err := NewDoc(1).ApplyUpdate(huge(refSkip)); err != nil {
		t.Fatalf("huge skip: %v", err)
	}
	for name, b := range map[string][]byte{
		"struct count beyond input": {1, 0xff, 0xff, 0x7f, 1, 0},
		"clock overflow":            {1, 1, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f, 0, 5, 0},
		"unknown kind":              {1, 1, 1, 0, 11, 1, 0},
		"empty string item":         {1, 1, 1, 0, 4, 1, 1, 't', 0, 0},
		"bad type ref":              {1, 1, 1, 0, 7, 1, 1, 't', 9, 0},
		"invalid JSON embed":        {1, 1, 1, 0, 5, 1, 1, 't', 1, '{', 0},
	} {
		if err := NewDoc(1).ApplyUpdate(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
	}
}

// FuzzDecodeUpdate feeds arbitrary bytes to a document that already holds
// some content: decoding and applying must not panic or hang, and whatever
// was accepted must encode and load again.
func FuzzDecodeUpdate(f *testing.F) {
	f.Add(sampleUpdate())
	f.Add([]byte{0, 0})
	f.Add([]byte{1, 2, 7, 0, 0x84, 7, 0, 1, 'x', 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		d := NewDoc(3)
		if err := d.ApplyUpdate(sampleUpdate()); err != nil {
			t.Fatal(err)
		}
		if err := d.ApplyUpdate(b); err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		_ = d.Text("t").String()
		state := d.EncodeStateAsUpdate(nil)
		d2 := NewDoc(4)
		if err := d2.ApplyUpdate(state); err != nil {
			t.Fatalf("own state does not load: %v", err)
		}
		if got, want := d2.Text("t").String(), d.Text("t").String(); got != want {
			t.Fatalf("text after reload %q, want %q", got, want)
		}
	})
}

// FuzzDiffUpdate feeds the state vector of a sync step 1, as any client may
// send it, to the diff the server answers with: an error or an update that
// loads, never a panic.
func FuzzDiffUpdate(f *testing.F) {
	d := NewDoc(3)
	if err := d.ApplyUpdate(sampleUpdate()); err != nil {
		f.Fatal(err)
	}
	f.Add(EncodeStateVector(d.StateVector()))
	f.Add([]byte{0})
	f.Add([]byte{1, 7, 200, 1})
	f.Fuzz(func(t *testing.T, sv []byte) {
		diff, err := d.DiffUpdate(sv)
		if err != nil {
			return
		}
		if err := NewDoc(5).ApplyUpdate(diff); err != nil {
			t.Fatalf("the diff for %x does not load: %v", sv, err)
		}
	})
}
