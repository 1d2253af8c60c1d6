package pads

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coopbox/coopbox/services/page"
	"github.com/coopbox/coopbox/services/page/pagetest"
)

// TestBrowser drives Debian's Chromium through the pads (testdata/pads.mjs):
// two people write in the same pad and see each other's text and caret, one
// goes offline, both keep typing, they converge, and the box's stored pad
// holds the same text; the list page creates, renames and searches; axe-core
// checks both pages.
func TestBrowser(t *testing.T) {
	pagetest.RequireBrowser(t)
	s, srv := startPeopleService(t)
	pagetest.RequireBundle(t, s.assets.built(), "the pads'")

	out := pagetest.RunScript(t, filepath.Join("testdata", "pads.mjs"), srv.URL, os.Getenv("COOPBOX_SCREENSHOTS"))

	// The text both browsers ended with is what the box stored.
	var result struct{ Pad, Text string }
	pagetest.Result(t, out, &result)
	if result.Pad == "" || result.Text == "" {
		t.Fatalf("the RESULT line lacks the pad or its text: %+v", result)
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
// cookie (the participant "Test" without one).
func startPeopleService(t *testing.T) (*Service, *httptest.Server) {
	t.Helper()
	db := pagetest.OpenDB(t, "pads.db")
	s, err := New(Options{Env: page.Env{DB: db, Log: pagetest.Log(t)}})
	if err != nil {
		t.Fatal(err)
	}
	mux := pagetest.Mux()
	mux.Handle("/", s)
	srv := pagetest.Serve(t, mux, pagetest.CookieOrTester)
	t.Cleanup(func() { s.Close() }) // before the server and the file close, as the box shuts down
	return s, srv
}

func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	pagetest.SkipOrFail(t, format, args...)
}
