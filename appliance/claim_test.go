package appliance

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/coopbox/coopbox/config"
)

// portOfURL returns the port of an https://host:port URL.
func portOfURL(u string) string {
	_, p, _ := net.SplitHostPort(strings.TrimPrefix(u, "https://"))
	return p
}

// TestClaimNeedsTheCode: over HTTPS, a claim without the code or with a
// wrong one is refused with a clear message and changes nothing; wrong
// codes count against the sign-in rate limit; the right code claims the
// box, after which the code is gone from the screen and the log.
func TestClaimNeedsTheCode(t *testing.T) {
	tb := startBox(t, t.TempDir())
	code := tb.ClaimCode()
	if !regexp.MustCompile(`^\d{4} \d{4} \d{4}$`).MatchString(code) {
		t.Fatalf("ClaimCode() = %q, want 12 digits in groups of four", code)
	}
	if got := tb.screenInfo().ClaimCode; got != code {
		t.Errorf("the screen shows claim code %q, want %q", got, code)
	}
	r := tb.get(tb.client(), "/claim")
	if !strings.Contains(r.body, `name="code"`) || !strings.Contains(r.body, `inputmode="numeric"`) {
		t.Errorf("the claim form does not ask for the code: %.300s", r.body)
	}
	if strings.Contains(r.body, strings.ReplaceAll(code, " ", "")) || strings.Contains(r.body, code) {
		t.Fatal("the claim page shows the claim code to whoever opens it")
	}
	if strings.Contains(r.body, "update_password") {
		t.Error("a box without -gokrazy-password-file asks for an update password")
	}

	form := func(code string) url.Values {
		return url.Values{"box": {"Intrus"}, "name": {"Mallory"}, "passphrase": {ownerPass}, "again": {ownerPass}, "code": {code}}
	}
	attacker := tb.client()
	for i, typed := range []string{"", "0000 0000 0000", strings.ReplaceAll(code, " ", "")[:11]} {
		f := form(typed)
		if typed == "" {
			f.Del("code")
		}
		r := tb.do(attacker, "POST", "/claim", f, "Accept-Language", []string{"fr", "en", "fr"}[i])
		wantStatus(t, "claim with code "+typed, r, http.StatusForbidden)
		want := []string{"Ce code de mise en route", "This setup code is not the right one"}[i%2]
		if !strings.Contains(r.body, want) {
			t.Errorf("wrong code %q: no clear message (%q) in the page", typed, want)
		}
	}
	if ok, _ := tb.people.claimed(); ok {
		t.Fatal("a claim with a wrong code claimed the box")
	}
	if tb.ClaimCode() != code || tb.boxName() != "coopbox" {
		t.Fatalf("refused claims changed the box: code %q, name %q", tb.ClaimCode(), tb.boxName())
	}
	// Five attempts at once per address: the two left are taken by wrong
	// codes, then even the right code must wait.
	for range 2 {
		wantStatus(t, "wrong code", tb.post(attacker, "/claim", form("1111 1111 1111")), http.StatusForbidden)
	}
	wantStatus(t, "sixth attempt", tb.post(attacker, "/claim", form(code)), http.StatusTooManyRequests)
	if ok, _ := tb.people.claimed(); ok {
		t.Fatal("a rate-limited claim claimed the box")
	}

	// The owner, from another address in real life (here: the limiter
	// forgets the attacker), with the code as read off the screen.
	tb.signin.mu.Lock()
	tb.signin.buckets = map[string]*tokenBucket{}
	tb.signin.mu.Unlock()
	owner := tb.client()
	tb.claim(owner)
	if tb.boxName() != "La Fabrique" {
		t.Errorf("box name %q after the claim", tb.boxName())
	}
	if got := tb.ClaimCode(); got != "" {
		t.Errorf("ClaimCode() = %q after the claim, want none", got)
	}
	if got := tb.screenInfo().ClaimCode; got != "" {
		t.Errorf("the screen still shows claim code %q after the claim", got)
	}
	wantStatus(t, "claim again with the old code", tb.post(tb.client(), "/claim", form(code)), http.StatusConflict)
}

// TestClaimWritesUpdatePassword: with -gokrazy-password-file, the claim form
// proposes an update password and the claim writes the chosen one there.
func TestClaimWritesUpdatePassword(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(t.TempDir(), "gokr-pw.txt")
	cfg := config.Default()
	cfg.DataDir, cfg.HTTPSAddr, cfg.HTTPAddr = dir, "127.0.0.1:0", ""
	cfg.GokrazyPasswordFile = pwFile
	b, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	get := func(path string) string {
		rec := httptest.NewRecorder()
		b.ServeHTTP(rec, httptest.NewRequest("GET", "https://"+b.HTTPSAddr()+path, nil))
		return rec.Body.String()
	}
	page := get("/claim")
	m := regexp.MustCompile(`name="update_password"[^>]*value="([a-z2-9-]+)"`).FindStringSubmatch(page)
	if m == nil || len(m[1]) != 19 {
		t.Fatalf("the claim form proposes no update password: %.500s", page)
	}
	if other := regexp.MustCompile(`name="update_password"[^>]*value="([a-z2-9-]+)"`).FindStringSubmatch(get("/claim")); other == nil || other[1] == m[1] {
		t.Errorf("two claim forms proposed the same update password %q", m[1])
	}
	var cookie string // the owner's session, once claimed
	post := func(path string, f url.Values) int {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", "https://"+b.HTTPSAddr()+path, strings.NewReader(f.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Cookie", cookie)
		b.ServeHTTP(rec, req)
		if c := rec.Result().Cookies(); len(c) > 0 {
			cookie = c[0].Name + "=" + c[0].Value
		}
		return rec.Code
	}
	f := url.Values{"box": {"Salle"}, "name": {"Camille"}, "passphrase": {ownerPass}, "again": {ownerPass},
		"code": {b.ClaimCode()}, "update_password": {ownerPass}}
	if status := post("/claim", f); status != http.StatusBadRequest {
		t.Errorf("update password = passphrase: status %d, want 400", status)
	}
	if _, err := os.Stat(pwFile); err == nil {
		t.Fatal("a refused claim wrote the update password")
	}
	f.Set("update_password", " "+m[1]+" ")
	if status := post("/claim", f); status != http.StatusSeeOther {
		t.Fatalf("claim: status %d, want 303", status)
	}
	got, err := os.ReadFile(pwFile)
	if err != nil || string(got) != m[1]+"\n" {
		t.Errorf("%s holds %q (%v), want %q", pwFile, got, err, m[1])
	}

	// Later, the administration page changes it, with the passphrase.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "https://"+b.HTTPSAddr()+"/admin", nil)
	req.Header.Set("Cookie", cookie)
	b.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `action="/admin/update-password"`) {
		t.Fatalf("the administration page offers no new update password: %d %.300s", rec.Code, rec.Body.String())
	}
	change := url.Values{"update_password": {"un autre mot de passe"}, "current": {"pas la bonne phrase"}}
	if status := post("/admin/update-password", change); status != http.StatusUnauthorized {
		t.Errorf("change with a wrong passphrase: status %d, want 401", status)
	}
	change.Set("current", ownerPass)
	change.Set("update_password", ownerPass)
	if status := post("/admin/update-password", change); status != http.StatusBadRequest {
		t.Errorf("change to the passphrase: status %d, want 400", status)
	}
	if got, _ := os.ReadFile(pwFile); string(got) != m[1]+"\n" {
		t.Fatalf("refused changes wrote %q", got)
	}
	change.Set("update_password", "un autre mot de passe")
	if status := post("/admin/update-password", change); status != http.StatusOK {
		t.Errorf("change: status %d, want 200", status)
	}
	if got, _ := os.ReadFile(pwFile); string(got) != "un autre mot de passe\n" {
		t.Errorf("after the change %s holds %q", pwFile, got)
	}
	cookie = ""
	if status := post("/admin/update-password", change); status != http.StatusForbidden {
		t.Errorf("change without a session: status %d, want 403", status)
	}
}

// TestJoinAddresses: the addresses shown are those the listener answers at
// and the certificate covers, with the port when it is not 443.
func TestJoinAddresses(t *testing.T) {
	machine := []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("192.168.1.20"), net.ParseIP("10.0.0.7"),
		net.ParseIP("fd00::20"), net.ParseIP("::1")}
	all := func(string) bool { return true }
	notYet := func(h string) bool { return h != "10.0.0.7" } // a new address, before the leaf is re-issued
	tests := []struct {
		name   string
		listen string
		mdns   bool
		covers func(string) bool
		want   []string
	}{
		{"make run on loopback", "127.0.0.1:8443", false, all, []string{"https://localhost:8443/"}},
		{"loopback IPv6", "[::1]:8443", false, all, []string{"https://localhost:8443/"}},
		{"every interface, laptop", "0.0.0.0:8443", false, all, []string{"https://192.168.1.20:8443/", "https://10.0.0.7:8443/"}},
		{"every interface, dual stack", "[::]:8443", false, all, []string{"https://192.168.1.20:8443/", "https://10.0.0.7:8443/"}},
		{"the box on 443 with mDNS", "0.0.0.0:443", true, all, []string{"https://coopbox.local/", "https://192.168.1.20/", "https://10.0.0.7/"}},
		{"an address the certificate does not cover yet", "0.0.0.0:443", true, notYet, []string{"https://coopbox.local/", "https://192.168.1.20/"}},
		{"every interface, only addresses the CA cannot name", "0.0.0.0:8443", false, func(h string) bool { return h == "localhost" }, []string{"https://localhost:8443/"}},
		{"one address", "192.168.1.20:8443", true, all, []string{"https://192.168.1.20:8443/"}},
		{"one address, not covered", "192.168.1.20:8443", false, func(string) bool { return false }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ln, err := net.ResolveTCPAddr("tcp", tt.listen)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, a := range joinAddresses(ln, "coopbox", tt.mdns, machine, tt.covers) {
				got = append(got, a.URL)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("joinAddresses(%s) = %q, want %q", tt.listen, got, tt.want)
			}
		})
	}
	if got := joinAddresses(&net.TCPAddr{Port: 8443}, "coopbox", false, nil, all); len(got) != 1 || got[0].URL != "https://localhost:8443/" {
		t.Errorf("every interface, no network: %v, want localhost", got)
	}
}

// TestBoxAddresses: a real box on 127.0.0.1 shows https://localhost:PORT
// on its landing page, its card and its screen, and the certificate it
// serves is valid for that name; on every interface, it shows the
// machine's addresses, each covered by its certificate.
func TestBoxAddresses(t *testing.T) {
	tb := startBox(t, t.TempDir())
	owner := tb.client()
	tb.claim(owner)
	want := "https://localhost:" + portOfURL(tb.base) + "/"
	if got := tb.screenInfo(); got.URL != want || len(got.Others) != 0 {
		t.Errorf("screen shows %q and %q, want only %q", got.URL, got.Others, want)
	}
	for _, path := range []string{"/", "/card"} {
		r := tb.get(owner, path)
		wantStatus(t, path, r, http.StatusOK)
		if !strings.Contains(r.body, want) || strings.Contains(r.body, "coopbox.local") {
			t.Errorf("%s: want %s and no coopbox.local (mDNS is off): %.2000s", path, want, r.body)
		}
	}
	// The certificate the box serves is valid for the name it shows.
	c := tb.client()
	c.Transport.(*http.Transport).TLSClientConfig.ServerName = "localhost"
	res, err := c.Get(tb.base + "/healthz")
	if err != nil {
		t.Fatalf("the certificate does not hold for localhost: %v", err)
	}
	res.Body.Close()

	// Every interface: the machine's IPv4 addresses, each covered.
	cfg := config.Default()
	cfg.DataDir, cfg.HTTPSAddr, cfg.HTTPAddr = t.TempDir(), ":0", ""
	b, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ips, err := machineIPs()
	if err != nil {
		t.Fatal(err)
	}
	var wantAll []string
	for _, ip := range ips {
		if ip.To4() != nil && !ip.IsLoopback() && b.certCovers(ip.String()) {
			wantAll = append(wantAll, "https://"+ip.String()+":"+portOfURL("https://"+b.HTTPSAddr())+"/")
		}
	}
	if len(wantAll) == 0 {
		wantAll = []string{"https://localhost:" + portOfURL("https://"+b.HTTPSAddr()) + "/"}
	}
	var got []string
	for _, a := range b.addresses() {
		got = append(got, a.URL)
		if !b.certCovers(a.Label) {
			t.Errorf("%s is shown but the certificate does not cover it", a.URL)
		}
	}
	if !slices.Equal(got, wantAll) {
		t.Errorf("addresses on every interface = %q, want %q", got, wantAll)
	}
}

// BenchmarkWrongClaimCode: how fast the box refuses wrong claim codes, from
// addresses the rate limiter has not seen (an attacker with a whole IPv6
// prefix), without TLS: the bound claim.go's comment relies on.
func BenchmarkWrongClaimCode(b *testing.B) {
	cfg := config.Default()
	cfg.DataDir = b.TempDir()
	cfg.HTTPSAddr, cfg.HTTPAddr = "127.0.0.1:0", ""
	box, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	defer box.Close()
	body := url.Values{"box": {"x"}, "name": {"y"}, "passphrase": {ownerPass}, "again": {ownerPass}, "code": {"1111 1111 1111"}}.Encode()
	i := 0
	for b.Loop() {
		req := httptest.NewRequest("POST", "https://127.0.0.1/claim", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.RemoteAddr = net.JoinHostPort(net.IPv4(10, byte(i>>16), byte(i>>8), byte(i)).String(), "1")
		i++
		rec := httptest.NewRecorder()
		box.ServeHTTP(rec, req)
		if rec.Code != http.StatusForbidden {
			b.Fatalf("status %d, want 403", rec.Code)
		}
	}
}
