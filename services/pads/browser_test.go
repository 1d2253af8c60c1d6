package pads

import (
	"bufio"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coopbox/coopbox/services/page"
	"github.com/coopbox/coopbox/services/person"
	bolt "go.etcd.io/bbolt"
)

// browserPerson is the test's stand-in for the box's sessions: the cookie
// "testperson" holds "id|name|color|role" (the script sets one per browser
// context). The session middleware itself is tested in package appliance.
func browserPerson(r *http.Request) *person.Person {
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

// TestBrowser drives Debian's Chromium through the pads (testdata/pads.mjs):
// two people write in the same pad and see each other's text and caret, one
// goes offline, both keep typing, they converge, and the box's stored pad
// holds the same text; the list page creates, renames and searches; axe-core
// checks both pages.
func TestBrowser(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		skipOrFail(t, "node not installed: %v", err)
	}
	if _, err := os.Stat("../../node_modules/playwright-core"); err != nil {
		skipOrFail(t, "npm packages missing (run: npm ci): %v", err)
	}
	if _, err := os.Stat("/usr/bin/chromium"); err != nil {
		skipOrFail(t, "Debian's chromium missing (apt-get install chromium): %v", err)
	}
	s, srv := startPeopleService(t)
	if !s.assets.built() {
		skipOrFail(t, "the pads' bundle was not built (run: make bundle) before compiling this test")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join("testdata", "pads.mjs"), srv.URL, os.Getenv("COOPBOX_SCREENSHOTS"))
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("browser test: %v", err)
	}

	// The text both browsers ended with is what the box stored.
	var result struct{ Pad, Text string }
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), "RESULT "); ok {
			if err := json.Unmarshal([]byte(line), &result); err != nil {
				t.Fatalf("result line: %v", err)
			}
		}
	}
	if result.Pad == "" || result.Text == "" {
		t.Fatal("the script printed no RESULT line")
	}
	got, err := s.storedText(result.Pad)
	if err != nil {
		t.Fatal(err)
	}
	// The export separates paragraphs with a blank line, the page with a
	// line break: compare the lines that hold text.
	if nonEmptyLines(got) != nonEmptyLines(result.Text) {
		t.Errorf("stored pad text:\n%q\nboth browsers show:\n%q", got, result.Text)
	}
}

func nonEmptyLines(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// startPeopleService serves the pads as the box would (with its CSP and the
// shared /static/ files), each request's person taken from the testperson
// cookie.
func startPeopleService(t *testing.T) (*Service, *httptest.Server) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "pads.db"), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Env: page.Env{DB: db, Log: slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.StripPrefix("/static/", page.Static()))
	mux.Handle("/", s)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", page.ContentSecurityPolicy)
		mux.ServeHTTP(w, r.WithContext(person.NewContext(r.Context(), browserPerson(r))))
	}))
	t.Cleanup(func() {
		s.Close()
		srv.CloseClientConnections()
		srv.Close()
		db.Close()
	})
	return s, srv
}

// testLog sends the service's warnings and errors to the test's log.
type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("COOPBOX_REQUIRE_ALL") == "1" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}
