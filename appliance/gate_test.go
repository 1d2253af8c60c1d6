package appliance

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/coder/websocket"
	"github.com/coopbox/coopbox/services/locale"
	pagekit "github.com/coopbox/coopbox/services/page"
	"github.com/coopbox/coopbox/services/person"
	bolt "go.etcd.io/bbolt"
)

// dialWS opens a WebSocket on the box as client c (its cookies, its trust).
func (tb *testBox) dialWS(ctx context.Context, c *http.Client, path string, hdr http.Header) (*websocket.Conn, *http.Response, error) {
	u, _ := url.Parse(tb.base)
	if hdr == nil {
		hdr = http.Header{"Origin": {tb.base}}
	}
	for _, ck := range c.Jar.Cookies(u) {
		hdr.Add("Cookie", ck.Name+"="+ck.Value)
	}
	return websocket.Dial(ctx, "wss"+strings.TrimPrefix(tb.base, "https")+path,
		&websocket.DialOptions{HTTPHeader: hdr, HTTPClient: &http.Client{Transport: c.Transport}})
}

// watchClose reads ws until it ends: nil when the box closed it cleanly
// (a close frame), the error otherwise.
func watchClose(ctx context.Context, ws *websocket.Conn) <-chan error {
	closed := make(chan error, 1)
	go func() {
		for {
			if _, _, err := ws.Read(ctx); err != nil {
				if websocket.CloseStatus(err) != -1 {
					err = nil
				}
				closed <- err
				return
			}
		}
	}()
	return closed
}

// longLivedOpeners opens, for each mounted service, the long-lived
// connection a person's page holds, and reports when it ends (nil: cleanly,
// with a close frame or the end of an event stream). A service without an entry fails
// TestRestoreEndsEveryServiceConnection: add one with the service.
var longLivedOpeners = map[string]func(t *testing.T, ctx context.Context, tb *testBox, c *http.Client) <-chan error{
	"meeting": func(t *testing.T, ctx context.Context, tb *testBox, c *http.Client) <-chan error {
		// A facilitator creates a meeting; c, a participant, follows its
		// event stream as the phone page does.
		fac := tb.client()
		wantStatus(t, "sign in", tb.post(fac, "/signin", url.Values{"name": {"Camille"}, "passphrase": {ownerPass}}), http.StatusSeeOther)
		res, err := fac.Post(tb.base+"/api/meeting/meetings", "application/json", strings.NewReader(`{"title":"AG","lang":"fr"}`))
		if err != nil {
			t.Fatal(err)
		}
		var m struct{ ID string }
		json.NewDecoder(res.Body).Decode(&m)
		res.Body.Close()
		if res.StatusCode != http.StatusCreated || m.ID == "" {
			t.Fatalf("create a meeting: status %d", res.StatusCode)
		}
		req, _ := http.NewRequestWithContext(ctx, "GET", tb.base+"/meeting/m/"+m.ID+"/events", nil)
		req.Header.Set("Accept", "text/event-stream")
		// No client timeout: the stream lasts until the box ends it.
		if res, err = (&http.Client{Jar: c.Jar, Transport: c.Transport}).Do(req); err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" {
			t.Fatalf("the meeting's event stream: status %d, %s", res.StatusCode, res.Header.Get("Content-Type"))
		}
		closed := make(chan error, 1)
		go func() {
			defer res.Body.Close()
			// A clean end is EOF (io.Copy answers nil); a cut, an error.
			_, err := io.Copy(io.Discard, res.Body)
			closed <- err
		}()
		return closed
	},
	"decide": func(t *testing.T, ctx context.Context, tb *testBox, c *http.Client) <-chan error {
		// A facilitator creates an assembly; c, a participant, follows its
		// event stream as the assembly page does.
		fac := tb.client()
		wantStatus(t, "sign in", tb.post(fac, "/signin", url.Values{"name": {"Camille"}, "passphrase": {ownerPass}}), http.StatusSeeOther)
		r := tb.post(fac, "/api/decide/assemblies", url.Values{"title": {"AG"}})
		wantStatus(t, "create an assembly", r, http.StatusSeeOther)
		id := strings.Split(r.header.Get("Location"), "/")[3] // /decide/a/{id}/roll
		req, _ := http.NewRequestWithContext(ctx, "GET", tb.base+"/decide/a/"+id+"/events", nil)
		req.Header.Set("Accept", "text/event-stream")
		// No client timeout: the stream lasts until the box ends it.
		res, err := (&http.Client{Jar: c.Jar, Transport: c.Transport}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" {
			t.Fatalf("decide's event stream: status %d, %s", res.StatusCode, res.Header.Get("Content-Type"))
		}
		closed := make(chan error, 1)
		go func() {
			defer res.Body.Close()
			// A clean end is the body reaching EOF; a cut connection is an
			// error (unexpected EOF, reset).
			_, err := io.Copy(io.Discard, res.Body)
			closed <- err
		}()
		return closed
	},
	"pads": func(t *testing.T, ctx context.Context, tb *testBox, c *http.Client) <-chan error {
		res, err := c.Post(tb.base+"/api/pads", "application/json", strings.NewReader(`{"title":"AG"}`))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var pad struct{ ID string }
		json.NewDecoder(res.Body).Decode(&pad)
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("create pad: %d", res.StatusCode)
		}
		ws, _, err := tb.dialWS(ctx, c, "/pads/ws/"+pad.ID, nil)
		if err != nil {
			t.Fatalf("open the pad's WebSocket: %v", err)
		}
		return watchClose(ctx, ws)
	},
}

// stubborn is a service that does everything wrong: its WebSocket ignores
// its context and its Close does nothing. It must not hold up a restore.
type stubborn struct {
	entered chan struct{}
	release chan struct{}
}

func (s *stubborn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer ws.CloseNow()
	s.entered <- struct{}{}
	<-s.release
}

func (s *stubborn) Close() error { return nil }

func (s *stubborn) mount() pagekit.Mount {
	msgs := fstest.MapFS{"messages.json": {Data: []byte(`{"space.stubborn": {"fr": "Têtu", "en": "Stubborn"},
		"space.stubborn.desc": {"fr": "Ne ferme rien.", "en": "Closes nothing."}}`)}}
	return pagekit.Mount{Name: "stubborn", Schema: 1,
		Messages: func(c *locale.Catalog) error { return c.Load(msgs, "messages.json") },
		Open:     func(pagekit.Env) (pagekit.Service, error) { return s, nil }}
}

// TestRestoreEndsEveryServiceConnection opens the long-lived connection of
// every mounted service, plus one of a service that ignores both its context
// and Close, and restores a backup: the restore completes in bounded time,
// every well-behaved connection is closed by it, and the box serves the
// restored data.
func TestRestoreEndsEveryServiceConnection(t *testing.T) {
	st := &stubborn{entered: make(chan struct{}, 1), release: make(chan struct{})}
	defer close(st.release)
	l := defaultLimits()
	l.Drain = 300 * time.Millisecond
	tb := startBoxWith(t, t.TempDir(), append(mounts(), st.mount()), l)
	owner := tb.client()
	tb.claim(owner)
	r := tb.get(owner, "/admin/backup")
	wantStatus(t, "download backup", r, http.StatusOK)
	backup := []byte(r.body)

	ana := tb.client()
	wantStatus(t, "join Ana", tb.post(ana, "/join", url.Values{"name": {"Ana"}}), http.StatusSeeOther)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	closed := map[string]<-chan error{}
	for _, m := range mounts() {
		open, ok := longLivedOpeners[m.Name]
		if !ok {
			t.Fatalf("service %q has no long-lived connection in longLivedOpeners: add the one its pages hold", m.Name)
		}
		if open == nil {
			continue // no long-lived connection yet
		}
		closed[m.Name] = open(t, ctx, tb, ana)
	}
	if _, _, err := tb.dialWS(ctx, ana, "/stubborn/ws", nil); err != nil {
		t.Fatal(err)
	}
	<-st.entered

	start := time.Now()
	body, ctype := multipartFile(t, "backup", "sauvegarde.tar.gz", backup)
	req, _ := http.NewRequest("POST", tb.base+"/admin/restore", body)
	req.Header.Set("Content-Type", ctype)
	res, err := owner.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("restore: status %d", res.StatusCode)
	}
	// Ana joined after the backup: once she is unknown, the restored
	// database serves. The stubborn connection is still open.
	for tb.me(ana)["role"] != "anonymous" {
		if time.Since(start) > 15*time.Second {
			t.Fatal("the restore has not completed after 15 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("restore completed in %v with a stubborn connection open", time.Since(start).Round(time.Millisecond))
	for name, ch := range closed {
		select {
		case err := <-ch:
			if err != nil {
				t.Errorf("%s: the restore cut the connection instead of closing it: %v", name, err)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("%s: its long-lived connection is still open after the restore", name)
		}
	}
	wantStatus(t, "landing after restore", tb.get(owner, "/"), http.StatusOK)
}

// TestConnectionCaps: WebSockets beyond the per-address cap get 429, beyond
// the total cap 503; a closed one frees its place.
func TestConnectionCaps(t *testing.T) {
	l := defaultLimits()
	l.ConnsPerAddr, l.Conns = 2, 3
	tb := startBoxWith(t, t.TempDir(), mounts(), l)
	owner := tb.client()
	tb.claim(owner)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := owner.Post(tb.base+"/api/pads", "application/json", strings.NewReader(`{"title":"caps"}`))
	if err != nil {
		t.Fatal(err)
	}
	var pad struct{ ID string }
	json.NewDecoder(res.Body).Decode(&pad)
	res.Body.Close()
	path := "/pads/ws/" + pad.ID

	// A client whose connections come from another loopback address.
	from := func(ip string) *http.Client {
		c := tb.client()
		c.Jar = owner.Jar
		tr := c.Transport.(*http.Transport)
		tr.DialContext = (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}).DialContext
		return c
	}
	a, b := from("127.0.0.1"), from("127.0.0.2")
	var open []*websocket.Conn
	for i := range 2 {
		ws, _, err := tb.dialWS(ctx, a, path, nil)
		if err != nil {
			t.Fatalf("connection %d from 127.0.0.1: %v", i+1, err)
		}
		open = append(open, ws)
	}
	if _, res, err := tb.dialWS(ctx, a, path, nil); err == nil || res == nil || res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("third connection from one address: %v, %v; want 429", err, res)
	}
	// From another address, and with no Origin header: a program that is not
	// a browser (PROTOCOL.md says why it is accepted), while a page
	// elsewhere is refused.
	if _, res, err := tb.dialWS(ctx, b, path, http.Header{"Origin": {"https://evil.example"}}); err == nil || res == nil || res.StatusCode != http.StatusForbidden {
		t.Fatalf("a connection from another origin: %v, %v; want 403", err, res)
	}
	ws, _, err := tb.dialWS(ctx, b, path, http.Header{})
	if err != nil {
		t.Fatalf("a connection from another address with no Origin: %v", err)
	}
	open = append(open, ws)
	if _, res, err := tb.dialWS(ctx, b, path, nil); err == nil || res == nil || res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("a connection beyond the total: %v, %v; want 503", err, res)
	}
	// Closing one frees a place (the box counts it down once its handler returns).
	open[0].Close(websocket.StatusNormalClosure, "")
	deadline := time.Now().Add(5 * time.Second)
	for {
		ws, _, err := tb.dialWS(ctx, a, path, nil)
		if err == nil {
			open = append(open, ws)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no place freed 5 s after a connection closed: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, ws := range open {
		ws.CloseNow()
	}
}

// TestListenerLimits: both listeners drop a client that sends its headers too
// slowly and refuse headers that are too big; a body sent too slowly is cut.
func TestListenerLimits(t *testing.T) {
	l := defaultLimits()
	l.Header, l.Body = 300*time.Millisecond, 500*time.Millisecond
	tb := startBoxWith(t, t.TempDir(), mounts(), l)
	owner := tb.client()
	tb.claim(owner)

	dial := func(t *testing.T, https bool) net.Conn {
		addr := tb.HTTPAddr()
		if https {
			addr = tb.HTTPSAddr()
		}
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if https {
			tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true, ServerName: "localhost"})
			if err := tc.Handshake(); err != nil {
				t.Fatal(err)
			}
			return tc
		}
		return c
	}
	for _, https := range []bool{false, true} {
		name := map[bool]string{false: "http", true: "https"}[https]
		t.Run(name+"/slow headers", func(t *testing.T) {
			c := dial(t, https)
			start := time.Now()
			io.WriteString(c, "GET / HTTP/1.1\r\nHost: localhost\r\n")
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, err := c.Read(make([]byte, 1))
			if isTimeout(err) {
				t.Fatalf("the box kept a connection whose headers never ended: %v", err)
			}
			if waited := time.Since(start); waited > 3*time.Second {
				t.Fatalf("dropped after %v, want about %v", waited, l.Header)
			}
		})
		t.Run(name+"/big headers", func(t *testing.T) {
			c := dial(t, https)
			fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: %s\r\n\r\n", strings.Repeat("a", 64<<10))
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			res, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
				t.Fatalf("64 KiB of headers: status %d, want 431", res.StatusCode)
			}
		})
	}
	t.Run("https/slow body", func(t *testing.T) {
		c := dial(t, true)
		start := time.Now()
		io.WriteString(c, "POST /join HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nname=A")
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 4096)
		for {
			if _, err := c.Read(buf); err != nil {
				if isTimeout(err) {
					t.Fatal("the box still waits for a body sent too slowly after 10 s")
				}
				break
			}
		}
		if waited := time.Since(start); waited > 5*time.Second {
			t.Fatalf("a slow body was cut after %v, want about %v", waited, l.Body)
		}
	})
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TestServiceSchema: a service's bucket gets its schema version; one written
// before versions existed is read as version 1; one from a newer coopbox
// stops the box from starting, and nothing is written.
func TestServiceSchema(t *testing.T) {
	dir := t.TempDir()
	tb := startBox(t, dir)
	tb.stop()
	read := func() string {
		db, err := bolt.Open(dir+"/"+dbFileName, 0o600, &bolt.Options{Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var v string
		db.View(func(tx *bolt.Tx) error { v = string(tx.Bucket([]byte("pads")).Get(keySchema)); return nil })
		return v
	}
	set := func(v []byte) {
		db, err := bolt.Open(dir+"/"+dbFileName, 0o600, &bolt.Options{Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		db.Update(func(tx *bolt.Tx) error {
			if v == nil {
				return tx.Bucket([]byte("pads")).Delete(keySchema)
			}
			return tx.Bucket([]byte("pads")).Put(keySchema, v)
		})
	}
	if got := read(); got != "1" {
		t.Fatalf("pads schema %q, want 1", got)
	}
	// A database of the previous coopbox: no version key.
	set(nil)
	startBox(t, dir).stop()
	if got := read(); got != "1" {
		t.Fatalf("a pads bucket from before versions: schema %q after start, want 1", got)
	}
	// A newer coopbox's.
	set([]byte("7"))
	cfg := tb.cfg
	if _, err := New(cfg, tb.log); !errors.Is(err, errServiceSchema) {
		t.Fatalf("start on a newer pads bucket: %v, want errServiceSchema", err)
	}
	if got := read(); got != "7" {
		t.Fatalf("a refused start changed the schema to %q", got)
	}
	// A backup holding it is refused too (restores inspect with the same
	// function as coopbox check).
	if _, err := CheckFile(dir); !errors.Is(err, errServiceSchema) {
		t.Fatalf("check of a database with a newer pads bucket: %v, want errServiceSchema", err)
	}
}

func TestCheckMounts(t *testing.T) {
	open := func(pagekit.Env) (pagekit.Service, error) { return nil, nil }
	for _, tc := range []struct {
		name string
		ms   []pagekit.Mount
		ok   bool
	}{
		{"the box's", mounts(), true},
		{"two of one name", []pagekit.Mount{{Name: "x", Schema: 1, Open: open}, {Name: "x", Schema: 1, Open: open}}, false},
		{"the box's own bucket", []pagekit.Mount{{Name: "box", Schema: 1, Open: open}}, false},
		{"no schema", []pagekit.Mount{{Name: "x", Open: open}}, false},
		{"no Open", []pagekit.Mount{{Name: "x", Schema: 1}}, false},
	} {
		if err := checkMounts(tc.ms); (err == nil) != tc.ok {
			t.Errorf("%s: checkMounts = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

// TestPeers: a service reaches the services mounted before it through
// Env.Peer, by name, as an interface of its own; the box hands it the
// services of the current database (after a restore, the new ones).
func TestPeers(t *testing.T) {
	type padMaker interface {
		CreateFromMarkdown(who *person.Person, title, markdown string) (string, error)
		Markdown(id string) (string, error)
	}
	type voteReader interface {
		VoteSummary(voteID, lang string) (title, url string, lines []string, err error)
	}
	var pads padMaker
	var decide voteReader
	var unknown pagekit.Service
	probe := pagekit.Mount{Name: "probe", Schema: 1,
		Open: func(env pagekit.Env) (pagekit.Service, error) {
			pads, _ = env.Peer("pads").(padMaker)
			decide, _ = env.Peer("decide").(voteReader)
			unknown = env.Peer("probe")
			return &stubborn{}, nil
		}}
	tb := startBoxWith(t, t.TempDir(), append(mounts(), probe), defaultLimits())
	if pads == nil || decide == nil {
		t.Fatalf("peers: pads %v, decide %v; want both", pads, decide)
	}
	if unknown != nil {
		t.Error("a service is its own peer (only those opened before it are)")
	}
	owner := tb.client()
	tb.claim(owner)
	id, err := pads.CreateFromMarkdown(&person.Person{ID: "m", Name: "Réunion"}, "Procès-verbal", "# PV\n\nTexte.\n")
	if err != nil {
		t.Fatal(err)
	}
	if r := tb.get(owner, "/api/pads/"+id); r.status != http.StatusOK || !strings.Contains(r.body, "Procès-verbal") {
		t.Errorf("the pad a peer made: %d %s", r.status, r.body)
	}
}
