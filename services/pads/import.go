package pads

import (
	"bytes"
	"embed"
	"errors"
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
	"github.com/coopbox/coopbox/services/pads/ydoc"
	"github.com/coopbox/coopbox/services/page"
	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	gast "github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
	xhtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"
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

// errTooDeep refuses a file whose lists and quotes nest deeper than a pad
// may (maxDepth).
var errTooDeep = errors.New("lists or quotes nested too deeply")

// importMarkdown returns the update that writes src into an empty pad.
func importMarkdown(src []byte) ([]byte, error) {
	src = bytes.ToValidUTF8(src, []byte("\uFFFD")) // a pad holds text; Yjs refuses anything else
	if err := checkMarkdownNesting(src); err != nil {
		return nil, err
	}
	root := markdown.Parser().Parse(text.NewReader(src))
	blocks, err := mdBlocks(root, src, 1)
	if err != nil {
		return nil, err
	}
	return writePad(blocks)
}

// checkMarkdownNesting refuses, before goldmark parses it, Markdown whose
// lines open containers far deeper than a pad may nest. goldmark re-checks
// every open container on every line, so its time grows with lines times
// depth (a 32 KB line of 16,000 "- " takes it over a second, a 2 MiB file
// of them minutes). A line's depth is over-estimated from its start:
// each quote or list marker, plus half the columns of white space (a
// nested list is indented by at least two). The exact check is made on the
// parsed document (mdBlocks); this one only keeps goldmark's work in
// proportion to the file, which is why it allows twice maxDepth.
func checkMarkdownNesting(src []byte) error {
	for line := range bytes.Lines(src) {
		markers, cols := 0, 0
	prefix:
		for i := 0; i < len(line); i++ {
			switch c := line[i]; {
			case c == ' ':
				cols++
			case c == '\t':
				cols += 4 - cols%4
			case c == '>':
				markers++
			case c == '-' || c == '+' || c == '*' || c >= '0' && c <= '9':
				j := i
				for j < len(line) && j-i < 9 && line[j] >= '0' && line[j] <= '9' {
					j++
				}
				if j > i { // an ordered list marker: digits, then . or )
					if j == len(line) || line[j] != '.' && line[j] != ')' {
						break prefix
					}
				}
				if j+1 < len(line) && line[j+1] != ' ' && line[j+1] != '\t' && line[j+1] != '\n' && line[j+1] != '\r' {
					break prefix
				}
				markers++
				i = j
			default:
				break prefix
			}
			if markers+cols/2 > 2*maxDepth {
				return errTooDeep
			}
		}
	}
	return nil
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

// mdBlocks turns the block children of n into blocks at the given depth
// (that of their Yjs types: 1 for the top level); errTooDeep when they,
// or the text in them, would pass maxDepth.
func mdBlocks(n gast.Node, src []byte, depth int) ([]block, error) {
	if depth >= maxDepth {
		return nil, errTooDeep
	}
	var out []block
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *gast.Heading:
			out = append(out, block{name: "heading", attrs: map[string]any{"level": c.Level}, runs: mdInline(c, src)})
		case *gast.Paragraph, *gast.TextBlock:
			out = append(out, block{name: "paragraph", runs: mdInline(c, src)})
		case *gast.List:
			l, err := mdList(c, src, depth)
			if err != nil {
				return nil, err
			}
			out = append(out, l)
		case *gast.Blockquote:
			inner, err := mdBlocks(c, src, depth+1)
			if err != nil {
				return nil, err
			}
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
	return out, nil
}

func mdList(l *gast.List, src []byte, depth int) (block, error) {
	b := block{name: "bulletList"}
	if l.IsOrdered() {
		b = block{name: "orderedList", attrs: map[string]any{"start": l.Start}}
	}
	tasks := false
	for it := l.FirstChild(); it != nil; it = it.NextSibling() {
		children, err := mdBlocks(it, src, depth+2)
		if err != nil {
			return block{}, err
		}
		item := block{name: "listItem", children: children}
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
	return b, nil
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

// collectText writes the text under n, with a space after each block.
// It walks the tree with its own stack: inline nodes may nest as deep as
// the file is long.
func collectText(n gast.Node, src []byte, buf *bytes.Buffer) {
	type frame struct {
		n     gast.Node
		after bool // the space written after a block child
	}
	stack := []frame{{n: n}}
	for len(stack) > 0 {
		f := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if f.after {
			buf.WriteByte(' ')
			continue
		}
		switch t := f.n.(type) {
		case *gast.Text:
			buf.WriteString(inlineText(t.Segment.Value(src)))
			if t.SoftLineBreak() || t.HardLineBreak() {
				buf.WriteByte(' ')
			}
			continue
		case *gast.String:
			buf.Write(t.Value)
			continue
		}
		for c := f.n.LastChild(); c != nil; c = c.PreviousSibling() {
			if c.Type() == gast.TypeBlock {
				stack = append(stack, frame{after: true})
			}
			stack = append(stack, frame{n: c})
		}
	}
}

// inlineText resolves what Markdown text escapes: backslash escapes and
// character references (&amp;, &#233;).
func inlineText(raw []byte) string {
	return string(util.ResolveEntityNames(util.ResolveNumericReferences(util.UnescapePunctuations(raw))))
}

// maxInlineDepth bounds how deep emphasis, links and the like are walked
// as such; deeper, their text is kept with the marks of that level (marks
// are a set: nesting adds nothing past a handful of levels).
const maxInlineDepth = 32

// mdInline turns the inline nodes of a text block into runs.
func mdInline(n gast.Node, src []byte) []run {
	var out []run
	mdInlineTo(&out, n, src, nil, 0)
	return out
}

// mdInlineTo appends the runs of n's children under the given marks.
func mdInlineTo(out *[]run, n gast.Node, src []byte, outer map[string]map[string]any, depth int) {
	marks := outer
	with := func(name string, attrs map[string]any) map[string]map[string]any {
		m := make(map[string]map[string]any, len(marks)+1)
		for k, v := range marks {
			m[k] = v
		}
		m[name] = attrs
		return m
	}
	inner := func(c gast.Node, marks map[string]map[string]any) {
		if depth >= maxInlineDepth {
			var buf bytes.Buffer
			collectText(c, src, &buf)
			*out = append(*out, run{text: buf.String(), marks: marks})
			return
		}
		mdInlineTo(out, c, src, marks, depth+1)
	}
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *gast.Text:
			*out = append(*out, run{text: inlineText(c.Segment.Value(src)), marks: marks})
			switch {
			case c.HardLineBreak():
				*out = append(*out, run{br: true})
			case c.SoftLineBreak():
				*out = append(*out, run{text: " ", marks: marks})
			}
		case *gast.String:
			*out = append(*out, run{text: string(c.Value), marks: marks})
		case *gast.CodeSpan:
			var buf bytes.Buffer
			collectText(c, src, &buf)
			*out = append(*out, run{text: buf.String(), marks: with("code", map[string]any{})})
		case *gast.Emphasis:
			name := "italic"
			if c.Level >= 2 {
				name = "bold"
			}
			inner(c, with(name, map[string]any{}))
		case *east.Strikethrough:
			inner(c, with("strike", map[string]any{}))
		case *gast.Link:
			if h := safeHref(string(c.Destination)); h != "" {
				inner(c, with("link", map[string]any{"href": h}))
			} else {
				inner(c, marks)
			}
		case *gast.AutoLink:
			u := string(c.URL(src))
			if c.AutoLinkType == gast.AutoLinkEmail && !strings.HasPrefix(u, "mailto:") {
				u = "mailto:" + u
			}
			label := string(c.Label(src))
			if h := safeHref(u); h != "" {
				*out = append(*out, run{text: label, marks: with("link", map[string]any{"href": h})})
			} else {
				*out = append(*out, run{text: label, marks: marks})
			}
		case *gast.Image:
			var buf bytes.Buffer
			collectText(c, src, &buf)
			*out = append(*out, run{text: buf.String(), marks: marks})
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
			inner(c, marks)
		}
	}
}

// writePad writes blocks into the fragment "default" of a new document and
// returns the update.
func writePad(blocks []block) ([]byte, error) {
	return replaceContent(ydoc.NewDoc(randomClientID()), blocks)
}

// replaceContent replaces the text of d (the fragment "default") by blocks,
// in one transaction, and returns the update: how a pad is written from a
// file, and how a past version is restored (the chat and the authors stay).
//
// Every node is inserted at the start of its parent, last first: ydoc finds
// an index by walking the list from its start, so appending n nodes one
// after the other would take time quadratic in n (a file of 40,000 short
// paragraphs took half a minute).
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
		for _, b := range slices.Backward(blocks) {
			el, _, err := frag.InsertElement(0, b.name)
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

func fillElement(el *ydoc.XMLElement, b block) error {
	for _, k := range slices.Sorted(maps.Keys(b.attrs)) {
		if _, err := el.SetAttribute(k, b.attrs[k]); err != nil {
			return fmt.Errorf("%s.%s: %w", b.name, k, err)
		}
	}
	// The element's children in order: hard breaks, texts (runs between
	// breaks), then the child blocks; inserted last first, at the start.
	type node struct {
		br    bool
		runs  []run
		child *block
	}
	var nodes []node
	for _, r := range b.runs {
		switch {
		case r.br:
			nodes = append(nodes, node{br: true})
		case r.text == "":
		case len(nodes) > 0 && nodes[len(nodes)-1].runs != nil:
			nodes[len(nodes)-1].runs = append(nodes[len(nodes)-1].runs, r)
		default:
			nodes = append(nodes, node{runs: []run{r}})
		}
	}
	for i := range b.children {
		nodes = append(nodes, node{child: &b.children[i]})
	}
	for _, n := range slices.Backward(nodes) {
		switch {
		case n.br:
			if _, _, err := el.InsertElement(0, "hardBreak"); err != nil {
				return err
			}
		case n.child != nil:
			cel, _, err := el.InsertElement(0, n.child.name)
			if err != nil {
				return err
			}
			if err := fillElement(cel, *n.child); err != nil {
				return err
			}
		default:
			xt, _, err := el.InsertText(0)
			if err != nil {
				return err
			}
			for _, r := range slices.Backward(n.runs) {
				attrs := map[string]any{}
				for name, a := range r.marks {
					if a == nil {
						a = map[string]any{}
					}
					attrs[name] = a
				}
				if _, err := xt.Insert(0, r.text, attrs); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// importHTML returns the update that writes an HTML file into an empty pad:
// sanitised first (bluemonday's policy for user content: no script, no
// event handler, no style), then turned into Markdown (html-to-markdown,
// CommonMark and strikethrough) and imported as such.
//
// Nesting is checked on the parsed page, before conversion: html-to-markdown
// indents each nested list, so its output (and goldmark's work on it) grows
// with the square of the depth. x/net/html itself refuses a page whose open
// elements pass 512.
func importHTML(src []byte) ([]byte, error) {
	clean := bluemonday.UGCPolicy().SanitizeBytes(src)
	doc, err := xhtml.Parse(bytes.NewReader(clean))
	if err != nil {
		if strings.Contains(err.Error(), "open stack of elements") {
			return nil, fmt.Errorf("read HTML: %w (%v)", errTooDeep, err)
		}
		return nil, fmt.Errorf("read HTML: %w", err)
	}
	if htmlNesting(doc) > maxDepth-2 { // a paragraph and its text go inside
		return nil, errTooDeep
	}
	conv := converter.NewConverter(converter.WithPlugins(base.NewBasePlugin(), commonmark.NewCommonmarkPlugin(), strikethrough.NewStrikethroughPlugin()))
	md, err := conv.ConvertNode(doc)
	if err != nil {
		return nil, fmt.Errorf("read HTML: %w", err)
	}
	return importMarkdown(md)
}

// htmlNesting is the deepest nesting of the elements that become nested
// blocks of a pad: lists, their items and quotes.
func htmlNesting(doc *xhtml.Node) int {
	type frame struct {
		n     *xhtml.Node
		depth int
	}
	deepest := 0
	stack := []frame{{doc, 0}}
	for len(stack) > 0 {
		f := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		d := f.depth
		if f.n.Type == xhtml.ElementNode {
			switch f.n.DataAtom {
			case atom.Ul, atom.Ol, atom.Li, atom.Menu, atom.Blockquote, atom.Dl, atom.Dd:
				d++
				deepest = max(deepest, d)
			}
		}
		for c := f.n.FirstChild; c != nil; c = c.NextSibling {
			stack = append(stack, frame{c, d})
		}
	}
	return deepest
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
	if errors.Is(err, errTooDeep) {
		page.JSONError(w, http.StatusBadRequest, "too_deep", s.printer(r).T("pads.import.tooDeep"))
		return
	}
	if err != nil {
		s.opts.Log.Warn("import", "file", hdr.Filename, "err", err)
		page.JSONError(w, http.StatusBadRequest, "bad_file", "the file could not be read")
		return
	}
	if int64(len(update)) > s.opts.Limits.MaxPad {
		page.JSONError(w, http.StatusRequestEntityTooLarge, "too_large", s.printer(r).T("pads.import.tooLarge"))
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
