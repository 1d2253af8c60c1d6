package ydoc

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"unicode/utf16"
)

// model is the expected text as UTF-16 units.
type model []uint16

func (m *model) insert(i int, s string) {
	*m = append((*m)[:i], append(utf16.Encode([]rune(s)), (*m)[i:]...)...)
}
func (m *model) delete(i, n int) { *m = append((*m)[:i], (*m)[i+n:]...) }
func (m model) String() string   { return string(utf16.Decode(m)) }

// safeIndex moves i off the second half of a surrogate pair.
func (m model) safeIndex(i int) int {
	if i > 0 && i < len(m) && utf16.IsSurrogate(rune(m[i])) && m[i] >= 0xdc00 {
		return i - 1
	}
	return i
}

func TestLocalEditsMatchModel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	words := []string{"a", "bc", "😀", "é", "日本", " ", "\n", "x😀y"}
	d := NewDoc(5)
	peer := NewDoc(6)
	tx := d.Text("t")
	var m model
	var updates [][]byte
	for range 2000 {
		var u []byte
		var err error
		if r.IntN(3) > 0 || len(m) == 0 {
			i := m.safeIndex(r.IntN(len(m) + 1))
			w := words[r.IntN(len(words))]
			var attrs map[string]any
			if r.IntN(4) == 0 {
				attrs = map[string]any{"bold": true}
			}
			u, err = tx.Insert(i, w, attrs)
			m.insert(i, w)
		} else {
			i := m.safeIndex(r.IntN(len(m)))
			n := m.safeIndex(min(len(m), i+1+r.IntN(5))) - i
			u, err = tx.Delete(i, n)
			m.delete(i, n)
		}
		if err != nil {
			t.Fatal(err)
		}
		if got, want := tx.String(), m.String(); got != want {
			t.Fatalf("text %q, want %q", got, want)
		}
		if tx.Len() != len(m) {
			t.Fatalf("Len %d, want %d", tx.Len(), len(m))
		}
		if u != nil {
			updates = append(updates, u)
			if err := peer.ApplyUpdate(u); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got, want := peer.Text("t").String(), m.String(); got != want {
		t.Fatalf("peer text %q, want %q", got, want)
	}
	if !reflect.DeepEqual(contentView(peer), contentView(d)) {
		t.Errorf("peer content differs from the editing doc")
	}

	requireNode(t)
	l := loadInYjs(t, updates...)
	if want := contentView(d); !reflect.DeepEqual(jsonAny(t, l.Content), want) || l.Pending {
		t.Fatalf("local updates loaded in yjs (pending %v)\n got %s", l.Pending, l.Content)
	}
}

// Two Go docs edit concurrently and exchange updates late and out of order.
func TestLocalConcurrentConverge(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	docs := []*Doc{NewDoc(10), NewDoc(11), NewDoc(12)}
	var all [][]byte
	seen := make([]map[int]bool, len(docs))
	for i := range seen {
		seen[i] = map[int]bool{}
	}
	for range 600 {
		i := r.IntN(len(docs))
		tx := docs[i].Text("t")
		var u []byte
		var err error
		switch n := tx.Len(); {
		case r.IntN(5) == 0:
			for k := range all {
				if !seen[i][k] && r.IntN(2) == 0 {
					seen[i][k] = true
					if err := docs[i].ApplyUpdate(all[k]); err != nil {
						t.Fatal(err)
					}
				}
			}
			continue
		case n == 0 || r.IntN(3) > 0:
			u, err = tx.Insert(r.IntN(n+1), strings.Repeat("ab", 1+r.IntN(2)), nil)
		default:
			k := r.IntN(n)
			u, err = tx.Delete(k, min(n-k, 1+r.IntN(3)))
		}
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, u)
		seen[i][len(all)-1] = true
	}
	for i, d := range docs {
		for k, u := range all {
			if !seen[i][k] {
				if err := d.ApplyUpdate(u); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	want := docs[0].Text("t").String()
	for i, d := range docs {
		if got := d.Text("t").String(); got != want {
			t.Errorf("doc %d: %q, want %q", i, got, want)
		}
		if d.HasPending() {
			t.Errorf("doc %d has pending structs", i)
		}
	}
	if len(want) == 0 {
		t.Errorf("empty text: the test edits nothing")
	}
}
