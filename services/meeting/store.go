package meeting

import (
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Storage, in the bbolt bucket "meeting" (the box stamps its "schema" key):
//
//	meeting/meetings/<meeting id>    JSON Meeting
//	meeting/m/<meeting id>/          one bucket per meeting, with the core's
//	                                 and the room's buckets (documented in
//	                                 store_core.go and store_room.go)
//
// Keys are random ids or big-endian sequences from NextSequence; values
// are JSON, copied out of their transaction. Every change is committed
// before it is acknowledged, applied in memory or told to anyone.

var (
	bucketMeeting  = []byte("meeting")
	bucketMeetings = []byte("meetings")
	bucketM        = []byte("m")
)

var errNotFound = errors.New("not found")

type store struct {
	db *bolt.DB
}

func newStore(db *bolt.DB) (*store, error) {
	err := db.Update(func(tx *bolt.Tx) error {
		root, err := tx.CreateBucketIfNotExists(bucketMeeting)
		if err != nil {
			return err
		}
		for _, name := range [][]byte{bucketMeetings, bucketM} {
			if _, err := root.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("meeting bucket: %w", err)
	}
	return &store{db: db}, nil
}

// meetingBucket is meeting/m/<id>, created when create is set; nil when the
// meeting has none yet.
func meetingBucket(tx *bolt.Tx, id string, create bool) (*bolt.Bucket, error) {
	m := tx.Bucket(bucketMeeting).Bucket(bucketM)
	if !create {
		return m.Bucket([]byte(id)), nil
	}
	return m.CreateBucketIfNotExists([]byte(id))
}

// getJSON decodes the value of key in b into v; errNotFound when absent.
func getJSON(b *bolt.Bucket, key []byte, v any) error {
	if b == nil {
		return errNotFound
	}
	raw := b.Get(key)
	if raw == nil {
		return errNotFound
	}
	return json.Unmarshal(raw, v)
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, raw)
}

func (st *store) meeting(id string) (Meeting, error) {
	var m Meeting
	err := st.db.View(func(tx *bolt.Tx) error {
		return getJSON(tx.Bucket(bucketMeeting).Bucket(bucketMeetings), []byte(id), &m)
	})
	return m, err
}

func (st *store) meetings() ([]Meeting, error) {
	var out []Meeting
	err := st.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeeting).Bucket(bucketMeetings).ForEach(func(k, v []byte) error {
			var m Meeting
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("meeting %s: %w", k, err)
			}
			out = append(out, m)
			return nil
		})
	})
	return out, err
}
