package pads

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Storage of the pads, in the bbolt bucket "pads":
//
//	pads/meta/<pad id>          JSON padMeta
//	pads/readonly/<read id>     pad id (the read-only link's own id)
//	pads/docs/<pad id>/log/<seq>  one Yjs update (v1) per key, seq big-endian from NextSequence
//	pads/docs/<pad id>/snapshot   the merged state of every log entry up to snapshot-seq
//	pads/docs/<pad id>/snapshot-seq
//
// An update is appended to the log, and committed, before it is applied to
// the pad in memory, broadcast or answered to anyone. Compaction writes the
// snapshot and deletes the log entries it covers in one transaction, so a
// crash leaves either the old log or the new snapshot: nothing lost, nothing
// counted twice (and Yjs updates are idempotent anyway).

var (
	bucketPads     = []byte("pads")
	bucketMeta     = []byte("meta")
	bucketReadOnly = []byte("readonly")
	bucketDocs     = []byte("docs")
	bucketLog      = []byte("log")
	keySnapshot    = []byte("snapshot")
	keySnapshotSeq = []byte("snapshot-seq")
)

var errNoPad = errors.New("no such pad")

// padMeta is what the pad list shows and what rights depend on.
type padMeta struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Template  string    `json:"template,omitempty"`
	ReadID    string    `json:"readId"`
	CreatedBy string    `json:"createdBy"`
	Created   time.Time `json:"created"`
	Updated   time.Time `json:"updated"`
	Trashed   bool      `json:"trashed,omitempty"`
	Locked    bool      `json:"locked,omitempty"`
}

type store struct {
	db *bolt.DB
}

func newStore(db *bolt.DB) (*store, error) {
	err := db.Update(func(tx *bolt.Tx) error {
		pads, err := tx.CreateBucketIfNotExists(bucketPads)
		if err != nil {
			return err
		}
		for _, name := range [][]byte{bucketMeta, bucketReadOnly, bucketDocs} {
			if _, err := pads.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("pads bucket: %w", err)
	}
	return &store{db: db}, nil
}

func padsBucket(tx *bolt.Tx, name []byte) *bolt.Bucket { return tx.Bucket(bucketPads).Bucket(name) }

func docBucket(tx *bolt.Tx, id string) *bolt.Bucket {
	return padsBucket(tx, bucketDocs).Bucket([]byte(id))
}

func seqKey(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

// create stores a new pad with its first update (the template), if any.
func (s *store) create(m padMeta, initial []byte) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		meta := padsBucket(tx, bucketMeta)
		if meta.Get([]byte(m.ID)) != nil {
			return fmt.Errorf("pad %s exists", m.ID)
		}
		if err := putJSON(meta, []byte(m.ID), m); err != nil {
			return err
		}
		if err := padsBucket(tx, bucketReadOnly).Put([]byte(m.ReadID), []byte(m.ID)); err != nil {
			return err
		}
		doc, err := padsBucket(tx, bucketDocs).CreateBucket([]byte(m.ID))
		if err != nil {
			return err
		}
		log, err := doc.CreateBucket(bucketLog)
		if err != nil {
			return err
		}
		if len(initial) > 0 {
			n, _ := log.NextSequence()
			return log.Put(seqKey(n), initial)
		}
		return nil
	})
}

// meta returns a pad's metadata.
func (s *store) meta(id string) (padMeta, error) {
	var m padMeta
	err := s.db.View(func(tx *bolt.Tx) error {
		raw := padsBucket(tx, bucketMeta).Get([]byte(id))
		if raw == nil {
			return errNoPad
		}
		return json.Unmarshal(raw, &m)
	})
	return m, err
}

// byReadID returns the pad a read-only link names.
func (s *store) byReadID(readID string) (string, error) {
	var id string
	err := s.db.View(func(tx *bolt.Tx) error {
		v := padsBucket(tx, bucketReadOnly).Get([]byte(readID))
		if v == nil {
			return errNoPad
		}
		id = string(v)
		return nil
	})
	return id, err
}

// updateMeta changes a pad's metadata with f inside one transaction.
func (s *store) updateMeta(id string, f func(*padMeta) error) (padMeta, error) {
	var m padMeta
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := padsBucket(tx, bucketMeta)
		raw := b.Get([]byte(id))
		if raw == nil {
			return errNoPad
		}
		if err := json.Unmarshal(raw, &m); err != nil {
			return err
		}
		if err := f(&m); err != nil {
			return err
		}
		return putJSON(b, []byte(id), m)
	})
	return m, err
}

// list returns every pad's metadata.
func (s *store) list() ([]padMeta, error) {
	var out []padMeta
	err := s.db.View(func(tx *bolt.Tx) error {
		return padsBucket(tx, bucketMeta).ForEach(func(k, v []byte) error {
			var m padMeta
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("pad %s: %w", k, err)
			}
			out = append(out, m)
			return nil
		})
	})
	return out, err
}

// appendUpdates commits updates to a pad's log in one transaction and
// returns the sequence number of the last one.
func (s *store) appendUpdates(id string, updates [][]byte) (uint64, error) {
	var last uint64
	err := s.db.Update(func(tx *bolt.Tx) error {
		doc := docBucket(tx, id)
		if doc == nil {
			return errNoPad
		}
		log := doc.Bucket(bucketLog)
		for _, u := range updates {
			n, err := log.NextSequence()
			if err != nil {
				return err
			}
			if err := log.Put(seqKey(n), u); err != nil {
				return err
			}
			last = n
		}
		return nil
	})
	return last, err
}

// load returns a pad's snapshot and the log entries after it, copied out of
// the transaction, and the sequence number of the last entry.
func (s *store) load(id string) (snapshot []byte, updates [][]byte, last uint64, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		doc := docBucket(tx, id)
		if doc == nil {
			return errNoPad
		}
		if v := doc.Get(keySnapshot); v != nil {
			snapshot = append([]byte(nil), v...)
		}
		var from uint64
		if v := doc.Get(keySnapshotSeq); len(v) == 8 {
			from = binary.BigEndian.Uint64(v)
			last = from
		}
		c := doc.Bucket(bucketLog).Cursor()
		for k, v := c.Seek(seqKey(from + 1)); k != nil; k, v = c.Next() {
			updates = append(updates, append([]byte(nil), v...))
			last = binary.BigEndian.Uint64(k)
		}
		return nil
	})
	return snapshot, updates, last, err
}

// compact replaces the log entries up to upto by state, the merged state of
// the snapshot and those entries, in one transaction.
func (s *store) compact(id string, state []byte, upto uint64) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		doc := docBucket(tx, id)
		if doc == nil {
			return errNoPad
		}
		if v := doc.Get(keySnapshotSeq); len(v) == 8 && binary.BigEndian.Uint64(v) >= upto {
			return nil // an equal or newer snapshot is there
		}
		if err := doc.Put(keySnapshot, state); err != nil {
			return err
		}
		if err := doc.Put(keySnapshotSeq, seqKey(upto)); err != nil {
			return err
		}
		log := doc.Bucket(bucketLog)
		c := log.Cursor()
		for k, _ := c.First(); k != nil && binary.BigEndian.Uint64(k) <= upto; k, _ = c.First() {
			if err := log.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, raw)
}

// Versions of a pad: pads/docs/<id>/versions/<seq> → JSON versionMeta,
// pads/docs/<id>/version-states/<seq> → the Yjs state at that moment.
var (
	bucketVersions      = []byte("versions")
	bucketVersionStates = []byte("version-states")
)

// versionMeta describes a saved version of a pad.
type versionMeta struct {
	Seq     uint64    `json:"seq"`
	Name    string    `json:"name,omitempty"` // empty for an automatic version
	By      string    `json:"by,omitempty"`
	Created time.Time `json:"created"`
	Size    int       `json:"size"` // bytes of the state
}

// addVersion stores a version of pad id and returns it with its number.
func (s *store) addVersion(id string, v versionMeta, state []byte) (versionMeta, error) {
	err := s.db.Update(func(tx *bolt.Tx) error {
		doc := docBucket(tx, id)
		if doc == nil {
			return errNoPad
		}
		metas, err := doc.CreateBucketIfNotExists(bucketVersions)
		if err != nil {
			return err
		}
		states, err := doc.CreateBucketIfNotExists(bucketVersionStates)
		if err != nil {
			return err
		}
		if v.Seq, err = metas.NextSequence(); err != nil {
			return err
		}
		v.Size = len(state)
		if err := putJSON(metas, seqKey(v.Seq), v); err != nil {
			return err
		}
		return states.Put(seqKey(v.Seq), state)
	})
	return v, err
}

// versions lists a pad's versions, newest first.
func (s *store) versions(id string) ([]versionMeta, error) {
	var out []versionMeta
	err := s.db.View(func(tx *bolt.Tx) error {
		doc := docBucket(tx, id)
		if doc == nil {
			return errNoPad
		}
		metas := doc.Bucket(bucketVersions)
		if metas == nil {
			return nil
		}
		c := metas.Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			var m versionMeta
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("pad %s version %x: %w", id, k, err)
			}
			out = append(out, m)
		}
		return nil
	})
	return out, err
}

// version returns one version and its state.
func (s *store) version(id string, seq uint64) (versionMeta, []byte, error) {
	var m versionMeta
	var state []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		doc := docBucket(tx, id)
		if doc == nil {
			return errNoPad
		}
		metas, states := doc.Bucket(bucketVersions), doc.Bucket(bucketVersionStates)
		if metas == nil || states == nil {
			return errNoVersion
		}
		raw := metas.Get(seqKey(seq))
		if raw == nil {
			return errNoVersion
		}
		if err := json.Unmarshal(raw, &m); err != nil {
			return err
		}
		state = append([]byte(nil), states.Get(seqKey(seq))...)
		return nil
	})
	return m, state, err
}

var errNoVersion = errors.New("no such version")
