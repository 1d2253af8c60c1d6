package pads

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func testStore(t testing.TB) *store {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "t.db"), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := newStore(db)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStoreLogAndCompaction(t *testing.T) {
	s := testStore(t)
	if err := s.create(padMeta{ID: "p1", ReadID: "r1", Title: "AG"}, []byte("u1")); err != nil {
		t.Fatal(err)
	}
	last, err := s.appendUpdates("p1", [][]byte{[]byte("u2"), []byte("u3")})
	if err != nil || last != 3 {
		t.Fatalf("append: last %d, %v", last, err)
	}
	snap, ups, last, err := s.load("p1")
	if err != nil || snap != nil || last != 3 || !bytes.Equal(bytes.Join(ups, nil), []byte("u1u2u3")) {
		t.Fatalf("load: %q %q %d %v", snap, ups, last, err)
	}
	if err := s.compact("p1", []byte("S12"), 2); err != nil {
		t.Fatal(err)
	}
	snap, ups, last, _ = s.load("p1")
	if string(snap) != "S12" || len(ups) != 1 || string(ups[0]) != "u3" || last != 3 {
		t.Fatalf("after compaction: %q %q %d", snap, ups, last)
	}
	// An older compaction arriving late changes nothing.
	if err := s.compact("p1", []byte("S1"), 1); err != nil {
		t.Fatal(err)
	}
	if snap, _, _, _ = s.load("p1"); string(snap) != "S12" {
		t.Errorf("a late, older compaction replaced the snapshot: %q", snap)
	}
	// New updates continue the sequence after compaction.
	if last, _ := s.appendUpdates("p1", [][]byte{[]byte("u4")}); last != 4 {
		t.Errorf("sequence after compaction: %d, want 4", last)
	}
	if id, err := s.byReadID("r1"); err != nil || id != "p1" {
		t.Errorf("byReadID: %q %v", id, err)
	}
	if _, _, _, err := s.load("nope"); err != errNoPad {
		t.Errorf("load of a missing pad: %v", err)
	}
	m, err := s.updateMeta("p1", func(m *padMeta) error { m.Title = "AG 2026"; return nil })
	if err != nil || m.Title != "AG 2026" {
		t.Errorf("updateMeta: %+v %v", m, err)
	}
}
