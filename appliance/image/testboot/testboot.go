// Package testboot makes an update that does not come up healthy go back
// to the previous version by itself, the way gokrazy does it: the new root
// is booted once (a test boot) and made permanent only when it is healthy.
//
// How a test boot goes, from the update to the end:
//
//  1. The updater (appliance/image.Update) writes the new root into the
//     partition not in use, then the new boot partition with
//     gokrazy.try_boot_inactive=1 on its kernel command line, through
//     gokrazy's /update/bootonly, which points root= back at the partition
//     in use. Then it reboots the box.
//  2. The firmware boots the root in use, the known-good one. Its init
//     calls gokrazy.Boot, which finds the marker in cmdline.txt, rewrites it
//     to gokrazy.switch_on_boot=1 (so that the marker is spent before
//     anything new has run) and switches into the other root: the new init
//     runs on the new root.
//  3. The new init (cmd/coopbox-init) sees the marker in /proc/cmdline and
//     that it runs on the partition root= does not name: a test boot. It
//     starts the programs and asks each one's health URL (coopbox's
//     /healthz) until all answer 200, for at most Deadline.
//  4. Healthy: it makes the new root permanent with gokrazy's own switch
//     (cmdline.txt's root= now names the new partition) and syncs.
//     Not healthy at the deadline: it reboots. cmdline.txt still names the
//     previous root and carries no marker, so the previous version boots.
//
// Why on the box and not in the updater: the box must roll back whether or
// not the laptop that sent the update is still there. A power cut at any
// moment of the test boot leaves cmdline.txt naming the previous root (the
// marker is spent in step 2, before anything new runs; the switch in step 4
// rewrites the two digits of root= in place), so the box comes back on the
// previous version, or on the new one once it was confirmed. A coopbox that hangs or exits never answers, so
// the deadline reboots the box; a new init that crashes panics the kernel,
// which reboots (panic=10 on the command line); a box that hangs
// altogether is the hardware watchdog's (gokrazy.Boot feeds the Pi's, which
// resets the board when nobody does).
//
// What it does not cover: the boot partition (kernel, firmware, device
// trees) is shared by both roots and is not rolled back.
package testboot

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Marker is the word of the kernel command line that asks gokrazy's init
// to boot the root not named by root= once.
const Marker = "gokrazy.try_boot_inactive=1"

// Deadline is how long a test boot's programs have to answer their health
// URLs, counted from the start of the programs.
const Deadline = time.Minute

// Path is where the init answers with its Report on gokrazy's interface.
const Path = "/coopbox/boot"

// State is where a boot stands.
type State string

const (
	// Normal is a boot of the permanent root.
	Normal State = "normal"
	// Testing is a test boot waiting for its programs to answer.
	Testing State = "testing"
	// Permanent is a test boot that was healthy and was made permanent.
	Permanent State = "permanent"
	// Failed is a test boot that was not healthy in time: the box is
	// rebooting into the previous root.
	Failed State = "failed"
)

// Report is what Path answers, as JSON.
type Report struct {
	State State `json:"state"`
	// Detail says why a test boot is still waiting or failed.
	Detail string `json:"detail,omitempty"`
	// NamedRoot is the root partition the kernel command line names,
	// RunningRoot the one mounted as /; they differ in a test boot.
	NamedRoot   int `json:"namedRoot"`
	RunningRoot int `json:"runningRoot"`
	// BootID tells boots apart (the kernel's random boot_id).
	BootID string `json:"bootID,omitempty"`
}

// RootPartition returns the root partition (2 or 3) named by root= in a
// kernel command line, as gokrazy writes it (root=PARTUUID=1234abcd-02) or
// as older installations do (root=/dev/mmcblk0p2).
func RootPartition(cmdline string) (int, error) {
	for _, w := range strings.Fields(cmdline) {
		v, ok := strings.CutPrefix(w, "root=")
		if !ok {
			continue
		}
		if v == "" {
			break
		}
		n, err := strconv.Atoi(v[len(v)-1:])
		if err != nil || (n != 2 && n != 3) || (strings.HasPrefix(v, "PARTUUID=") && !strings.HasSuffix(v, "-0"+strconv.Itoa(n))) {
			return 0, fmt.Errorf("root=%s names neither root partition 2 nor 3", v)
		}
		return n, nil
	}
	return 0, fmt.Errorf("no root= in the kernel command line %q", cmdline)
}

// Detect tells what this boot is from the kernel command line and the
// partition mounted as /. A test boot is one asked for by Marker in which
// gokrazy did switch: if the switch failed, init runs on the root the
// command line names, the previous version, which must not confirm.
func Detect(cmdline string, running int) (Report, error) {
	named, err := RootPartition(cmdline)
	if err != nil {
		return Report{}, err
	}
	r := Report{State: Normal, NamedRoot: named, RunningRoot: running}
	for _, w := range strings.Fields(cmdline) {
		if w == Marker && running != named {
			r.State = Testing
		}
	}
	return r, nil
}

// Checker follows a boot: it answers Path and, on a test boot, runs the
// health checks and then confirms or reboots.
type Checker struct {
	Log *slog.Logger
	// URLs must all answer 200 for the boot to be healthy; none means
	// healthy as soon as the programs are started.
	URLs []string
	// Deadline is Deadline unless set (tests).
	Deadline time.Duration
	// Client asks the URLs; each request is also bounded by Interval+5s.
	Client *http.Client
	// Confirm makes the running root permanent.
	Confirm func() error
	// Reboot restarts the box; it may not return.
	Reboot func()
	// Err, when set, is why this boot cannot be healthy, known at start
	// (init could not read the list of programs): a test boot then goes
	// back without waiting.
	Err error

	mu  sync.Mutex
	rep Report
}

// NewChecker returns a Checker for a boot detected as rep.
func NewChecker(rep Report, log *slog.Logger) *Checker {
	return &Checker{Log: log, rep: rep}
}

// Report returns where the boot stands.
func (c *Checker) Report() Report {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rep
}

func (c *Checker) set(s State, detail string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rep.State, c.rep.Detail = s, detail
}

// ServeHTTP answers the Report as JSON.
func (c *Checker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(c.Report())
}

// Run checks a test boot and confirms it or reboots; on any other boot it
// returns at once. It returns the final state (Failed once Reboot returns,
// which a real reboot does not).
func (c *Checker) Run(ctx context.Context) State {
	if c.Report().State != Testing {
		return c.Report().State
	}
	deadline := c.Deadline
	if deadline == 0 {
		deadline = Deadline
	}
	start := time.Now()
	c.Log.Info("test boot of a new root: waiting for its programs to answer", "root", c.Report().RunningRoot, "previous", c.Report().NamedRoot, "urls", c.URLs, "deadline", deadline)
	err := c.Err
	if err == nil {
		err = c.waitHealthy(ctx, deadline)
	}
	if err == nil {
		if err = c.Confirm(); err != nil {
			err = fmt.Errorf("make the new root permanent: %w", err)
		}
	}
	if err != nil {
		c.Log.Error("test boot failed: rebooting into the previous root", "err", err, "after", time.Since(start).Round(time.Millisecond))
		c.set(Failed, err.Error())
		c.Reboot()
		return Failed
	}
	c.Log.Info("test boot healthy: the new root is permanent", "root", c.Report().RunningRoot, "after", time.Since(start).Round(time.Millisecond))
	c.set(Permanent, "")
	return Permanent
}

// interval is the pause between two rounds of health checks.
const interval = 500 * time.Millisecond

// waitHealthy asks every URL until all answer 200 in one round, or the
// deadline passes. The error names what answered last, for the updater.
func (c *Checker) waitHealthy(ctx context.Context, deadline time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	for {
		err := c.round(ctx)
		if err == nil {
			return nil
		}
		c.set(Testing, err.Error())
		select {
		case <-ctx.Done():
			return fmt.Errorf("not healthy within %s: %w", deadline, err)
		case <-time.After(interval):
		}
	}
}

func (c *Checker) round(ctx context.Context) error {
	for _, u := range c.URLs {
		if err := c.probe(ctx, u); err != nil {
			return err
		}
	}
	return nil
}

func (c *Checker) probe(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, interval+5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("health URL %s: %w", url, err)
	}
	res, err := c.Client.Do(req)
	if err != nil {
		return err // names the URL
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", url, res.Status)
	}
	return nil
}

// BootID returns the kernel's identifier of this boot, or "".
func BootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
