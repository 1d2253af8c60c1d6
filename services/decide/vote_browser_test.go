package decide

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
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

// The box's content security policy (appliance/security.go).
const testCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; " +
	"form-action 'self'; frame-ancestors 'none'"

func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("COOPBOX_REQUIRE_ALL") == "1" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// TestBrowserSecretVote drives Debian's Chromium through a secret vote
// (testdata/vote_browser.mjs) and checks the result the box stored.
func TestBrowserSecretVote(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		skipOrFail(t, "node not installed: %v", err)
	}
	if _, err := os.Stat("../../node_modules/playwright-core"); err != nil {
		skipOrFail(t, "npm packages missing (run: npm ci): %v", err)
	}
	if _, err := os.Stat("/usr/bin/chromium"); err != nil {
		skipOrFail(t, "Debian's chromium missing: %v", err)
	}
	if b, err := web.ReadFile("web/dist/vote.js"); err != nil || len(b) < 1000 {
		skipOrFail(t, "decide's bundle was not built (run: make bundle) before compiling this test")
	}
	db, err := bolt.Open(filepath.Join(t.TempDir(), "decide.db"), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Env: page.Env{DB: db}})
	if err != nil {
		t.Fatal(err)
	}
	var members []Member
	for i, name := range []string{"Ana", "Bo", "Cy", "Dee"} {
		members = append(members, Member{ID: "m0" + string(rune('0'+i)), Name: name, Weight: 1, Voting: true})
	}
	if err := s.stubAssembly(Assembly{ID: "asm1", Title: "AG"}, members); err != nil {
		t.Fatal(err)
	}
	s.stubCheckIn("asm1", "m00", "m01", "m02")
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.StripPrefix("/static/", page.Static()))
	mux.Handle("/", s)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", testCSP)
		p := &person.Person{Role: person.Anonymous}
		if c, err := r.Cookie("testrole"); err == nil {
			switch c.Value {
			case "facilitator":
				p = &person.Person{ID: "f", Name: "Fa", Color: "#1a5fb4", Role: person.Facilitator}
			case "participant":
				p = &person.Person{ID: "p", Name: "Pa", Color: "#1a5fb4", Role: person.Participant}
			}
		}
		mux.ServeHTTP(w, r.WithContext(person.NewContext(r.Context(), p)))
	}))
	t.Cleanup(func() {
		s.Close()
		srv.CloseClientConnections()
		srv.Close()
		db.Close()
	})
	// The members' bound browsers, as "name=value" cookies for the script.
	cookies := map[string]string{}
	for _, m := range members {
		c, err := s.stubBind("asm1", m.ID)
		if err != nil {
			t.Fatal(err)
		}
		cookies[m.ID] = c.Name + "=" + c.Value
	}
	cj, _ := json.Marshal(cookies)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, node, filepath.Join("testdata", "vote_browser.mjs"), srv.URL, string(cj)).CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("browser test: %v", err)
	}
	var result struct{ Vote string }
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), "RESULT "); ok {
			json.Unmarshal([]byte(line), &result)
		}
	}
	v, err := s.st.vote(result.Vote)
	if err != nil {
		t.Fatalf("vote %q: %v", result.Vote, err)
	}
	res, _, err := s.st.result(v)
	if err != nil {
		t.Fatal(err)
	}
	if d := res.Tally.Decision; !v.Secret || res.Ballots != 3 || d.Yes != 2 || d.No != 1 {
		t.Errorf("stored: secret %v, %d ballots, %+v; the browsers cast 2 yes and 1 no", v.Secret, res.Ballots, d)
	}
}
