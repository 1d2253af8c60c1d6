package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coopbox/coopbox/appliance"
	"github.com/coopbox/coopbox/services/pads/ydoc"
	bolt "go.etcd.io/bbolt"
)

func TestBadFlagsExitOne(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"serve", "-hostname", "Coop Box", "-log-level", "loud", "-https", "nope"}, &out, &errb)
	if code != 1 {
		t.Fatalf("exit status %d, want 1", code)
	}
	msg := errb.String()
	for _, want := range []string{"-hostname", "-log-level", "-https"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error output lacks a message about %s: %q", want, msg)
		}
	}
	if n := strings.Count(strings.TrimSpace(msg), "\n") + 1; n != 3 {
		t.Errorf("%d lines of errors, want one per bad value (3): %q", n, msg)
	}
}

func TestVersionAndUnknownCommand(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != 0 || out.String() != "coopbox "+version+"\n" {
			t.Errorf("%v: code %d, output %q, want 0 and %q", args, code, out.String(), "coopbox "+version+"\n")
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"frobnicate"}, &out, &errb); code != 2 {
		t.Errorf("unknown command: code %d, want 2", code)
	}
}

// TestHelpListsCommands checks that the first thing a stranger types lists
// every command, each on one line, and that "serve -h" still lists serve's
// flags.
func TestHelpListsCommands(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"--help"}, {"-help"}, {"help"}} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != 0 {
			t.Errorf("%v: code %d, want 0; stderr %q", args, code, errb.String())
		}
		lines := strings.Split(out.String(), "\n")
		for _, cmd := range []string{"serve", "version", "check", "restore"} {
			n := 0
			for _, l := range lines {
				if f := strings.Fields(l); len(f) > 2 && f[0] == cmd && strings.HasPrefix(l, "  ") {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%v: %d lines describe %q, want 1:\n%s", args, n, cmd, out.String())
			}
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"serve", "-h"}, &out, &errb); code != 0 || !strings.Contains(errb.String(), "-https") {
		t.Errorf("serve -h: code %d, stderr %q; want 0 and serve's flags", code, errb.String())
	}
}

// TestCheckFolder checks that `coopbox check DIR` reads the coopbox.db in a
// data folder, and says what is missing in a folder without one.
func TestCheckFolder(t *testing.T) {
	dir := t.TempDir()
	cfg := newConfig()
	cfg.DataDir, cfg.HTTPSAddr, cfg.HTTPAddr = dir, "127.0.0.1:0", ""
	box, err := appliance.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := box.Close(); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"check", dir}, &out, &errb); code != 0 {
		t.Fatalf("check %s: code %d, stderr %q", dir, code, errb.String())
	}
	if want := filepath.Join(dir, "coopbox.db") + ": coopbox database"; !strings.HasPrefix(out.String(), want) {
		t.Errorf("check DIR said %q, want it to start with %q", out.String(), want)
	}
	if !strings.Contains(out.String(), "schema 1, consistent") {
		t.Errorf("check DIR said %q, want the schema and the consistency check", out.String())
	}

	empty := t.TempDir()
	out.Reset()
	if code := run([]string{"check", empty}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "coopbox.db") {
		t.Errorf("check of a folder without a database: code %d, stderr %q; want 1 and a word about coopbox.db", code, errb.String())
	}
}

// TestErrorsSayEachWordOnce runs the command line's failures and checks each
// message says what went wrong without a label twice ("restore: restore:"):
// each layer adds its own context, not its caller's.
func TestErrorsSayEachWordOnce(t *testing.T) {
	dir := t.TempDir()
	notGzip := filepath.Join(dir, "bad.tar.gz")
	os.WriteFile(notGzip, []byte("\x1f\x8bgarbage"), 0o600)
	text := filepath.Join(dir, "notes.txt")
	os.WriteFile(text, []byte("hello"), 0o600)
	data := filepath.Join(dir, "data")
	os.Mkdir(data, 0o700)
	held, err := bolt.Open(filepath.Join(data, "coopbox.db"), 0o600, nil) // as a running box would
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"restore", "-data", filepath.Join(dir, "other"), notGzip}, "not a valid coopbox backup"},
		{[]string{"restore", "-data", filepath.Join(dir, "other"), filepath.Join(dir, "missing.tar.gz")}, "no such file"},
		{[]string{"restore", "-data", data, notGzip}, "in use"},
		{[]string{"check", notGzip}, "not a valid coopbox backup"},
		{[]string{"check", text}, "neither a coopbox backup nor a bbolt database"},
		{[]string{"check", data}, "in use"},
		{[]string{"check", filepath.Join(dir, "missing")}, "no such file"},
	} {
		var out, errb bytes.Buffer
		if code := run(c.args, &out, &errb); code != 1 {
			t.Errorf("%v: code %d, want 1", c.args[:1], code)
		}
		msg := strings.TrimSpace(errb.String())
		if !strings.Contains(msg, c.want) || strings.Contains(msg, "\n") {
			t.Errorf("%v: %q, want one line saying %q", c.args[:1], msg, c.want)
		}
		if w := doubledWord(msg); w != "" {
			t.Errorf("%v: %q says %q twice", c.args[:1], msg, w)
		}
	}
}

// doubledWord returns a word that a message repeats right after itself, or a
// label (a word before a colon, the mark of a wrapped error) it gives twice.
func doubledWord(msg string) string {
	words := regexp.MustCompile(`[A-Za-z]+:?`).FindAllString(msg, -1)
	labels := map[string]bool{}
	for i, w := range words {
		bare := strings.TrimSuffix(w, ":")
		if i > 0 && strings.EqualFold(bare, strings.TrimSuffix(words[i-1], ":")) {
			return bare
		}
		if strings.HasSuffix(w, ":") {
			if labels[strings.ToLower(bare)] {
				return bare
			}
			labels[strings.ToLower(bare)] = true
		}
	}
	return ""
}

func TestDoubledWord(t *testing.T) {
	for msg, want := range map[string]string{
		"coopbox restore: restore: open x: no such file":               "restore",
		"coopbox restore: f.tar.gz: restore: not a valid backup":       "restore",
		"coopbox restore: f.tar.gz: not a valid coopbox backup: short": "",
		"coopbox check: the the file":                                  "the",
	} {
		if got := doubledWord(msg); got != want {
			t.Errorf("doubledWord(%q) = %q, want %q", msg, got, want)
		}
	}
}

// buildCoopbox compiles the real program once per test run.
var buildOnce struct {
	sync.Once
	path string
	err  error
}

func coopboxBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "coopbox-bin-")
		if err != nil {
			buildOnce.err = err
			return
		}
		buildOnce.path = filepath.Join(dir, "coopbox")
		out, err := exec.Command("go", "build", "-o", buildOnce.path, ".").CombinedOutput()
		if err != nil {
			buildOnce.err = err
			t.Logf("%s", out)
		}
	})
	if buildOnce.err != nil {
		t.Fatalf("build coopbox: %v", buildOnce.err)
	}
	return buildOnce.path
}

// startProcess runs coopbox on dataDir and returns its HTTPS base URL.
func startProcess(t *testing.T, dataDir string) (*exec.Cmd, string) {
	t.Helper()
	cmd, base, _ := startUnclaimed(t, dataDir)
	return cmd, base
}

// startUnclaimed runs coopbox on dataDir and returns its HTTPS base URL and
// the claim code it printed ("" for a claimed box), as make run shows them.
// It checks that coopbox told where to open it: https://localhost:PORT/.
func startUnclaimed(t *testing.T, dataDir string) (*exec.Cmd, string, string) {
	t.Helper()
	cmd := exec.Command(coopboxBinary(t), "serve", "-data", dataDir, "-https", "127.0.0.1:0", "-http", "")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	type started struct{ base, open, code string }
	addr := make(chan started, 1)
	go func() {
		re := regexp.MustCompile(`https=(https://127\.0\.0\.1:\d+)`)
		openRe := regexp.MustCompile(`msg="open the box" url=(\S+)`)
		codeRe := regexp.MustCompile(`claim_code="(\d{4} \d{4} \d{4})"`)
		var s started
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := openRe.FindStringSubmatch(sc.Text()); m != nil {
				s.open = m[1]
			}
			if m := codeRe.FindStringSubmatch(sc.Text()); m != nil {
				s.code = m[1]
			}
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				s.base = m[1]
				addr <- s
			}
		}
	}()
	select {
	case s := <-addr:
		if want := strings.Replace(s.base, "127.0.0.1", "localhost", 1) + "/"; s.open != want {
			t.Errorf("coopbox says to open %q, want %q", s.open, want)
		}
		return cmd, s.base, s.code
	case <-time.After(20 * time.Second):
		t.Fatal("coopbox did not say where it serves within 20s")
	}
	return nil, "", ""
}

func insecureClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{
		Jar:           jar,
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       10 * time.Second,
	}
}

// cutPower runs writers goroutines, each calling write up to perWriter
// times (0: until it says stop) as long as the power is on. write returns
// what the server acknowledged ("" for nothing) and whether to go on. Once
// want writes were acknowledged, with more in flight, it kills coopbox with
// SIGKILL, waits for the writers and returns every acknowledged write. It
// fails the test if the writers stop first, or in 30 s.
func cutPower(t *testing.T, cmd *exec.Cmd, writers, perWriter, want int, what string, write func() (string, bool)) []string {
	t.Helper()
	var mu sync.Mutex
	var acked []string
	var wg sync.WaitGroup
	killed := make(chan struct{})
	for range writers {
		wg.Go(func() {
			for i := 0; perWriter == 0 || i < perWriter; i++ {
				select {
				case <-killed:
					return
				default:
				}
				ack, more := write()
				if ack != "" {
					mu.Lock()
					acked = append(acked, ack)
					mu.Unlock()
				}
				if !more {
					return
				}
			}
		})
	}
	writersDone := make(chan struct{})
	go func() { wg.Wait(); close(writersDone) }()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(time.Millisecond) {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= want {
			break
		}
		select {
		case <-writersDone:
			t.Fatalf("the writers gave up after %d acknowledged %s, before the power cut", n, what)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d %s acknowledged in 30s", n, what)
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	close(killed)
	cmd.Wait()
	wg.Wait()
	t.Logf("%d %s acknowledged before SIGKILL", len(acked), what)
	return acked
}

// TestPowerCut kills coopbox with SIGKILL in the middle of a stream of
// writes (invitations created by a facilitator, from four clients at once),
// starts it again on the same folder and checks that every write the server
// had acknowledged is there.
func TestPowerCut(t *testing.T) {
	dir := t.TempDir()
	cmd, base, code := startUnclaimed(t, dir)
	owner := insecureClient()
	res, err := owner.PostForm(base+"/claim", url.Values{"box": {"Coupure"}, "name": {"Camille"}, "code": {code},
		"passphrase": {"une longue phrase"}, "again": {"une longue phrase"}})
	if err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("claim: %v %v", err, res)
	}
	res.Body.Close()

	linkRe := regexp.MustCompile(`/invite/([A-Za-z0-9_-]{32})`)
	// Cut the power once a dozen writes were acknowledged, with more in flight.
	tokens := cutPower(t, cmd, 4, 7, 12, "invitations", func() (string, bool) {
		res, err := owner.PostForm(base+"/facilitators/invites", url.Values{})
		if err != nil {
			return "", false // the server died under us: not acknowledged
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusCreated {
			return "", false
		}
		if m := linkRe.FindSubmatch(body); m != nil {
			return string(m[1]), true
		}
		return "", true
	})

	_, base = startProcess(t, dir)
	visitor := insecureClient()
	for _, tok := range tokens {
		res, err := visitor.Get(base + "/invite/" + tok)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("acknowledged invitation %s…: status %d after restart, want 200", tok[:6], res.StatusCode)
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"check", filepath.Join(dir, "coopbox.db")}, &out, &errb); code == 0 {
		t.Errorf("check succeeded on the database of a running coopbox; want it to say the file is in use")
	}
}

// TestRestoreCommand takes a backup from a running coopbox, refuses to restore
// while it runs, stops it with SIGTERM, restores with the command line and
// starts again on the restored data.
func TestRestoreCommand(t *testing.T) {
	dir := t.TempDir()
	cmd, base, code := startUnclaimed(t, dir)
	owner := insecureClient()
	res, err := owner.PostForm(base+"/claim", url.Values{"box": {"Sauvegarde"}, "name": {"Camille"}, "code": {code},
		"passphrase": {"une longue phrase"}, "again": {"une longue phrase"}})
	if err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("claim: %v %v", err, res)
	}
	res.Body.Close()
	res, err = owner.Get(base + "/admin/backup")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("backup: %v %v", err, res)
	}
	backup, _ := io.ReadAll(res.Body)
	res.Body.Close()
	file := filepath.Join(t.TempDir(), "sauvegarde.tar.gz")
	if err := os.WriteFile(file, backup, 0o600); err != nil {
		t.Fatal(err)
	}

	bob := insecureClient()
	res, err = bob.PostForm(base+"/join", url.Values{"name": {"Bob"}})
	if err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("join: %v %v", err, res)
	}
	res.Body.Close()

	var out, errb bytes.Buffer
	if code := run([]string{"restore", "-data", dir, file}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "in use") {
		t.Errorf("restore while running: code %d, stderr %q; want 1 and a message saying the database is in use", code, errb.String())
	}

	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("coopbox after SIGTERM: %v, want a clean exit", err)
	}
	out.Reset()
	errb.Reset()
	if code := run([]string{"check", file}, &out, &errb); code != 0 {
		t.Fatalf("check: code %d, %s", code, errb.String())
	}
	if code := run([]string{"restore", "-data", dir, file}, &out, &errb); code != 0 {
		t.Fatalf("restore: code %d, %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "the previous data is kept in "+filepath.Join(dir, "before-restore-")) {
		t.Errorf("restore said %q, want where the previous data is kept", out.String())
	}

	// Into an empty folder there is nothing to keep, and it says so.
	out.Reset()
	if code := run([]string{"restore", "-data", filepath.Join(t.TempDir(), "new"), file}, &out, &errb); code != 0 ||
		!strings.Contains(out.String(), "held no data before") {
		t.Errorf("restore into a new folder: code %d, %q %q", code, out.String(), errb.String())
	}

	_, base = startProcess(t, dir)
	me := func(c *http.Client) string {
		res, err := c.Get(base + "/api/me")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		return string(raw)
	}
	if got := me(bob); !strings.Contains(got, `"role":"anonymous"`) {
		t.Errorf("Bob joined after the backup, yet after restore /api/me = %s", got)
	}
	if got := me(owner); !strings.Contains(got, `"role":"facilitator"`) {
		t.Errorf("the owner's session from the backup: /api/me = %s", got)
	}
}

// TestPowerCutPads kills coopbox with SIGKILL while an author types into a
// pad, after a second client has received some of those characters (the
// server relays an update only once it is committed), starts it again and
// checks that every character the second client saw is in the pad.
func TestPowerCutPads(t *testing.T) {
	dir := t.TempDir()
	cmd, base, code := startUnclaimed(t, dir)
	c := insecureClient()
	res, err := c.PostForm(base+"/claim", url.Values{"box": {"Coupure"}, "name": {"Camille"}, "code": {code},
		"passphrase": {"une longue phrase"}, "again": {"une longue phrase"}})
	if err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("claim: %v %v", err, res)
	}
	res.Body.Close()
	res, err = c.Post(base+"/api/pads", "application/json", strings.NewReader(`{"title":"AG"}`))
	if err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("create pad: %v %v", err, res)
	}
	var pad struct{ ID string }
	json.NewDecoder(res.Body).Decode(&pad)
	res.Body.Close()

	dial := func(base string) *websocket.Conn {
		u, _ := url.Parse(base)
		hdr := http.Header{"Origin": {base}}
		for _, ck := range c.Jar.Cookies(u) {
			hdr.Add("Cookie", ck.Name+"="+ck.Value)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		ws, _, err := websocket.Dial(ctx, "wss"+strings.TrimPrefix(base, "https")+"/pads/ws/"+pad.ID,
			&websocket.DialOptions{HTTPHeader: hdr, HTTPClient: &http.Client{Transport: c.Transport}})
		if err != nil {
			t.Fatal(err)
		}
		ws.SetReadLimit(16 << 20)
		return ws
	}
	author, watcher := dial(base), dial(base)
	// The deadline ends the reader and the author, and so the wait below,
	// if the server stops relaying.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	seen := make(chan int, 4096) // clocks of the author's characters the watcher received
	go func() {
		for {
			_, msg, err := watcher.Read(ctx)
			if err != nil {
				close(seen)
				return
			}
			if len(msg) > 3 && msg[0] == 0 && msg[1] == 2 {
				for _, clock := range authorClocks(msg[2:]) {
					select {
					case seen <- clock:
					case <-ctx.Done(): // nobody reads any more
					}
				}
			}
		}
	}()
	go func() {
		for clock := uint64(0); ctx.Err() == nil; clock++ {
			if author.Write(ctx, websocket.MessageBinary, typeOne(4242, clock)) != nil {
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	maxSeen := -1
	for clock := range seen {
		maxSeen = max(maxSeen, clock)
		if maxSeen >= 150 {
			break
		}
	}
	if maxSeen < 150 {
		t.Fatalf("the watcher received %d characters before its connection ended (%v), want 150 before the power cut", maxSeen+1, ctx.Err())
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	cancel()
	t.Logf("the watcher had received %d characters when the power was cut", maxSeen+1)

	_, base = startProcess(t, dir)
	res, err = c.Get(base + "/pads/" + pad.ID + "/export/yjs")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("export after restart: %v %v", err, res)
	}
	state, _ := io.ReadAll(res.Body)
	res.Body.Close()
	d := ydoc.NewDoc(1)
	if err := d.ApplyUpdate(state); err != nil {
		t.Fatal(err)
	}
	if got := d.Text("text").Len(); got < maxSeen+1 {
		t.Errorf("after the power cut the pad has %d characters; the watcher had received %d", got, maxSeen+1)
	}
}

// typeOne is the y-websocket update message by which client types its
// clock-th character, "x", right after its previous one in Y.Text "text".
func typeOne(client, clock uint64) []byte {
	u := binary.AppendUvarint(nil, 1)
	u = binary.AppendUvarint(u, 1)
	u = binary.AppendUvarint(u, client)
	u = binary.AppendUvarint(u, clock)
	if clock == 0 {
		u = append(u, 4, 1, 4, 't', 'e', 'x', 't')
	} else {
		u = append(u, 4|0x80)
		u = binary.AppendUvarint(u, client)
		u = binary.AppendUvarint(u, clock-1)
	}
	u = append(u, 1, 'x', 0)
	msg := append([]byte{0, 2}, binary.AppendUvarint(nil, uint64(len(u)))...)
	return append(msg, u...)
}

// authorClocks lists the clocks of client 4242's characters in a relayed
// update (one message may merge several, one item may hold several).
func authorClocks(b []byte) []int {
	r := bytes.NewReader(b)
	next := func() uint64 { v, _ := binary.ReadUvarint(r); return v }
	next() // length
	var out []int
	for range next() {
		n, client, clock := next(), next(), next()
		for range n {
			info, err := r.ReadByte()
			if err != nil || info&0x1f != 4 {
				return out
			}
			if info&0x80 != 0 {
				next()
				next()
			}
			if info&0x40 != 0 {
				next()
				next()
			}
			if info&0xc0 == 0 {
				if next() == 1 {
					r.Seek(int64(next()), io.SeekCurrent)
				} else {
					next()
					next()
				}
			}
			length := next()
			r.Seek(int64(length), io.SeekCurrent)
			if client == 4242 {
				for i := range length {
					out = append(out, int(clock+i))
				}
			}
			clock += length
		}
	}
	return out
}
