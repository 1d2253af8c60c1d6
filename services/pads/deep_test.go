package pads

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coopbox/coopbox/services/pads/ydoc"
)

// The finding: a Markdown import of 32 KB holding 16,000 nested list items
// was accepted, and the pad's .md and .txt exports then each ran for more
// than a minute with memory growing into gigabytes; search reads every pad
// through the same writer. These tests give every request a deadline far
// above what a bounded answer takes and far below what the unbounded one
// took.

// slowClient fails a request that has not answered in 20 s (a bounded
// answer takes milliseconds, even on a loaded machine).
var slowClient = &http.Client{Timeout: 20 * time.Second}

func upload(t *testing.T, ts *testService, name string, content []byte) (int, map[string]string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(content)
	mw.Close()
	req, _ := http.NewRequest("POST", ts.srv.URL+"/api/pads/import", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept-Language", "fr")
	res, err := slowClient.Do(req)
	if err != nil {
		t.Fatalf("import %s: %v", name, err)
	}
	defer res.Body.Close()
	var v map[string]string
	json.NewDecoder(res.Body).Decode(&v)
	return res.StatusCode, v
}

// TestDeepImportIsRefused: files nesting lists or quotes deeper than a pad
// may are refused with a clear error in the asker's language, whatever
// their format; a file nesting as deep as people write is imported whole.
func TestDeepImportIsRefused(t *testing.T) {
	ts := startService(t, filepath.Join(t.TempDir(), "pads.db"), DefaultLimits)
	var indented strings.Builder
	for i := range 1400 { // 2 MiB of lists nested by indentation
		indented.WriteString(strings.Repeat(" ", 2*i) + "- a\n")
	}
	for _, tc := range []struct{ name, content string }{
		{"liste.md", strings.Repeat("- ", 16000) + "x\n"}, // the finding: 32 KB
		{"listes.md", strings.Repeat(strings.Repeat("- ", 16000)+"x\n", 64)},
		{"citations.md", strings.Repeat(">", 2<<20-2) + "\n"},
		{"indentation.md", indented.String()},
		{"mixte.md", strings.Repeat("1. > * ", 40) + "x\n"},
		{"listes.html", strings.Repeat("<ul><li>", 40) + "x"},
		{"listes-profondes.html", strings.Repeat("<ul><li>", 200000)},
		{"citations.html", strings.Repeat("<blockquote>", 70) + "x"},
	} {
		start := time.Now()
		code, body := upload(t, ts, tc.name, []byte(tc.content))
		if code != http.StatusBadRequest || body["code"] != "too_deep" || !strings.Contains(body["error"], "trop profondément") {
			t.Errorf("import %s (%d bytes): %d %v, want 400 too_deep with a French message", tc.name, len(tc.content), code, body)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("import %s took %v", tc.name, d)
		}
	}
	// Ten levels of list, and a quote in a list: imported as they are.
	var md strings.Builder
	for i := range 10 {
		md.WriteString(strings.Repeat("  ", i) + "- niveau " + strconv.Itoa(i) + "\n")
	}
	md.WriteString("\n1. point\n   > cité\n")
	code, body := upload(t, ts, "plan.md", []byte(md.String()))
	if code != http.StatusCreated {
		t.Fatalf("import of 10 levels: %d %v", code, body)
	}
	d, err := ts.loadDoc(body["id"])
	if err != nil {
		t.Fatal(err)
	}
	if got, want := mdOf(readPad(d)), md.String(); got != want {
		t.Errorf("10 levels read back as\n%s\nwant\n%s", got, want)
	}
}

// deepPad returns the update of a pad whose list nests n deep, each item
// holding a paragraph "mot<i>": what the import made of the finding's file
// before it was refused (the update is 1.6 MB for 16,000 levels).
func deepPad(t *testing.T, n int) []byte {
	t.Helper()
	d := ydoc.NewDoc(77)
	u, err := d.Transact(func() error {
		list, _, err := d.XMLFragment("default").InsertElement(0, "bulletList")
		for i := 0; i < n && err == nil; i++ {
			var item, p *ydoc.XMLElement
			var txt *ydoc.XMLText
			if item, _, err = list.InsertElement(0, "listItem"); err != nil {
				break
			}
			if p, _, err = item.InsertElement(0, "paragraph"); err != nil {
				break
			}
			if txt, _, err = p.InsertText(0); err != nil {
				break
			}
			if _, err = txt.Insert(0, "mot"+strconv.Itoa(i), nil); err != nil {
				break
			}
			list, _, err = item.InsertElement(1, "bulletList")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestDeepPadReadsInBoundedTime: a pad nesting 16,000 levels deep (stored
// before imports and updates were bounded) exports in every format and is
// searched quickly: what lies deeper than the limit comes out as flat
// paragraphs, every word kept.
func TestDeepPadReadsInBoundedTime(t *testing.T) {
	ts := startService(t, filepath.Join(t.TempDir(), "pads.db"), DefaultLimits)
	const n = 16000
	m := padMeta{ID: "profond", ReadID: "profond-lecture", Title: "Profond", Created: time.Now(), Updated: time.Now()}
	if err := ts.st.create(m, deepPad(t, n)); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"md", "txt", "html", "odt"} {
		start := time.Now()
		res, err := slowClient.Get(ts.srv.URL + "/pads/profond/export/" + format)
		if err != nil {
			t.Errorf("export %s: %v", format, err)
			continue
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK {
			t.Errorf("export %s: %d %v", format, res.StatusCode, err)
			continue
		}
		// 16,000 paragraphs of a few bytes, indented by at most 62
		// columns: about a megabyte.
		if len(body) > 2<<20 {
			t.Errorf("export %s: %d bytes", format, len(body))
		}
		if format != "odt" {
			for _, w := range []string{"mot0", "mot9", "mot15999"} {
				if !bytes.Contains(body, []byte(w+"\n")) && !bytes.Contains(body, []byte(w+"<")) {
					t.Errorf("export %s lacks %q", format, w)
				}
			}
		}
		t.Logf("export %s: %d bytes in %v", format, len(body), time.Since(start))
	}
	// The history shows a version of it, compared with the pad now.
	state := func() []byte {
		d, err := ts.loadDoc("profond")
		if err != nil {
			t.Fatal(err)
		}
		return d.EncodeStateAsUpdate(nil)
	}()
	v, err := ts.st.addVersion("profond", versionMeta{Created: time.Now()}, state)
	if err != nil {
		t.Fatal(err)
	}
	res, err := slowClient.Get(ts.srv.URL + "/pads/profond/history/" + strconv.FormatUint(v.Seq, 10))
	if err != nil {
		t.Fatalf("version page: %v", err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !bytes.Contains(page, []byte("mot15999")) {
		t.Errorf("version page: %d, %d bytes", res.StatusCode, len(page))
	}
	res, err = slowClient.Get(ts.srv.URL + "/api/pads?q=mot15999")
	if err != nil {
		t.Fatalf("search: %v", err)
	}
	var found []padView
	json.NewDecoder(res.Body).Decode(&found)
	res.Body.Close()
	if len(found) != 1 || found[0].ID != "profond" {
		t.Errorf("search for the deepest word: %+v", found)
	}
}

// TestDeepUpdateClosesTheConnection: an update nesting elements deeper
// than a pad may closes its connection with a reason and is not stored or
// relayed; the pad keeps working.
func TestDeepUpdateClosesTheConnection(t *testing.T) {
	ts := startService(t, filepath.Join(t.TempDir(), "pads.db"), DefaultLimits)
	p := ts.createPad(t, "Profond")
	c := dial(t, ts, p.ID, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageBinary, encodeSync(syncUpdate, deepPad(t, 100))); err != nil {
		t.Fatal(err)
	}
	code, reason := readUntilClose(c)
	if code != websocket.StatusUnsupportedData || !strings.Contains(reason, "nested too deeply") {
		t.Errorf("closed with %d %q, want 1003 and the reason", code, reason)
	}
	if _, updates, _, _ := ts.st.load(p.ID); len(updates) != 0 {
		t.Errorf("%d updates stored, want none", len(updates))
	}
	// Thirty levels of list (62 deep with the paragraph and its text) go in.
	c = dial(t, ts, p.ID, nil)
	defer c.Close(websocket.StatusNormalClosure, "")
	if err := c.Write(ctx, websocket.MessageBinary, encodeSync(syncUpdate, deepPad(t, 30))); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, updates, _, _ := ts.st.load(p.ID); len(updates) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the update of 30 levels was not stored")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestExportLimit: an export that would pass the limit is refused with a
// clear error in the asker's language, and search reads what fits.
func TestExportLimit(t *testing.T) {
	limits := DefaultLimits
	limits.MaxExport = 4096
	ts := startService(t, filepath.Join(t.TempDir(), "pads.db"), limits)
	code, body := upload(t, ts, "long.md", []byte("debut\n\n"+strings.Repeat("Un paragraphe de texte.\n\n", 400)+"fin\n"))
	if code != http.StatusCreated {
		t.Fatalf("import: %d %v", code, body)
	}
	id := body["id"]
	for _, format := range []string{"md", "txt", "html", "odt", "yjs"} {
		req, _ := http.NewRequest("GET", ts.srv.URL+"/pads/"+id+"/export/"+format, nil)
		req.Header.Set("Accept-Language", "en")
		res, err := slowClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var e map[string]string
		json.NewDecoder(res.Body).Decode(&e)
		res.Body.Close()
		switch {
		case format == "yjs" && res.StatusCode != http.StatusOK:
			t.Errorf("export yjs: %d, want 200 (the state is bounded by the pad's limit)", res.StatusCode)
		case format != "yjs" && (res.StatusCode != http.StatusUnprocessableEntity || e["code"] != "too_large" || !strings.Contains(e["error"], "too large")):
			t.Errorf("export %s: %d %v, want 422 too_large with an English message", format, res.StatusCode, e)
		}
	}
	for q, want := range map[string]int{"debut": 1, "fin": 0} {
		res, err := slowClient.Get(ts.srv.URL + "/api/pads?q=" + q)
		if err != nil {
			t.Fatal(err)
		}
		var found []padView
		json.NewDecoder(res.Body).Decode(&found)
		res.Body.Close()
		if len(found) != want {
			t.Errorf("search %q: %d pads, want %d (search reads the first %d bytes)", q, len(found), want, limits.MaxExport)
		}
	}
}

// within runs fn and fails the test if it has not returned after d (it
// then keeps running: the test binary ends with the test).
func within(t *testing.T, d time.Duration, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s takes more than %v", what, d)
	}
}

// TestLongBacktickRuns: a code block or span holding a long run of
// backticks gets a fence one longer, found in one pass (looking for ever
// longer fences took time quadratic in the run).
func TestLongBacktickRuns(t *testing.T) {
	ticks := strings.Repeat("`", 1<<20)
	blocks := []block{
		{name: "codeBlock", runs: []run{{text: ticks}}},
		{name: "paragraph", runs: []run{{text: ticks, marks: map[string]map[string]any{"code": {}}}}},
	}
	var md string
	within(t, 10*time.Second, "the Markdown of 1 MiB of backticks", func() { md = mdOf(blocks) })
	fence := ticks + "`"
	if want := fence + "\n" + ticks + "\n" + fence + "\n\n" + fence + " " + ticks + " " + fence + "\n"; md != want {
		t.Errorf("Markdown of long backtick runs: %d bytes, want %d", len(md), len(want))
	}
}

// TestDeepEmphasisImport: emphasis nested 65,536 deep imports in time in
// proportion to the file (each level used to copy every run below it),
// its text kept with its marks.
func TestDeepEmphasisImport(t *testing.T) {
	src := strings.Repeat("*a ", 1<<16) + "x" + strings.Repeat(" b*", 1<<16)
	var u []byte
	var err error
	within(t, 20*time.Second, "importing emphasis nested 65,536 deep", func() { u, err = importMarkdown([]byte(src)) })
	if err != nil {
		t.Fatal(err)
	}
	text := textOf(readPad(loadUpdate(t, u)))
	if got := strings.Count(text, "a "); got != 1<<16 || !strings.Contains(text, " x ") {
		t.Errorf("the imported text has %d \"a \", want %d, and x", got, 1<<16)
	}
}

// TestManyParagraphsImport: a file of 100,000 short paragraphs imports in
// time in proportion to it (appending each node walked the list from its
// start: 40,000 paragraphs took half a minute), in order; a file whose pad
// would pass the pad's size limit is refused.
func TestManyParagraphsImport(t *testing.T) {
	var src strings.Builder
	for i := range 100000 {
		src.WriteString("p" + strconv.Itoa(i) + "\n\n")
	}
	var u []byte
	var err error
	within(t, 20*time.Second, "importing 100,000 paragraphs", func() { u, err = importMarkdown([]byte(src.String())) })
	if err != nil {
		t.Fatal(err)
	}
	if got := textOf(readPad(loadUpdate(t, u))); got != src.String()[:src.Len()-1] {
		t.Errorf("the imported text differs (%d bytes, want %d)", len(got), src.Len()-1)
	}
	limits := DefaultLimits
	limits.MaxPad = 1 << 20
	ts := startService(t, filepath.Join(t.TempDir(), "pads.db"), limits)
	code, body := upload(t, ts, "long.md", []byte(src.String()))
	if code != http.StatusRequestEntityTooLarge || body["code"] != "too_large" || !strings.Contains(body["error"], "plus grand") {
		t.Errorf("import of a %d-byte update into pads of at most 1 MiB: %d %v, want 413 too_large", len(u), code, body)
	}
}

// TestHistoryOfALargePad: a version page shows and compares at most
// maxHistory bytes, and says so past it.
func TestHistoryOfALargePad(t *testing.T) {
	ts := startService(t, filepath.Join(t.TempDir(), "pads.db"), DefaultLimits)
	// 1.5 MiB of text, four times that once escaped as HTML
	code, body := upload(t, ts, "chevrons.txt", bytes.Repeat([]byte("<<<<<<<<<<<<<<<\n\n"), 90000))
	if code != http.StatusCreated {
		t.Fatalf("import: %d %v", code, body)
	}
	d, err := ts.loadDoc(body["id"])
	if err != nil {
		t.Fatal(err)
	}
	v, err := ts.st.addVersion(body["id"], versionMeta{Created: time.Now()}, d.EncodeStateAsUpdate(nil))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", ts.srv.URL+"/pads/"+body["id"]+"/history/"+strconv.FormatUint(v.Seq, 10), nil)
	req.Header.Set("Accept-Language", "en")
	res, err := slowClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !bytes.Contains(page, []byte("too large to show")) || len(page) > 1<<20 {
		t.Errorf("version page of a large pad: %d, %d bytes, without the notice", res.StatusCode, len(page))
	}
}

// TestDepthBoundary: 31 levels of list (the paragraph of the deepest item
// at depth 63, its text at 64) import and read back as they are; 32 are
// refused.
func TestDepthBoundary(t *testing.T) {
	nested := func(n int) string {
		var md strings.Builder
		for i := range n {
			md.WriteString(strings.Repeat("  ", i) + "- niveau " + strconv.Itoa(i) + "\n")
		}
		return md.String()
	}
	u, err := importMarkdown([]byte(nested(31)))
	if err != nil {
		t.Fatalf("31 levels: %v", err)
	}
	d := ydoc.NewDoc(9)
	d.SetMaxDepth(maxDepth)
	if err := d.ApplyUpdate(u); err != nil {
		t.Fatalf("31 levels under the pads' limit: %v", err)
	}
	if got := mdOf(readPad(d)); got != nested(31) {
		t.Errorf("31 levels read back as\n%s", got)
	}
	if _, err := importMarkdown([]byte(nested(32))); err != errTooDeep {
		t.Errorf("32 levels: %v, want errTooDeep", err)
	}
}
