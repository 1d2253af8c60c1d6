package decide

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coopbox/coopbox/services/decide/tally"
	"github.com/coopbox/coopbox/services/page"
	"github.com/coopbox/coopbox/services/person"
	bolt "go.etcd.io/bbolt"
)

// TestWholeAssembly is the "Done when" in one browser run
// (testdata/whole_assembly.mjs): a facilitator runs a whole AG from the
// roll's CSV to the exports, members vote from their phones through their
// cards' links, an open vote with a delegation and a secret one projected
// live. Then what the pages showed is checked against the database, and
// the downloaded exports are recounted.
func TestWholeAssembly(t *testing.T) {
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
	if _, err := fs.Stat(web, "web/dist/vote.js"); err != nil {
		skipOrFail(t, "decide's bundle was not built (run: make bundle) before compiling this test")
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
		w.Header().Set("Content-Security-Policy", testCSP)
		// A phone with no session is anonymous; the member cookie alone
		// makes it a member (rollBrowserPerson reads "testperson").
		p := &person.Person{Role: person.Anonymous}
		if _, err := r.Cookie("testperson"); err == nil {
			p = rollBrowserPerson(r)
		}
		mux.ServeHTTP(w, r.WithContext(person.NewContext(r.Context(), p)))
	}))
	t.Cleanup(func() {
		s.Close()
		srv.CloseClientConnections()
		srv.Close()
		db.Close()
	})

	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	start := time.Now()
	out, err := exec.CommandContext(ctx, node, filepath.Join("testdata", "whole_assembly.mjs"), srv.URL, dir, os.Getenv("COOPBOX_SCREENSHOTS")).CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("browser test: %v", err)
	}
	t.Logf("the whole assembly took %v in the browser", time.Since(start).Round(100*time.Millisecond))
	var got struct{ Assembly, Open, Secret string }
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), "RESULT "); ok {
			if err := json.Unmarshal([]byte(line), &got); err != nil {
				t.Fatalf("result line: %v", err)
			}
		}
	}
	if got.Secret == "" {
		t.Fatal("the script printed no RESULT line")
	}

	// The open vote: 2 for (Bruno, and Chloé's delegation to him), 2
	// abstaining (Alice, and the proxy she carries for François): adopted.
	ov, err := s.st.vote(got.Open)
	if err != nil {
		t.Fatal(err)
	}
	ores, _, err := s.st.result(ov)
	if err != nil {
		t.Fatal(err)
	}
	if d := ores.Tally.Decision; ov.Secret || d.Yes != 2 || d.No != 0 || d.Abstain != 2 || !d.Adopted {
		t.Errorf("open vote stored: secret %v, %+v; want 2 for (Bruno, Chloé's delegation), 2 abstaining (Alice, François's proxy), adopted", ov.Secret, d)
	}

	// The secret vote: recount from the downloaded exports gives the
	// stored result.
	sv, err := s.st.vote(got.Secret)
	if err != nil {
		t.Fatal(err)
	}
	sres, _, err := s.st.result(sv)
	if err != nil {
		t.Fatal(err)
	}
	if !sv.Secret || sres.Ballots != 4 || !slices.Equal(sres.Winners, []string{"Jardin partagé"}) {
		t.Errorf("secret vote stored: secret %v, %d ballots, winners %q; want 4 ballots, Jardin partagé", sv.Secret, sres.Ballots, sres.Winners)
	}
	for _, name := range []string{"ballots.json", "ballots.soc"} {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		e, err := tally.Read(f, name)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		r, err := tally.Count(e.Vote, e.Ballots, sres.Method, tally.Config{})
		if err != nil {
			t.Fatalf("recount of %s: %v", name, err)
		}
		var winners []string
		for _, w := range r.Winners {
			winners = append(winners, e.Vote.Options[w])
		}
		if !slices.Equal(winners, sres.Winners) || r.Weight != 4 {
			t.Errorf("recount of %s: winners %q, weight %d; stored %q, 4 ballots", name, winners, r.Weight, sres.Winners)
		}
	}
	raw, err := os.ReadFile(filepath.Join(dir, "result.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
	if err != nil || len(rows) != 4 {
		t.Errorf("result.csv: %d rows, %v; want a header and 3 options", len(rows), err)
	}
}
