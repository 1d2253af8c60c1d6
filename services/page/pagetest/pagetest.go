// Package pagetest holds what the services' browser tests share: the check
// that node, playwright-core and Debian's Chromium are there, a bbolt file,
// a test server that serves a service as the box would (its CSP, the shared
// /static/ files, a person taken from a test cookie), and the run of a
// playwright script with its RESULT line. Tests import it; the product never
// does.
package pagetest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
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

// ScriptTimeout bounds one playwright script: a hung browser fails the test
// instead of holding it until go test's own deadline.
const ScriptTimeout = 3 * time.Minute

// Chromium is Debian's browser; the tests never download a browser build.
const Chromium = "/usr/bin/chromium"

// SkipOrFail skips the test for a missing tool, or fails it where every test
// must run (COOPBOX_REQUIRE_ALL=1, as in CI).
func SkipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("COOPBOX_REQUIRE_ALL") == "1" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// RequireBrowser skips (or fails, see SkipOrFail) unless node, the npm
// packages and Debian's Chromium are installed.
func RequireBrowser(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		SkipOrFail(t, "node not installed: %v", err)
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "node_modules", "playwright-core")); err != nil {
		SkipOrFail(t, "npm packages missing (run: npm ci): %v", err)
	}
	if _, err := os.Stat(Chromium); err != nil {
		SkipOrFail(t, "Debian's chromium missing (apt-get install chromium): %v", err)
	}
}

// RequireBundle skips (or fails) when a service's bundle was not built
// before the test was compiled: built tells whether it was, what names the
// service ("the meeting's", "decide's").
func RequireBundle(t testing.TB, built bool, what string) {
	t.Helper()
	if !built {
		SkipOrFail(t, "%s bundle was not built (run: npm run bundle) before compiling this test", what)
	}
}

// moduleRoot is the folder of go.mod above the test's working directory
// (go test runs a test in its package's folder), where node_modules is.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", errors.New("pagetest: no go.mod above the test's folder")
		}
		dir = up
	}
}

// OpenDB opens a bbolt file in the test's temporary folder, closed when the
// test ends (after whatever the test registers later, such as the services
// that use it).
func OpenDB(t testing.TB, name string) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), name), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Mux returns a mux that already serves the box's shared /static/ files.
func Mux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.StripPrefix("/static/", page.Static()))
	return mux
}

// Serve starts a test server for h as the box serves it: with the box's
// content security policy, so that the browser meets the same refusals (no
// inline script or style), and with the person who returns for each request
// (none when who returns nil), standing in for the box's sessions. The
// server closes when the test ends; register a service's Close after Serve
// so that it runs first, as the box shuts down.
func Serve(t testing.TB, h http.Handler, who func(*http.Request) *person.Person) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", page.ContentSecurityPolicy)
		if p := who(r); p != nil {
			r = r.WithContext(person.NewContext(r.Context(), p))
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	return srv
}

// CookiePerson reads the person a script set in the "testperson" cookie,
// "id|name|color|role" (role "facilitator" or anything else for a
// participant), URL-escaped; nil without the cookie or when it is malformed.
// The session middleware itself is tested in package appliance.
func CookiePerson(r *http.Request) *person.Person {
	c, err := r.Cookie("testperson")
	if err != nil {
		return nil
	}
	v, _ := url.QueryUnescape(c.Value)
	f := strings.Split(v, "|")
	if len(f) != 4 {
		return nil
	}
	p := &person.Person{ID: f[0], Name: f[1], Color: f[2], Role: person.Participant}
	if f[3] == "facilitator" {
		p.Role = person.Facilitator
	}
	return p
}

// CookieOrTester is CookiePerson, or without a well-formed cookie the
// participant "Test", for the tests where every page has someone.
func CookieOrTester(r *http.Request) *person.Person {
	if p := CookiePerson(r); p != nil {
		return p
	}
	return &person.Person{ID: "t", Name: "Test", Color: "#1a5fb4", Role: person.Participant}
}

// Log is a logger for the service under test that sends its warnings and
// errors to the test's log.
func Log(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// testWriter writes each log line to the test's log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// RunScript runs a node script (its path relative to the test's folder) with
// its arguments, within ScriptTimeout, and returns what it printed, stdout
// and stderr together. The output goes to the test's log, shown when the
// test fails or under -v; a script that fails fails the test.
func RunScript(t testing.TB, script string, args ...string) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), ScriptTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, node, append([]string{script}, args...)...).CombinedOutput()
	t.Logf("%s", out)
	if ctx.Err() != nil {
		t.Fatalf("browser test %s: no end within %v: %v", script, ScriptTimeout, err)
	}
	if err != nil {
		t.Fatalf("browser test %s: %v", script, err)
	}
	return string(out)
}

// Result decodes into v the JSON of the last line of out that starts with
// "RESULT ", the way the scripts report what the pages showed.
func Result(t testing.TB, out string, v any) {
	t.Helper()
	found := false
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), "RESULT "); ok {
			if err := json.Unmarshal([]byte(line), v); err != nil {
				t.Fatalf("result line: %v", err)
			}
			found = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("the script's output: %v", err)
	}
	if !found {
		t.Fatal("the script printed no RESULT line")
	}
}
