package meeting

import (
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coopbox/coopbox/services/pads"
	"github.com/coopbox/coopbox/services/page"
	"github.com/coopbox/coopbox/services/page/pagetest"
)

// TestMeetingBrowser drives Debian's Chromium through a meeting
// (testdata/meeting.mjs): a facilitator and four phone-sized participants,
// three items, the queue, the projector following, the end and the minutes
// pad opened in the pads' editor. The pads are the real service on the
// same file, as in the box. Then the test checks that the database holds
// what the pages showed.
func TestMeetingBrowser(t *testing.T) {
	pagetest.RequireBrowser(t)
	_, err := fs.Stat(web, "web/dist/meeting.js")
	pagetest.RequireBundle(t, err == nil, "the meeting's")
	db := pagetest.OpenDB(t, "box.db")
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	p, err := pads.New(pads.Options{Env: page.Env{DB: db, Log: log}})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Env: page.Env{DB: db, Log: log, Peer: func(name string) page.Service {
		if name == "pads" {
			return p
		}
		return nil
	}}})
	if err != nil {
		t.Fatal(err)
	}
	mux := pagetest.Mux()
	mux.Handle("/pads/", p)
	mux.Handle("/api/pads", p)
	mux.Handle("/api/pads/", p)
	mux.Handle("/meeting/", s)
	mux.Handle("/api/meeting/", s)
	// The testperson cookie names each page's person; no cookie, no name.
	srv := pagetest.Serve(t, mux, pagetest.CookiePerson)
	t.Cleanup(func() { p.Close() })
	t.Cleanup(func() { s.Close() })

	out := pagetest.RunScript(t, filepath.Join("testdata", "meeting.mjs"), srv.URL, os.Getenv("COOPBOX_SCREENSHOTS"))
	var result struct{ Meeting string }
	pagetest.Result(t, out, &result)
	if result.Meeting == "" {
		t.Fatalf("the RESULT line names no meeting: %+v", result)
	}
	m, err := s.st.meeting(result.Meeting)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.st.core(result.Meeting)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Ended || m.MinutesPad == "" || len(c.Items) != 3 {
		t.Errorf("stored meeting: ended=%v minutes=%q items=%d", m.Ended, m.MinutesPad, len(c.Items))
	}
	var speakers []string
	for _, sp := range c.Speeches {
		speakers = append(speakers, sp.Name)
	}
	if got := strings.Join(speakers, ","); got != "Ana,Cy,Bo,Dé" {
		t.Errorf("stored turns of speech %q, want Ana,Cy,Bo,Dé", got)
	}
	md, err := p.Markdown(m.MinutesPad)
	if err != nil || !strings.Contains(md, "Intervenant·es : Ana, Cy") {
		t.Errorf("the minutes pad: %v\n%s", err, md)
	}
}
