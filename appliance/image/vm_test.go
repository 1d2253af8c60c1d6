package image

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
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
	"strings"
	"sync"
	"testing"
	"time"
)

// requireTools skips the test when a tool is missing, or fails it when
// COOPBOX_REQUIRE_ALL=1 (make test, CI): there a missing tool is a broken
// machine, not a reason to pass.
func requireTools(t *testing.T, tools ...string) {
	t.Helper()
	var missing []string
	for _, tool := range tools {
		if _, err := exec.LookPath(toolPath(tool)); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := fmt.Sprintf("missing %s (Debian: qemu-system-arm dosfstools mtools squashfs-tools e2fsprogs; make deps installs them)", strings.Join(missing, ", "))
	if os.Getenv("COOPBOX_REQUIRE_ALL") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

var buildTools = []string{"go", "mkfs.fat", "mcopy", "mtype", "mksquashfs", "mke2fs"}

// testImages builds each machine's image once per test run.
var testImages struct {
	sync.Mutex
	built map[string]*Summary
	dir   string
}

const testPassword = "gokrazy-test-password"

// buildTestImage builds the image of machine from the repository's
// gokr-packer.json, changed by edit when not nil; name keys the cache.
func buildTestImage(t *testing.T, machine, name string, edit func(*Config)) *Summary {
	t.Helper()
	requireTools(t, buildTools...)
	testImages.Lock()
	defer testImages.Unlock()
	if s := testImages.built[name]; s != nil {
		return s
	}
	if testImages.dir == "" {
		dir, err := os.MkdirTemp("", "coopbox-image-test-")
		if err != nil {
			t.Fatal(err)
		}
		testImages.dir = dir
		testImages.built = map[string]*Summary{}
	}
	c, err := LoadConfig(filepath.Join("..", "..", "gokr-packer.json"))
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(c)
	}
	var log bytes.Buffer
	start := time.Now()
	s, err := Build(context.Background(), Options{
		Config: c, ModuleDir: filepath.Join("..", ".."), Machine: machine,
		Output: filepath.Join(testImages.dir, name+".img"), Size: 2 << 30,
		Password: testPassword, Version: "test-1", Progress: &log,
	})
	if err != nil {
		t.Fatalf("build %s image: %v\n%s", machine, err, log.Bytes())
	}
	var sum bytes.Buffer
	s.WriteTo(&sum)
	t.Logf("built the %s image in %s:\n%s%s", machine, time.Since(start).Round(time.Second), log.Bytes(), sum.Bytes())
	testImages.built[name] = s
	return s
}

func TestMain(m *testing.M) {
	code := m.Run()
	if testImages.dir != "" {
		os.RemoveAll(testImages.dir)
	}
	os.Exit(code)
}

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

// box is a booted VM and how to reach it.
type box struct {
	guest   *Guest
	console *lockedBuffer
	https   string // https://127.0.0.1:port
	gokrazy string // http://127.0.0.1:port
}

// bootBox boots img and waits until coopbox answers /healthz.
func bootBox(t *testing.T, img, label string) (*box, time.Duration) {
	t.Helper()
	return bootMachine(t, VM, img, label)
}

func bootMachine(t *testing.T, machine, img, label string) (*box, time.Duration) {
	t.Helper()
	hp, gp := freePort(t), freePort(t)
	console := &lockedBuffer{}
	g, err := Boot(context.Background(), VMConfig{
		Image: img, Machine: machine, Console: console,
		Forwards: []Forward{{hp, 443}, {gp, 8080}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		g.Kill()
		if t.Failed() {
			t.Logf("serial console of %s:\n%s", label, tail(console.String(), 60))
		}
	})
	b := &box{guest: g, console: console, https: fmt.Sprintf("https://127.0.0.1:%d", hp), gokrazy: fmt.Sprintf("http://127.0.0.1:%d", gp)}
	c := client()
	c.Timeout = 2 * time.Second
	deadline := time.Now().Add(4 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case <-g.Done():
			t.Fatalf("%s: QEMU exited before coopbox answered", label)
		default:
		}
		if res, err := c.Get(b.https + "/healthz"); err == nil {
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK && strings.TrimSpace(string(body)) == "ok" {
				took := time.Since(g.Started())
				t.Logf("%s: /healthz answered ok %.1fs after QEMU started", label, took.Seconds())
				return b, took
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("%s: no answer from /healthz within 4 minutes", label)
	return nil, 0
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
func claimCode(t *testing.T, b *box) string {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if m := claimCodeRe.FindStringSubmatch(b.console.String()); m != nil {
			return m[1]
		}
	}
	t.Fatalf("no claim code on the serial console within 30s:\n%s", tail(b.console.String(), 30))
	return ""
}

// TestVMBoot builds the QEMU image, boots it, and checks what a person
// would: coopbox answers on the forwarded HTTPS port with its own pages
// (gokrazy's interface is on 8080, behind its password), what the owner
// writes survives a reboot, and a power cut in the middle of writes loses
// nothing the box acknowledged.
func TestVMBoot(t *testing.T) {
	if testing.Short() {
		t.Skip("boots a virtual machine; not in -short")
	}
	requireTools(t, "qemu-system-aarch64")
	start := time.Now()
	s := buildTestImage(t, VM, "vm", nil)

	// Boot 1: a fresh box.
	b, took := bootBox(t, s.Output, "boot 1")
	owner := client()
	res, err := owner.Get(b.https + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != "/claim" {
		t.Errorf("landing page of an unclaimed box: %d to %q, want 303 to /claim", res.StatusCode, loc)
	}
	res, err = owner.Get(b.https + "/claim")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !bytes.Contains(body, []byte("coopbox")) || !bytes.Contains(body, []byte(`name="passphrase"`)) || bytes.Contains(bytes.ToLower(body), []byte("gokrazy")) {
		t.Errorf("the claim page is not coopbox's:\n%s", tail(string(body), 20))
	}

	// gokrazy's own interface: port 8080, its password, supervising coopbox.
	res, err = http.Get(b.gokrazy + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("gokrazy's interface without a password: %d, want 401", res.StatusCode)
	}
	req, _ := http.NewRequest("GET", b.gokrazy+"/", nil)
	req.SetBasicAuth("gokrazy", testPassword)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("/user/coopbox")) {
		t.Errorf("gokrazy's status page: %d, does not list /user/coopbox", res.StatusCode)
	}
	// gokrazy's page tells each program's memory; coopbox's right after boot
	// is a figure worth reporting (not a pass/fail criterion).
	if m := regexp.MustCompile(`coopbox uses ([0-9.]+ [KMG]i?B) RSS`).FindSubmatch(body); m != nil {
		t.Logf("FIGURES coopbox RSS right after boot (gokrazy's status page): %s", m[1])
	}

	// The claim: the code from the serial console, as a person at the box
	// reads it there or on the screen, and the owner's own update password.
	res, err = owner.PostForm(b.https+"/claim", url.Values{"box": {"Salle des fêtes"}, "name": {"Camille"},
		"passphrase": {"une longue phrase"}, "again": {"une longue phrase"}, "code": {claimCode(t, b)},
		"update_password": {ownerUpdatePassword}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("claim: status %d, want 303", res.StatusCode)
	}
	var before []string
	for range 5 {
		tok := invite(owner, b.https)
		if tok == "" {
			t.Fatal("an invitation was not acknowledged")
		}
		before = append(before, tok)
	}
	res, err = owner.Get(b.https + "/api/status")
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
	t.Logf("FIGURES boot-to-healthz %.1fs, coopbox RSS after claim and 5 invitations %.1f MiB", took.Seconds(), float64(status.MemoryRSS)/(1<<20))

	// A clean reboot through gokrazy, as the box's owner would do it.
	req, _ = http.NewRequest("POST", b.gokrazy+"/reboot?wait_per_signal=10s", nil)
	req.SetBasicAuth("gokrazy", testPassword)
	if res, err := http.DefaultClient.Do(req); err != nil {
		t.Fatalf("reboot: %v", err)
	} else {
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("reboot: status %d", res.StatusCode)
		}
	}
	select {
	case <-b.guest.Done():
	case <-time.After(2 * time.Minute):
		t.Fatal("the guest did not reboot within 2 minutes")
	}

	// Boot 2: everything written is there; then the power is cut while
	// four clients write.
	b, _ = bootBox(t, s.Output, "boot 2")
	checkInvites(t, b.https, before, "after a reboot")
	checkUpdatePassword(t, b)
	var (
		mu    sync.Mutex
		acked []string
		wg    sync.WaitGroup
		cut   = make(chan struct{})
	)
	stopWriters := sync.OnceFunc(func() { close(cut); wg.Wait() })
	defer stopWriters() // a failed wait below must not leave them spinning
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-cut:
					return
				default:
				}
				if tok := invite(owner, b.https); tok != "" {
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
			t.Fatalf("only %d invitations acknowledged in a minute after reboot (is the session gone?)", n)
		}
	}
	b.guest.Kill()
	stopWriters()
	t.Logf("%d invitations acknowledged before the power cut", len(acked))

	// Boot 3: every acknowledged write survived.
	b, _ = bootBox(t, s.Output, "boot 3")
	checkInvites(t, b.https, before, "after the power cut")
	checkInvites(t, b.https, acked, "after the power cut")
	t.Logf("FIGURES TestVMBoot took %s", time.Since(start).Round(time.Second))
}

// checkUpdatePassword: after the reboot that follows the claim, gokrazy
// takes the owner's update password (/perm/gokr-pw.txt) and refuses the
// one the image was built with.
func checkUpdatePassword(t *testing.T, b *box) {
	t.Helper()
	for _, tt := range []struct {
		password string
		want     int
	}{{testPassword, http.StatusUnauthorized}, {ownerUpdatePassword, http.StatusOK}} {
		req, _ := http.NewRequest("GET", b.gokrazy+"/", nil)
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

// TestRaspi3b boots the Pi image's own kernel and Pi 3 device tree under
// QEMU's raspi3b, as far as QEMU goes. QEMU gives that machine its network
// on USB (usb0), where the real Pi 3B+ has eth0, so this image's dhcp is
// told to use usb0; everything else is the Pi image as built for cards.
func TestRaspi3b(t *testing.T) {
	if testing.Short() {
		t.Skip("boots a virtual machine; not in -short")
	}
	requireTools(t, "qemu-system-aarch64")
	s := buildTestImage(t, Pi, "pi-usb0", func(c *Config) {
		if c.PackageConfig == nil {
			c.PackageConfig = map[string]PackageConfig{}
		}
		c.PackageConfig["github.com/gokrazy/gokrazy/cmd/dhcp"] = PackageConfig{CommandLineFlags: []string{"-interface=usb0"}}
	})
	b, took := bootMachine(t, Pi, s.Output, "raspi3b")
	res, err := client().Get(b.https + "/claim")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !bytes.Contains(body, []byte(`name="passphrase"`)) {
		t.Errorf("the claim page under raspi3b is not coopbox's:\n%s", tail(string(body), 20))
	}
	console := b.console.String()
	for _, want := range []string{"Machine model: Raspberry Pi 3", "mmcblk0", "VFS: Mounted root (squashfs filesystem)", "Run /gokrazy/init", "EXT4-fs (mmcblk0p4): mounted"} {
		if !strings.Contains(console, want) {
			t.Errorf("the Pi kernel's console lacks %q", want)
		}
	}
	t.Logf("FIGURES raspi3b: Pi kernel and Pi 3 device tree, /healthz ok %.1fs after QEMU started", took.Seconds())
}

// TestVMUpdate updates a running box through gokrazy's update endpoints,
// as make update does: the box reboots into the new root partition with
// the new coopbox, and its data is still there.
func TestVMUpdate(t *testing.T) {
	if testing.Short() {
		t.Skip("boots a virtual machine; not in -short")
	}
	requireTools(t, "qemu-system-aarch64")
	first := buildTestImage(t, VM, "vm-update", nil)
	c, err := LoadConfig(filepath.Join("..", "..", "gokr-packer.json"))
	if err != nil {
		t.Fatal(err)
	}

	b, _ := bootBox(t, first.Output, "before the update")
	owner := client()
	// The update password chosen at claim is the builder's, so that the
	// updates below, after a reboot, still use testPassword.
	res, err := owner.PostForm(b.https+"/claim", url.Values{"box": {"Mise à jour"}, "name": {"Camille"},
		"passphrase": {"une longue phrase"}, "again": {"une longue phrase"}, "code": {claimCode(t, b)},
		"update_password": {testPassword}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	tok := invite(owner, b.https)
	if tok == "" {
		t.Fatal("an invitation was not acknowledged")
	}
	if got := version(t, owner, b.https); got != "test-1" {
		t.Fatalf("version before the update = %q, want test-1", got)
	}

	var log bytes.Buffer
	start := time.Now()
	err = Update(context.Background(), Options{Config: c, ModuleDir: filepath.Join("..", ".."), Machine: VM,
		Password: testPassword, Version: "test-2", Progress: &log}, Box{BaseURL: b.gokrazy, Password: testPassword})
	if err != nil {
		t.Fatalf("update: %v\n%s", err, log.Bytes())
	}
	t.Logf("update sent in %s:\n%s", time.Since(start).Round(time.Second), log.Bytes())
	select {
	case <-b.guest.Done():
	case <-time.After(2 * time.Minute):
		t.Fatal("the box did not reboot within 2 minutes of the update")
	}

	b, took := bootBox(t, first.Output, "after the update")
	if !strings.Contains(b.guest.Cmdline, fmt.Sprintf("root=PARTUUID=%08x-03", first.DiskID)) {
		t.Errorf("after the update the box boots %q, want root B (-03)", b.guest.Cmdline)
	}
	if got := version(t, owner, b.https); got != "test-2" {
		t.Errorf("version after the update = %q, want test-2", got)
	}
	checkInvites(t, b.https, []string{tok}, "after the update")
	t.Logf("FIGURES update: back on the new version, /healthz %.1fs after QEMU started", took.Seconds())

	// A build for another hostname would name another disk: refused.
	other := *c
	other.Hostname = "autre-boite"
	err = Update(context.Background(), Options{Config: &other, ModuleDir: filepath.Join("..", ".."), Machine: VM,
		Password: testPassword, Version: "test-3"}, Box{BaseURL: b.gokrazy, Password: testPassword})
	if err == nil || !strings.Contains(err.Error(), "unable to boot") {
		t.Errorf("update built for another hostname: err = %v, want a refusal", err)
	}

	// A wrong password changes nothing.
	err = Update(context.Background(), Options{Config: c, ModuleDir: filepath.Join("..", ".."), Machine: VM,
		Password: testPassword, Version: "test-3"}, Box{BaseURL: b.gokrazy, Password: "wrong"})
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("update with a wrong password: err = %v, want a 401", err)
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
