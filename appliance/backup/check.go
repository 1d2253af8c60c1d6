package backup

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Check verifies a database file or a backup file and returns a short
// report for a person: what it is, its size, its schema version, its buckets
// with their key counts and, for a backup, the manifest. A backup is checked
// as fully as a restore would (in a temporary folder). A folder stands for
// the coopbox.db in it: a data folder is what people have at hand.
func Check(path string, inspect Inspect) (report string, err error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		db := filepath.Join(path, DBName)
		if _, err := os.Stat(db); errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("%s: a folder without %s", path, DBName)
		}
		path = db
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	head := make([]byte, 32)
	n, _ := io.ReadFull(f, head)
	head = head[:n]

	var b strings.Builder
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return "", err
		}
		tmp, err := os.MkdirTemp("", "coopbox-check-")
		if err != nil {
			return "", err
		}
		defer os.RemoveAll(tmp)
		m, err := unpackBackup(tmp, f, fi.Size())
		if err != nil {
			return "", fmt.Errorf("%s: %w", path, err)
		}
		if err := checkUnpacked(tmp, m, inspect); err != nil {
			return "", fmt.Errorf("%s: %w", path, err)
		}
		fmt.Fprintf(&b, "%s: coopbox backup, format %d, %s\n", path, m.Format, HumanSize(fi.Size()))
		fmt.Fprintf(&b, "  made by coopbox %s on %q (box %q), %s\n", m.Version, m.Hostname, m.BoxName, m.Created.Format(time.RFC3339))
		names := make([]string, 0, len(m.Sums))
		for name := range m.Sums {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			fmt.Fprintf(&b, "  sha256 %s  %s\n", m.Sums[name], name)
		}
		b.WriteString("  every hash matches; the CA certificate and key belong together\n")
		db, err := openReadOnly(filepath.Join(tmp, DBName))
		if err != nil {
			return "", fmt.Errorf("%s: %w", path, err)
		}
		defer db.Close()
		describeDB(&b, db, m.DBSize, inspect)

	case len(head) >= 20 && binary.LittleEndian.Uint32(head[16:]) == 0xED0CDAED,
		len(head) >= 20 && binary.BigEndian.Uint32(head[16:]) == 0xED0CDAED:
		db, err := openReadOnly(path)
		if err != nil {
			return "", fmt.Errorf("%s: %w", path, err)
		}
		defer db.Close()
		if _, err := checkDB(db, inspect); err != nil {
			return "", fmt.Errorf("%s: %w", path, err)
		}
		fmt.Fprintf(&b, "%s: coopbox database\n", path)
		describeDB(&b, db, fi.Size(), inspect)

	default:
		return "", fmt.Errorf("%s: %w", path, ErrUnknownFile)
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// describeDB writes the size, schema and buckets of a database that passed
// checkDB.
func describeDB(b *strings.Builder, db *bolt.DB, size int64, inspect Inspect) {
	db.View(func(tx *bolt.Tx) error {
		schema, _ := inspect(tx)
		fmt.Fprintf(b, "  database: %s, schema %d, consistent\n", HumanSize(size), schema)
		var walk func(prefix string, bk *bolt.Bucket)
		walk = func(prefix string, bk *bolt.Bucket) {
			keys := 0
			var subs []string
			bk.ForEach(func(k, v []byte) error {
				if v == nil {
					subs = append(subs, string(k))
				} else {
					keys++
				}
				return nil
			})
			fmt.Fprintf(b, "  %-24s %d keys\n", prefix, keys)
			for _, s := range subs {
				walk(prefix+"/"+s, bk.Bucket([]byte(s)))
			}
		}
		return tx.ForEach(func(name []byte, bk *bolt.Bucket) error {
			walk(string(name), bk)
			return nil
		})
	})
}

// HumanSize writes n bytes the way a person reads it (the reports here,
// the box's status page).
func HumanSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
