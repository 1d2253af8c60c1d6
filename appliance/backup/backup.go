package backup

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// backupFormat is the version of the backup file's layout. A reader refuses a
// newer one.
const backupFormat = 1

// DBName is the database's name in the data folder and in a backup.
const DBName = "coopbox.db"

// Names inside a backup. The CA paths are also the files' paths relative to
// the data folder (with the OS separator).
const (
	backupManifestName = "coopbox-backup.json"
	backupSumsName     = "coopbox-backup.sha256"
	backupCACertName   = "tls/ca.crt"
	backupCAKeyName    = "tls/ca.key"
)

// Names inside the data folder.
const (
	restoreStagingPrefix = "restore-staging-"
	restorePendingName   = "restore-pending"
	restoreAsidePrefix   = "before-restore-"
)

const (
	// backupMaxSmallFile bounds the manifest, the CA files and the sums file.
	backupMaxSmallFile = 64 << 10
	// backupUnpackRatio bounds what an upload of n bytes may unpack to. A
	// bbolt file of mostly empty pages compresses far better than its data,
	// but not by more than this once it holds anything worth restoring; the
	// bound stops a small archive from filling the box's disk.
	backupUnpackRatio = 64
	// backupLockTimeout is how long Restore and Check wait for bbolt's
	// file lock before concluding that a running coopbox holds it.
	backupLockTimeout = 500 * time.Millisecond
)

// Errors of this package; the box maps ErrInvalid, ErrTooLarge and
// ErrPending to what a facilitator is told.
var (
	ErrInvalid     = errors.New("not a valid coopbox backup")
	ErrTooLarge    = errors.New("backup larger than allowed")
	ErrInUse       = errors.New("the database is in use by a running coopbox: stop it first")
	ErrPending     = errors.New("an earlier restore is not finished")
	ErrUnknownFile = errors.New("neither a coopbox backup nor a bbolt database")
)

// Manifest describes a backup. It is the archive's first file.
type Manifest struct {
	Format   int       `json:"format"`          // backupFormat
	Version  string    `json:"coopbox_version"` // the coopbox that wrote it
	Hostname string    `json:"hostname"`
	BoxName  string    `json:"box_name"`
	Created  time.Time `json:"created"` // the box's clock, as given: may be wrong after a power cut
	Schema   int       `json:"schema"`  // the database's schema version, as Inspect read it
	DBSize   int64     `json:"db_size"` // bytes of coopbox.db

	// Sums maps each file of the archive to its hex SHA-256. It lives in
	// coopbox-backup.sha256, not in the JSON, and is filled when reading.
	Sums map[string]string `json:"-"`
}

// FileName is the name offered for a download, e.g.
// coopbox-sauvegarde-coopbox-2025-03-14-15h30.tar.gz: "sauvegarde" tells a
// French facilitator what it is, the date sorts, and .tar.gz opens anywhere.
func FileName(hostname string, created time.Time) string {
	var b strings.Builder
	for _, r := range strings.ToLower(hostname) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-':
			b.WriteRune(r)
		case r == '.':
			b.WriteByte('-')
		}
	}
	host := strings.Trim(b.String(), "-")
	if host == "" {
		host = "coopbox"
	}
	return "coopbox-sauvegarde-" + host + "-" + created.Format("2006-01-02-15h04") + ".tar.gz"
}

// Write writes a backup of db and of dataDir's CA to w while the box
// keeps serving. The database is copied inside one read transaction, so it is
// the state of one commit however many writes happen meanwhile. m gives the
// descriptive fields (version, hostname, box name, created); Write sets
// the rest.
//
// The read transaction lasts as long as w takes to accept the archive. bbolt
// cannot grow its memory map while a read transaction is open, so a writer
// that needs a bigger file waits until the backup is done; a caller serving a
// slow client may prefer to write to a temporary file first.
func Write(w io.Writer, db *bolt.DB, dataDir string, m Manifest, inspect Inspect) error {
	certPEM, err := readSmallFile(filepath.Join(dataDir, filepath.FromSlash(backupCACertName)))
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	keyPEM, err := readSmallFile(filepath.Join(dataDir, filepath.FromSlash(backupCAKeyName)))
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	// A backup that cannot be restored is worse than none: say so now.
	if err := checkCAPair(certPEM, keyPEM); err != nil {
		return fmt.Errorf("backup: %w", err)
	}

	err = db.View(func(tx *bolt.Tx) error {
		m.Format = backupFormat
		m.DBSize = tx.Size()
		m.Schema, _ = inspect(tx) // recorded as found; a restore checks it
		m.Sums = nil
		manifest, err := json.MarshalIndent(m, "", "  ")
		if err != nil {
			return err
		}
		manifest = append(manifest, '\n')

		gz, _ := gzip.NewWriterLevel(w, gzip.BestSpeed) // a Pi 3 keeps serving meanwhile; bbolt pages are mostly zeros
		tw := tar.NewWriter(gz)
		var sums strings.Builder
		add := func(name string, mode, size int64, write func(io.Writer) error) error {
			hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: size, ModTime: m.Created}
			if err := tw.WriteHeader(hdr); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			h := sha256.New()
			if err := write(io.MultiWriter(tw, h)); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			fmt.Fprintf(&sums, "%x  %s\n", h.Sum(nil), name)
			return nil
		}
		bytesOf := func(b []byte) func(io.Writer) error {
			return func(w io.Writer) error { _, err := w.Write(b); return err }
		}
		if err := add(backupManifestName, 0o644, int64(len(manifest)), bytesOf(manifest)); err != nil {
			return err
		}
		err = add(DBName, 0o600, m.DBSize, func(w io.Writer) error {
			n, err := tx.WriteTo(w)
			if err == nil && n != m.DBSize {
				err = fmt.Errorf("wrote %d bytes, expected %d", n, m.DBSize)
			}
			return err
		})
		if err != nil {
			return err
		}
		if err := add(backupCACertName, 0o644, int64(len(certPEM)), bytesOf(certPEM)); err != nil {
			return err
		}
		if err := add(backupCAKeyName, 0o600, int64(len(keyPEM)), bytesOf(keyPEM)); err != nil {
			return err
		}
		s := sums.String()
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: backupSumsName, Mode: 0o644, Size: int64(len(s)), ModTime: m.Created}); err != nil {
			return err
		}
		if _, err := io.WriteString(tw, s); err != nil {
			return err
		}
		if err := tw.Close(); err != nil {
			return err
		}
		return gz.Close()
	})
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

// readSmallFile reads a file of at most backupMaxSmallFile bytes.
func readSmallFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, backupMaxSmallFile+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(b) > backupMaxSmallFile {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, backupMaxSmallFile)
	}
	return b, nil
}

// checkCAPair checks that certPEM is a CA certificate and keyPEM its key.
func checkCAPair(certPEM, keyPEM []byte) error {
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return fmt.Errorf("certificate authority: %w", err)
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return fmt.Errorf("certificate authority: %w", err)
	}
	if !cert.IsCA {
		return errors.New("certificate authority: the certificate is not a CA")
	}
	return nil
}

// Inspect reads, in a read transaction of a database that passed bbolt's
// consistency check, the schema version of what it holds (recorded in the
// manifest; at least 1), and refuses what this program cannot read: a newer
// schema, a missing bucket. The caller knows the layout; this package only
// runs it before anything is restored (see the package comment).
type Inspect func(tx *bolt.Tx) (schema int, err error)

// backupEntry is one file the archive must hold, in order.
type backupEntry struct {
	name string      // in the archive
	perm fs.FileMode // once unpacked
}

var backupEntries = []backupEntry{
	{backupManifestName, 0o644},
	{DBName, 0o600},
	{backupCACertName, 0o644},
	{backupCAKeyName, 0o600},
}

// backupLimitReader reads at most n bytes from r and fails with
// ErrTooLarge if r has more.
type backupLimitReader struct {
	r io.Reader
	n int64
}

func (l *backupLimitReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		var one [1]byte
		k, err := l.r.Read(one[:])
		if k > 0 {
			return 0, ErrTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	k, err := l.r.Read(p)
	l.n -= int64(k)
	return k, err
}

// unpackBackup reads a backup of at most limit bytes from r into dir, an
// existing empty folder, checking its structure and every hash. It does not
// look inside the database or the CA: see checkUnpacked.
func unpackBackup(dir string, r io.Reader, limit int64) (Manifest, error) {
	var m Manifest
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
	}
	budget := int64(math.MaxInt64)
	if limit < math.MaxInt64/backupUnpackRatio {
		budget = limit * backupUnpackRatio
	}
	in := bufio.NewReader(&backupLimitReader{r: r, n: limit})
	gz, err := gzip.NewReader(in)
	if err != nil {
		if errors.Is(err, ErrTooLarge) {
			return m, err
		}
		return m, bad("not a gzip file (%v)", err)
	}
	gz.Multistream(false)
	tr := tar.NewReader(gz)
	// readErr tells a truncated or oversized upload from a malformed one.
	readErr := func(what string, err error) error {
		if errors.Is(err, ErrTooLarge) {
			return err
		}
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return bad("%s: the file is truncated", what)
		}
		return bad("%s: %v", what, err)
	}

	sums := make(map[string]string)
	var manifest []byte
	for i := 0; i <= len(backupEntries); i++ {
		want := backupSumsName
		if i < len(backupEntries) {
			want = backupEntries[i].name
		}
		hdr, err := tr.Next()
		if err != nil {
			return m, readErr("expecting "+want, err)
		}
		if hdr.Name != want {
			return m, bad("found %q where %q was expected", hdr.Name, want)
		}
		if hdr.Typeflag != tar.TypeReg {
			return m, bad("%s is not a regular file", want)
		}
		maxSize := int64(backupMaxSmallFile)
		if want == DBName {
			maxSize = budget
		}
		if hdr.Size < 0 || hdr.Size > maxSize || hdr.Size > budget {
			return m, bad("%s: %d bytes is too large", want, hdr.Size)
		}
		budget -= hdr.Size

		if i == len(backupEntries) {
			b, err := io.ReadAll(tr)
			if err != nil {
				return m, readErr(want, err)
			}
			if err := parseBackupSums(b, sums); err != nil {
				return m, err
			}
			break
		}

		h := sha256.New()
		if want == backupManifestName {
			if manifest, err = io.ReadAll(io.TeeReader(tr, h)); err != nil {
				return m, readErr(want, err)
			}
		}
		path := filepath.Join(dir, filepath.FromSlash(want))
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return m, err
		}
		if err := writeUnpacked(path, backupEntries[i].perm, manifest, tr, h, want == backupManifestName); err != nil {
			if errors.Is(err, ErrTooLarge) || errors.Is(err, io.ErrUnexpectedEOF) {
				return m, readErr(want, err)
			}
			return m, err
		}
		sums[want] = hex.EncodeToString(h.Sum(nil))
	}
	if _, err := tr.Next(); err != io.EOF {
		if err == nil {
			return m, bad("unexpected files after %s", backupSumsName)
		}
		return m, readErr("end of archive", err)
	}
	// Read the rest of the gzip stream (the tar's end padding) so that its
	// checksum is verified, then make sure nothing follows it.
	if n, err := io.Copy(io.Discard, io.LimitReader(gz, budget+1)); err != nil {
		return m, readErr("end of archive", err)
	} else if n > budget {
		return m, bad("too much data after the archive")
	}
	if _, err := in.ReadByte(); err != io.EOF {
		if errors.Is(err, ErrTooLarge) {
			return m, err
		}
		return m, bad("unexpected data after the archive")
	}

	dec := json.NewDecoder(bytes.NewReader(manifest))
	if err := dec.Decode(&m); err != nil {
		return m, bad("manifest: %v", err)
	}
	if m.Format != backupFormat {
		if m.Format > backupFormat {
			return m, bad("made by a newer coopbox (format %d, this one reads %d)", m.Format, backupFormat)
		}
		return m, bad("manifest: unknown format %d", m.Format)
	}
	fi, err := os.Stat(filepath.Join(dir, DBName))
	if err != nil {
		return m, err
	}
	if fi.Size() != m.DBSize {
		return m, bad("the database has %d bytes, the manifest says %d", fi.Size(), m.DBSize)
	}
	m.Sums = sums
	return m, nil
}

// writeUnpacked creates path and copies r into it and into h, then fsyncs.
// For the manifest, already read into data, it writes data instead.
func writeUnpacked(path string, perm fs.FileMode, data []byte, r io.Reader, h hash.Hash, useData bool) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if useData {
		_, err = f.Write(data)
	} else {
		_, err = io.Copy(io.MultiWriter(f, h), r)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// parseBackupSums reads coopbox-backup.sha256 and compares it with got, the
// hashes computed while unpacking.
func parseBackupSums(b []byte, got map[string]string) error {
	lines := strings.Split(string(b), "\n")
	if len(lines) != len(backupEntries)+1 || lines[len(lines)-1] != "" {
		return fmt.Errorf("%w: %s: expected %d lines", ErrInvalid, backupSumsName, len(backupEntries))
	}
	for i, e := range backupEntries {
		sum, name, ok := strings.Cut(lines[i], "  ")
		if !ok || name != e.name || len(sum) != sha256.Size*2 {
			return fmt.Errorf("%w: %s: line %d is malformed", ErrInvalid, backupSumsName, i+1)
		}
		if sum != got[e.name] {
			return fmt.Errorf("%w: %s is damaged (its SHA-256 does not match)", ErrInvalid, e.name)
		}
	}
	return nil
}

// checkUnpacked validates what unpackBackup wrote into dir: the database
// opens, passes bbolt's consistency check and inspect; the CA certificate
// and key parse and belong together.
func checkUnpacked(dir string, m Manifest, inspect Inspect) error {
	certPEM, err := readSmallFile(filepath.Join(dir, filepath.FromSlash(backupCACertName)))
	if err != nil {
		return err
	}
	keyPEM, err := readSmallFile(filepath.Join(dir, filepath.FromSlash(backupCAKeyName)))
	if err != nil {
		return err
	}
	if err := checkCAPair(certPEM, keyPEM); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	db, err := openReadOnly(filepath.Join(dir, DBName))
	if err != nil {
		return fmt.Errorf("%w: the database does not open: %v", ErrInvalid, err)
	}
	defer db.Close()
	schema, err := checkDB(db, inspect)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if schema != m.Schema {
		return fmt.Errorf("%w: the database has schema %d, the manifest says %d", ErrInvalid, schema, m.Schema)
	}
	return nil
}

// openReadOnly opens a bbolt file without writing to it, waiting at most
// backupLockTimeout for a running coopbox to let go of it.
func openReadOnly(path string) (*bolt.DB, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: backupLockTimeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, ErrInUse
	}
	return db, err
}

// checkDB runs bbolt's consistency check, then inspect.
func checkDB(db *bolt.DB, inspect Inspect) (schema int, err error) {
	err = db.View(func(tx *bolt.Tx) (err error) {
		// A damaged file must give an error, not bring the box down:
		// turn faults on the memory map into panics and recover them.
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("the database is damaged: %v", r)
			}
		}()
		var errs []error
		for err := range tx.Check() {
			if len(errs) < 3 {
				errs = append(errs, err)
			}
		}
		if len(errs) > 0 {
			return fmt.Errorf("the database is damaged: %w", errors.Join(errs...))
		}
		schema, err = inspect(tx)
		return err
	})
	if err != nil {
		return 0, err
	}
	if schema < 1 {
		return 0, fmt.Errorf("schema version %d", schema)
	}
	return schema, nil
}
