package appliance

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coopbox/coopbox/config"
	pagekit "github.com/coopbox/coopbox/services/page"
)

// testBox is a whole box in-process on 127.0.0.1:0 with a real data folder.
type testBox struct {
	*Box
	t    *testing.T
	dir  string
	base string // https://127.0.0.1:port
	stop func()
}

func startBox(t *testing.T, dir string) *testBox {
	t.Helper()
	return startBoxWith(t, dir, mounts(), defaultLimits())
}

// startBoxWith starts a box with the given services and limits.
func startBoxWith(t *testing.T, dir string, ms []pagekit.Mount, l limits) *testBox {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = dir
	cfg.HTTPSAddr = "127.0.0.1:0"
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.WiFiName = "Tiers-Lieu"
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	b, err := newBox(cfg, log, ms)
	if err != nil {
		t.Fatal(err)
	}
	b.limits, b.conns = l, newConnLimiter(l.ConnsPerAddr, l.Conns)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	tb := &testBox{Box: b, t: t, dir: dir, base: "https://" + b.HTTPSAddr()}
	stopped := false
	tb.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		if err := b.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
	t.Cleanup(tb.stop)
	return tb
}

// client returns a browser-like client that trusts only the box's own CA.
func (tb *testBox) client() *http.Client {
	tb.t.Helper()
	pool := x509.NewCertPool()
	caPEM, err := os.ReadFile(filepath.Join(tb.dir, "tls", "ca.crt"))
	if err != nil {
		tb.t.Fatal(err)
	}
	if !pool.AppendCertsFromPEM(caPEM) {
		tb.t.Fatal("ca.crt holds no certificate")
	}
	jar, _ := cookiejar.New(nil)
	return &http.Client{
		Jar:       jar,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
		Timeout: 20 * time.Second,
	}
}

type resp struct {
	status int
	body   string
	header http.Header
}

func (tb *testBox) do(c *http.Client, method, path string, form url.Values, hdr ...string) resp {
	tb.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, tb.base+path, body)
	if err != nil {
		tb.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := c.Do(req)
	if err != nil {
		tb.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return resp{res.StatusCode, string(raw), res.Header}
}

func (tb *testBox) get(c *http.Client, path string) resp { return tb.do(c, "GET", path, nil) }
func (tb *testBox) post(c *http.Client, path string, form url.Values) resp {
	return tb.do(c, "POST", path, form)
}

func wantStatus(t *testing.T, what string, r resp, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("%s: status %d, want %d; body: %.300s", what, r.status, want, r.body)
	}
}

const ownerPass = "une longue phrase de passe"

func (tb *testBox) claim(c *http.Client) {
	tb.t.Helper()
	r := tb.post(c, "/claim", url.Values{"box": {"La Fabrique"}, "name": {"Camille"},
		"passphrase": {ownerPass}, "again": {ownerPass}, "code": {tb.ClaimCode()}})
	wantStatus(tb.t, "claim", r, http.StatusSeeOther)
}

func (tb *testBox) me(c *http.Client) map[string]string {
	tb.t.Helper()
	r := tb.get(c, "/api/me")
	wantStatus(tb.t, "GET /api/me", r, http.StatusOK)
	var m map[string]string
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		tb.t.Fatal(err)
	}
	return m
}

func TestBoxClaimPeopleAndRestart(t *testing.T) {
	dir := t.TempDir()
	tb := startBox(t, dir)
	owner := tb.client()

	// Unclaimed: every page leads to the claim form, in French by default.
	r := tb.get(owner, "/")
	wantStatus(t, "GET / unclaimed", r, http.StatusSeeOther)
	if loc := r.header.Get("Location"); loc != "/claim" {
		t.Fatalf("unclaimed / redirects to %q, want /claim", loc)
	}
	r = tb.get(owner, "/claim")
	wantStatus(t, "GET /claim", r, http.StatusOK)
	if !strings.Contains(r.body, `lang="fr"`) || !strings.Contains(r.body, "Mettre en route") {
		t.Errorf("claim page is not the French claim form: %.300s", r.body)
	}
	r = tb.post(owner, "/claim", url.Values{"box": {"La Fabrique"}, "name": {"Camille"}, "passphrase": {"court"}, "again": {"court"},
		"code": {tb.ClaimCode()}})
	wantStatus(t, "claim with a short passphrase", r, http.StatusBadRequest)
	if !strings.Contains(r.body, "au moins 10 caractères") {
		t.Errorf("short passphrase: no clear message in %.300s", r.body)
	}
	tb.claim(owner)
	if m := tb.me(owner); m["role"] != "facilitator" || m["name"] != "Camille" {
		t.Fatalf("after claim /api/me = %v", m)
	}
	wantStatus(t, "second claim", tb.post(tb.client(), "/claim", url.Values{"box": {"X"}, "name": {"Y"},
		"passphrase": {ownerPass}, "again": {ownerPass}}), http.StatusConflict)

	// The landing page names the box and shows the address it answers at
	// (on loopback: localhost, which its certificate names).
	r = tb.get(owner, "/")
	wantStatus(t, "GET /", r, http.StatusOK)
	for _, want := range []string{"La Fabrique", "https://localhost:" + portOfURL(tb.base) + "/", "<svg class=\"qr\"", "Tiers-Lieu", `href="/pads/"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("landing page lacks %q", want)
		}
	}
	r = tb.do(owner, "GET", "/", nil, "Accept-Language", "en-GB,en;q=0.8")
	if !strings.Contains(r.body, `lang="en"`) || !strings.Contains(r.body, "How to join") {
		t.Errorf("Accept-Language en did not give the English page")
	}

	// A participant joins with a name; a facilitator endpoint refuses them.
	ana := tb.client()
	wantStatus(t, "join", tb.post(ana, "/join", url.Values{"name": {"Ana"}, "next": {"/"}}), http.StatusSeeOther)
	if m := tb.me(ana); m["role"] != "participant" || m["name"] != "Ana" || !strings.HasPrefix(m["color"], "#") {
		t.Fatalf("participant /api/me = %v", m)
	}
	for _, ep := range []struct{ method, path string }{
		{"GET", "/api/status"}, {"POST", "/facilitators/invites"}, {"POST", "/admin/restore"},
		{"GET", "/admin/backup"}, {"POST", "/facilitators/x/revoke"}, {"POST", "/account/passphrase"},
	} {
		r := tb.do(ana, ep.method, ep.path, url.Values{})
		if r.status != http.StatusForbidden && !(r.status == http.StatusSeeOther && strings.HasPrefix(r.header.Get("Location"), "/signin")) {
			t.Errorf("participant %s %s: status %d, want 403 or a redirect to sign-in", ep.method, ep.path, r.status)
		}
	}
	wantStatus(t, "facilitator GET /api/status", tb.get(owner, "/api/status"), http.StatusOK)

	// Invite a co-facilitator, who then gets revoked.
	r = tb.post(owner, "/facilitators/invites", url.Values{})
	wantStatus(t, "create invitation", r, http.StatusCreated)
	link := regexp.MustCompile(`https://[^"<\s]+/invite/[A-Za-z0-9_-]+`).FindString(r.body)
	if link == "" {
		t.Fatalf("no invitation link in %.500s", r.body)
	}
	u, _ := url.Parse(link)
	dom := tb.client()
	wantStatus(t, "open invitation", tb.get(dom, u.Path), http.StatusOK)
	wantStatus(t, "redeem invitation", tb.post(dom, u.Path, url.Values{"name": {"Dominique"},
		"passphrase": {"dix caractères"}, "again": {"dix caractères"}}), http.StatusSeeOther)
	wantStatus(t, "co-facilitator status", tb.get(dom, "/api/status"), http.StatusOK)
	wantStatus(t, "reuse invitation", tb.post(tb.client(), u.Path, url.Values{"name": {"Sacha"},
		"passphrase": {"dix caractères"}, "again": {"dix caractères"}}), http.StatusNotFound)
	domID := tb.me(dom)["id"]
	wantStatus(t, "revoke", tb.post(owner, "/facilitators/"+domID+"/revoke", url.Values{}), http.StatusSeeOther)
	wantStatus(t, "revoked co-facilitator", tb.get(dom, "/api/status"), http.StatusForbidden)

	// Stop and start again on the same folder: everything is still there.
	tb.stop()
	tb2 := startBox(t, dir)
	tb2.t = t
	if m := tb2.me(ana); m["name"] != "Ana" || m["role"] != "participant" {
		t.Errorf("after restart the participant is %v", m)
	}
	if m := tb2.me(owner); m["role"] != "facilitator" {
		t.Errorf("after restart the owner is %v", m)
	}
	r = tb2.get(owner, "/")
	if !strings.Contains(r.body, "La Fabrique") {
		t.Errorf("after restart the box lost its name")
	}
	fresh := tb2.client()
	wantStatus(t, "sign in after restart", tb2.post(fresh, "/signin", url.Values{"name": {"camille"}, "passphrase": {ownerPass}, "next": {"/admin"}}), http.StatusSeeOther)
	wantStatus(t, "admin after sign-in", tb2.get(fresh, "/admin"), http.StatusOK)
}

func TestSecurityDefaults(t *testing.T) {
	tb := startBox(t, t.TempDir())
	owner := tb.client()
	tb.claim(owner)

	r := tb.get(owner, "/")
	for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"} {
		if r.header.Get(h) == "" {
			t.Errorf("landing page lacks header %s", h)
		}
	}
	if r.header.Get("Strict-Transport-Security") != "" {
		t.Error("HSTS set: it would make the certificate warning impossible to click through")
	}

	// The session cookie is Secure, HttpOnly, host-only.
	c := tb.client()
	r = tb.post(c, "/signin", url.Values{"name": {"Camille"}, "passphrase": {ownerPass}})
	sc := r.header.Get("Set-Cookie")
	for _, want := range []string{"__Host-coopbox=", "Secure", "HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(sc, want) {
			t.Errorf("session cookie %q lacks %s", sc, want)
		}
	}

	// A cross-origin POST is refused, even with a valid session.
	r = tb.do(owner, "POST", "/facilitators/invites", url.Values{}, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
	wantStatus(t, "cross-origin POST", r, http.StatusForbidden)

	// Wrong passphrases are rate-limited.
	attacker := tb.client()
	var last int
	for range 8 {
		last = tb.post(attacker, "/signin", url.Values{"name": {"Camille"}, "passphrase": {"mauvaise phrase"}}).status
	}
	if last != http.StatusTooManyRequests {
		t.Errorf("8 wrong passphrases in a row: last status %d, want 429", last)
	}

	// An oversized body is refused without harm.
	big := url.Values{"name": {strings.Repeat("x", 200<<10)}}
	if r := tb.post(tb.client(), "/join", big); r.status < 400 {
		t.Errorf("200 KiB form: status %d, want an error", r.status)
	}
}

func TestHTTPServesOnlyTheWelcomePage(t *testing.T) {
	tb := startBox(t, t.TempDir())
	owner := tb.client()
	tb.claim(owner)
	plain := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	base := "http://" + tb.HTTPAddr()

	res, err := plain.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("welcome page: status %d", res.StatusCode)
	}
	for _, want := range []string{tb.certs.Load().Fingerprint(), "/ca.crt", "/coopbox.mobileconfig", "https://127.0.0.1:", "<svg class=\"qr\""} {
		if !strings.Contains(string(body), want) {
			t.Errorf("welcome page lacks %q", want)
		}
	}
	res, err = plain.Get(base + "/ca.crt")
	if err != nil {
		t.Fatal(err)
	}
	caPEM, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !bytes.Equal(caPEM, tb.certs.Load().CACertPEM()) {
		t.Error("/ca.crt over HTTP is not the box's CA")
	}
	for _, path := range []string{"/api/me", "/api/status", "/admin", "/admin/backup", "/claim", "/join", "/facilitators"} {
		res, err := plain.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/" || res.Header.Get("Set-Cookie") != "" {
			t.Errorf("HTTP %s: status %d location %q, want a redirect to the welcome page; body %.200s", path, res.StatusCode, res.Header.Get("Location"), raw)
		}
	}
	res, err = plain.PostForm(base+"/join", url.Values{"name": {"Ana"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		t.Errorf("HTTP POST /join: status %d, want a redirect to the welcome page", res.StatusCode)
	}
}

// TestLeafNames dials the box under each of its names with a client that
// trusts only the box's CA.
func TestLeafNames(t *testing.T) {
	tb := startBox(t, t.TempDir())
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(tb.certs.Load().CACertPEM())
	for _, name := range []string{"coopbox.local", "coopbox", "localhost", ""} {
		conn, err := tls.Dial("tcp", tb.HTTPSAddr(), &tls.Config{RootCAs: pool, ServerName: name})
		if err != nil {
			t.Errorf("TLS as %q: %v", name, err)
			continue
		}
		conn.Close()
	}
	if _, err := tls.Dial("tcp", tb.HTTPSAddr(), &tls.Config{RootCAs: pool, ServerName: "example.org"}); err == nil {
		t.Error("the leaf verified for example.org")
	}
}

func multipartFile(t *testing.T, field, name string, data []byte) (io.Reader, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile(field, name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	return &buf, mw.FormDataContentType()
}

func TestBackupAndRestoreThroughTheBox(t *testing.T) {
	dir := t.TempDir()
	tb := startBox(t, dir)
	owner := tb.client()
	tb.claim(owner)
	ana := tb.client()
	wantStatus(t, "join Ana", tb.post(ana, "/join", url.Values{"name": {"Ana"}}), http.StatusSeeOther)

	r := tb.get(owner, "/admin/backup")
	wantStatus(t, "download backup", r, http.StatusOK)
	if cd := r.header.Get("Content-Disposition"); !strings.Contains(cd, "coopbox-sauvegarde-") {
		t.Errorf("Content-Disposition %q does not name a backup file", cd)
	}
	backup := []byte(r.body)
	file := filepath.Join(t.TempDir(), "sauvegarde.tar.gz")
	os.WriteFile(file, backup, 0o600)
	report, err := CheckFile(file)
	if err != nil {
		t.Fatalf("CheckFile on the downloaded backup: %v", err)
	}
	t.Logf("check: %s", report)

	// After the backup, Bob joins.
	bob := tb.client()
	wantStatus(t, "join Bob", tb.post(bob, "/join", url.Values{"name": {"Bob"}}), http.StatusSeeOther)

	upload := func(c *http.Client, data []byte) resp {
		body, ctype := multipartFile(t, "backup", "sauvegarde.tar.gz", data)
		req, _ := http.NewRequest("POST", tb.base+"/admin/restore", body)
		req.Header.Set("Content-Type", ctype)
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		return resp{res.StatusCode, string(raw), res.Header}
	}

	// A participant may not restore; a broken file is refused and changes nothing.
	if r := upload(ana, backup); r.status != http.StatusForbidden {
		t.Errorf("participant restore: status %d, want 403", r.status)
	}
	r = upload(owner, backup[:len(backup)/2])
	wantStatus(t, "restore a truncated backup", r, http.StatusBadRequest)
	if m := tb.me(bob); m["name"] != "Bob" {
		t.Fatalf("a refused restore changed the data: Bob is %v", m)
	}

	// A pad open in a browser (a long-lived WebSocket) must not hold up the
	// restore: the box ends the services' connections first.
	padRes, err := ana.Post(tb.base+"/api/pads", "application/json", strings.NewReader(`{"title":"AG"}`))
	if err != nil {
		t.Fatal(err)
	}
	var pad struct{ ID string }
	json.NewDecoder(padRes.Body).Decode(&pad)
	padRes.Body.Close()
	if padRes.StatusCode != http.StatusCreated {
		t.Fatalf("create pad: %d", padRes.StatusCode)
	}
	wsCtx, wsCancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer wsCancel()
	ws, _, err := tb.dialWS(wsCtx, ana, "/pads/ws/"+pad.ID, nil)
	if err != nil {
		t.Fatalf("open the pad's WebSocket: %v", err)
	}
	wsClosed := watchClose(wsCtx, ws)

	r = upload(owner, backup)
	wantStatus(t, "restore", r, http.StatusAccepted)
	deadline := time.Now().Add(10 * time.Second)
	for tb.me(bob)["role"] != "anonymous" {
		if time.Now().After(deadline) {
			t.Fatal("Bob, who joined after the backup, is still there 10s after the restore")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if m := tb.me(ana); m["name"] != "Ana" {
		t.Errorf("after restore Ana is %v, want her session from the backup", m)
	}
	select {
	case err := <-wsClosed:
		if err != nil {
			t.Errorf("the restore cut the pad's WebSocket without a close frame: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("the pad's WebSocket is still open after the restore")
	}
	aside, _ := filepath.Glob(filepath.Join(dir, "before-restore-*", dbFileName))
	if len(aside) != 1 {
		t.Errorf("previous database kept aside: %v, want one", aside)
	}
	// The CA came back with the backup: the same client still trusts the box.
	wantStatus(t, "landing after restore", tb.get(owner, "/"), http.StatusOK)
}
