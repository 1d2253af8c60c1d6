package ydoc

import (
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestLocalTreeEditsLoadInYjs builds and edits an XML tree, a map and an
// array from Go at random, then checks that a Go peer and yjs, given the
// updates, see the same content.
func TestLocalTreeEditsLoadInYjs(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	d := NewDoc(77)
	peer := NewDoc(78)
	var updates [][]byte
	frag, m, a := d.XMLFragment("x"), d.Map("m"), d.Array("a")
	names := []string{"paragraph", "heading", "bulletList"}
	values := []any{1, "s", true, nil, 2.5, []any{1, "x"}, map[string]any{"k": 3}, []byte{9, 8}}
	must := func(u []byte, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if u != nil {
			updates = append(updates, u)
			if err := peer.ApplyUpdate(u); err != nil {
				t.Fatal(err)
			}
		}
	}
	for range 400 {
		must(d.Transact(func() error {
			for range 1 + r.IntN(3) {
				kids := frag.Children()
				switch r.IntN(9) {
				case 0, 1:
					el, _, err := frag.InsertElement(r.IntN(len(kids)+1), names[r.IntN(len(names))])
					if err != nil {
						return err
					}
					tx, _, err := el.InsertText(0)
					if err != nil {
						return err
					}
					if _, err := tx.Insert(0, "hé😀", map[string]any{"bold": map[string]any{}}); err != nil {
						return err
					}
					if _, err := el.SetAttribute("level", r.IntN(3)); err != nil {
						return err
					}
				case 2:
					if len(kids) > 0 {
						if _, err := frag.Delete(r.IntN(len(kids)), 1); err != nil {
							return err
						}
					}
				case 3, 4:
					if len(kids) == 0 {
						continue
					}
					el := kids[r.IntN(len(kids))].(*XMLElement)
					tx := el.Children()[0].(*XMLText)
					if r.IntN(3) == 0 && tx.Len() > 0 {
						if _, err := tx.Delete(0, 1); err != nil {
							return err
						}
					} else if _, err := tx.Insert(tx.Len(), "ab", nil); err != nil {
						return err
					}
					if r.IntN(4) == 0 {
						if _, err := el.RemoveAttribute("level"); err != nil {
							return err
						}
					}
				case 5, 6:
					if _, err := m.Set([]string{"a", "b", "c"}[r.IntN(3)], values[r.IntN(len(values))]); err != nil {
						return err
					}
				case 7:
					if _, err := m.Delete([]string{"a", "b", "c"}[r.IntN(3)]); err != nil {
						return err
					}
				case 8:
					if a.Len() > 0 && r.IntN(3) == 0 {
						if _, err := a.Delete(r.IntN(a.Len()), 1); err != nil {
							return err
						}
					} else if _, err := a.Insert(r.IntN(a.Len()+1), values[r.IntN(len(values))], values[r.IntN(len(values))]); err != nil {
						return err
					}
				}
			}
			return nil
		}))
	}
	want := contentView(d)
	if got := contentView(peer); !reflect.DeepEqual(got, want) {
		t.Fatalf("Go peer differs")
	}
	if len(frag.Children()) == 0 || len(m.Keys()) == 0 || a.Len() == 0 {
		t.Fatalf("nothing built: %d children, %d keys, %d elements", len(frag.Children()), len(m.Keys()), a.Len())
	}
	requireNode(t)
	l := loadInYjs(t, updates...)
	if got := jsonAny(t, l.Content); !reflect.DeepEqual(got, want) || l.Pending {
		t.Fatalf("Go updates loaded in yjs (pending %v)\n got %s", l.Pending, l.Content)
	}
	l = loadInYjs(t, d.EncodeStateAsUpdate(nil))
	if got := jsonAny(t, l.Content); !reflect.DeepEqual(got, want) {
		t.Fatalf("Go state loaded in yjs differs")
	}
}

func TestSetRejectsUnstorableValues(t *testing.T) {
	d := NewDoc(1)
	if _, err := d.Map("m").Set("k", struct{}{}); err == nil {
		t.Errorf("Set accepted a struct")
	}
	if _, err := d.Array("a").Insert(0, []any{make(chan int)}); err == nil {
		t.Errorf("Insert accepted a channel")
	}
	if len(d.StateVector()) != 0 {
		t.Errorf("a refused edit changed the document")
	}
	if err := func() error {
		_, err := d.Transact(func() error { return d.ApplyUpdate(sampleUpdate()) })
		return err
	}(); err == nil {
		t.Errorf("ApplyUpdate inside Transact was accepted")
	}
}
