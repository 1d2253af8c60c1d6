package appliance

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestCheckFileReadsTheBoxSchema checks the box's side of package backup:
// CheckFile (and so every restore, which runs the same inspectDB) accepts the
// box's own database and refuses one written by a newer coopbox or lacking
// the box's bucket.
func TestCheckFileReadsTheBoxSchema(t *testing.T) {
	dir := t.TempDir()
	db, err := openDB(dir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	report, err := CheckFile(dir)
	if err != nil || !strings.Contains(report, fmt.Sprintf("schema %d, consistent", schemaVersion)) {
		t.Fatalf("CheckFile of a fresh box: %v\n%s", err, report)
	}

	set := func(change func(tx *bolt.Tx) error) {
		t.Helper()
		db, err := bolt.Open(filepath.Join(dir, dbFileName), 0o600, &bolt.Options{Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.Update(change); err != nil {
			t.Fatal(err)
		}
	}
	set(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketBox).Bucket(bucketSettings).Put(keySchema, []byte(fmt.Sprint(schemaVersion+1)))
	})
	if _, err := CheckFile(dir); !errors.Is(err, errNewerSchema) {
		t.Errorf("CheckFile of a newer box's database: %v, want %v", err, errNewerSchema)
	}
	set(func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketBox) })
	if _, err := CheckFile(dir); err == nil || !strings.Contains(err.Error(), `no "box" bucket`) {
		t.Errorf("CheckFile of a database without the box's bucket: %v, want an error naming it", err)
	}
}
