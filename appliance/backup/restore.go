package backup

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Stage copies an uploaded backup of at most limit bytes into a new
// folder dataDir/restore-staging-*/ and validates it fully (see unpackBackup
// and checkUnpacked). On success everything in it is fsynced and staged is
// ready for Install; on any error nothing is left behind.
func Stage(dataDir string, r io.Reader, limit int64, inspect Inspect) (staged string, m Manifest, err error) {
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
	if err = checkUnpacked(dir, m, inspect); err != nil {
		return "", m, err
	}
	for _, d := range []string{filepath.Join(dir, "tls"), dir, dataDir} {
		if err = syncDir(d); err != nil {
			return "", m, err
		}
	}
	return dir, m, nil
}

// Install puts a restore staged by Stage in place of what is in
// dataDir now, keeping the current files in dataDir/before-restore-<stamp>/.
// The database must be closed. The order of the steps and what a crash
// between them leaves are described at the top of this file. keptAside is
// empty when dataDir held nothing to keep.
//
// An error before the commit leaves dataDir as it was (and removes staged);
// an error after it leaves a pending restore that Finish completes.
func Install(dataDir, staged string, stamp string) (keptAside string, err error) {
	if stamp == "" || strings.ContainsAny(stamp, `/\.`) {
		return "", fmt.Errorf("bad stamp %q", stamp)
	}
	if filepath.Dir(filepath.Clean(staged)) != filepath.Clean(dataDir) {
		return "", fmt.Errorf("%s is not in the data folder", staged)
	}
	pending := filepath.Join(dataDir, restorePendingName)
	if _, err := os.Lstat(pending); !errors.Is(err, fs.ErrNotExist) {
		return "", ErrPending
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
	if err := syncDir(dataDir); err != nil {
		// The rename may or may not be durable: either way is consistent,
		// and Finish completes it if it is.
		return keptAside, err
	}

	// 3. Put the new set in place.
	if _, err := Finish(dataDir); err != nil {
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
	if fi, err := os.Lstat(filepath.Join(dataDir, DBName)); err == nil && fi.Mode().IsRegular() {
		files = append(files, DBName)
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
		if err := syncDir(d); err != nil {
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

// Finish completes a committed restore (dataDir/restore-pending/) and
// removes the staging folders that an interrupted Stage left. Every
// step can be repeated, so a crash inside it is completed by the next call.
// It must run before anything reads the data folder, and never while a
// restore is being staged. finished reports whether a restore was completed.
func Finish(dataDir string) (finished bool, err error) {
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
	if err := syncDir(tlsDir); err != nil {
		return false, err
	}
	if err := move(DBName); err != nil {
		return false, err
	}
	if err := syncDir(dataDir); err != nil {
		return false, err
	}
	if err := os.RemoveAll(pending); err != nil {
		return false, err
	}
	if err := syncDir(dataDir); err != nil {
		return false, err
	}
	return true, nil
}

// syncDir fsyncs a folder, making the renames and creations in it durable.
func syncDir(dir string) error {
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
func Restore(dataDir, file string, now time.Time, inspect Inspect) (keptAside string, err error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", err
	}
	db, err := openReadOnly(filepath.Join(dataDir, DBName))
	switch {
	case errors.Is(err, ErrInUse):
		return "", fmt.Errorf("%s: %w", dataDir, err)
	case err == nil:
		defer db.Close()
	}
	if _, err := Finish(dataDir); err != nil {
		return "", fmt.Errorf("finish the earlier restore: %w", err)
	}
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	staged, _, err := Stage(dataDir, f, math.MaxInt64, inspect)
	if err != nil {
		return "", fmt.Errorf("%s: %w", file, err)
	}
	return Install(dataDir, staged, now.UTC().Format("20060102-150405"))
}
