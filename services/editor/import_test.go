package editor

import (
	"encoding/base64"
	"os/exec"
	"strings"
	"testing"

	"github.com/coopbox/coopbox/services/editor/ydoc"
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
	md := exportMarkdown(readPad(tiptapDoc(t)))
	u, err := importMarkdown([]byte(md))
	if err != nil {
		t.Fatal(err)
	}
	if got := exportMarkdown(readPad(loadUpdate(t, u))); got != md {
		t.Errorf("round trip:\n%s\nwant:\n%s", got, md)
	}
}

func TestImportText(t *testing.T) {
	u, err := importText([]byte("Ordre du jour\r\n1. budget\r\n\r\n\r\nFin"))
	if err != nil {
		t.Fatal(err)
	}
	got := exportText(readPad(loadUpdate(t, u)))
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
	md := exportMarkdown(readPad(loadUpdate(t, u)))
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
	u, err := importMarkdown([]byte(exportMarkdown(readPad(orig))))
	if err != nil {
		t.Fatal(err)
	}
	want := editorView(t, orig.EncodeStateAsUpdate(nil))
	if got := editorView(t, u); got != want {
		t.Errorf("the editor sees the imported pad as\n%s\nwant\n%s", got, want)
	}
}
