package decide

import (
	"bufio"
	"context"
	"encoding/json"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coopbox/coopbox/services/page"
	"github.com/coopbox/coopbox/services/person"
	bolt "go.etcd.io/bbolt"
)

// The box's content security policy (appliance/security.go), so that the
// browser test meets the same refusals as the box: no inline script or style.
const rollCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; " +
	"form-action 'self'; frame-ancestors 'none'"

// rollBrowserPerson is the test's stand-in for the box's sessions: the cookie
// "testperson" holds "id|name|color|role".
func rollBrowserPerson(r *http.Request) *person.Person {
	p := &person.Person{ID: "t", Name: "Test", Color: "#1a5fb4", Role: person.Participant}
	c, err := r.Cookie("testperson")
	if err != nil {
		return p
	}
	v, _ := url.QueryUnescape(c.Value)
	f := strings.Split(v, "|")
	if len(f) != 4 {
		return p
	}
	p.ID, p.Name, p.Color = f[0], f[1], f[2]
	if f[3] == "facilitator" {
		p.Role = person.Facilitator
	}
	return p
}

// TestDeskBrowser drives Debian's Chromium through the roll and the desk
// (testdata/roll_desk.mjs) on a phone-sized page, then checks that the
// database holds what the pages showed: who is present, and the proxies.
func TestDeskBrowser(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		rollSkipOrFail(t, "node not installed: %v", err)
	}
	if _, err := os.Stat("../../node_modules/playwright-core"); err != nil {
		rollSkipOrFail(t, "npm packages missing (run: npm ci): %v", err)
	}
	if _, err := os.Stat("/usr/bin/chromium"); err != nil {
		rollSkipOrFail(t, "Debian's chromium missing (apt-get install chromium): %v", err)
	}
	if _, err := fs.Stat(web, "web/dist/desk.js"); err != nil {
		rollSkipOrFail(t, "decide's bundle was not built (run: make bundle) before compiling this test")
	}
	db, err := bolt.Open(filepath.Join(t.TempDir(), "decide.db"), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Env: page.Env{DB: db, Log: slog.New(slog.NewTextHandler(rollTestLog{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.StripPrefix("/static/", page.Static()))
	mux.Handle("/", s)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", rollCSP)
		mux.ServeHTTP(w, r.WithContext(person.NewContext(r.Context(), rollBrowserPerson(r))))
	}))
	t.Cleanup(func() {
		s.Close()
		srv.CloseClientConnections()
		srv.Close()
		db.Close()
	})

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, node, filepath.Join("testdata", "roll_desk.mjs"), srv.URL, os.Getenv("COOPBOX_SCREENSHOTS")).CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("browser test: %v", err)
	}
	var result struct{ Assembly string }
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), "RESULT "); ok {
			if err := json.Unmarshal([]byte(line), &result); err != nil {
				t.Fatalf("result line: %v", err)
			}
		}
	}
	if result.Assembly == "" {
		t.Fatal("the script printed no RESULT line")
	}
	// What the pages showed is what is stored.
	d, err := s.st.loadRoll(result.Assembly)
	if err != nil {
		t.Fatal(err)
	}
	name := map[string]string{}
	for _, m := range d.members {
		name[m.ID] = m.Name
	}
	var present, proxies []string
	for id := range d.present {
		present = append(present, name[id])
	}
	for _, p := range d.proxies {
		proxies = append(proxies, name[p[0]]+" → "+name[p[1]])
	}
	slices.Sort(present)
	slices.Sort(proxies)
	if want := []string{"Zoé Martin", "Éloïse Lœuvre", "Émile Zola"}; !slices.Equal(present, want) {
		t.Errorf("stored presence %q, want %q", present, want)
	}
	if want := []string{"Agnès Petit → Zoé Martin", "Bernard, Anne → Zoé Martin"}; !slices.Equal(proxies, want) {
		t.Errorf("stored proxies %q, want %q", proxies, want)
	}
}

func rollSkipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("COOPBOX_REQUIRE_ALL") == "1" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}
