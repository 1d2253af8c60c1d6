package appliance

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/coopbox/coopbox/appliance/backup"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// dbFileName is the database's name inside the data folder.
const dbFileName = backup.DBName

// schemaVersion is the version of the "box" bucket's layout. A migration
// bumps it; openDB refuses a database written by a newer coopbox.
const schemaVersion = 1

// The appliance's bucket and its nested buckets.
var (
	bucketBox      = []byte("box")
	bucketSettings = []byte("settings") // box/settings: key → value
	bucketAccounts = []byte("accounts") // box/accounts: facilitator id → JSON account
	bucketSessions = []byte("sessions") // box/sessions: session id → JSON session
	bucketInvites  = []byte("invites")  // box/invites: token hash → JSON invite
	keySchema      = []byte("schema")
)

// errNewerSchema means the database was written by a newer coopbox.
var errNewerSchema = errors.New("database written by a newer coopbox")

// openDB opens the database file of dataDir, creating it and the appliance's
// buckets if needed. It waits at most timeout for the file lock: another
// coopbox running on the same folder makes it fail rather than hang.
func openDB(dataDir string, timeout time.Duration) (*bolt.DB, error) {
	path := filepath.Join(dataDir, dbFileName)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("open %s: another coopbox is using it", path)
		}
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := db.Update(initBoxBucket); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// initBoxBucket creates the appliance's buckets and checks the schema version.
func initBoxBucket(tx *bolt.Tx) error {
	box, err := tx.CreateBucketIfNotExists(bucketBox)
	if err != nil {
		return err
	}
	for _, name := range [][]byte{bucketSettings, bucketAccounts, bucketSessions, bucketInvites} {
		if _, err := box.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	settings := box.Bucket(bucketSettings)
	v := settings.Get(keySchema)
	if v == nil {
		return settings.Put(keySchema, []byte(fmt.Sprint(schemaVersion)))
	}
	var n int
	if _, err := fmt.Sscan(string(v), &n); err != nil {
		return fmt.Errorf("schema version %q: %w", v, err)
	}
	if n > schemaVersion {
		return fmt.Errorf("%w (schema %d, this one reads up to %d)", errNewerSchema, n, schemaVersion)
	}
	return nil
}

// store is the appliance's reads and writes in its "box" bucket. Values are
// JSON; every value returned is a copy made inside the transaction.
type store struct {
	db *bolt.DB
}

// errNotFound is returned when a record does not exist.
var errNotFound = errors.New("not found")

func (s *store) box(tx *bolt.Tx, name []byte) *bolt.Bucket {
	return tx.Bucket(bucketBox).Bucket(name)
}

// setting returns a copy of a settings value, nil if unset.
func (s *store) setting(key string) ([]byte, error) {
	var v []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		if b := s.box(tx, bucketSettings).Get([]byte(key)); b != nil {
			v = append([]byte(nil), b...)
		}
		return nil
	})
	return v, err
}

func (s *store) setSetting(key string, value []byte) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		return s.box(tx, bucketSettings).Put([]byte(key), value)
	})
}

// settingOrCreate returns the value of key, storing make()'s result first if
// it is unset. Used for secrets generated once (the cookie key).
func (s *store) settingOrCreate(key string, make func() ([]byte, error)) ([]byte, error) {
	var v []byte
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := s.box(tx, bucketSettings)
		if cur := b.Get([]byte(key)); cur != nil {
			v = append([]byte(nil), cur...)
			return nil
		}
		nv, err := make()
		if err != nil {
			return err
		}
		v = nv
		return b.Put([]byte(key), nv)
	})
	return v, err
}

func getJSON[T any](b *bolt.Bucket, key []byte) (T, error) {
	var v T
	raw := b.Get(key)
	if raw == nil {
		return v, errNotFound
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, fmt.Errorf("decode %q: %w", key, err)
	}
	return v, nil
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, raw)
}

// list decodes every value of a nested bucket of "box".
func list[T any](s *store, name []byte) ([]T, error) {
	var out []T
	err := s.db.View(func(tx *bolt.Tx) error {
		return s.box(tx, name).ForEach(func(k, raw []byte) error {
			var v T
			if err := json.Unmarshal(raw, &v); err != nil {
				return fmt.Errorf("decode %s/%x: %w", name, k, err)
			}
			out = append(out, v)
			return nil
		})
	})
	return out, err
}
