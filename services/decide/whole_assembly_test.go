package decide

import (
	"encoding/csv"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coopbox/coopbox/services/decide/tally"
	"github.com/coopbox/coopbox/services/page"
	"github.com/coopbox/coopbox/services/page/pagetest"
	"github.com/coopbox/coopbox/services/person"
)

// TestWholeAssembly is the "Done when" in one browser run
// (testdata/whole_assembly.mjs): a facilitator runs a whole AG from the
// roll's CSV to the exports, members vote from their phones through their
// cards' links, an open vote with a delegation and a secret one projected
// live. Then what the pages showed is checked against the database, and
// the downloaded exports are recounted.
func TestWholeAssembly(t *testing.T) {
	pagetest.RequireBrowser(t)
	_, err := fs.Stat(web, "web/dist/vote.js")
	pagetest.RequireBundle(t, err == nil, "decide's")
	db := pagetest.OpenDB(t, "decide.db")
	s, err := New(Options{Env: page.Env{DB: db, Log: pagetest.Log(t)}})
	if err != nil {
		t.Fatal(err)
	}
	mux := pagetest.Mux()
	mux.Handle("/", s)
	srv := pagetest.Serve(t, mux, func(r *http.Request) *person.Person {
		// A phone with no session is anonymous; the member cookie alone
		// makes it a member.
		if _, err := r.Cookie("testperson"); err == nil {
			return pagetest.CookieOrTester(r)
		}
		return &person.Person{Role: person.Anonymous}
	})
	t.Cleanup(func() { s.Close() })

	dir := t.TempDir()
	start := time.Now()
	out := pagetest.RunScript(t, filepath.Join("testdata", "whole_assembly.mjs"), srv.URL, dir, os.Getenv("COOPBOX_SCREENSHOTS"))
	t.Logf("the whole assembly took %v in the browser", time.Since(start).Round(100*time.Millisecond))
	var got struct{ Assembly, Open, Secret string }
	pagetest.Result(t, out, &got)
	if got.Secret == "" {
		t.Fatalf("the RESULT line names no secret vote: %+v", got)
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
