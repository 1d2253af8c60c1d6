package decide

import (
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Storage, in the bbolt bucket "decide" (the box stamps its "schema" key):
//
//	decide/assemblies/<assembly id>        JSON Assembly
//	decide/a/<assembly id>/                one bucket per assembly:
//	    members/<member id>                JSON Member
//	    …                                  the roll's and the votes' buckets,
//	                                       documented in store_roll.go and store_vote.go
//
// Keys are random ids (base64url) or big-endian sequences from
// NextSequence; values are JSON, copied out of their transaction. Every
// change is committed before it is acknowledged, applied in memory or told
// to anyone.

var (
	bucketDecide     = []byte("decide")
	bucketAssemblies = []byte("assemblies")
	bucketA          = []byte("a")
	bucketMembers    = []byte("members")
)

var (
	errNotFound = errors.New("not found")
	errConflict = errors.New("conflict")
)

type store struct {
	db *bolt.DB
}

func newStore(db *bolt.DB) (*store, error) {
	err := db.Update(func(tx *bolt.Tx) error {
		root, err := tx.CreateBucketIfNotExists(bucketDecide)
		if err != nil {
			return err
		}
		for _, name := range [][]byte{bucketAssemblies, bucketA} {
			if _, err := root.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("decide bucket: %w", err)
	}
	return &store{db: db}, nil
}

// assemblyBucket is decide/a/<id>, created with its members bucket when
// create is set; nil when the assembly does not exist.
func assemblyBucket(tx *bolt.Tx, id string, create bool) (*bolt.Bucket, error) {
	a := tx.Bucket(bucketDecide).Bucket(bucketA)
	if !create {
		return a.Bucket([]byte(id)), nil
	}
	b, err := a.CreateBucketIfNotExists([]byte(id))
	if err != nil {
		return nil, err
	}
	if _, err := b.CreateBucketIfNotExists(bucketMembers); err != nil {
		return nil, err
	}
	return b, nil
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

func (st *store) assembly(id string) (Assembly, error) {
	var a Assembly
	err := st.db.View(func(tx *bolt.Tx) error {
		return getJSON(tx.Bucket(bucketDecide).Bucket(bucketAssemblies), []byte(id), &a)
	})
	return a, err
}

func (st *store) assemblies() ([]Assembly, error) {
	var out []Assembly
	err := st.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketDecide).Bucket(bucketAssemblies).ForEach(func(k, v []byte) error {
			var a Assembly
			if err := json.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("assembly %s: %w", k, err)
			}
			out = append(out, a)
			return nil
		})
	})
	return out, err
}

func (st *store) members(assemblyID string) ([]Member, error) {
	var out []Member
	err := st.db.View(func(tx *bolt.Tx) error {
		a, _ := assemblyBucket(tx, assemblyID, false)
		if a == nil {
			return errNotFound
		}
		return a.Bucket(bucketMembers).ForEach(func(k, v []byte) error {
			var m Member
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("member %s: %w", k, err)
			}
			out = append(out, m)
			return nil
		})
	})
	return out, err
}
