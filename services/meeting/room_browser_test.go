package meeting

import (
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/coopbox/coopbox/services/page"
	"github.com/coopbox/coopbox/services/page/pagetest"
)

// TestRoomBrowser drives Debian's Chromium through the room's parts
// (testdata/room.mjs): a facilitator on the control page, the projector,
// four phone-sized participants asking, upvoting, arguing and answering a
// temperature check. Then it checks that the database holds what the pages
// showed.
func TestRoomBrowser(t *testing.T) {
	pagetest.RequireBrowser(t)
	_, err := fs.Stat(web, "web/dist/room.js")
	pagetest.RequireBundle(t, err == nil, "the meeting's")
	db := pagetest.OpenDB(t, "box.db")
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, err := New(Options{Env: page.Env{DB: db, Log: log}})
	if err != nil {
		t.Fatal(err)
	}
	mux := pagetest.Mux()
	mux.Handle("/meeting/", s)
	mux.Handle("/api/meeting/", s)
	// The testperson cookie names each page's person; no cookie, no name.
	srv := pagetest.Serve(t, mux, pagetest.CookiePerson)
	t.Cleanup(func() { s.Close() })

	out := pagetest.RunScript(t, filepath.Join("testdata", "room.mjs"), srv.URL, os.Getenv("COOPBOX_SCREENSHOTS"))
	var result struct{ Meeting string }
	pagetest.Result(t, out, &result)
	if result.Meeting == "" {
		t.Fatalf("the RESULT line names no meeting: %+v", result)
	}
	d, err := s.st.loadRoom(result.Meeting)
	if err != nil {
		t.Fatal(err)
	}
	top := orderQuestions(d.Questions)
	if len(top) != 1 || top[0].Text != "Qui paie la salle ?" || len(top[0].Voters) != 1 {
		t.Errorf("stored questions after the anonymous one was withdrawn: %+v", top)
	}
	if len(d.Checks) != 1 || d.Checks[0].Open || distribution(&d.Checks[0]).Total != 4 || d.Checks[0].Answers["a"] != 5 {
		t.Errorf("stored check: %+v", d.Checks)
	}
	pros, cons := orderArguments(d.Arguments)
	if len(pros) != 1 || len(cons) != 1 || len(pros[0].Supporters) != 2 {
		t.Errorf("stored board: pros %+v cons %+v", pros, cons)
	}
}
