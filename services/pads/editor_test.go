package pads

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coopbox/coopbox/services/pads/ydoc"
	"github.com/coopbox/coopbox/services/page"
	"github.com/coopbox/coopbox/services/person"
	bolt "go.etcd.io/bbolt"
)

// testService is the pads service on a real bbolt file behind a plain HTTP
// test server. The box's session middleware is replaced by one that makes
// every request a participant (or a facilitator with X-Test-Role): the
// middleware itself is tested in package appliance.
type testService struct {
	*Service
	db   *bolt.DB
	path string
	srv  *httptest.Server
}

func startService(t *testing.T, path string, limits Limits) *testService {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Env: page.Env{DB: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, Limits: limits})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := &person.Person{ID: "t", Name: "Test", Role: person.Participant}
		switch r.Header.Get("X-Test-Role") {
		case "facilitator":
			p.Role = person.Facilitator
		case "anonymous":
			p.Role = person.Anonymous
		}
		s.ServeHTTP(w, r.WithContext(person.NewContext(r.Context(), p)))
	}))
	ts := &testService{Service: s, db: db, path: path, srv: srv}
	t.Cleanup(ts.stop)
	return ts
}

func (ts *testService) stop() {
	if ts.srv == nil {
		return
	}
	ts.Close()
	ts.srv.CloseClientConnections()
	ts.srv.Close()
	ts.db.Close()
	ts.srv = nil
}

func (ts *testService) createPad(t *testing.T, title string) padView {
	t.Helper()
	res, err := http.Post(ts.srv.URL+"/api/pads", "application/json", strings.NewReader(`{"title":"`+title+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create pad: status %d", res.StatusCode)
	}
	var v padView
	json.NewDecoder(res.Body).Decode(&v)
	return v
}

// storedText loads a pad from the database as the server would after a
// restart and returns the text of its Y.Text "text".
func storedText(t *testing.T, st *store, id string) string {
	t.Helper()
	snap, updates, _, err := st.load(id)
	if err != nil {
		t.Fatal(err)
	}
	d := ydoc.NewDoc(1)
	for _, u := range append([][]byte{snap}, updates...) {
		if u == nil {
			continue
		}
		if err := d.ApplyUpdate(u); err != nil {
			t.Fatal(err)
		}
	}
	return d.Text("text").String()
}

func requireNode(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat("../../node_modules/y-websocket")
	}
	if err != nil {
		if os.Getenv("COOPBOX_REQUIRE_ALL") == "1" {
			t.Fatalf("node and the npm packages are needed (npm ci): %v", err)
		}
		t.Skipf("node and the npm packages are needed (npm ci): %v", err)
	}
	return node
}

// TestStockYjsClientsConverge runs y-websocket clients from npm against the
// server: random concurrent edits with disconnections; every client, a fresh
// client and the stored pad end with the same text.
func TestStockYjsClientsConverge(t *testing.T) {
	node := requireNode(t)
	for _, tc := range []struct {
		clients, ops, seed int
		compactEvery       int
	}{
		{clients: 4, ops: 400, seed: 1, compactEvery: 1000},
		{clients: 6, ops: 600, seed: 7, compactEvery: 50}, // compaction runs during the edits
	} {
		ts := startService(t, filepath.Join(t.TempDir(), "pads.db"), Limits{MaxMessage: 1 << 20, MaxPad: 8 << 20, CompactEvery: tc.compactEvery})
		p := ts.createPad(t, "AG")
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		wsURL := "ws" + strings.TrimPrefix(ts.srv.URL, "http") + "/pads/ws"
		out, err := exec.CommandContext(ctx, node, "testdata/clients.mjs", wsURL, p.ID,
			itoa(tc.clients), itoa(tc.ops), itoa(tc.seed)).Output()
		cancel()
		if err != nil {
			t.Fatalf("clients: %v\n%s", err, exitStderr(err))
		}
		var res struct {
			Texts []string `json:"texts"`
			Fresh string   `json:"fresh"`
		}
		if err := json.Unmarshal(out, &res); err != nil {
			t.Fatalf("clients output %q: %v", out, err)
		}
		want := res.Texts[0]
		if len(want) == 0 {
			t.Fatal("the clients wrote nothing")
		}
		for i, got := range res.Texts {
			if got != want {
				t.Errorf("client %d diverged:\n got %q\nwant %q", i, got, want)
			}
		}
		if res.Fresh != want {
			t.Errorf("a fresh client synced from the server has %q, want %q", res.Fresh, want)
		}
		ts.stop() // compacts and closes the database
		db, err := bolt.Open(ts.path, 0o600, &bolt.Options{Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		st, _ := newStore(db)
		if got := storedText(t, st, p.ID); got != want {
			t.Errorf("stored pad after restart has %q, want %q", got, want)
		}
		db.Close()
		t.Logf("%d clients, %d operations: %d characters converged", tc.clients, tc.ops, len([]rune(want)))
	}
}

// bonjour is the Yjs v1 update by which client 42 inserts "Bonjour" at the
// start of the root Y.Text "text": one struct group (1 struct, client 42,
// clock 0), an Item with string content (info 4) whose parent is the root
// type named "text" (parent info 1), then an empty delete set.
var bonjour = []byte{1, 1, 42, 0, 4, 1, 4, 't', 'e', 'x', 't', 7, 'B', 'o', 'n', 'j', 'o', 'u', 'r', 0}

func itoa(n int) string { return strconv.Itoa(n) }

func exitStderr(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}

// dial opens a raw WebSocket to a pad.
func dial(t *testing.T, ts *testService, id string, hdr http.Header) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts.srv.URL, "http")+"/pads/ws/"+id, &websocket.DialOptions{HTTPHeader: hdr})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// readUntilClose reads messages until the server closes, returning the status.
func readUntilClose(c *websocket.Conn) (websocket.StatusCode, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for {
		if _, _, err := c.Read(ctx); err != nil {
			var ce websocket.CloseError
			if errorsAs(err, &ce) {
				return ce.Code, ce.Reason
			}
			return -1, err.Error()
		}
	}
}

// TestBadInputClosesOnlyThatConnection sends malformed and oversized
// messages: each closes its own connection with a reason, stores nothing,
// and the pad keeps working for the others.
func TestBadInputClosesOnlyThatConnection(t *testing.T) {
	ts := startService(t, filepath.Join(t.TempDir(), "pads.db"), Limits{MaxMessage: 64 << 10, MaxPad: 1 << 20, CompactEvery: 1000})
	p := ts.createPad(t, "Charte")

	upd := bonjour

	bad := map[string][]byte{
		"garbage":          {0xff, 0xff, 0xff},
		"truncated update": encodeSync(syncUpdate, upd[:len(upd)-3]),
		"update junk":      encodeSync(syncUpdate, []byte{1, 1, 200, 1, 0, 4, 1, 9}),
		"oversized":        encodeSync(syncUpdate, bytes.Repeat([]byte{0}, 70<<10)),
		"bad awareness":    encodeAwarenessMessage([]byte{1, 1, 1, 3, '{', '{', '{'}),
	}
	for name, msg := range bad {
		c := dial(t, ts, p.ID, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		c.Write(ctx, websocket.MessageBinary, msg)
		cancel()
		code, reason := readUntilClose(c)
		if code != websocket.StatusUnsupportedData && code != websocket.StatusMessageTooBig {
			t.Errorf("%s: closed with %d %q, want 1003 or 1009 with a reason", name, code, reason)
		}
		if reason == "" && code != websocket.StatusMessageTooBig {
			t.Errorf("%s: no close reason", name)
		}
	}
	// The pad still works, and none of it was stored.
	c := dial(t, ts, p.ID, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageBinary, encodeSync(syncUpdate, upd)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for storedText(t, ts.st, p.ID) != "Bonjour" {
		if time.Now().After(deadline) {
			t.Fatalf("the good update was not stored: %q", storedText(t, ts.st, p.ID))
		}
		time.Sleep(10 * time.Millisecond)
	}
	_, updates, _, _ := ts.st.load(p.ID)
	if len(updates) != 1 {
		t.Errorf("%d updates stored, want exactly the good one", len(updates))
	}
	c.Close(websocket.StatusNormalClosure, "")
}

func TestReadOnlyAndRights(t *testing.T) {
	ts := startService(t, filepath.Join(t.TempDir(), "pads.db"), DefaultLimits)
	p := ts.createPad(t, "Rapport")
	upd := bonjour

	// The read-only link: the update is refused with permission denied.
	c := dial(t, ts, p.ReadID, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c.Write(ctx, websocket.MessageBinary, encodeSync(syncUpdate, upd))
	denied := false
	for !denied {
		_, data, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("read-only client: %v before permission denied", err)
		}
		denied = len(data) > 0 && data[0] == msgAuth
	}
	c.Close(websocket.StatusNormalClosure, "")
	// A writer's update, sent after the refusal, goes through the pad's
	// one queue after the read-only one: once it is stored, the refused
	// update would be too, had it not been refused.
	w := dial(t, ts, p.ID, nil)
	salut := []byte{1, 1, 43, 0, 4, 1, 4, 't', 'e', 'x', 't', 5, 'S', 'a', 'l', 'u', 't', 0}
	if err := w.Write(ctx, websocket.MessageBinary, encodeSync(syncUpdate, salut)); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		got := storedText(t, ts.st, p.ID)
		if strings.Contains(got, "Bonjour") {
			t.Fatalf("a read-only client wrote: the pad holds %q", got)
		}
		if got == "Salut" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the writer's update was not stored: %q", got)
		}
	}
	w.Close(websocket.StatusNormalClosure, "")

	// Anonymous people cannot connect at all.
	_, res, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts.srv.URL, "http")+"/pads/ws/"+p.ID,
		&websocket.DialOptions{HTTPHeader: http.Header{"X-Test-Role": {"anonymous"}}})
	if err == nil || res == nil || res.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous WebSocket: err %v, response %v; want 401", err, res)
	}
	// A cross-origin page cannot open the WebSocket with the visitor's cookie.
	_, res, err = websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts.srv.URL, "http")+"/pads/ws/"+p.ID,
		&websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"https://evil.example"}}})
	if err == nil || res == nil || res.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin WebSocket: err %v; want 403", err)
	}
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// TestReadOnlySyncAnswerIsNotRefused: a stock read-only client answers the
// server's state vector with the pad's whole delete set; that changes nothing
// and must not earn a permission-denied message. A real edit still does.
func TestReadOnlySyncAnswerIsNotRefused(t *testing.T) {
	ts := startService(t, filepath.Join(t.TempDir(), "pads.db"), DefaultLimits)
	p := ts.createPad(t, "Compte rendu")
	author := ydoc.NewDoc(42)
	if err := author.ApplyUpdate(bonjour); err != nil {
		t.Fatal(err)
	}
	del, err := author.Text("text").Delete(0, 3)
	if err != nil {
		t.Fatal(err)
	}
	w := dial(t, ts, p.ID, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, u := range [][]byte{bonjour, del} {
		w.Write(ctx, websocket.MessageBinary, encodeSync(syncUpdate, u))
	}
	deadline := time.Now().Add(5 * time.Second)
	for storedText(t, ts.st, p.ID) != "jour" {
		if time.Now().After(deadline) {
			t.Fatalf("stored %q, want %q", storedText(t, ts.st, p.ID), "jour")
		}
		time.Sleep(10 * time.Millisecond)
	}

	reader := ydoc.NewDoc(77)
	reader.ApplyUpdate(bonjour)
	reader.ApplyUpdate(del)
	answer, _ := reader.DiffUpdate(ydoc.EncodeStateVector(reader.StateVector()))
	ro := dial(t, ts, p.ReadID, nil)
	ro.Write(ctx, websocket.MessageBinary, encodeSync(syncStep2, answer))
	edit, _ := reader.Text("text").Insert(0, "x", nil)
	ro.Write(ctx, websocket.MessageBinary, encodeSync(syncUpdate, edit))
	// One permission denied, for the edit, not the answer. The pad answers
	// in the order it was asked, so a state vector sent last is answered
	// after any refusal: count refusals until that answer comes.
	ro.Write(ctx, websocket.MessageBinary, encodeSync(syncStep1, ydoc.EncodeStateVector(reader.StateVector())))
	denied := 0
	for {
		_, data, err := ro.Read(ctx)
		if err != nil {
			t.Fatalf("read-only client: %v before the answer to its state vector", err)
		}
		if len(data) > 0 && data[0] == msgAuth {
			denied++
		}
		if len(data) > 1 && data[0] == msgSync && data[1] == syncStep2 {
			break
		}
	}
	if denied != 1 {
		t.Errorf("%d permission-denied messages, want 1 (for the edit only)", denied)
	}
}
