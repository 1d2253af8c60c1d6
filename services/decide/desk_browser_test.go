package decide

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/coopbox/coopbox/services/page"
	"github.com/coopbox/coopbox/services/page/pagetest"
)

// TestDeskBrowser drives Debian's Chromium through the roll and the desk
// (testdata/roll_desk.mjs) on a phone-sized page, then checks that the
// database holds what the pages showed: who is present, and the proxies.
func TestDeskBrowser(t *testing.T) {
	pagetest.RequireBrowser(t)
	_, err := fs.Stat(web, "web/dist/desk.js")
	pagetest.RequireBundle(t, err == nil, "decide's")
	db := pagetest.OpenDB(t, "decide.db")
	s, err := New(Options{Env: page.Env{DB: db, Log: pagetest.Log(t)}})
	if err != nil {
		t.Fatal(err)
	}
	mux := pagetest.Mux()
	mux.Handle("/", s)
	// Each page's person is the testperson cookie's, the participant
	// "Test" without one.
	srv := pagetest.Serve(t, mux, pagetest.CookieOrTester)
	t.Cleanup(func() { s.Close() })

	out := pagetest.RunScript(t, filepath.Join("testdata", "roll_desk.mjs"), srv.URL, os.Getenv("COOPBOX_SCREENSHOTS"))
	var result struct{ Assembly string }
	pagetest.Result(t, out, &result)
	if result.Assembly == "" {
		t.Fatalf("the RESULT line names no assembly: %+v", result)
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
