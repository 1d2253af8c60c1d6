package pads

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coopbox/coopbox/services/pads/ydoc"
)

func loadUpdate(t *testing.T, u []byte) *ydoc.Doc {
	t.Helper()
	d := ydoc.NewDoc(5)
	if err := d.ApplyUpdate(u); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestMarkdownRoundTrip: the Markdown export of a pad made by the editor,
// imported into a new pad and exported again, is the same Markdown.
func TestMarkdownRoundTrip(t *testing.T) {
	md := mdOf(readPad(tiptapDoc(t)))
	u, err := importMarkdown([]byte(md))
	if err != nil {
		t.Fatal(err)
	}
	if got := mdOf(readPad(loadUpdate(t, u))); got != md {
		t.Errorf("round trip:\n%s\nwant:\n%s", got, md)
	}
}

func TestImportText(t *testing.T) {
	u, err := importText([]byte("Ordre du jour\r\n1. budget\r\n\r\n\r\nFin"))
	if err != nil {
		t.Fatal(err)
	}
	got := textOf(readPad(loadUpdate(t, u)))
	if want := "Ordre du jour\n1. budget\n\nFin\n"; got != want {
		t.Errorf("text import: %q, want %q", got, want)
	}
}

func TestImportMarkdownOddities(t *testing.T) {
	src := "| a | b |\n|---|---|\n| 1 | 2 |\n\n<div>raw</div>\n\n![logo](x.png) [mal](javascript:alert(1)) <https://coop.example>\n\n"
	u, err := importMarkdown([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	md := mdOf(readPad(loadUpdate(t, u)))
	for _, want := range []string{"a b 1 2", "\\<div\\>raw\\</div\\>", "logo mal [https://coop.example](https://coop.example)"} {
		if !strings.Contains(md, want) {
			t.Errorf("import of oddities lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "javascript") && strings.Contains(md, "](javascript") {
		t.Errorf("a javascript: link was imported as a link:\n%s", md)
	}
}

// editorView is the ProseMirror document the editor page would show for a
// Yjs state: the same binding and schema, in Node.
func editorView(t *testing.T, state []byte) string {
	t.Helper()
	cmd := exec.Command(requireNode(t), "testdata/tiptapdoc.mjs", "read")
	cmd.Stdin = strings.NewReader(base64.StdEncoding.EncodeToString(state))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tiptapdoc.mjs read: %v\n%s", err, exitStderr(err))
	}
	return string(out)
}

// TestImportedPadOpensInTheEditor: the editor's binding reads an imported
// pad into exactly the document the original was.
func TestImportedPadOpensInTheEditor(t *testing.T) {
	orig := tiptapDoc(t)
	u, err := importMarkdown([]byte(mdOf(readPad(orig))))
	if err != nil {
		t.Fatal(err)
	}
	want := editorView(t, orig.EncodeStateAsUpdate(nil))
	if got := editorView(t, u); got != want {
		t.Errorf("the editor sees the imported pad as\n%s\nwant\n%s", got, want)
	}
}

// TestHTMLRoundTrip: the HTML export of a pad, imported, gives the same
// text structure; scripts and event handlers never make it in.
func TestHTMLRoundTrip(t *testing.T) {
	orig := tiptapDoc(t)
	u, err := importHTML([]byte(htmlOf("AG", "fr", readPad(orig))))
	if err != nil {
		t.Fatal(err)
	}
	got, want := textOf(readPad(loadUpdate(t, u))), textOf(readPad(orig))
	// HTML has no task lists in CommonMark: the tasks come back as a bullet
	// list whose items start with their box.
	want = strings.NewReplacer("[x] Envoyer", "- Envoyer", "[ ] Réserver", "- Réserver").Replace(want)
	if got != want {
		t.Errorf("HTML round trip, as text:\n%s\nwant:\n%s", got, want)
	}
	evil, err := importHTML([]byte(`<p onclick="steal()">Salut<script>steal()</script> <a href="javascript:steal()">ici</a></p><img src=x onerror=steal()>`))
	if err != nil {
		t.Fatal(err)
	}
	md := mdOf(readPad(loadUpdate(t, evil)))
	if strings.Contains(md, "steal") {
		t.Errorf("script made it into the pad: %q", md)
	}
	if !strings.Contains(md, "Salut ici") {
		t.Errorf("the text was lost: %q", md)
	}
}

// TestTemplatesOpenInTheEditor: every template, in both languages, is a
// document the editor's binding and schema accept.
func TestTemplatesOpenInTheEditor(t *testing.T) {
	for _, name := range []string{"ag", "charter"} {
		for _, lang := range []string{"fr", "en"} {
			u, err := templateUpdate(name, lang)
			if err != nil {
				t.Fatalf("%s.%s: %v", name, lang, err)
			}
			view := editorView(t, u)
			if !strings.Contains(view, `"type":"heading"`) {
				t.Errorf("%s.%s: no heading in %s", name, lang, view)
			}
		}
	}
	if _, err := templateUpdate("../../etc/passwd", "fr"); err == nil {
		t.Error("a template outside the templates folder was read")
	}
}

func TestImportOverHTTP(t *testing.T) {
	ts := startService(t, filepath.Join(t.TempDir(), "pads.db"), DefaultLimits)
	upload := func(name, content, role string) (int, padView) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile("file", name)
		fw.Write([]byte(content))
		mw.Close()
		req, _ := http.NewRequest("POST", ts.srv.URL+"/api/pads/import", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("X-Test-Role", role)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var v padView
		json.NewDecoder(res.Body).Decode(&v)
		return res.StatusCode, v
	}
	code, p := upload("Rapport d'activité.md", "# Rapport\n\nUne *année* riche.\n", "")
	if code != http.StatusCreated || p.Title != "Rapport d'activité" {
		t.Fatalf("import .md: %d %+v", code, p)
	}
	d, err := ts.loadDoc(p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := mdOf(readPad(d)); got != "# Rapport\n\nUne *année* riche.\n" {
		t.Errorf("imported pad reads %q", got)
	}
	for _, tc := range []struct {
		name, content, role string
		want                int
	}{
		{"x.exe", "MZ", "", http.StatusBadRequest},
		{"x.txt", "\xff\xfe", "", http.StatusBadRequest},
		{"x.txt", strings.Repeat("a", maxImport+1), "", http.StatusRequestEntityTooLarge},
		{"x.md", "# hi", "anonymous", http.StatusUnauthorized},
	} {
		if code, _ := upload(tc.name, tc.content, tc.role); code != tc.want {
			t.Errorf("import %s (%d bytes, %s): %d, want %d", tc.name, len(tc.content), tc.role, code, tc.want)
		}
	}

	// A pad from a template.
	res, err := http.Post(ts.srv.URL+"/api/pads", "application/json", strings.NewReader(`{"title":"AG 2026","template":"ag"}`))
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(res.Body).Decode(&p)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create from template: %d", res.StatusCode)
	}
	if d, _ = ts.loadDoc(p.ID); !strings.Contains(textOf(readPad(d)), "Ordre du jour") {
		t.Errorf("the AG template pad reads %q", textOf(readPad(d)))
	}
}

// TestEmptyItemsSurviveTheEditor: the binding silently drops nodes that do
// not fit the schema, so an empty list item must still be a valid one.
func TestEmptyItemsSurviveTheEditor(t *testing.T) {
	u, err := importMarkdown([]byte("- \n\nPuis :\n\n- [ ] \n\n1. \n\n>\n"))
	if err != nil {
		t.Fatal(err)
	}
	view := editorView(t, u)
	for _, want := range []string{`"type":"bulletList"`, `"type":"taskList"`, `"type":"orderedList"`, `"type":"blockquote"`} {
		if !strings.Contains(view, want) {
			t.Errorf("the editor lost %s: %s", want, view)
		}
	}
}

// FuzzImport: whatever file someone uploads, an import gives an error or a
// pad that loads (under the pads' nesting limit) and exports, never a panic.
func FuzzImport(f *testing.F) {
	f.Add([]byte("# Titre\n\n- [x] fait\n- [ ] à faire\n\n> cité\n\n```go\ncode\n```\n"), uint8(0))
	f.Add([]byte("<h1>Titre</h1><ul><li><p>un</p><ul><li>deux</li></ul></li></ul><script>x()</script>"), uint8(1))
	f.Add([]byte("ligne 1\nligne 2\n\n\n\npara"), uint8(2))
	f.Fuzz(func(t *testing.T, src []byte, kind uint8) {
		var u []byte
		var err error
		switch kind % 3 {
		case 0:
			u, err = importMarkdown(src)
		case 1:
			u, err = importHTML(src)
		default:
			u, err = importText(src)
		}
		if err != nil {
			return
		}
		d := ydoc.NewDoc(9)
		d.SetMaxDepth(maxDepth)
		if err := d.ApplyUpdate(u); err != nil {
			t.Fatalf("the imported pad does not load: %v", err)
		}
		blocks := readPad(d)
		for _, export := range []func([]block, int) (string, error){exportMarkdown, exportText} {
			if _, err := export(blocks, maxExport); err != nil {
				t.Fatalf("export: %v", err)
			}
		}
		if _, err := exportHTML("x", "fr", blocks, maxExport); err != nil {
			t.Fatalf("html: %v", err)
		}
		if _, err := exportODT("x", blocks, time.Time{}, maxExport); err != nil {
			t.Fatalf("odt: %v", err)
		}
	})
}
