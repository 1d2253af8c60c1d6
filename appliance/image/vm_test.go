package image

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coopbox/coopbox/appliance/image/services"
	"github.com/coopbox/coopbox/appliance/image/testboot"
	"github.com/coopbox/coopbox/appliance/listener"
)

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// lockedBuffer collects the serial console.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// vm is a box under QEMU that stays plugged in: when the guest reboots,
// QEMU exits (-no-reboot, so that each boot reads cmdline.txt from the
// image, as a Pi's firmware does) and vm starts it again, on the same
// forwarded ports, as a Pi comes back by itself. A power cut is a kill.
type vm struct {
	machine, img   string
	https, gokrazy string // https://127.0.0.1:port, http://127.0.0.1:port
	console        *lockedBuffer
	password       string // gokrazy's: the builder's, then the owner's once a claim took effect

	mu      sync.Mutex
	boots   []*Guest
	started chan struct{} // closed and replaced at each boot
	err     error
	stop    chan struct{}
	done    chan struct{}
}

// maxBoots stops a machine that keeps rebooting.
const maxBoots = 12

func startVM(t *testing.T, machine, img string) *vm {
	t.Helper()
	requireTools(t, "qemu-system-aarch64")
	hp, gp := freePort(t), freePort(t)
	v := &vm{machine: machine, img: img, console: &lockedBuffer{}, password: testPassword,
		https: fmt.Sprintf("https://127.0.0.1:%d", hp), gokrazy: fmt.Sprintf("http://127.0.0.1:%d", gp),
		started: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	go v.run([]Forward{{hp, 443}, {gp, 8080}})
	t.Cleanup(func() {
		close(v.stop)
		<-v.done
		if t.Failed() {
			t.Logf("serial console of the %s machine:\n%s", machine, tail(v.console.String(), 80))
		}
	})
	return v
}

func (v *vm) run(fwd []Forward) {
	defer close(v.done)
	for n := 1; n <= maxBoots; n++ {
		fmt.Fprintf(v.console, "\n--- boot %d ---\n", n)
		g, err := Boot(context.Background(), VMConfig{Image: v.img, Machine: v.machine, Console: v.console, Forwards: fwd})
		v.mu.Lock()
		if err != nil {
			v.err = err
			v.mu.Unlock()
			return
		}
		v.boots = append(v.boots, g)
		close(v.started)
		v.started = make(chan struct{})
		v.mu.Unlock()
		select {
		case <-g.Done():
		case <-v.stop:
			g.Kill()
			return
		}
	}
	v.mu.Lock()
	v.err = fmt.Errorf("rebooted %d times", maxBoots)
	v.mu.Unlock()
}

// current returns the number of boots so far and the last one.
func (v *vm) current() (int, *Guest) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.boots) == 0 {
		return 0, nil
	}
	return len(v.boots), v.boots[len(v.boots)-1]
}

// boot returns the nth boot (1 is the first).
func (v *vm) boot(n int) *Guest {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.boots[n-1]
}

// waitBoot waits until the machine has booted n times.
func (v *vm) waitBoot(t *testing.T, n int, within time.Duration) *Guest {
	t.Helper()
	deadline := time.After(within)
	for {
		v.mu.Lock()
		got, started, err := len(v.boots), v.started, v.err
		v.mu.Unlock()
		if got >= n {
			return v.boot(n)
		}
		if err != nil {
			t.Fatalf("boot %d: %v", n, err)
		}
		select {
		case <-started:
		case <-deadline:
			t.Fatalf("boot %d did not start within %s (%d boots)", n, within, got)
		}
	}
}

// healthy waits until boot n answers /healthz, and returns how long after
// QEMU started it did.
func (v *vm) healthy(t *testing.T, n int) time.Duration {
	t.Helper()
	g := v.waitBoot(t, n, 5*time.Minute)
	c := client()
	c.Timeout = 2 * time.Second
	deadline := time.Now().Add(4 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case <-g.Done():
			t.Fatalf("boot %d ended before coopbox answered", n)
		default:
		}
		if res, err := c.Get(v.https + "/healthz"); err == nil {
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK && strings.TrimSpace(string(body)) == "ok" {
				took := time.Since(g.Started())
				t.Logf("boot %d: /healthz answered ok %.1fs after QEMU started", n, took.Seconds())
				return took
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("boot %d: no answer from /healthz within 4 minutes", n)
	return 0
}

// gokrazyDo makes an authenticated request to gokrazy's interface.
func (v *vm) gokrazyDo(t *testing.T, method, path string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, v.gokrazy+path, nil)
	req.SetBasicAuth("gokrazy", v.password)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, body
}

// bootReport is coopbox-init's word on the running boot.
func (v *vm) bootReport(t *testing.T) testboot.Report {
	t.Helper()
	code, body := v.gokrazyDo(t, "GET", testboot.Path)
	var r testboot.Report
	if err := json.Unmarshal(body, &r); code != http.StatusOK || err != nil {
		t.Fatalf("%s: %d %v\n%s", testboot.Path, code, err, body)
	}
	return r
}

func client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{
		Jar:           jar,
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}
}

func tail(s string, lines int) string {
	l := strings.Split(s, "\n")
	if len(l) > lines {
		l = l[len(l)-lines:]
	}
	return strings.Join(l, "\n")
}

var inviteRe = regexp.MustCompile(`/invite/([A-Za-z0-9_-]{32})`)

// invite creates an invitation as the signed-in owner and returns its
// token, or "" when the box did not acknowledge it.
func invite(c *http.Client, base string) string {
	res, err := c.PostForm(base+"/facilitators/invites", url.Values{})
	if err != nil {
		return ""
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusCreated {
		return ""
	}
	if m := inviteRe.FindSubmatch(body); m != nil {
		return string(m[1])
	}
	return ""
}

func checkInvites(t *testing.T, base string, tokens []string, when string) {
	t.Helper()
	c := client()
	for _, tok := range tokens {
		res, err := c.Get(base + "/invite/" + tok)
		if err != nil {
			t.Fatalf("%s: %v", when, err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s: acknowledged invitation %s… answers %d, want 200", when, tok[:6], res.StatusCode)
		}
	}
}

// ownerUpdatePassword is the update password the owner chooses at claim.
const ownerUpdatePassword = "owner-update-password"

var claimCodeRe = regexp.MustCompile(`coopbox: claim code (\d{4} \d{4} \d{4})`)

// claimCode waits for the claim code that coopbox prints on the serial
// console of an unclaimed box.
func claimCode(t *testing.T, v *vm) string {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if m := claimCodeRe.FindStringSubmatch(v.console.String()); m != nil {
			return m[1]
		}
	}
	t.Fatalf("no claim code on the serial console within 30s:\n%s", tail(v.console.String(), 30))
	return ""
}

// claim claims a fresh box as the owner: the code from the serial console,
// as a person at the box reads it there or on the screen, and the owner's
// own update password.
func claim(t *testing.T, owner *http.Client, v *vm, box string) {
	t.Helper()
	res, err := owner.PostForm(v.https+"/claim", url.Values{"box": {box}, "name": {"Camille"},
		"passphrase": {"une longue phrase"}, "again": {"une longue phrase"}, "code": {claimCode(t, v)},
		"update_password": {ownerUpdatePassword}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("claim: status %d, want 303", res.StatusCode)
	}
}

// version asks the signed-in facilitator's status for coopbox's version.
func version(t *testing.T, c *http.Client, base string) string {
	t.Helper()
	res, err := c.Get(base + "/api/status")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var s struct{ Version string }
	if err := json.NewDecoder(res.Body).Decode(&s); err != nil {
		t.Fatalf("/api/status: %d, %v", res.StatusCode, err)
	}
	return s.Version
}

// rootOf returns the partition a kernel command line names, and whether
// it asks for a test boot.
func rootOf(t *testing.T, cmdline string) (int, bool) {
	t.Helper()
	n, err := testboot.RootPartition(cmdline)
	if err != nil {
		t.Fatal(err)
	}
	return n, slices.Contains(strings.Fields(cmdline), testboot.Marker)
}

// TestVM follows one box under QEMU through its life, each step a subtest
// on the same running machine. It is the slowest test of the repository
// (about four minutes warm on two cores): six boots of an emulated arm64
// machine (10–60 s each), two update builds (half a minute each), and the
// one-minute trial a bad update gets before the box goes back. Boots are
// shared rather than each step booting a fresh box; a step that fails
// stops the ones after it, which need its state.
//
//  1. fresh box: coopbox's claim page, gokrazy's interface behind the
//     builder's password and with the limits of every listener (slow and
//     big headers), a claim, after which only the owner's update password
//     opens gokrazy's interface, at once; five invitations
//  2. power cut while four clients write: every acknowledged write is
//     there after the next boot
//  3. update: the new version is tried once, answers, and is permanent;
//     the data is there
//  4. clean reboot: the new version stays (it is permanent), the data too
//  5. bad update (a coopbox that exits at start): the box goes back to
//     the previous version by itself, data intact
//  6. updates that must be refused: a build for another hostname, a
//     wrong password
func TestVM(t *testing.T) {
	if testing.Short() {
		t.Skip("boots a virtual machine; not in -short")
	}
	requireTools(t, "qemu-system-aarch64")
	start := time.Now()
	img := vmImage(t)
	v := startVM(t, VM, img.Path)
	owner := client()
	var before []string // invitations acknowledged so far
	c, err := LoadConfig(filepath.Join("..", "..", "gokr-packer.json"))
	if err != nil {
		t.Fatal(err)
	}
	box := Box{BaseURL: v.gokrazy, Password: testPassword}

	steps := []struct {
		name string
		f    func(t *testing.T)
	}{
		{"fresh box", func(t *testing.T) {
			took := v.healthy(t, 1)
			res, err := owner.Get(v.https + "/")
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != "/claim" {
				t.Errorf("landing page of an unclaimed box: %d to %q, want 303 to /claim", res.StatusCode, loc)
			}
			res, err = owner.Get(v.https + "/claim")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if !bytes.Contains(body, []byte("coopbox")) || !bytes.Contains(body, []byte(`name="passphrase"`)) || bytes.Contains(bytes.ToLower(body), []byte("gokrazy")) {
				t.Errorf("the claim page is not coopbox's:\n%s", tail(string(body), 20))
			}

			// gokrazy's own interface: port 8080, the builder's password until
			// the claim, supervising coopbox; the limits of every listener.
			slowHeaders := make(chan error, 1)
			go func() { slowHeaders <- v.slowHeaders() }()
			v.bigHeaders(t)
			res, err = http.Get(v.gokrazy + "/")
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusUnauthorized {
				t.Errorf("gokrazy's interface without a password: %d, want 401", res.StatusCode)
			}
			code, body := v.gokrazyDo(t, "GET", "/")
			if code != http.StatusOK || !bytes.Contains(body, []byte("/user/coopbox")) {
				t.Errorf("gokrazy's status page: %d, does not list /user/coopbox", code)
			}
			// gokrazy's page tells each program's memory; coopbox's right
			// after boot is a figure worth reporting (not a criterion).
			if m := regexp.MustCompile(`coopbox uses ([0-9.]+ [KMG]i?B) RSS`).FindSubmatch(body); m != nil {
				t.Logf("FIGURES coopbox RSS right after boot (gokrazy's status page): %s", m[1])
			}
			if r := v.bootReport(t); r.State != testboot.Normal || r.RunningRoot != 2 || r.NamedRoot != 2 {
				t.Errorf("boot report of a fresh box = %+v, want a normal boot of root 2", r)
			}

			claim(t, owner, v, "Salle des fêtes")
			// The owner's update password counts at once, the builder's no more.
			checkUpdatePassword(t, v)
			v.password, box.Password = ownerUpdatePassword, ownerUpdatePassword
			for range 5 {
				tok := invite(owner, v.https)
				if tok == "" {
					t.Fatal("an invitation was not acknowledged")
				}
				before = append(before, tok)
			}
			res, err = owner.Get(v.https + "/api/status")
			if err != nil {
				t.Fatal(err)
			}
			var status struct {
				MemoryRSS int64 `json:"memoryRssBytes"`
			}
			err = json.NewDecoder(res.Body).Decode(&status)
			res.Body.Close()
			if err != nil || status.MemoryRSS == 0 {
				t.Errorf("/api/status: %v, memoryRssBytes %d", err, status.MemoryRSS)
			}
			if got := version(t, owner, v.https); got != "test-1" {
				t.Errorf("version = %q, want test-1", got)
			}
			t.Logf("FIGURES boot-to-healthz %.1fs, coopbox RSS after claim and 5 invitations %.1f MiB", took.Seconds(), float64(status.MemoryRSS)/(1<<20))
			if err := <-slowHeaders; err != nil {
				t.Error(err)
			}
		}},

		{"power cut while writing", func(t *testing.T) {
			var (
				mu    sync.Mutex
				acked []string
				wg    sync.WaitGroup
				cut   = make(chan struct{})
			)
			for range 4 {
				wg.Go(func() {
					for {
						select {
						case <-cut:
							return
						default:
						}
						if tok := invite(owner, v.https); tok != "" {
							mu.Lock()
							acked = append(acked, tok)
							mu.Unlock()
						}
					}
				})
			}
			for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
				mu.Lock()
				n := len(acked)
				mu.Unlock()
				if n >= 12 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("only %d invitations acknowledged in a minute", n)
				}
			}
			n, g := v.current()
			g.Kill()
			close(cut)
			wg.Wait()
			t.Logf("%d invitations acknowledged before the power cut", len(acked))
			v.healthy(t, n+1)
			checkInvites(t, v.https, before, "after the power cut")
			checkInvites(t, v.https, acked, "after the power cut")
			before = append(before, acked...)
			// The owner's update password, not the builder's, after a boot.
			checkUpdatePassword(t, v)
		}},

		{"update", func(t *testing.T) {
			n, _ := v.current()
			var log bytes.Buffer
			start := time.Now()
			sent, err := Update(context.Background(), Options{Config: c, ModuleDir: filepath.Join("..", ".."), Machine: VM,
				Password: testPassword, Version: "test-2", Progress: &log}, box)
			if err != nil {
				t.Fatalf("update: %v\n%s", err, log.Bytes())
			}
			sentAfter := time.Since(start)
			ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
			defer cancel()
			if err := box.Await(ctx, sent); err != nil {
				t.Fatalf("the update did not become permanent: %v\n%s", err, log.Bytes())
			}
			t.Logf("update built and sent in %s, permanent %s later:\n%s", sentAfter.Round(time.Second), (time.Since(start) - sentAfter).Round(time.Second), log.Bytes())

			// One reboot: a test boot of root B from root A's command line,
			// gokrazy's switch, and no second boot.
			if got, _ := v.current(); got != n+1 {
				t.Errorf("the update took %d boots, want 1", got-n)
			}
			root, trial := rootOf(t, v.boot(n+1).Cmdline)
			if root != 2 || !trial {
				t.Errorf("the boot after the update had the command line %q: want root A (-02) and %s", v.boot(n+1).Cmdline, testboot.Marker)
			}
			if r := v.bootReport(t); r.State != testboot.Permanent || r.RunningRoot != 3 || r.NamedRoot != 2 {
				t.Errorf("boot report = %+v, want a permanent test boot of root 3", r)
			}
			v.healthy(t, n+1)
			if got := version(t, owner, v.https); got != "test-2" {
				t.Errorf("version after the update = %q, want test-2", got)
			}
			checkInvites(t, v.https, before, "after the update")

			// Until it reboots, the box runs the root its command line does
			// not name: another update would write over the running root.
			_, err = Update(context.Background(), Options{Config: c, ModuleDir: filepath.Join("..", ".."), Machine: VM,
				Password: testPassword, Version: "test-2b"}, box)
			if err == nil || !strings.Contains(err.Error(), "reboot it first") {
				t.Errorf("a second update before a reboot: err = %v, want a refusal", err)
			}
		}},

		{"the update survives a reboot", func(t *testing.T) {
			n, g := v.current()
			if code, body := v.gokrazyDo(t, "POST", "/reboot?wait_per_signal=10s"); code != http.StatusOK {
				t.Fatalf("reboot: %d %s", code, body)
			}
			select {
			case <-g.Done():
			case <-time.After(2 * time.Minute):
				t.Fatal("the guest did not reboot within 2 minutes")
			}
			v.healthy(t, n+1)
			if root, trial := rootOf(t, v.boot(n+1).Cmdline); root != 3 || trial {
				t.Errorf("after a reboot the box boots %q, want root B (-03) and no trial", v.boot(n+1).Cmdline)
			}
			if r := v.bootReport(t); r.State != testboot.Normal || r.RunningRoot != 3 {
				t.Errorf("boot report = %+v, want a normal boot of root 3", r)
			}
			if got := version(t, owner, v.https); got != "test-2" {
				t.Errorf("version after a reboot = %q, want test-2", got)
			}
			checkInvites(t, v.https, before, "after a clean reboot")
		}},

		{"bad update rolls back", func(t *testing.T) {
			// A coopbox that exits at start: a flag it does not know.
			bad := *c
			bad.PackageConfig = map[string]PackageConfig{}
			for k, pc := range c.PackageConfig {
				bad.PackageConfig[k] = pc
			}
			pc := bad.PackageConfig[coopboxPkg]
			pc.CommandLineFlags = append(slices.Clone(pc.CommandLineFlags), "-no-such-flag")
			bad.PackageConfig[coopboxPkg] = pc

			n, _ := v.current()
			var log bytes.Buffer
			sent, err := Update(context.Background(), Options{Config: &bad, ModuleDir: filepath.Join("..", ".."), Machine: VM,
				Password: testPassword, Version: "test-3", Progress: &log}, box)
			if err != nil {
				t.Fatalf("update: %v\n%s", err, log.Bytes())
			}
			ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
			defer cancel()
			err = box.Await(ctx, sent)
			if !errors.Is(err, ErrRolledBack) || !strings.Contains(err.Error(), "/healthz") {
				t.Fatalf("Await = %v, want %v with the last /healthz error\n%s", err, ErrRolledBack, log.Bytes())
			}
			t.Logf("the updater says: %v\n%s", err, log.Bytes())

			// Two boots: the trial of root A, then root B again.
			if got, _ := v.current(); got != n+2 {
				t.Fatalf("the bad update took %d boots, want 2 (the trial, then back)", got-n)
			}
			trialBoot, back := v.boot(n+1), v.boot(n+2)
			if root, trial := rootOf(t, trialBoot.Cmdline); root != 3 || !trial {
				t.Errorf("the trial booted %q: want root B's command line (-03) asking for a test boot", trialBoot.Cmdline)
			}
			if root, trial := rootOf(t, back.Cmdline); root != 3 || trial || !strings.Contains(back.Cmdline, "gokrazy.switch_on_boot=1") {
				t.Errorf("after the trial the box booted %q: want root B (-03), the trial spent", back.Cmdline)
			}
			lasted := back.Started().Sub(trialBoot.Started())
			if lasted < testboot.Deadline {
				t.Errorf("the trial lasted %s, less than the %s coopbox has to answer", lasted, testboot.Deadline)
			}
			v.healthy(t, n+2)
			if r := v.bootReport(t); r.State != testboot.Normal || r.RunningRoot != 3 {
				t.Errorf("boot report = %+v, want a normal boot of root 3", r)
			}
			if got := version(t, owner, v.https); got != "test-2" {
				t.Errorf("version after the roll-back = %q, want test-2", got)
			}
			checkInvites(t, v.https, before, "after the roll-back")
			t.Logf("FIGURES bad update: the trial boot lasted %s before the box went back", lasted.Round(time.Second))
		}},

		{"refused updates", func(t *testing.T) {
			// A build for another hostname would name another disk: refused.
			other := *c
			other.Hostname = "autre-boite"
			_, err := Update(context.Background(), Options{Config: &other, ModuleDir: filepath.Join("..", ".."), Machine: VM,
				Password: testPassword, Version: "test-4"}, box)
			if err == nil || !strings.Contains(err.Error(), "unable to boot") {
				t.Errorf("update built for another hostname: err = %v, want a refusal", err)
			}
			// A wrong password changes nothing.
			_, err = Update(context.Background(), Options{Config: c, ModuleDir: filepath.Join("..", ".."), Machine: VM,
				Password: testPassword, Version: "test-4"}, Box{BaseURL: v.gokrazy, Password: "wrong"})
			if err == nil || !strings.Contains(err.Error(), "401") {
				t.Errorf("update with a wrong password: err = %v, want a 401", err)
			}
		}},
	}
	for _, s := range steps {
		stepStart := time.Now()
		ok := t.Run(s.name, s.f)
		t.Logf("step %q took %s", s.name, time.Since(stepStart).Round(time.Second))
		if !ok {
			t.Fatalf("step %q failed; the steps after it need its state", s.name)
		}
	}
	t.Logf("FIGURES TestVM took %s", time.Since(start).Round(time.Second))
}

// checkUpdatePassword: once the box is claimed, gokrazy's interface takes
// the owner's update password (/perm/gokr-pw.txt) and refuses the one the
// image was built with, without a reboot (package aside).
func checkUpdatePassword(t *testing.T, v *vm) {
	t.Helper()
	for _, tt := range []struct {
		password string
		want     int
	}{{testPassword, http.StatusUnauthorized}, {ownerUpdatePassword, http.StatusOK}} {
		req, _ := http.NewRequest("GET", v.gokrazy+"/", nil)
		req.SetBasicAuth("gokrazy", tt.password)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tt.want {
			t.Errorf("gokrazy after the claim, password %q: %d, want %d", tt.password, res.StatusCode, tt.want)
		}
	}
}

// slowHeaders: gokrazy's port drops a client whose headers never end,
// after the header timeout of every listener of the box.
func (v *vm) slowHeaders() error {
	limit := listener.Default().Header
	c, err := net.DialTimeout("tcp", strings.TrimPrefix(v.gokrazy, "http://"), 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	start := time.Now()
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: coopbox\r\n")
	c.SetReadDeadline(start.Add(limit + 15*time.Second))
	_, err = c.Read(make([]byte, 1))
	waited := time.Since(start)
	switch {
	case err == nil:
		return fmt.Errorf("gokrazy's port answered headers that never ended")
	case isTimeout(err):
		return fmt.Errorf("gokrazy's port kept a connection whose headers never ended for %v (limit %v)", waited.Round(time.Second), limit)
	case waited < limit-2*time.Second:
		// QEMU's forward closes at once when nothing listens in the guest.
		return fmt.Errorf("gokrazy's port dropped a connection after %v, before the %v header timeout: %v", waited, limit, err)
	}
	return nil
}

// bigHeaders: gokrazy's port answers 431 to 64 KiB of headers.
func (v *vm) bigHeaders(t *testing.T) {
	t.Helper()
	c, err := net.DialTimeout("tcp", strings.TrimPrefix(v.gokrazy, "http://"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: coopbox\r\nX-Big: %s\r\n\r\n", strings.Repeat("a", 64<<10))
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("64 KiB of headers to gokrazy's port: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("64 KiB of headers to gokrazy's port: %d, want 431", res.StatusCode)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TestRaspi3b boots the Pi image's own kernel and Pi 3 device tree under
// QEMU's raspi3b, as far as QEMU goes: one boot of an emulated Pi 3, about
// a minute. QEMU gives that machine its network on USB (usb0), where the
// real Pi 3B+ has eth0, so the copy booted here has gokrazy's dhcp told to
// use usb0 (its root file system repacked with that one change); all else
// is the Pi image TestPiImage checks.
func TestRaspi3b(t *testing.T) {
	if testing.Short() {
		t.Skip("boots a virtual machine; not in -short")
	}
	requireTools(t, "qemu-system-aarch64", "unsquashfs")
	start := time.Now()
	img := withServices(t, piImage(t).Path, func(list []services.Service) {
		for i := range list {
			if list[i].Path == "/gokrazy/dhcp" {
				list[i].Args = []string{"-interface=usb0"}
			}
		}
	})
	v := startVM(t, Pi, img)
	took := v.healthy(t, 1)
	res, err := client().Get(v.https + "/claim")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !bytes.Contains(body, []byte(`name="passphrase"`)) {
		t.Errorf("the claim page under raspi3b is not coopbox's:\n%s", tail(string(body), 20))
	}
	console := v.console.String()
	for _, want := range []string{"Machine model: Raspberry Pi 3", "mmcblk0", "VFS: Mounted root (squashfs filesystem)", "Run /gokrazy/init", "EXT4-fs (mmcblk0p4): mounted"} {
		if !strings.Contains(console, want) {
			t.Errorf("the Pi kernel's console lacks %q", want)
		}
	}
	t.Logf("FIGURES raspi3b: Pi kernel and Pi 3 device tree, /healthz ok %.1fs after QEMU started; the test took %s", took.Seconds(), time.Since(start).Round(time.Second))
}

// withServices returns a copy of the image file img whose root A lists
// the programs as edit leaves them: the root file system is unpacked,
// services.json rewritten and the root packed again, in seconds rather
// than the minute a build takes.
func withServices(t *testing.T, img string, edit func([]services.Service)) string {
	t.Helper()
	dir := t.TempDir()
	dst := filepath.Join(dir, "image")
	if out, err := exec.Command("cp", "--sparse=always", img, dst).CombinedOutput(); err != nil {
		t.Fatalf("copy the image: %v\n%s", err, out)
	}
	f, err := os.OpenFile(dst, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	root := filepath.Join(dir, "root")
	sqfs := extract(t, f, filepath.Join(dir, "root.squashfs"), root2, RootSize)
	if _, err := output(context.Background(), "unsquashfs", "-no-progress", "-d", root, sqfs); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(root, filepath.FromSlash(services.Path))
	list, err := services.Read(file)
	if err != nil {
		t.Fatal(err)
	}
	edit(list)
	b, err := services.Encode(list)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	repacked := filepath.Join(dir, "root2.squashfs")
	if _, err := squashfs(context.Background(), root, repacked); err != nil {
		t.Fatal(err)
	}
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	// device: every byte is written, over the old root's.
	tg := &target{f: f, path: dst, size: st.Size(), device: true}
	if err := tg.writePart(repacked, root2, "root A", newProgress(nil)); err != nil {
		t.Fatal(err)
	}
	return dst
}
