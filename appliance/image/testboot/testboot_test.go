package testboot

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestRootPartition(t *testing.T) {
	for _, tt := range []struct {
		cmdline string
		want    int
	}{
		{"console=tty1 root=PARTUUID=1234abcd-02 ro init=/gokrazy/init", 2},
		{"root=PARTUUID=1234abcd-03 rootwait " + Marker, 3},
		{"root=/dev/mmcblk0p3 ro", 3},
		{"root=/dev/sda2", 2},
	} {
		got, err := RootPartition(tt.cmdline)
		if err != nil || got != tt.want {
			t.Errorf("RootPartition(%q) = %d, %v; want %d", tt.cmdline, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "ro rootwait", "root=", "root=PARTUUID=1234abcd-04", "root=/dev/sda1", "root=PARTUUID=1234abcd-2"} {
		if n, err := RootPartition(bad); err == nil {
			t.Errorf("RootPartition(%q) = %d, want an error", bad, n)
		}
	}
}

func TestDetect(t *testing.T) {
	const normal = "console=tty1 root=PARTUUID=1234abcd-02 ro init=/gokrazy/init"
	for _, tt := range []struct {
		name    string
		cmdline string
		running int
		want    State
	}{
		{"first boot", normal, 2, Normal},
		{"after an update made permanent", strings.Replace(normal, "-02", "-03", 1) + " gokrazy.switch_on_boot=1", 3, Normal},
		{"test boot, switched", normal + " " + Marker, 3, Testing},
		// gokrazy could not switch: this is the previous root, which must
		// not confirm anything.
		{"test boot asked, not switched", normal + " " + Marker, 2, Normal},
		{"after a roll-back", normal + " gokrazy.switch_on_boot=1", 2, Normal},
		{"marker as part of another word", normal + " x" + Marker, 3, Normal},
	} {
		r, err := Detect(tt.cmdline, tt.running)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if r.State != tt.want || r.RunningRoot != tt.running {
			t.Errorf("%s: Detect = %+v, want state %s", tt.name, r, tt.want)
		}
	}
	if _, err := Detect("ro rootwait", 2); err == nil {
		t.Error("Detect without root=: no error")
	}
}

// checker returns a Checker of a test boot that counts confirmations and
// reboots.
func checker(urls []string, confirmErr error) (*Checker, *atomic.Int32, *atomic.Int32) {
	var confirmed, rebooted atomic.Int32
	c := NewChecker(Report{State: Testing, NamedRoot: 2, RunningRoot: 3}, slog.New(slog.DiscardHandler))
	c.URLs = urls
	c.Client = &http.Client{}
	c.Deadline = 2 * time.Second
	c.Confirm = func() error { confirmed.Add(1); return confirmErr }
	c.Reboot = func() { rebooted.Add(1) }
	return c, &confirmed, &rebooted
}

func TestHealthyTestBootIsConfirmed(t *testing.T) {
	// The program answers 503 twice (starting up), then 200.
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 2 {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok\n")
	}))
	defer srv.Close()
	c, confirmed, rebooted := checker([]string{srv.URL + "/healthz"}, nil)
	if got := c.Run(context.Background()); got != Permanent {
		t.Fatalf("Run = %s, want %s", got, Permanent)
	}
	if confirmed.Load() != 1 || rebooted.Load() != 0 {
		t.Errorf("confirmed %d times, rebooted %d times; want 1 and 0", confirmed.Load(), rebooted.Load())
	}
	if calls.Load() != 3 {
		t.Errorf("asked /healthz %d times, want 3", calls.Load())
	}
	if r := c.Report(); r.State != Permanent || r.Detail != "" {
		t.Errorf("report after confirmation = %+v", r)
	}
}

func TestUnhealthyTestBootReboots(t *testing.T) {
	hung := make(chan struct{})
	defer close(hung)
	answers := map[string]http.HandlerFunc{
		"never 200": func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "database unavailable", http.StatusServiceUnavailable)
		},
		"hangs": func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-hung:
			case <-r.Context().Done():
			}
		},
	}
	for name, h := range answers {
		srv := httptest.NewServer(h)
		c, confirmed, rebooted := checker([]string{srv.URL + "/healthz"}, nil)
		start := time.Now()
		got := c.Run(context.Background())
		took := time.Since(start)
		srv.Close()
		if got != Failed || confirmed.Load() != 0 || rebooted.Load() != 1 {
			t.Errorf("%s: Run = %s, confirmed %d, rebooted %d; want failed, 0, 1", name, got, confirmed.Load(), rebooted.Load())
		}
		if took < c.Deadline || took > c.Deadline+3*time.Second {
			t.Errorf("%s: gave up after %s, want the deadline %s", name, took, c.Deadline)
		}
		if r := c.Report(); r.State != Failed || !strings.Contains(r.Detail, "not healthy within 2s") {
			t.Errorf("%s: report = %+v, want failed with the reason", name, r)
		}
	}

	// Nothing listens: the box's program exits at start.
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c, confirmed, rebooted := checker([]string{url + "/healthz"}, nil)
	if got := c.Run(context.Background()); got != Failed || confirmed.Load() != 0 || rebooted.Load() != 1 {
		t.Errorf("nothing listening: Run = %s, confirmed %d, rebooted %d", got, confirmed.Load(), rebooted.Load())
	}
}

func TestEveryURLMustAnswer(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer ok.Close()
	bad := httptest.NewServer(http.NotFoundHandler())
	defer bad.Close()
	c, confirmed, rebooted := checker([]string{ok.URL, bad.URL}, nil)
	c.Deadline = time.Second
	if got := c.Run(context.Background()); got != Failed || confirmed.Load() != 0 || rebooted.Load() != 1 {
		t.Errorf("one of two URLs failing: Run = %s, confirmed %d, rebooted %d", got, confirmed.Load(), rebooted.Load())
	}
}

func TestFailedConfirmationReboots(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	c, confirmed, rebooted := checker([]string{srv.URL}, errors.New("write cmdline.txt: read-only"))
	if got := c.Run(context.Background()); got != Failed || confirmed.Load() != 1 || rebooted.Load() != 1 {
		t.Errorf("Run = %s, confirmed %d, rebooted %d; want failed, 1, 1", got, confirmed.Load(), rebooted.Load())
	}
	if r := c.Report(); !strings.Contains(r.Detail, "read-only") {
		t.Errorf("report = %+v, want the confirmation's error", r)
	}
}

func TestKnownBrokenTestBootRebootsAtOnce(t *testing.T) {
	c, confirmed, rebooted := checker(nil, nil)
	c.Err = errors.New("read /etc/coopbox/services.json: no such file")
	start := time.Now()
	if got := c.Run(context.Background()); got != Failed || confirmed.Load() != 0 || rebooted.Load() != 1 {
		t.Errorf("Run = %s, confirmed %d, rebooted %d; want failed, 0, 1", got, confirmed.Load(), rebooted.Load())
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("took %s to give up on a boot known to be broken", took)
	}
}

func TestNoHealthURLConfirmsAtOnce(t *testing.T) {
	c, confirmed, rebooted := checker(nil, nil)
	if got := c.Run(context.Background()); got != Permanent || confirmed.Load() != 1 || rebooted.Load() != 0 {
		t.Errorf("Run = %s, confirmed %d, rebooted %d; want permanent, 1, 0", got, confirmed.Load(), rebooted.Load())
	}
}

func TestNormalBootChecksNothing(t *testing.T) {
	c := NewChecker(Report{State: Normal, NamedRoot: 2, RunningRoot: 2}, slog.New(slog.DiscardHandler))
	c.Confirm = func() error { t.Error("a normal boot confirmed"); return nil }
	c.Reboot = func() { t.Error("a normal boot rebooted") }
	if got := c.Run(context.Background()); got != Normal {
		t.Errorf("Run = %s, want normal", got)
	}
}

func TestServeReport(t *testing.T) {
	c := NewChecker(Report{State: Testing, NamedRoot: 2, RunningRoot: 3, BootID: "b1"}, slog.New(slog.DiscardHandler))
	c.set(Testing, "connection refused")
	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, httptest.NewRequest("GET", Path, nil))
	var got Report
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("%s: %v", rec.Body, err)
	}
	if want := (Report{State: Testing, Detail: "connection refused", NamedRoot: 2, RunningRoot: 3, BootID: "b1"}); got != want {
		t.Errorf("report = %+v, want %+v", got, want)
	}
}

// FuzzDetect: any command line (cmdline.txt is written by updates sent
// over the network) gives an answer or an error, never a panic, and a test
// boot only where the marker is and the root differs.
func FuzzDetect(f *testing.F) {
	f.Add("console=tty1 root=PARTUUID=1234abcd-02 ro "+Marker, 3)
	f.Add("root=/dev/mmcblk0p3", 2)
	f.Add("root=", 2)
	f.Fuzz(func(t *testing.T, cmdline string, running int) {
		r, err := Detect(cmdline, running)
		if err != nil {
			return
		}
		if r.NamedRoot != 2 && r.NamedRoot != 3 {
			t.Errorf("Detect(%q) named root %d", cmdline, r.NamedRoot)
		}
		if r.State == Testing && (r.NamedRoot == running || !strings.Contains(cmdline, Marker)) {
			t.Errorf("Detect(%q, %d) = %+v: a test boot without the marker or on the named root", cmdline, running, r)
		}
	})
}
