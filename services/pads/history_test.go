package pads

import (
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coopbox/coopbox/services/pads/ydoc"
)

func TestHistoryNameShowRestore(t *testing.T) {
	ts := startService(t, filepath.Join(t.TempDir(), "pads.db"), DefaultLimits)
	p := ts.createPad(t, "Charte")
	write := func(md string) {
		t.Helper()
		u, err := importMarkdown([]byte(md))
		if err != nil {
			t.Fatal(err)
		}
		blocks := readPad(loadUpdate(t, u))
		if err := ts.hub.withPad(p.ID, func(d *ydoc.Doc) ([]byte, error) { return replaceContent(d, blocks) }); err != nil {
			t.Fatal(err)
		}
	}
	text := func() string {
		t.Helper()
		d, err := ts.loadDoc(p.ID)
		if err != nil {
			t.Fatal(err)
		}
		return textOf(readPad(d))
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, path string, form url.Values, role string) (int, string) {
		t.Helper()
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, _ := http.NewRequest(method, ts.srv.URL+path, body)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		req.Header.Set("X-Test-Role", role)
		res, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}

	write("# Charte\n\nArticle premier.\n")
	if code, _ := do("POST", "/pads/"+p.ID+"/history/", url.Values{"name": {"Avant le vote"}}, ""); code != http.StatusSeeOther {
		t.Fatalf("name a version: %d", code)
	}
	write("# Charte\n\nArticle premier, amendé.\n\nArticle 2.\n")

	code, list := do("GET", "/pads/"+p.ID+"/history/", nil, "")
	if code != 200 || !strings.Contains(list, "Avant le vote") {
		t.Fatalf("history list: %d %.300s", code, list)
	}
	vs, _ := ts.st.versions(p.ID)
	var named versionMeta
	for _, v := range vs {
		if v.Name == "Avant le vote" {
			named = v
		}
	}
	path := "/pads/" + p.ID + "/history/" + itoa(int(named.Seq))
	code, page := do("GET", path, nil, "")
	for _, want := range []string{"<p>Article premier.</p>", "− Article premier.", "+ Article premier, amendé.", "+ Article 2."} {
		if !strings.Contains(page, want) {
			t.Errorf("version page (%d) lacks %q", code, want)
		}
	}

	// A locked pad: a participant may look, not restore.
	ts.st.updateMeta(p.ID, func(m *padMeta) error { m.Locked = true; return nil })
	if code, _ := do("POST", path+"/restore", url.Values{}, ""); code != http.StatusForbidden {
		t.Errorf("participant restoring a locked pad: %d, want 403", code)
	}
	if code, _ := do("POST", path+"/restore", url.Values{}, "facilitator"); code != http.StatusSeeOther {
		t.Fatalf("facilitator restore: %d", code)
	}
	if got, want := text(), "Charte\n\nArticle premier.\n"; got != want {
		t.Errorf("after restore the pad reads %q, want %q", got, want)
	}
	if code, _ := do("GET", "/pads/"+p.ID+"/history/999", nil, ""); code != http.StatusNotFound {
		t.Errorf("missing version: %d, want 404", code)
	}
	if code, _ := do("GET", "/pads/"+p.ID+"/history/", nil, "anonymous"); code != http.StatusSeeOther {
		t.Errorf("anonymous history: %d, want a redirect to join", code)
	}
}

// TestAutomaticVersions: a version every ten minutes of writing, and one
// when the pad leaves memory.
func TestAutomaticVersions(t *testing.T) {
	ts := startService(t, filepath.Join(t.TempDir(), "pads.db"), DefaultLimits)
	var clock atomic.Int64 // the writer goroutine reads it
	clock.Store(time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC).UnixNano())
	ts.hub.now = func() time.Time { return time.Unix(0, clock.Load()) }
	advance := func(d time.Duration) { clock.Add(int64(d)) }
	p := ts.createPad(t, "Rapport")
	edit := func(s string) {
		t.Helper()
		if err := ts.hub.withPad(p.ID, func(d *ydoc.Doc) ([]byte, error) {
			return d.Text("text").Insert(0, s, nil)
		}); err != nil {
			t.Fatal(err)
		}
	}
	count := func() int {
		vs, err := ts.st.versions(p.ID)
		if err != nil {
			t.Fatal(err)
		}
		return len(vs)
	}
	edit("a")
	advance(5 * time.Minute)
	edit("b")
	if n := count(); n != 0 {
		t.Fatalf("%d versions after 5 minutes, want 0", n)
	}
	advance(6 * time.Minute)
	edit("c")
	if n := count(); n != 1 {
		t.Fatalf("%d versions after 11 minutes of writing, want 1", n)
	}
	edit("d")
	ts.Close() // the pad leaves memory
	if n := count(); n != 2 {
		t.Errorf("%d versions after the pad left memory, want 2", n)
	}
}

// TestWritingMovesThePadUp: the pad list sorts by the last write.
func TestWritingMovesThePadUp(t *testing.T) {
	ts := startService(t, filepath.Join(t.TempDir(), "pads.db"), DefaultLimits)
	var clock atomic.Int64
	clock.Store(time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC).UnixNano())
	ts.hub.now = func() time.Time { return time.Unix(0, clock.Load()) }
	ts.opts.Now = ts.hub.now
	old := ts.createPad(t, "Ancien")
	clock.Add(int64(time.Hour))
	ts.createPad(t, "Récent")
	clock.Add(int64(time.Hour))
	if err := ts.hub.withPad(old.ID, func(d *ydoc.Doc) ([]byte, error) { return d.Text("text").Insert(0, "x", nil) }); err != nil {
		t.Fatal(err)
	}
	m, _ := ts.st.meta(old.ID)
	if !m.Updated.Equal(time.Unix(0, clock.Load())) {
		t.Errorf("Updated = %v after a write at %v", m.Updated, time.Unix(0, clock.Load()))
	}
}
