package backup

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

var bucketTest = []byte("test")

// The box's own bucket as appliance lays it out (store.go), and the rule its
// Inspect applies: the tests' databases look like the box's, and testInspect
// refuses what the box's would.
var (
	bucketBox      = []byte("box")
	bucketSettings = []byte("settings")
	keySchema      = []byte("schema")
	errNewerSchema = errors.New("database written by a newer coopbox")
)

const schemaVersion = 1

func testInspect(tx *bolt.Tx) (int, error) {
	box := tx.Bucket(bucketBox)
	if box == nil {
		return 0, errors.New(`no "box" bucket`)
	}
	v := box.Bucket(bucketSettings).Get(keySchema)
	var n int
	if _, err := fmt.Sscan(string(v), &n); err != nil {
		return 0, fmt.Errorf("schema version %q: %w", v, err)
	}
	if n > schemaVersion {
		return 0, fmt.Errorf("%w (schema %d)", errNewerSchema, n)
	}
	return n, nil
}

// openDB opens dir's database as the box would, creating the box's bucket
// with the schema version when it is new, and checking it with testInspect.
func openDB(dir string, timeout time.Duration) (*bolt.DB, error) {
	db, err := bolt.Open(filepath.Join(dir, DBName), 0o600, &bolt.Options{Timeout: timeout})
	if err != nil {
		return nil, err
	}
	err = db.Update(func(tx *bolt.Tx) error {
		box, err := tx.CreateBucketIfNotExists(bucketBox)
		if err != nil {
			return err
		}
		settings, err := box.CreateBucketIfNotExists(bucketSettings)
		if err != nil {
			return err
		}
		if settings.Get(keySchema) == nil {
			if err := settings.Put(keySchema, []byte(fmt.Sprint(schemaVersion))); err != nil {
				return err
			}
		}
		_, err = testInspect(tx)
		return err
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// newTestCA returns a fresh ECDSA certificate authority in PEM.
func newTestCA(t testing.TB) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "coopbox test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})
}

// newTestDataDir makes a data folder with a database holding keys in the
// "test" bucket, a CA and a leaf certificate.
func newTestDataDir(t testing.TB, keys map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	db, err := openDB(dir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketTest)
		if err != nil {
			return err
		}
		for k, v := range keys {
			if err := b.Put([]byte(k), []byte(v)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM := newTestCA(t)
	writeTestFiles(t, dir, map[string][]byte{
		"tls/ca.crt":   certPEM,
		"tls/ca.key":   keyPEM,
		"tls/leaf.crt": []byte("leaf certificate"),
		"tls/leaf.key": []byte("leaf key"),
	})
	return dir
}

func writeTestFiles(t testing.TB, dir string, files map[string][]byte) {
	t.Helper()
	for name, data := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func testManifest() Manifest {
	return Manifest{Version: "test", Hostname: "coopbox", BoxName: "La Fabrique",
		Created: time.Date(2025, 3, 14, 15, 30, 0, 0, time.UTC)}
}

// makeBackup backs up the data folder dir.
func makeBackup(t testing.TB, dir string) []byte {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, DBName), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var buf bytes.Buffer
	if err := Write(&buf, db, dir, testManifest(), testInspect); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// readKeys returns the "test" bucket of a database file.
func readKeys(t testing.TB, path string) map[string]string {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	keys := make(map[string]string)
	err = db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTest)
		if b == nil {
			return errors.New("no test bucket")
		}
		return b.ForEach(func(k, v []byte) error {
			keys[string(k)] = string(v)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// snapshot maps every file under dir to a hash of its content, every
// folder to "dir".
func snapshot(t testing.TB, dir string) map[string]string {
	t.Helper()
	s := make(map[string]string)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if d.IsDir() {
			s[rel] = "dir"
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		s[rel] = fmt.Sprintf("%x", sha256.Sum256(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sameSnapshot(t testing.TB, got, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %.12s, want %.12s", k, got[k], v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: left behind", k)
		}
	}
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// archiveEntry is one file of a backup, for tests that forge archives.
type archiveEntry struct {
	name string
	data []byte
}

func readArchive(t testing.TB, data []byte) []archiveEntry {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var es []archiveEntry
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return es
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		es = append(es, archiveEntry{hdr.Name, b})
	}
}

func writeArchive(t testing.TB, es []archiveEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range es {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: e.name, Mode: 0o600, Size: int64(len(e.data))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// resum rewrites the sums file of es to match the other entries, so that a
// forged archive fails for the reason the test means and not its hashes.
func resum(es []archiveEntry) []archiveEntry {
	var sums strings.Builder
	out := make([]archiveEntry, 0, len(es))
	for _, e := range es {
		if e.name == backupSumsName {
			continue
		}
		fmt.Fprintf(&sums, "%x  %s\n", sha256.Sum256(e.data), e.name)
		out = append(out, e)
	}
	return append(out, archiveEntry{backupSumsName, []byte(sums.String())})
}

// forge applies f to the entries of a valid backup and packs them again.
func forge(t testing.TB, valid []byte, f func([]archiveEntry) []archiveEntry) []byte {
	t.Helper()
	return writeArchive(t, f(readArchive(t, valid)))
}

func entryIndex(es []archiveEntry, name string) int {
	for i, e := range es {
		if e.name == name {
			return i
		}
	}
	panic("no entry " + name)
}

func TestBackupFormat(t *testing.T) {
	dir := newTestDataDir(t, map[string]string{"a": "1"})
	es := readArchive(t, makeBackup(t, dir))
	var names []string
	for _, e := range es {
		names = append(names, e.name)
	}
	want := []string{backupManifestName, DBName, backupCACertName, backupCAKeyName, backupSumsName}
	if got := strings.Join(names, " "); got != strings.Join(want, " ") {
		t.Fatalf("entries: got %s, want %s", got, strings.Join(want, " "))
	}
	var m Manifest
	if err := json.Unmarshal(es[0].data, &m); err != nil {
		t.Fatal(err)
	}
	want1 := testManifest()
	if m.Format != backupFormat || m.Version != want1.Version || m.Hostname != want1.Hostname ||
		m.BoxName != want1.BoxName || !m.Created.Equal(want1.Created) || m.Schema != schemaVersion ||
		m.DBSize != int64(len(es[1].data)) {
		t.Errorf("manifest: got %+v", m)
	}
	if got, want := es[2].data, readFile(t, filepath.Join(dir, "tls", "ca.crt")); !bytes.Equal(got, want) {
		t.Error("ca.crt differs from the data folder's")
	}
	for _, line := range strings.Split(strings.TrimSpace(string(es[4].data)), "\n") {
		sum, name, _ := strings.Cut(line, "  ")
		i := entryIndex(es, name)
		if got := sha256.Sum256(es[i].data); hex.EncodeToString(got[:]) != sum {
			t.Errorf("sha256 of %s: got %x, file says %s", name, got, sum)
		}
	}
}

func TestBackupFileName(t *testing.T) {
	at := time.Date(2025, 3, 14, 15, 30, 59, 0, time.UTC)
	for _, tc := range []struct{ host, want string }{
		{"coopbox", "coopbox-sauvegarde-coopbox-2025-03-14-15h30.tar.gz"},
		{"Tiers-Lieu.local", "coopbox-sauvegarde-tiers-lieu-local-2025-03-14-15h30.tar.gz"},
		{"../é/", "coopbox-sauvegarde-coopbox-2025-03-14-15h30.tar.gz"},
	} {
		if got := FileName(tc.host, at); got != tc.want {
			t.Errorf("FileName(%q): got %s, want %s", tc.host, got, tc.want)
		}
	}
}

// TestBackupWhileWriting takes a backup while another goroutine keeps
// committing: the backup holds one consistent state that includes every key
// committed before it started.
func TestBackupWhileWriting(t *testing.T) {
	dir := newTestDataDir(t, nil)
	db, err := openDB(dir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	var committed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	werr := make(chan error, 1)
	stopWriter := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer stopWriter() // also when a wait below fails
	wg.Go(func() {
		value := bytes.Repeat([]byte("x"), 2000) // grows the file as it goes
		for i := uint64(0); ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			err := db.Update(func(tx *bolt.Tx) error {
				k := binary.BigEndian.AppendUint64(nil, i)
				return tx.Bucket(bucketTest).Put(k, value)
			})
			if err != nil {
				werr <- err
				return
			}
			committed.Store(int64(i + 1))
		}
	})
	// waitCommitted waits until the writer has committed n keys; it fails
	// if the writer stopped or has not got there in 30s.
	waitCommitted := func(n int64) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); committed.Load() < n; time.Sleep(time.Millisecond) {
			select {
			case err := <-werr:
				t.Fatalf("writer: %v", err)
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d keys committed in 30s, want %d", committed.Load(), n)
			}
		}
	}
	waitCommitted(200)
	before := committed.Load()
	var buf bytes.Buffer
	err = Write(&buf, db, dir, testManifest(), testInspect)
	waitCommitted(before + 200) // keep writing after the backup too
	stopWriter()
	select {
	case err := <-werr:
		t.Fatalf("writer: %v", err)
	default:
	}
	if err != nil {
		t.Fatal(err)
	}

	staged, _, err := Stage(t.TempDir(), bytes.NewReader(buf.Bytes()), 1<<20, testInspect)
	if err != nil {
		t.Fatal(err) // includes tx.Check on the copy
	}
	keys := readKeys(t, filepath.Join(staged, DBName))
	n := int64(len(keys))
	if n < before {
		t.Errorf("the backup has %d keys, %d were committed before it started", n, before)
	}
	for i := range n {
		if _, ok := keys[string(binary.BigEndian.AppendUint64(nil, uint64(i)))]; !ok {
			t.Fatalf("key %d missing from a backup of %d keys: not one commit's state", i, n)
		}
	}
	t.Logf("%d keys before the backup, %d in it, %d at the end", before, n, committed.Load())
}

func TestBackupRoundTrip(t *testing.T) {
	srcKeys := map[string]string{"pad": "compte rendu", "vote": "oui"}
	src := newTestDataDir(t, srcKeys)
	file := filepath.Join(t.TempDir(), "b.tar.gz")
	if err := os.WriteFile(file, makeBackup(t, src), 0o600); err != nil {
		t.Fatal(err)
	}

	t.Run("over a box", func(t *testing.T) {
		oldKeys := map[string]string{"old": "ancien"}
		dst := newTestDataDir(t, oldKeys)
		old := snapshot(t, dst)
		now := time.Date(2025, 3, 14, 15, 30, 0, 0, time.UTC)

		aside, err := Restore(dst, file, now, testInspect)
		if err != nil {
			t.Fatal(err)
		}
		if want := filepath.Join(dst, "before-restore-20250314-153000"); aside != want {
			t.Errorf("kept aside in %s, want %s", aside, want)
		}
		if got := readKeys(t, filepath.Join(dst, DBName)); fmt.Sprint(got) != fmt.Sprint(srcKeys) {
			t.Errorf("restored keys: got %v, want %v", got, srcKeys)
		}
		for _, name := range []string{"ca.crt", "ca.key"} {
			if !bytes.Equal(readFile(t, filepath.Join(dst, "tls", name)), readFile(t, filepath.Join(src, "tls", name))) {
				t.Errorf("tls/%s differs from the backed-up box's", name)
			}
		}
		for _, name := range []string{"leaf.crt", "leaf.key"} {
			if _, err := os.Stat(filepath.Join(dst, "tls", name)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("tls/%s is still there (err %v): it must be re-issued", name, err)
			}
		}
		// What was there is kept aside, byte for byte.
		keptSnap := snapshot(t, aside)
		for _, name := range []string{DBName, filepath.Join("tls", "ca.crt"), filepath.Join("tls", "ca.key"), filepath.Join("tls", "leaf.crt")} {
			if keptSnap[name] != old[name] {
				t.Errorf("%s kept aside differs from the old one", name)
			}
		}
		if got := readKeys(t, filepath.Join(aside, DBName)); fmt.Sprint(got) != fmt.Sprint(oldKeys) {
			t.Errorf("kept-aside keys: got %v, want %v", got, oldKeys)
		}
		entries, _ := os.ReadDir(dst)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), "restore-") {
				t.Errorf("%s left behind", e.Name())
			}
		}
		// The box opens what was restored.
		db, err := openDB(dst, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
	})

	t.Run("into a new folder", func(t *testing.T) {
		dst := filepath.Join(t.TempDir(), "data")
		aside, err := Restore(dst, file, time.Now(), testInspect)
		if err != nil {
			t.Fatal(err)
		}
		if aside != "" {
			t.Errorf("kept aside %q, want nothing", aside)
		}
		if got := readKeys(t, filepath.Join(dst, DBName)); fmt.Sprint(got) != fmt.Sprint(srcKeys) {
			t.Errorf("restored keys: got %v, want %v", got, srcKeys)
		}
	})
}

// TestRestoreRefusesOpenDatabase: bbolt locks with flock, which conflicts
// between two open files of one process, so a second bolt.DB in the test
// stands for a running box. Restoring once it is closed proves the lock, not
// something else, refused.
func TestRestoreRefusesOpenDatabase(t *testing.T) {
	file := filepath.Join(t.TempDir(), "b.tar.gz")
	if err := os.WriteFile(file, makeBackup(t, newTestDataDir(t, map[string]string{"a": "1"})), 0o600); err != nil {
		t.Fatal(err)
	}
	dst := newTestDataDir(t, map[string]string{"b": "2"})
	running, err := openDB(dst, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, dst)
	_, err = Restore(dst, file, time.Now(), testInspect)
	if !errors.Is(err, ErrInUse) {
		t.Fatalf("Restore while the box runs: got %v, want %v", err, ErrInUse)
	}
	sameSnapshot(t, snapshot(t, dst), before)
	if err := running.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(dst, file, time.Now(), testInspect); err != nil {
		t.Fatalf("Restore once the box stopped: %v", err)
	}
}

func TestStageRestoreRefusesBadBackups(t *testing.T) {
	src := newTestDataDir(t, map[string]string{"a": "1"})
	valid := makeBackup(t, src)

	newer := newTestDataDir(t, nil)
	db, err := openDB(newer, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketBox).Bucket(bucketSettings).Put(keySchema, []byte(fmt.Sprint(schemaVersion+1)))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	newerBackup := makeBackup(t, newer)
	_, otherKey := newTestCA(t)
	dbBytes := readFile(t, filepath.Join(src, DBName))

	for _, tc := range []struct {
		name  string
		data  []byte
		limit int64
		want  error
		msg   string
	}{
		{name: "empty", data: nil, want: ErrInvalid, msg: "not a gzip file"},
		{name: "text", data: []byte("Compte rendu de l'AG du 14 mars"), want: ErrInvalid, msg: "not a gzip file"},
		{name: "a database", data: dbBytes, want: ErrInvalid, msg: "not a gzip file"},
		{name: "a gzip of something else", data: func() []byte {
			var b bytes.Buffer
			gz := gzip.NewWriter(&b)
			gz.Write([]byte("hello"))
			gz.Close()
			return b.Bytes()
		}(), want: ErrInvalid, msg: "truncated"},
		{name: "truncated", data: valid[:len(valid)/2], want: ErrInvalid, msg: "truncated"},
		{name: "truncated end", data: valid[:len(valid)-4], want: ErrInvalid, msg: "truncated"},
		{name: "data after", data: append(append([]byte{}, valid...), "PK"...), want: ErrInvalid, msg: "after the archive"},
		{name: "too large", data: valid, limit: int64(len(valid)) - 1, want: ErrTooLarge},
		{name: "damaged database", data: forge(t, valid, func(es []archiveEntry) []archiveEntry {
			es[1].data[len(es[1].data)-1] ^= 1
			return es
		}), want: ErrInvalid, msg: "coopbox.db is damaged"},
		{name: "damaged key", data: forge(t, valid, func(es []archiveEntry) []archiveEntry {
			es[3].data = otherKey
			return es
		}), want: ErrInvalid, msg: "tls/ca.key is damaged"},
		{name: "key of another CA", data: forge(t, valid, func(es []archiveEntry) []archiveEntry {
			es[3].data = otherKey
			return resum(es)
		}), want: ErrInvalid, msg: "certificate authority"},
		{name: "database of random bytes", data: forge(t, valid, func(es []archiveEntry) []archiveEntry {
			rand.Read(es[1].data)
			return resum(es)
		}), want: ErrInvalid, msg: "database"},
		{name: "database with a page zeroed", data: forge(t, valid, func(es []archiveEntry) []archiveEntry {
			page := 4096
			clear(es[1].data[2*page : 3*page])
			return resum(es)
		}), want: ErrInvalid, msg: "database"},
		{name: "newer schema", data: newerBackup, want: errNewerSchema},
		{name: "newer format", data: forge(t, valid, func(es []archiveEntry) []archiveEntry {
			es[0].data = bytes.Replace(es[0].data, []byte(`"format": 1`), []byte(`"format": 2`), 1)
			return resum(es)
		}), want: ErrInvalid, msg: "newer coopbox"},
		{name: "missing key", data: forge(t, valid, func(es []archiveEntry) []archiveEntry {
			return resum(append(es[:3:3], es[4:]...))
		}), want: ErrInvalid, msg: `where "tls/ca.key" was expected`},
		{name: "extra file", data: forge(t, valid, func(es []archiveEntry) []archiveEntry {
			return append(es, archiveEntry{"tls/leaf.key", []byte("x")})
		}), want: ErrInvalid, msg: "unexpected files"},
		{name: "no sums", data: forge(t, valid, func(es []archiveEntry) []archiveEntry {
			return es[:4]
		}), want: ErrInvalid, msg: "expecting coopbox-backup.sha256"},
		{name: "path outside", data: forge(t, valid, func(es []archiveEntry) []archiveEntry {
			es[2].name = "../ca.crt"
			return resum(es)
		}), want: ErrInvalid, msg: `found "../ca.crt"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dataDir := newTestDataDir(t, map[string]string{"b": "2"})
			before := snapshot(t, dataDir)
			limit := tc.limit
			if limit == 0 {
				limit = 1 << 20
			}
			_, _, err := Stage(dataDir, bytes.NewReader(tc.data), limit, testInspect)
			if !errors.Is(err, tc.want) || !strings.Contains(fmt.Sprint(err), tc.msg) {
				t.Errorf("got %v, want %v with %q", err, tc.want, tc.msg)
			}
			sameSnapshot(t, snapshot(t, dataDir), before)

			if tc.limit != 0 {
				return
			}
			file := filepath.Join(t.TempDir(), "b.tar.gz")
			if err := os.WriteFile(file, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := Restore(dataDir, file, time.Now(), testInspect); !errors.Is(err, tc.want) {
				t.Errorf("Restore: got %v, want %v", err, tc.want)
			}
			sameSnapshot(t, snapshot(t, dataDir), before)
		})
	}
}

// TestFinishRestoreAfterCrash cuts the power (stops) at each step of
// Install and checks that the data folder holds the old set, or the
// new one once Finish ran, never a mix.
func TestFinishRestoreAfterCrash(t *testing.T) {
	srcKeys := map[string]string{"new": "nouveau"}
	src := newTestDataDir(t, srcKeys)
	valid := makeBackup(t, src)
	oldKeys := map[string]string{"old": "ancien"}

	// The steps of Finish, done by hand up to the crash.
	steps := []func(dataDir, pending string) error{
		func(dataDir, _ string) error { return os.Remove(filepath.Join(dataDir, "tls", "leaf.crt")) },
		func(dataDir, _ string) error { return os.Remove(filepath.Join(dataDir, "tls", "leaf.key")) },
		func(dataDir, pending string) error {
			return os.Rename(filepath.Join(pending, "tls", "ca.key"), filepath.Join(dataDir, "tls", "ca.key"))
		},
		func(dataDir, pending string) error {
			return os.Rename(filepath.Join(pending, "tls", "ca.crt"), filepath.Join(dataDir, "tls", "ca.crt"))
		},
		func(dataDir, pending string) error {
			return os.Rename(filepath.Join(pending, DBName), filepath.Join(dataDir, DBName))
		},
	}
	for crash := -2; crash <= len(steps); crash++ {
		t.Run(fmt.Sprint("crash after step ", crash), func(t *testing.T) {
			dataDir := newTestDataDir(t, oldKeys)
			old := snapshot(t, dataDir)
			staged, _, err := Stage(dataDir, bytes.NewReader(valid), 1<<20, testInspect)
			if err != nil {
				t.Fatal(err)
			}
			committed := crash >= 0
			if crash >= -1 {
				if _, err := keepAside(dataDir, filepath.Join(dataDir, "before-restore-x")); err != nil {
					t.Fatal(err)
				}
			}
			pending := filepath.Join(dataDir, restorePendingName)
			if committed {
				if err := os.Rename(staged, pending); err != nil {
					t.Fatal(err)
				}
			}
			for i := 0; i < crash; i++ {
				if err := steps[i](dataDir, pending); err != nil {
					t.Fatal(err)
				}
			}

			// The box starts again.
			finished, err := Finish(dataDir)
			if err != nil {
				t.Fatal(err)
			}
			if finished != committed {
				t.Errorf("finished: got %v, want %v", finished, committed)
			}
			now := snapshot(t, dataDir)
			wantKeys, wantCA := oldKeys, dataDir
			if committed {
				wantKeys, wantCA = srcKeys, src
			} else {
				for _, name := range []string{DBName, "tls/ca.crt", "tls/ca.key", "tls/leaf.crt"} {
					name = filepath.FromSlash(name)
					if now[name] != old[name] {
						t.Errorf("%s changed by a restore that did not commit", name)
					}
				}
			}
			if got := readKeys(t, filepath.Join(dataDir, DBName)); fmt.Sprint(got) != fmt.Sprint(wantKeys) {
				t.Errorf("keys: got %v, want %v", got, wantKeys)
			}
			for _, name := range []string{"ca.crt", "ca.key"} {
				if !bytes.Equal(readFile(t, filepath.Join(dataDir, "tls", name)), readFile(t, filepath.Join(wantCA, "tls", name))) {
					t.Errorf("tls/%s is not the expected set's", name)
				}
			}
			if err := checkCAPair(readFile(t, filepath.Join(dataDir, "tls", "ca.crt")), readFile(t, filepath.Join(dataDir, "tls", "ca.key"))); err != nil {
				t.Error(err)
			}
			for name := range now {
				if strings.HasPrefix(name, "restore-") {
					t.Errorf("%s left behind", name)
				}
			}
		})
	}
}

func TestCheckFile(t *testing.T) {
	dir := newTestDataDir(t, map[string]string{"a": "1", "b": "2", "c": "3"})
	backup := filepath.Join(t.TempDir(), "b.tar.gz")
	valid := makeBackup(t, dir)
	if err := os.WriteFile(backup, valid, 0o600); err != nil {
		t.Fatal(err)
	}
	damaged := filepath.Join(t.TempDir(), "damaged.tar.gz")
	if err := os.WriteFile(damaged, valid[:len(valid)-100], 0o600); err != nil {
		t.Fatal(err)
	}
	text := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(text, []byte("ordre du jour"), 0o600); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, DBName)

	for _, tc := range []struct {
		path string
		want []string
		err  error
	}{
		{path: db, want: []string{"coopbox database", "schema 1", "box/settings", "1 keys", "test", "3 keys"}},
		{path: backup, want: []string{"coopbox backup, format 1", `"coopbox"`, `"La Fabrique"`, "2025-03-14T15:30:00Z",
			"every hash matches", "sha256 ", "coopbox.db", "schema 1", "3 keys"}},
		{path: damaged, err: ErrInvalid},
		{path: text, err: ErrUnknownFile},
	} {
		report, err := Check(tc.path, testInspect)
		if !errors.Is(err, tc.err) {
			t.Errorf("Check(%s): got error %v, want %v", filepath.Base(tc.path), err, tc.err)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(report, w) {
				t.Errorf("Check(%s): report lacks %q:\n%s", filepath.Base(tc.path), w, report)
			}
		}
	}

	running, err := openDB(dir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer running.Close()
	if _, err := Check(db, testInspect); !errors.Is(err, ErrInUse) {
		t.Errorf("Check on a running box's database: got %v, want %v", err, ErrInUse)
	}
}

// FuzzStageRestore feeds uploads to Stage: each gives an error and
// leaves nothing behind, or a complete staged restore.
func FuzzStageRestore(f *testing.F) {
	valid := makeBackup(f, newTestDataDir(f, map[string]string{"a": "1"}))
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add(valid[:10])
	f.Add([]byte{})
	f.Add([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		dataDir := t.TempDir()
		staged, m, err := Stage(dataDir, bytes.NewReader(data), 1<<20, testInspect)
		entries, rerr := os.ReadDir(dataDir)
		if rerr != nil {
			t.Fatal(rerr)
		}
		if err != nil {
			if staged != "" || len(entries) != 0 {
				t.Fatalf("error %v left %q and %d entries behind", err, staged, len(entries))
			}
			return
		}
		if len(entries) != 1 || m.Format != backupFormat {
			t.Fatalf("staged %q, %d entries, manifest %+v", staged, len(entries), m)
		}
		for _, e := range backupEntries {
			if _, err := os.Stat(filepath.Join(staged, filepath.FromSlash(e.name))); err != nil {
				t.Fatal(err)
			}
		}
	})
}
