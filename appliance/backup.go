package appliance

import (
	"errors"
	"fmt"
	"time"

	"github.com/coopbox/coopbox/appliance/backup"
	bolt "go.etcd.io/bbolt"
)

// inspectDB is the box's backup.Inspect: it reads the "box" bucket's schema
// version and refuses one newer than this coopbox's, and so for every
// mounted service's bucket, so that nothing it could not read is ever
// restored.
func inspectDB(tx *bolt.Tx) (schema int, err error) {
	box := tx.Bucket(bucketBox)
	if box == nil {
		return 0, errors.New(`no "box" bucket`)
	}
	settings := box.Bucket(bucketSettings)
	if settings == nil {
		return 0, errors.New(`no "box/settings" bucket`)
	}
	v := settings.Get(keySchema)
	if v == nil {
		return 0, errors.New("no schema version")
	}
	if _, err := fmt.Sscan(string(v), &schema); err != nil {
		return 0, fmt.Errorf("schema version %q: %w", v, err)
	}
	if schema > schemaVersion {
		return 0, fmt.Errorf("%w (schema %d, this one reads up to %d)", errNewerSchema, schema, schemaVersion)
	}
	if err := checkServiceSchemas(tx, mounts()); err != nil {
		return 0, err
	}
	return schema, nil
}

// Restore is `coopbox restore FILE`: it replaces the data folder's database
// and CA with those of the backup FILE while the box is stopped, and returns
// the folder where the previous ones are kept (see backup.Restore).
func Restore(dataDir, file string, now time.Time) (keptAside string, err error) {
	return backup.Restore(dataDir, file, now, inspectDB)
}

// CheckFile is `coopbox check PATH`: what a backup, a database or a data
// folder's database holds, and whether this coopbox would restore it (see
// backup.Check).
func CheckFile(path string) (report string, err error) {
	return backup.Check(path, inspectDB)
}
