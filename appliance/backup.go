package appliance

// Hot backup, check and restore.
//
// # The backup file
//
// A backup is one gzip-compressed tar archive that holds exactly these
// regular files, in this order:
//
//	coopbox-backup.json    the manifest (backupManifest, JSON): what made it, when, from which box
//	coopbox.db             the bbolt database as one read transaction saw it
//	tls/ca.crt             the box's certificate authority (PEM)
//	tls/ca.key             its private key (PEM)
//	coopbox-backup.sha256  the SHA-256 of the four files above, in sha256sum format
//
// The manifest comes first so that `tar tzvf` and anyone reading the archive
// see at once what it is. The hashes come last, in their own file, because
// the database is streamed straight from its read transaction (tx.WriteTo)
// into the archive: its hash is known only once it has been written, and
// holding it in memory or spooling it to a temporary file first would cost a
// Pi's memory or a second write to its SD card. The sha256sum format lets a
// technician check a backup by hand:
//
//	tar xzf F && sha256sum -c coopbox-backup.sha256
//
// The leaf certificate is not in the backup: the box re-issues it from the
// CA for its current name and addresses. The CA is, because the organisers'
// laptops that installed it must keep trusting the box after a restore.
//
// # Restoring
//
// A restore goes in three steps, so that power may be cut at any moment:
//
//  1. stageRestore unpacks the upload into dataDir/restore-staging-*/ and
//     validates everything (structure, hashes, the database, the CA pair);
//     the files are fsynced. Nothing in place has changed. A crash leaves
//     a staging folder that finishRestore removes.
//  2. installStaged keeps the current set aside in dataDir/before-restore-<stamp>/
//     (hard links, or copies where links are not possible, then fsync): the
//     current set is still in place and now also aside. It then commits with
//     one atomic rename of the staging folder to dataDir/restore-pending/
//     followed by an fsync of dataDir. Before that rename the old set is in
//     place; after it the new set is decided.
//  3. finishRestore moves the pending files into place one by one (removing
//     the leaf certificate first, then the CA key, the CA certificate and last
//     the database), fsyncs, and removes restore-pending/. Every step can be
//     repeated, so a crash in the middle is completed by the next call.
//
// A pending restore must therefore be finished before anything reads the data
// folder: Box.New calls finishRestore before opening the database and the
// certificates, and so does Restore.

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
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
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// backupFormat is the version of the backup file's layout. A reader refuses a
// newer one.
const backupFormat = 1

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
	// backupLockTimeout is how long Restore and CheckFile wait for bbolt's
	// file lock before concluding that a running coopbox holds it.
	backupLockTimeout = 500 * time.Millisecond
)

// Errors of this file, mapped to what a facilitator is told.
var (
	errBadBackup      = errors.New("not a valid coopbox backup")
	errBackupTooLarge = errors.New("backup larger than allowed")
	errDatabaseInUse  = errors.New("the database is in use by a running coopbox: stop it first")
	errRestorePending = errors.New("an earlier restore is not finished")
	errNotBackup      = errors.New("neither a coopbox backup nor a bbolt database")
)

// backupManifest describes a backup. It is the archive's first file.
type backupManifest struct {
	Format   int       `json:"format"`          // backupFormat
	Version  string    `json:"coopbox_version"` // the coopbox that wrote it
	Hostname string    `json:"hostname"`
	BoxName  string    `json:"box_name"`
	Created  time.Time `json:"created"` // the box's clock, as given: may be wrong after a power cut
	Schema   int       `json:"schema"`  // box/settings/schema of the database
	DBSize   int64     `json:"db_size"` // bytes of coopbox.db

	// Sums maps each file of the archive to its hex SHA-256. It lives in
	// coopbox-backup.sha256, not in the JSON, and is filled when reading.
	Sums map[string]string `json:"-"`
}

// backupFileName is the name offered for a download, e.g.
// coopbox-sauvegarde-coopbox-2025-03-14-15h30.tar.gz: "sauvegarde" tells a
// French facilitator what it is, the date sorts, and .tar.gz opens anywhere.
func backupFileName(hostname string, created time.Time) string {
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

// writeBackup writes a backup of db and of dataDir's CA to w while the box
// keeps serving. The database is copied inside one read transaction, so it is
// the state of one commit however many writes happen meanwhile. m gives the
// descriptive fields (version, hostname, box name, created); writeBackup sets
// the rest.
//
// The read transaction lasts as long as w takes to accept the archive. bbolt
// cannot grow its memory map while a read transaction is open, so a writer
// that needs a bigger file waits until the backup is done; a caller serving a
// slow client may prefer to write to a temporary file first.
func writeBackup(w io.Writer, db *bolt.DB, dataDir string, m backupManifest) error {
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
		m.Schema, _ = readSchema(tx) // recorded as found; a restore checks it
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
		err = add(dbFileName, 0o600, m.DBSize, func(w io.Writer) error {
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

// readSchema returns box/settings/schema.
func readSchema(tx *bolt.Tx) (int, error) {
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
	var n int
	if _, err := fmt.Sscan(string(v), &n); err != nil {
		return 0, fmt.Errorf("schema version %q: %w", v, err)
	}
	return n, nil
}

// backupEntry is one file the archive must hold, in order.
type backupEntry struct {
	name string      // in the archive
	perm fs.FileMode // once unpacked
}

var backupEntries = []backupEntry{
	{backupManifestName, 0o644},
	{dbFileName, 0o600},
	{backupCACertName, 0o644},
	{backupCAKeyName, 0o600},
}

// backupLimitReader reads at most n bytes from r and fails with
// errBackupTooLarge if r has more.
type backupLimitReader struct {
	r io.Reader
	n int64
}

func (l *backupLimitReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		var one [1]byte
		k, err := l.r.Read(one[:])
		if k > 0 {
			return 0, errBackupTooLarge
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
func unpackBackup(dir string, r io.Reader, limit int64) (backupManifest, error) {
	var m backupManifest
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", errBadBackup, fmt.Sprintf(format, args...))
	}
	budget := int64(math.MaxInt64)
	if limit < math.MaxInt64/backupUnpackRatio {
		budget = limit * backupUnpackRatio
	}
	in := bufio.NewReader(&backupLimitReader{r: r, n: limit})
	gz, err := gzip.NewReader(in)
	if err != nil {
		if errors.Is(err, errBackupTooLarge) {
			return m, err
		}
		return m, bad("not a gzip file (%v)", err)
	}
	gz.Multistream(false)
	tr := tar.NewReader(gz)
	// readErr tells a truncated or oversized upload from a malformed one.
	readErr := func(what string, err error) error {
		if errors.Is(err, errBackupTooLarge) {
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
		if want == dbFileName {
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
			if errors.Is(err, errBackupTooLarge) || errors.Is(err, io.ErrUnexpectedEOF) {
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
		if errors.Is(err, errBackupTooLarge) {
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
	fi, err := os.Stat(filepath.Join(dir, dbFileName))
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
		return fmt.Errorf("%w: %s: expected %d lines", errBadBackup, backupSumsName, len(backupEntries))
	}
	for i, e := range backupEntries {
		sum, name, ok := strings.Cut(lines[i], "  ")
		if !ok || name != e.name || len(sum) != sha256.Size*2 {
			return fmt.Errorf("%w: %s: line %d is malformed", errBadBackup, backupSumsName, i+1)
		}
		if sum != got[e.name] {
			return fmt.Errorf("%w: %s is damaged (its SHA-256 does not match)", errBadBackup, e.name)
		}
	}
	return nil
}

// checkUnpacked validates what unpackBackup wrote into dir: the database
// opens, passes bbolt's consistency check and has a schema this coopbox
// reads; the CA certificate and key parse and belong together.
func checkUnpacked(dir string, m backupManifest) error {
	certPEM, err := readSmallFile(filepath.Join(dir, filepath.FromSlash(backupCACertName)))
	if err != nil {
		return err
	}
	keyPEM, err := readSmallFile(filepath.Join(dir, filepath.FromSlash(backupCAKeyName)))
	if err != nil {
		return err
	}
	if err := checkCAPair(certPEM, keyPEM); err != nil {
		return fmt.Errorf("%w: %v", errBadBackup, err)
	}
	db, err := openReadOnly(filepath.Join(dir, dbFileName))
	if err != nil {
		return fmt.Errorf("%w: the database does not open: %v", errBadBackup, err)
	}
	defer db.Close()
	schema, err := checkDB(db)
	if err != nil {
		return fmt.Errorf("%w: %w", errBadBackup, err)
	}
	if schema != m.Schema {
		return fmt.Errorf("%w: the database has schema %d, the manifest says %d", errBadBackup, schema, m.Schema)
	}
	return nil
}

// openReadOnly opens a bbolt file without writing to it, waiting at most
// backupLockTimeout for a running coopbox to let go of it.
func openReadOnly(path string) (*bolt.DB, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: backupLockTimeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, errDatabaseInUse
	}
	return db, err
}

// checkDB runs bbolt's consistency check and reads the schema version,
// refusing one newer than this coopbox's.
func checkDB(db *bolt.DB) (schema int, err error) {
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
		schema, err = readSchema(tx)
		return err
	})
	if err != nil {
		return 0, err
	}
	if schema > schemaVersion {
		return 0, fmt.Errorf("%w (schema %d, this one reads up to %d)", errNewerSchema, schema, schemaVersion)
	}
	if schema < 1 {
		return 0, fmt.Errorf("schema version %d", schema)
	}
	return schema, nil
}

// stageRestore copies an uploaded backup of at most limit bytes into a new
// folder dataDir/restore-staging-*/ and validates it fully (see unpackBackup
// and checkUnpacked). On success everything in it is fsynced and staged is
// ready for installStaged; on any error nothing is left behind.
func stageRestore(dataDir string, r io.Reader, limit int64) (staged string, m backupManifest, err error) {
	dir, err := os.MkdirTemp(dataDir, restoreStagingPrefix)
	if err != nil {
		return "", m, err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()
	if m, err = unpackBackup(dir, r, limit); err != nil {
		return "", m, err
	}
	if err = checkUnpacked(dir, m); err != nil {
		return "", m, err
	}
	for _, d := range []string{filepath.Join(dir, "tls"), dir, dataDir} {
		if err = syncBackupDir(d); err != nil {
			return "", m, err
		}
	}
	return dir, m, nil
}

// installStaged puts a restore staged by stageRestore in place of what is in
// dataDir now, keeping the current files in dataDir/before-restore-<stamp>/.
// The database must be closed. The order of the steps and what a crash
// between them leaves are described at the top of this file. keptAside is
// empty when dataDir held nothing to keep.
//
// An error before the commit leaves dataDir as it was (and removes staged);
// an error after it leaves a pending restore that finishRestore completes.
func installStaged(dataDir, staged string, stamp string) (keptAside string, err error) {
	if stamp == "" || strings.ContainsAny(stamp, `/\.`) {
		return "", fmt.Errorf("bad stamp %q", stamp)
	}
	if filepath.Dir(filepath.Clean(staged)) != filepath.Clean(dataDir) {
		return "", fmt.Errorf("%s is not in the data folder", staged)
	}
	pending := filepath.Join(dataDir, restorePendingName)
	if _, err := os.Lstat(pending); !errors.Is(err, fs.ErrNotExist) {
		return "", errRestorePending
	}
	for _, e := range backupEntries[1:] {
		fi, err := os.Lstat(filepath.Join(staged, filepath.FromSlash(e.name)))
		if err != nil || !fi.Mode().IsRegular() {
			return "", fmt.Errorf("%s is missing from the staged restore", e.name)
		}
	}
	defer func() {
		if err != nil && keptAside != "" {
			os.RemoveAll(keptAside)
			keptAside = ""
		}
		if err != nil {
			os.RemoveAll(staged)
		}
	}()

	// 1. Keep the current set aside; it stays in place too.
	keptAside = filepath.Join(dataDir, restoreAsidePrefix+stamp)
	kept, err := keepAside(dataDir, keptAside)
	if err != nil {
		return keptAside, fmt.Errorf("keep the current data aside: %w", err)
	}
	if !kept {
		keptAside = ""
	}

	// 2. Commit.
	if err := os.Rename(staged, pending); err != nil {
		return keptAside, err
	}
	if err := syncBackupDir(dataDir); err != nil {
		// The rename may or may not be durable: either way is consistent,
		// and finishRestore completes it if it is.
		return keptAside, err
	}

	// 3. Put the new set in place.
	if _, err := finishRestore(dataDir); err != nil {
		// Committed: do not remove what is aside; the next start finishes.
		return keptAside, fmt.Errorf("committed but not finished (the next start completes it): %w", err)
	}
	return keptAside, nil
}

// keepAside links (or copies) the database and the files of tls/ into aside,
// a new folder, and fsyncs. It reports false, creating nothing, when there is
// nothing to keep.
func keepAside(dataDir, aside string) (bool, error) {
	var files []string // relative to dataDir
	if fi, err := os.Lstat(filepath.Join(dataDir, dbFileName)); err == nil && fi.Mode().IsRegular() {
		files = append(files, dbFileName)
	}
	entries, err := os.ReadDir(filepath.Join(dataDir, "tls"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	for _, e := range entries {
		if e.Type().IsRegular() {
			files = append(files, filepath.Join("tls", e.Name()))
		}
	}
	if len(files) == 0 {
		return false, nil
	}
	if err := os.Mkdir(aside, 0o700); err != nil {
		return false, err
	}
	if err := os.Mkdir(filepath.Join(aside, "tls"), 0o700); err != nil {
		return true, err
	}
	for _, f := range files {
		if err := linkOrCopy(filepath.Join(dataDir, f), filepath.Join(aside, f)); err != nil {
			return true, err
		}
	}
	for _, d := range []string{filepath.Join(aside, "tls"), aside, dataDir} {
		if err := syncBackupDir(d); err != nil {
			return true, err
		}
	}
	return true, nil
}

// linkOrCopy makes dst a hard link to src, or a copy where the file system
// has no hard links.
func linkOrCopy(src, dst string) error {
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fi.Mode().Perm())
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// finishRestore completes a committed restore (dataDir/restore-pending/) and
// removes the staging folders that an interrupted stageRestore left. Every
// step can be repeated, so a crash inside it is completed by the next call.
// It must run before anything reads the data folder, and never while a
// restore is being staged. finished reports whether a restore was completed.
func finishRestore(dataDir string) (finished bool, err error) {
	leftovers, err := filepath.Glob(filepath.Join(dataDir, restoreStagingPrefix+"*"))
	if err != nil {
		return false, err
	}
	for _, d := range leftovers {
		if err := os.RemoveAll(d); err != nil {
			return false, fmt.Errorf("remove %s: %w", d, err)
		}
	}

	pending := filepath.Join(dataDir, restorePendingName)
	if _, err := os.Lstat(pending); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	tlsDir := filepath.Join(dataDir, "tls")
	if err := os.MkdirAll(tlsDir, 0o700); err != nil {
		return false, err
	}
	// The leaf was issued by the old CA: remove it first so that it is
	// re-issued by whichever CA ends up in place.
	for _, name := range []string{"leaf.crt", "leaf.key"} {
		if err := os.Remove(filepath.Join(tlsDir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return false, err
		}
	}
	move := func(name string) error {
		src := filepath.Join(pending, filepath.FromSlash(name))
		if _, err := os.Lstat(src); errors.Is(err, fs.ErrNotExist) {
			return nil // moved by an earlier, interrupted call
		}
		return os.Rename(src, filepath.Join(dataDir, filepath.FromSlash(name)))
	}
	for _, name := range []string{backupCAKeyName, backupCACertName} {
		if err := move(name); err != nil {
			return false, err
		}
	}
	if err := syncBackupDir(tlsDir); err != nil {
		return false, err
	}
	if err := move(dbFileName); err != nil {
		return false, err
	}
	if err := syncBackupDir(dataDir); err != nil {
		return false, err
	}
	if err := os.RemoveAll(pending); err != nil {
		return false, err
	}
	if err := syncBackupDir(dataDir); err != nil {
		return false, err
	}
	return true, nil
}

// syncBackupDir fsyncs a folder, making the renames and creations in it durable.
func syncBackupDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// Restore is `coopbox restore FILE`: it replaces the data folder's database
// and CA with those of the backup FILE while the box is stopped, and returns
// the folder where the previous ones are kept.
//
// It refuses while a coopbox holds the database: it takes bbolt's shared file
// lock and keeps it until done, so a box cannot start in the meantime. A
// database that does not open (damaged: the reason to restore) is replaced
// all the same.
func Restore(dataDir, file string, now time.Time) (keptAside string, err error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", err
	}
	db, err := openReadOnly(filepath.Join(dataDir, dbFileName))
	switch {
	case errors.Is(err, errDatabaseInUse):
		return "", fmt.Errorf("%s: %w", dataDir, err)
	case err == nil:
		defer db.Close()
	}
	if _, err := finishRestore(dataDir); err != nil {
		return "", fmt.Errorf("finish the earlier restore: %w", err)
	}
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	staged, _, err := stageRestore(dataDir, f, math.MaxInt64)
	if err != nil {
		return "", fmt.Errorf("%s: %w", file, err)
	}
	return installStaged(dataDir, staged, now.UTC().Format("20060102-150405"))
}

// CheckFile verifies a database file or a backup file and returns a short
// report for a person: what it is, its size, its schema version, its buckets
// with their key counts and, for a backup, the manifest. A backup is checked
// as fully as a restore would (in a temporary folder). A folder stands for
// the coopbox.db in it: a data folder is what people have at hand.
func CheckFile(path string) (report string, err error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		db := filepath.Join(path, dbFileName)
		if _, err := os.Stat(db); errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("%s: a folder without %s", path, dbFileName)
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
		if err := checkUnpacked(tmp, m); err != nil {
			return "", fmt.Errorf("%s: %w", path, err)
		}
		fmt.Fprintf(&b, "%s: coopbox backup, format %d, %s\n", path, m.Format, humanSize(fi.Size()))
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
		db, err := openReadOnly(filepath.Join(tmp, dbFileName))
		if err != nil {
			return "", fmt.Errorf("%s: %w", path, err)
		}
		defer db.Close()
		describeDB(&b, db, m.DBSize)

	case len(head) >= 20 && binary.LittleEndian.Uint32(head[16:]) == 0xED0CDAED,
		len(head) >= 20 && binary.BigEndian.Uint32(head[16:]) == 0xED0CDAED:
		db, err := openReadOnly(path)
		if err != nil {
			return "", fmt.Errorf("%s: %w", path, err)
		}
		defer db.Close()
		if _, err := checkDB(db); err != nil {
			return "", fmt.Errorf("%s: %w", path, err)
		}
		fmt.Fprintf(&b, "%s: coopbox database\n", path)
		describeDB(&b, db, fi.Size())

	default:
		return "", fmt.Errorf("%s: %w", path, errNotBackup)
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// describeDB writes the size, schema and buckets of a database that passed
// checkDB.
func describeDB(b *strings.Builder, db *bolt.DB, size int64) {
	db.View(func(tx *bolt.Tx) error {
		schema, _ := readSchema(tx)
		fmt.Fprintf(b, "  database: %s, schema %d, consistent\n", humanSize(size), schema)
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

// humanSize writes n bytes the way a person reads it.
func humanSize(n int64) string {
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
