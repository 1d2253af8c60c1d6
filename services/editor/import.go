package editor

import (
	"bytes"
	"embed"
	"fmt"
	"io"
	"maps"
	"net/http"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/JohannesKaufmann/html-to-markdown/v2/converter"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/base"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/commonmark"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/strikethrough"
	"github.com/coopbox/coopbox/services/editor/ydoc"
	"github.com/coopbox/coopbox/services/page"
	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	gast "github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Importing writes the editor's document — the Y.XmlFragment "default" in
// the shape the y-prosemirror binding keeps (see export.go) — from
// Markdown or plain text, as one Yjs update: the first entry of a new pad's
// log. Markdown is CommonMark with GFM's task lists and strikethrough
// (goldmark); what the editor cannot show (tables, images, raw HTML) comes
// in as plain text.

// maxImport bounds an imported file: a very long AG report is 200 KB.
const maxImport = 2 << 20

// maxImportBody is the import form's whole body: the file and its fields.
const maxImportBody = maxImport + 64<<10

var markdown = goldmark.New(goldmark.WithExtensions(extension.GFM))

// importMarkdown returns the update that writes src into an empty pad.
func importMarkdown(src []byte) ([]byte, error) {
	src = bytes.ToValidUTF8(src, []byte("\uFFFD")) // a pad holds text; Yjs refuses anything else
	root := markdown.Parser().Parse(text.NewReader(src))
	blocks := mdBlocks(root, src)
	return writePad(blocks)
}

// importText returns the update that writes plain text into an empty pad:
// paragraphs split at blank lines, line breaks kept.
func importText(src []byte) ([]byte, error) {
	src = bytes.ToValidUTF8(src, []byte("\uFFFD"))
	var blocks []block
	norm := strings.ReplaceAll(string(src), "\r\n", "\n")
	for _, para := range strings.Split(norm, "\n\n") {
		para = strings.Trim(para, "\n")
		if strings.TrimSpace(para) == "" {
			continue
		}
		var runs []run
		for i, line := range strings.Split(para, "\n") {
			if i > 0 {
				runs = append(runs, run{br: true})
			}
			if line != "" {
				runs = append(runs, run{text: line})
			}
		}
		blocks = append(blocks, block{name: "paragraph", runs: runs})
	}
	return writePad(blocks)
}

func mdBlocks(n gast.Node, src []byte) []block {
	var out []block
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *gast.Heading:
			out = append(out, block{name: "heading", attrs: map[string]any{"level": c.Level}, runs: mdInline(c, src, nil)})
		case *gast.Paragraph, *gast.TextBlock:
			out = append(out, block{name: "paragraph", runs: mdInline(c, src, nil)})
		case *gast.List:
			out = append(out, mdList(c, src))
		case *gast.Blockquote:
			inner := mdBlocks(c, src)
			if len(inner) == 0 {
				inner = []block{{name: "paragraph"}}
			}
			out = append(out, block{name: "blockquote", children: inner})
		case *gast.FencedCodeBlock:
			b := block{name: "codeBlock", attrs: map[string]any{}, runs: codeRuns(c, src)}
			if lang := string(c.Language(src)); lang != "" {
				b.attrs["language"] = lang
			}
			out = append(out, b)
		case *gast.CodeBlock:
			out = append(out, block{name: "codeBlock", runs: codeRuns(c, src)})
		case *gast.ThematicBreak:
			out = append(out, block{name: "horizontalRule"})
		case *gast.HTMLBlock:
			raw := strings.TrimSpace(string(linesOf(c, src)))
			if c.HTMLBlockType == gast.HTMLBlockType2 { // a comment, such as the one that separates two lists
				continue
			}
			out = append(out, block{name: "paragraph", runs: []run{{text: raw}}})
		default:
			// tables and anything else: their text, one paragraph each row
			var buf bytes.Buffer
			collectText(c, src, &buf)
			if s := strings.Join(strings.Fields(buf.String()), " "); s != "" {
				out = append(out, block{name: "paragraph", runs: []run{{text: s}}})
			}
		}
	}
	return out
}

func mdList(l *gast.List, src []byte) block {
	b := block{name: "bulletList"}
	if l.IsOrdered() {
		b = block{name: "orderedList", attrs: map[string]any{"start": l.Start}}
	}
	tasks := false
	for it := l.FirstChild(); it != nil; it = it.NextSibling() {
		item := block{name: "listItem", children: mdBlocks(it, src)}
		if len(item.children) == 0 || item.children[0].name != "paragraph" {
			// the schema wants a paragraph first in every item ("- " alone is an empty item)
			item.children = append([]block{{name: "paragraph"}}, item.children...)
		}
		if box := taskBox(it); box != nil {
			tasks = true
			item = block{name: "taskItem", attrs: map[string]any{"checked": box.IsChecked}, children: item.children}
		}
		b.children = append(b.children, item)
	}
	if tasks && !l.IsOrdered() {
		b.name = "taskList"
		for i := range b.children {
			if b.children[i].name == "listItem" {
				b.children[i] = block{name: "taskItem", attrs: map[string]any{"checked": false}, children: b.children[i].children}
			}
		}
	}
	if len(b.children) == 0 {
		b.children = []block{{name: "listItem", children: []block{{name: "paragraph"}}}}
	}
	return b
}

// taskBox finds a GFM task checkbox at the start of a list item.
func taskBox(item gast.Node) *east.TaskCheckBox {
	first := item.FirstChild()
	if first == nil || first.FirstChild() == nil {
		return nil
	}
	box, _ := first.FirstChild().(*east.TaskCheckBox)
	return box
}

func linesOf(n gast.Node, src []byte) []byte {
	var buf bytes.Buffer
	lines := n.Lines()
	for i := range lines.Len() {
		seg := lines.At(i)
		buf.Write(seg.Value(src))
	}
	return buf.Bytes()
}

func codeRuns(n gast.Node, src []byte) []run {
	code := strings.TrimSuffix(string(linesOf(n, src)), "\n")
	if code == "" {
		return nil
	}
	return []run{{text: code}}
}

func collectText(n gast.Node, src []byte, buf *bytes.Buffer) {
	if t, ok := n.(*gast.Text); ok {
		buf.WriteString(inlineText(t.Segment.Value(src)))
		if t.SoftLineBreak() || t.HardLineBreak() {
			buf.WriteByte(' ')
		}
		return
	}
	if s, ok := n.(*gast.String); ok {
		buf.Write(s.Value)
		return
	}
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		collectText(c, src, buf)
		if c.Type() == gast.TypeBlock {
			buf.WriteByte(' ')
		}
	}
}

// inlineText resolves what Markdown text escapes: backslash escapes and
// character references (&amp;, &#233;).
func inlineText(raw []byte) string {
	return string(util.ResolveEntityNames(util.ResolveNumericReferences(util.UnescapePunctuations(raw))))
}

// mdInline turns inline nodes into runs under the given marks.
func mdInline(n gast.Node, src []byte, outer map[string]map[string]any) []run {
	var out []run
	marks := outer
	with := func(name string, attrs map[string]any) map[string]map[string]any {
		m := make(map[string]map[string]any, len(marks)+1)
		for k, v := range marks {
			m[k] = v
		}
		m[name] = attrs
		return m
	}
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *gast.Text:
			out = append(out, run{text: inlineText(c.Segment.Value(src)), marks: marks})
			switch {
			case c.HardLineBreak():
				out = append(out, run{br: true})
			case c.SoftLineBreak():
				out = append(out, run{text: " ", marks: marks})
			}
		case *gast.String:
			out = append(out, run{text: string(c.Value), marks: marks})
		case *gast.CodeSpan:
			var buf bytes.Buffer
			collectText(c, src, &buf)
			out = append(out, run{text: buf.String(), marks: with("code", map[string]any{})})
		case *gast.Emphasis:
			name := "italic"
			if c.Level >= 2 {
				name = "bold"
			}
			out = append(out, mdInline(c, src, with(name, map[string]any{}))...)
		case *east.Strikethrough:
			out = append(out, mdInline(c, src, with("strike", map[string]any{}))...)
		case *gast.Link:
			if h := safeHref(string(c.Destination)); h != "" {
				out = append(out, mdInline(c, src, with("link", map[string]any{"href": h}))...)
			} else {
				out = append(out, mdInline(c, src, marks)...)
			}
		case *gast.AutoLink:
			u := string(c.URL(src))
			if c.AutoLinkType == gast.AutoLinkEmail && !strings.HasPrefix(u, "mailto:") {
				u = "mailto:" + u
			}
			label := string(c.Label(src))
			if h := safeHref(u); h != "" {
				out = append(out, run{text: label, marks: with("link", map[string]any{"href": h})})
			} else {
				out = append(out, run{text: label, marks: marks})
			}
		case *gast.Image:
			var buf bytes.Buffer
			collectText(c, src, &buf)
			out = append(out, run{text: buf.String(), marks: marks})
		case *gast.RawHTML:
			// <u>…</u> is how the Markdown export writes underline, so it
			// comes back; other tags are dropped, their text kept.
			var tag bytes.Buffer
			for i := range c.Segments.Len() {
				seg := c.Segments.At(i)
				tag.Write(seg.Value(src))
			}
			switch strings.ToLower(tag.String()) {
			case "<u>":
				marks = with("underline", map[string]any{})
			case "</u>":
				marks = outer
			}
		case *east.TaskCheckBox:
			continue
		default:
			out = append(out, mdInline(c, src, marks)...)
		}
	}
	return out
}

// writePad writes blocks into the fragment "default" of a new document and
// returns the update.
func writePad(blocks []block) ([]byte, error) {
	return replaceContent(ydoc.NewDoc(randomClientID()), blocks)
}

// replaceContent replaces the text of d (the fragment "default") by blocks,
// in one transaction, and returns the update: how a pad is written from a
// file, and how a past version is restored (the chat and the authors stay).
func replaceContent(d *ydoc.Doc, blocks []block) ([]byte, error) {
	frag := d.XMLFragment("default")
	return d.Transact(func() error {
		if n := len(frag.Children()); n > 0 {
			if _, err := frag.Delete(0, n); err != nil {
				return err
			}
		}
		if len(blocks) == 0 {
			blocks = []block{{name: "paragraph"}}
		}
		for i, b := range blocks {
			el, _, err := frag.InsertElement(i, b.name)
			if err != nil {
				return err
			}
			if err := fillElement(el, b); err != nil {
				return err
			}
		}
		return nil
	})
}

type container interface {
	InsertElement(int, string) (*ydoc.XMLElement, []byte, error)
	InsertText(int) (*ydoc.XMLText, []byte, error)
}

func fillElement(el *ydoc.XMLElement, b block) error {
	for _, k := range slices.Sorted(maps.Keys(b.attrs)) {
		if _, err := el.SetAttribute(k, b.attrs[k]); err != nil {
			return fmt.Errorf("%s.%s: %w", b.name, k, err)
		}
	}
	var c container = el
	idx := 0
	if len(b.runs) > 0 {
		var xt *ydoc.XMLText
		pos := 0
		for _, r := range b.runs {
			if r.br {
				if _, _, err := c.InsertElement(idx, "hardBreak"); err != nil {
					return err
				}
				idx++
				xt = nil
				continue
			}
			if r.text == "" {
				continue
			}
			if xt == nil {
				var err error
				if xt, _, err = c.InsertText(idx); err != nil {
					return err
				}
				idx++
				pos = 0
			}
			attrs := map[string]any{}
			for name, a := range r.marks {
				if a == nil {
					a = map[string]any{}
				}
				attrs[name] = a
			}
			if _, err := xt.Insert(pos, r.text, attrs); err != nil {
				return err
			}
			pos += ydoc.UTF16Len(r.text)
		}
	}
	for _, child := range b.children {
		cel, _, err := c.InsertElement(idx, child.name)
		if err != nil {
			return err
		}
		idx++
		if err := fillElement(cel, child); err != nil {
			return err
		}
	}
	return nil
}

// importHTML returns the update that writes an HTML file into an empty pad:
// sanitised first (bluemonday's policy for user content: no script, no
// event handler, no style), then turned into Markdown (html-to-markdown,
// CommonMark and strikethrough) and imported as such.
func importHTML(src []byte) ([]byte, error) {
	clean := bluemonday.UGCPolicy().SanitizeBytes(src)
	conv := converter.NewConverter(converter.WithPlugins(base.NewBasePlugin(), commonmark.NewCommonmarkPlugin(), strikethrough.NewStrikethroughPlugin()))
	md, err := conv.ConvertString(string(clean))
	if err != nil {
		return nil, fmt.Errorf("read HTML: %w", err)
	}
	return importMarkdown([]byte(md))
}

//go:embed web/templates
var templates embed.FS

// templateUpdate is the first update of a pad made from a template, in the
// asker's language ("fr" or "en").
func templateUpdate(name, lang string) ([]byte, error) {
	if lang != "en" {
		lang = "fr"
	}
	src, err := templates.ReadFile("web/templates/" + path.Base(name) + "." + lang + ".md")
	if err != nil {
		return nil, fmt.Errorf("template %q: %w", name, err)
	}
	return importMarkdown(src)
}

// importPad makes a new pad from an uploaded file (form field "file"):
// Markdown (.md, .markdown), HTML (.html, .htm) or text (.txt). The title is
// the form's "title", else the file's name.
func (s *Service) importPad(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxImportBody)
	file, hdr, err := r.FormFile("file")
	if err != nil {
		page.JSONError(w, http.StatusBadRequest, "no_file", "send the file in the form field \"file\" (at most 2 MiB)")
		return
	}
	defer file.Close()
	src, err := io.ReadAll(io.LimitReader(file, maxImport+1))
	if err != nil || len(src) > maxImport {
		page.JSONError(w, http.StatusRequestEntityTooLarge, "too_large", "a file to import has at most 2 MiB")
		return
	}
	if !utf8.Valid(src) {
		page.JSONError(w, http.StatusBadRequest, "not_utf8", "the file is not UTF-8 text")
		return
	}
	ext := strings.ToLower(filepath.Ext(hdr.Filename))
	var update []byte
	switch ext {
	case ".md", ".markdown":
		update, err = importMarkdown(src)
	case ".html", ".htm":
		update, err = importHTML(src)
	case ".txt", ".text":
		update, err = importText(src)
	default:
		page.JSONError(w, http.StatusBadRequest, "bad_format", "import .md, .html or .txt files")
		return
	}
	if err != nil {
		s.opts.Log.Warn("import", "file", hdr.Filename, "err", err)
		page.JSONError(w, http.StatusBadRequest, "bad_file", "the file could not be read")
		return
	}
	title := r.FormValue("title")
	if strings.TrimSpace(title) == "" {
		title = strings.TrimSuffix(filepath.Base(hdr.Filename), filepath.Ext(hdr.Filename))
	}
	if title, err = cleanTitle(title); err != nil {
		page.JSONError(w, http.StatusBadRequest, "bad_title", err.Error())
		return
	}
	s.newPad(w, r, title, "", update)
}
