package appliance

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/coopbox/coopbox/appliance/backup"
	pagekit "github.com/coopbox/coopbox/services/page"
	"github.com/coopbox/coopbox/services/person"
)

// status is what the facilitator's admin page and /api/status show.
type status struct {
	Version     string    `json:"version"`
	Hostname    string    `json:"hostname"`
	Uptime      string    `json:"uptime"`
	UptimeSec   int64     `json:"uptimeSeconds"`
	Now         time.Time `json:"now"`
	ClockUnset  bool      `json:"clockUnset"`
	ClockSetBy  string    `json:"clockSetBy,omitempty"`
	DataDir     string    `json:"dataDir"`
	DiskFree    int64     `json:"diskFreeBytes"`
	DiskTotal   int64     `json:"diskTotalBytes"`
	MemoryRSS   int64     `json:"memoryRssBytes"`
	MemoryGo    int64     `json:"memoryGoBytes"`
	DBSize      int64     `json:"databaseBytes"`
	Connected   int       `json:"peopleConnected"`
	Fingerprint string    `json:"caFingerprint"`

	// The administration page only: a proposal for a new gokrazy update
	// password when the box writes one (claim.go), and whether one was saved.
	NewUpdatePassword   string `json:"-"`
	UpdatePasswordSaved bool   `json:"-"`
}

func (b *Box) status() status {
	s := status{
		Version:     b.cfg.Version,
		Hostname:    b.cfg.Hostname,
		Uptime:      b.uptime().String(),
		UptimeSec:   int64(b.uptime() / time.Second),
		Now:         b.clock.Now(),
		ClockUnset:  b.clock.Unset(),
		ClockSetBy:  b.clock.SetBy(),
		DataDir:     b.cfg.DataDir,
		Connected:   b.people.connected(),
		Fingerprint: b.certs.Load().Fingerprint(),
	}
	if abs, err := filepath.Abs(b.cfg.DataDir); err == nil {
		s.DataDir = abs
	}
	var fs syscall.Statfs_t
	if err := syscall.Statfs(b.cfg.DataDir, &fs); err == nil {
		s.DiskFree = int64(fs.Bavail) * int64(fs.Bsize)
		s.DiskTotal = int64(fs.Blocks) * int64(fs.Bsize)
	}
	if fi, err := os.Stat(filepath.Join(b.cfg.DataDir, dbFileName)); err == nil {
		s.DBSize = fi.Size()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s.MemoryGo = int64(ms.Sys)
	s.MemoryRSS = residentBytes()
	return s
}

// residentBytes reads the process's resident set size from /proc (Linux, the
// box and CI); 0 elsewhere.
func residentBytes() int64 {
	raw, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(raw))
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return 0
	}
	return pages * int64(os.Getpagesize())
}

func (b *Box) admin(w http.ResponseWriter, r *http.Request) {
	b.render(w, r, http.StatusOK, "admin", page{Data: b.adminStatus()})
}

// adminStatus is the status as the administration page shows it.
func (b *Box) adminStatus() status {
	s := b.status()
	if b.cfg.GokrazyPasswordFile != "" {
		s.NewUpdatePassword = newUpdatePassword()
	}
	return s
}

func (b *Box) apiStatus(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, b.status())
}

// maxRestoreUpload bounds a backup upload. A year of a busy box's pads and
// votes is tens of megabytes; the data folder's free space is the real limit.
const maxRestoreUpload = 2 << 30

// downloadBackup streams a consistent hot backup. The database is copied into
// a temporary file inside one read transaction first, so a slow phone
// downloading it never holds a transaction open (which would stall writers
// that need to grow the file).
func (b *Box) downloadBackup(w http.ResponseWriter, r *http.Request) {
	tmp, err := os.CreateTemp(b.cfg.DataDir, "backup-*.tmp")
	if err != nil {
		b.fail(w, r, "admin", err, b.status())
		return
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	now := b.clock.Now()
	m := backup.Manifest{Version: b.cfg.Version, Hostname: b.cfg.Hostname, BoxName: b.boxName(), Created: now}
	if err := backup.Write(tmp, b.db, b.cfg.DataDir, m, inspectDB); err != nil {
		b.fail(w, r, "admin", err, b.status())
		return
	}
	b.log.Info("backup downloaded", "by", person.FromContext(r.Context()).Name)
	w.Header().Set("Content-Type", "application/gzip")
	w.Header().Set("Content-Disposition", `attachment; filename="`+backup.FileName(b.cfg.Hostname, now)+`"`)
	http.ServeContent(w, r, "", time.Time{}, tmp)
}

// uploadRestore checks an uploaded backup completely, then hands it to Run,
// which swaps it in once the requests in flight are done.
func (b *Box) uploadRestore(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxRestoreUpload+1<<20)
	mr, err := r.MultipartReader()
	if err != nil {
		b.fail(w, r, "admin", fmt.Errorf("%w: %v", backup.ErrInvalid, err), b.status())
		return
	}
	for {
		part, err := mr.NextPart()
		if err != nil {
			b.fail(w, r, "admin", fmt.Errorf("%w: no file named backup in the form", backup.ErrInvalid), b.status())
			return
		}
		if part.FormName() != "backup" {
			continue
		}
		staged, m, err := backup.Stage(b.cfg.DataDir, part, maxRestoreUpload, inspectDB)
		if err != nil {
			b.log.Warn("restore refused", "err", err)
			b.fail(w, r, "admin", err, b.status())
			return
		}
		select {
		case b.restores <- staged:
		default:
			os.RemoveAll(staged)
			b.fail(w, r, "admin", backup.ErrPending, b.status())
			return
		}
		b.log.Info("restore accepted", "by", person.FromContext(r.Context()).Name, "backup_created", m.Created)
		p := b.printer(r)
		b.render(w, r, http.StatusAccepted, "restoring", page{Printer: p, Data: map[string]string{"created": pagekit.FormatDate(p.Lang(), m.Created)}})
		return
	}
}
