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

func TestAdds(t *testing.T) {
	server, reader := NewDoc(1), NewDoc(2)
	u1, _ := server.Text("text").Insert(0, "Charte des communs", nil)
	u2, _ := server.Text("text").Delete(0, 7)
	for _, u := range [][]byte{u1, u2} {
		if err := reader.ApplyUpdate(u); err != nil {
			t.Fatal(err)
		}
	}
	// The reader's answer to the server's state vector: nothing new, but the
	// whole delete set.
	answer, err := reader.DiffUpdate(EncodeStateVector(server.StateVector()))
	if err != nil {
		t.Fatal(err)
	}
	if adds, err := server.Adds(answer); err != nil || adds {
		t.Errorf("Adds(sync answer with only known deletions) = %v, %v; want false", adds, err)
	}
	edit, _ := reader.Text("text").Insert(0, "x", nil)
	if adds, _ := server.Adds(edit); !adds {
		t.Error("Adds(an insertion) = false")
	}
	del, _ := reader.Text("text").Delete(0, 2)
	if adds, _ := server.Adds(del); !adds {
		t.Error("Adds(a deletion of text the server still has) = false")
	}
	if _, err := server.Adds([]byte{9, 9}); err == nil {
		t.Error("Adds accepted a malformed update")
	}
}
