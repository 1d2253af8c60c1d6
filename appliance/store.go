package appliance

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// dbFileName is the database's name inside the data folder.
const dbFileName = "coopbox.db"

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
		if errors.Is(err, bolt.ErrTimeout) {
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
