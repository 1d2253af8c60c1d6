package ydoc

import "testing"

// TestUpdateSince merges a batch of updates from several clients, with
// inserts and deletions, into one update that brings a document that had
// none of them to the same text.
func TestUpdateSince(t *testing.T) {
	a, b := NewDoc(1), NewDoc(2)
	base, _ := a.Text("text").Insert(0, "Ordre du jour", nil)
	if err := b.ApplyUpdate(base); err != nil {
		t.Fatal(err)
	}
	server, late := NewDoc(9), NewDoc(10)
	for _, d := range []*Doc{server, late} {
		if err := d.ApplyUpdate(base); err != nil {
			t.Fatal(err)
		}
	}
	sv := server.StateVector()
	u1, _ := a.Text("text").Insert(0, "AG : ", nil)
	u2, _ := b.Text("text").Delete(0, 6) // "Ordre "
	u3, _ := b.Text("text").Insert(b.Text("text").Len(), " (vote)", nil)
	batch := [][]byte{u1, u2, u3}
	for _, u := range batch {
		if err := server.ApplyUpdate(u); err != nil {
			t.Fatal(err)
		}
	}
	merged, err := server.UpdateSince(sv, batch)
	if err != nil {
		t.Fatal(err)
	}
	if err := late.ApplyUpdate(merged); err != nil {
		t.Fatal(err)
	}
	if got, want := late.Text("text").String(), server.Text("text").String(); got != want {
		t.Errorf("after the merged update: %q, want %q", got, want)
	}
	if late.HasPending() {
		t.Error("the merged update left something pending")
	}
	if _, err := server.UpdateSince(sv, [][]byte{{1, 2, 3}}); err == nil {
		t.Error("a malformed update in the batch was accepted")
	}
}
