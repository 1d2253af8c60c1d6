package pads

import (
	"encoding/base64"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coopbox/coopbox/services/pads/ydoc"
	"github.com/coopbox/coopbox/services/page"
)

// tiptapDoc is the pad testdata/tiptapdoc.mjs builds with the editor's own
// schema and binding.
func tiptapDoc(t *testing.T) *ydoc.Doc {
	t.Helper()
	node := requireNode(t)
	out, err := exec.Command(node, "testdata/tiptapdoc.mjs").Output()
	if err != nil {
		t.Fatalf("tiptapdoc.mjs: %v\n%s", err, exitStderr(err))
	}
	state, err := base64.StdEncoding.DecodeString(string(out))
	if err != nil {
		t.Fatal(err)
	}
	d := ydoc.NewDoc(1)
	if err := d.ApplyUpdate(state); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestExports(t *testing.T) {
	blocks := readPad(tiptapDoc(t))

	wantMD := `# Compte rendu de l'AG

Présents : **Ana**, *Bo* et [la Fabrique](https://fabrique.example/).

## Décisions

1. Budget <u>adopté</u>
2. Charte ~~amendée~~
   - article 3
   - article \*7\*

- [x] Envoyer le compte rendu
- [ ] Réserver la salle

> Les communs sont à nous.

` + "```sh\ncoopbox backup\nexit 0\n```" + `

---

Ligne 1\
Ligne 2 avec ` + "`code`" + ` & \<balises\>
`
	if got := mdOf(blocks); got != wantMD {
		t.Errorf("Markdown:\n%s\nwant:\n%s", got, wantMD)
	}

	wantText := `Compte rendu de l'AG

Présents : Ana, Bo et la Fabrique.

Décisions

1. Budget adopté
2. Charte amendée
   - article 3
   - article *7*

[x] Envoyer le compte rendu
[ ] Réserver la salle

> Les communs sont à nous.

coopbox backup
exit 0

----

Ligne 1
Ligne 2 avec code & <balises>
`
	if got := textOf(blocks); got != wantText {
		t.Errorf("text:\n%s\nwant:\n%s", got, wantText)
	}

	h := htmlOf("AG <2026>", "fr", blocks)
	for _, want := range []string{
		`<html lang="fr">`, `<title>AG &lt;2026&gt;</title>`,
		`<h1>Compte rendu de l&#39;AG</h1>`,
		`<p>Présents : <strong>Ana</strong>, <em>Bo</em> et <a href="https://fabrique.example/">la Fabrique</a>.</p>`,
		"<ol>\n<li><p>Budget <u>adopté</u></p>\n</li>",
		"<ul>\n<li><p>article 3</p>\n</li>",
		`<li><input type="checkbox" disabled checked> <p>Envoyer le compte rendu</p>`,
		"<blockquote>\n<p>Les communs sont à nous.</p>\n</blockquote>",
		`<pre><code class="language-sh">coopbox backup` + "\nexit 0</code></pre>",
		"<hr>",
		`<p>Ligne 1<br>Ligne 2 avec <code>code</code> &amp; &lt;balises&gt;</p>`,
	} {
		if !strings.Contains(h, want) {
			t.Errorf("HTML lacks %q:\n%s", want, h)
		}
	}
}

func TestExportRefusesScriptLinks(t *testing.T) {
	blocks := []block{{name: "paragraph", runs: []run{{text: "clic", marks: map[string]map[string]any{"link": {"href": "javascript:alert(1)"}}}}}}
	if h := htmlOf("x", "fr", blocks); strings.Contains(h, "javascript") {
		t.Errorf("a javascript: link survived the HTML export: %s", h)
	}
	if md := mdOf(blocks); strings.Contains(md, "javascript") {
		t.Errorf("a javascript: link survived the Markdown export: %s", md)
	}
}

func TestExportOverHTTP(t *testing.T) {
	d := tiptapDoc(t)
	ts := startService(t, filepath.Join(t.TempDir(), "pads.db"), DefaultLimits)
	p := ts.createPad(t, "AG 2026")
	if _, err := ts.st.appendUpdates(p.ID, [][]byte{d.EncodeStateAsUpdate(nil)}); err != nil {
		t.Fatal(err)
	}
	get := func(path, role string) (int, http.Header, string) {
		req, _ := http.NewRequest("GET", ts.srv.URL+path, nil)
		req.Header.Set("X-Test-Role", role)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Header, string(body)
	}
	code, hdr, body := get("/pads/"+p.ID+"/export/md", "")
	if code != 200 || body != mdOf(readPad(d)) {
		t.Errorf("md export: %d %q", code, body)
	}
	if cd := hdr.Get("Content-Disposition"); !strings.Contains(cd, "AG 2026.md") {
		t.Errorf("Content-Disposition %q", cd)
	}
	if code, _, body = get("/pads/"+p.ReadID+"/export/txt", ""); code != 200 || !strings.HasPrefix(body, "Compte rendu de l'AG") {
		t.Errorf("txt export by the read-only id: %d %q", code, body)
	}
	code, _, body = get("/pads/"+p.ID+"/export/yjs", "")
	back := ydoc.NewDoc(3)
	if err := back.ApplyUpdate([]byte(body)); code != 200 || err != nil || textOf(readPad(back)) != textOf(readPad(d)) {
		t.Errorf("yjs export does not load back: %d %v", code, err)
	}
	req, _ := http.NewRequest("GET", ts.srv.URL+"/pads/"+p.ID+"/export/md", nil)
	req.Header.Set("X-Test-Role", "anonymous")
	if res, err := http.DefaultTransport.RoundTrip(req); err != nil {
		t.Fatal(err)
	} else if res.Body.Close(); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != page.JoinURL("/pads/"+p.ID+"/export/md") {
		t.Errorf("anonymous export: %d to %q, want 303 to the join page", res.StatusCode, res.Header.Get("Location"))
	}
	if code, _, _ = get("/pads/"+p.ID+"/export/exe", ""); code != http.StatusNotFound {
		t.Errorf("unknown format: %d, want 404", code)
	}
}
