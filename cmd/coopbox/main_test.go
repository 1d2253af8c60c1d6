package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"encoding/json"
	"io"
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
	"github.com/coopbox/coopbox/services/editor/ydoc"
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
	var out, errb bytes.Buffer
	if code := run([]string{"version"}, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "coopbox ") {
		t.Errorf("version: code %d, output %q", code, out.String())
	}
	if code := run([]string{"frobnicate"}, &out, &errb); code != 2 {
		t.Errorf("unknown command: code %d, want 2", code)
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
	var mu sync.Mutex
	var acked []string
	var wg sync.WaitGroup
	killed := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for i := 0; i < 7; i++ {
				select {
				case <-killed:
					return
				default:
				}
				res, err := owner.PostForm(base+"/facilitators/invites", url.Values{})
				if err != nil {
					return // the server died under us: not acknowledged
				}
				body, err := io.ReadAll(res.Body)
				res.Body.Close()
				if err != nil || res.StatusCode != http.StatusCreated {
					return
				}
				if m := linkRe.FindSubmatch(body); m != nil {
					mu.Lock()
					acked = append(acked, string(m[1]))
					mu.Unlock()
				}
			}
		})
	}
	// Cut the power once a dozen writes were acknowledged, with more in flight.
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 12 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	close(killed)
	cmd.Wait()
	wg.Wait()
	mu.Lock()
	tokens := append([]string(nil), acked...)
	mu.Unlock()
	t.Logf("%d invitations acknowledged before SIGKILL", len(tokens))

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
	t.Logf("%s", out.String())

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
	ctx, cancel := context.WithCancel(context.Background())
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
					seen <- clock
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
