package pads

import (
	"errors"
	"fmt"
	"html"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/coopbox/coopbox/services/locale"
	"github.com/coopbox/coopbox/services/pads/ydoc"
	"github.com/coopbox/coopbox/services/page"
)

// Reading a pad on the server, with no browser: the editor page keeps its
// text in the Y.XmlFragment "default" as the y-prosemirror binding writes it
// — one XmlElement per ProseMirror node, named by its node type (paragraph,
// heading, bulletList, orderedList, listItem, taskList, taskItem, blockquote,
// codeBlock, horizontalRule, hardBreak), node attributes as element
// attributes, and text in XmlText whose formatting attributes are the marks
// (bold, italic, underline, strike, code, link {href}). Unknown nodes keep
// their children; unknown marks are dropped.

// run is a piece of text with its marks.
type run struct {
	text  string
	marks map[string]map[string]any // mark name → mark attributes
	br    bool                      // a hard break instead of text
}

// block is a node of the pad as the exports see it.
type block struct {
	name     string
	attrs    map[string]any
	runs     []run   // for textblocks (paragraph, heading, codeBlock)
	children []block // for containers
}

// readPad turns a pad's document into blocks. Elements nested deeper than
// maxDepth (a pad stored before the limit existed) are not walked as such:
// the text under each becomes paragraphs at that depth, so exports and
// search still see every word and no reader nests deeper.
func readPad(d *ydoc.Doc) []block {
	return readChildren(d.XMLFragment("default").Children(), 1)
}

func readChildren(nodes []ydoc.XMLNode, depth int) []block {
	var out []block
	for _, n := range nodes {
		el, ok := n.(*ydoc.XMLElement)
		if !ok {
			continue
		}
		if depth >= maxDepth || depth == maxDepth-1 && !leaf(el) {
			// its children would be deeper than the limit (their text too)
			out = append(out, flatten(el)...)
			continue
		}
		b := block{name: el.Name(), attrs: el.Attributes()}
		for _, c := range el.Children() {
			switch c := c.(type) {
			case *ydoc.XMLText:
				b.runs = append(b.runs, readRuns(c)...)
			case *ydoc.XMLElement:
				if c.Name() == "hardBreak" {
					b.runs = append(b.runs, run{br: true})
					continue
				}
				b.children = append(b.children, readChildren([]ydoc.XMLNode{c}, depth+1)...)
			}
		}
		out = append(out, b)
	}
	return out
}

// leaf reports whether el holds only text and hard breaks.
func leaf(el *ydoc.XMLElement) bool {
	for _, c := range el.Children() {
		if c, ok := c.(*ydoc.XMLElement); ok && c.Name() != "hardBreak" {
			return false
		}
	}
	return true
}

// flatten returns the text under el as paragraphs, one per element holding
// text, in document order; it keeps its own stack, as el may be the top of
// thousands of levels.
func flatten(el *ydoc.XMLElement) []block {
	var out []block
	stack := []*ydoc.XMLElement{el}
	for len(stack) > 0 {
		e := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		kids := e.Children()
		var p block
		for _, c := range kids {
			switch c := c.(type) {
			case *ydoc.XMLText:
				p.runs = append(p.runs, readRuns(c)...)
			case *ydoc.XMLElement:
				if c.Name() == "hardBreak" {
					p.runs = append(p.runs, run{br: true})
				}
			}
		}
		if len(p.runs) > 0 {
			p.name = "paragraph"
			out = append(out, p)
		}
		for i := len(kids) - 1; i >= 0; i-- {
			if c, ok := kids[i].(*ydoc.XMLElement); ok && c.Name() != "hardBreak" {
				stack = append(stack, c)
			}
		}
	}
	return out
}

// isMark reports whether a formatting attribute is one of the editor's
// marks. Only those are read: a text may carry any number of others, and
// each would be copied into every run after it.
func isMark(key string) bool { return slices.Contains(markOrder, key) }

func readRuns(t *ydoc.XMLText) []run {
	var out []run
	for _, op := range t.DeltaOf(isMark) {
		s, ok := op.Insert.(string)
		if !ok {
			continue
		}
		r := run{text: s, marks: map[string]map[string]any{}}
		for k, v := range op.Attributes {
			attrs, _ := v.(map[string]any)
			r.marks[k] = attrs
		}
		out = append(out, r)
	}
	return out
}

func attrInt(b block, key string, def int) int {
	switch v := b.attrs[key].(type) {
	case float64:
		return int(v)
	case int64:
		return int(v)
	case int:
		return v
	case string:
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	return def
}

func attrString(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

func attrBool(b block, key string) bool {
	switch v := b.attrs[key].(type) {
	case bool:
		return v
	case string:
		return v == "true"
	}
	return false
}

// safeHref keeps links that cannot run script.
func safeHref(h string) string {
	l := strings.ToLower(strings.TrimSpace(h))
	for _, ok := range []string{"http://", "https://", "mailto:", "tel:", "/", "#"} {
		if strings.HasPrefix(l, ok) {
			return strings.TrimSpace(h)
		}
	}
	return ""
}

// ---- plain text ----

// exportText writes the pad as plain text: paragraphs separated by a blank
// line, list items with "- " or their number, tasks with [x] or [ ]. Past
// limit bytes it stops with errTooLarge and what it wrote.
func exportText(blocks []block, limit int) (string, error) {
	w := newLines(newSink(limit))
	writeTextBlocks(w, blocks)
	return w.finish()
}

func plainRuns(runs []run) string {
	return renderRuns(runs, "\n", func(r run) string { return r.text }, nil)
}

func writeTextBlocks(w *lines, blocks []block) {
	for _, bl := range blocks {
		if w.out.full {
			return
		}
		switch bl.name {
		case "bulletList", "orderedList", "taskList":
			writeListItems(w, bl, "", writeTextBlocks)
		case "blockquote":
			w.open("> ", "> ", false)
			writeTextBlocks(w, bl.children)
			w.close()
			w.WriteString("\n")
		case "horizontalRule":
			w.WriteString("----\n\n")
		default:
			if len(bl.children) > 0 && len(bl.runs) == 0 {
				writeTextBlocks(w, bl.children)
				continue
			}
			w.WriteString(plainRuns(bl.runs) + "\n\n")
		}
	}
}

// writeListItems writes the items of a list block: each marked ("- ", "3. ",
// a task's box after taskPrefix), its children written by inner and
// indented under the marker, as a tight list.
func writeListItems(w *lines, bl block, taskPrefix string, inner func(*lines, []block)) {
	n := attrInt(bl, "start", 1)
	for _, item := range bl.children {
		if w.out.full {
			return
		}
		marker := "- "
		switch {
		case bl.name == "orderedList":
			marker = strconv.Itoa(n) + ". "
			n++
		case item.name == "taskItem" && attrBool(item, "checked"):
			marker = taskPrefix + "[x] "
		case item.name == "taskItem":
			marker = taskPrefix + "[ ] "
		}
		w.open(marker, strings.Repeat(" ", len(marker)), true)
		inner(w, item.children)
		w.close()
	}
	w.WriteString("\n")
}

// ---- Markdown ----

// exportMarkdown writes the pad as CommonMark with GFM task lists and
// strikethrough; underline, which Markdown lacks, becomes <u>. Past limit
// bytes it stops with errTooLarge.
func exportMarkdown(blocks []block, limit int) (string, error) {
	w := newLines(newSink(limit))
	writeMarkdownBlocks(w, blocks)
	return w.finish()
}

var mdEscaper = strings.NewReplacer(`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`, `<`, `\<`, `>`, `\>`, `#`, `\#`, `~`, `\~`)

// markOrder is the nesting order of marks, outermost first, so that the
// same text always gives the same output.
var markOrder = []string{"link", "bold", "italic", "strike", "underline", "code"}

// renderRuns writes runs for one output format: a hard break as lineBreak,
// a run's text by text, then wrapped by wrap in each of its marks, innermost
// first (wrap nil: no marks).
func renderRuns(runs []run, lineBreak string, text func(run) string, wrap func(mark string, attrs map[string]any, s string) string) string {
	var b strings.Builder
	for _, r := range runs {
		if r.br {
			b.WriteString(lineBreak)
			continue
		}
		s := text(r)
		for i := len(markOrder) - 1; wrap != nil && i >= 0; i-- {
			if attrs, on := r.marks[markOrder[i]]; on {
				s = wrap(markOrder[i], attrs, s)
			}
		}
		b.WriteString(s)
	}
	return b.String()
}

func markdownRuns(runs []run) string {
	return renderRuns(runs, "\\\n", pieceOf, func(m string, attrs map[string]any, s string) string {
		switch m {
		case "bold":
			return "**" + s + "**"
		case "italic":
			return "*" + s + "*"
		case "strike":
			return "~~" + s + "~~"
		case "underline":
			return "<u>" + s + "</u>"
		case "link":
			if h := safeHref(attrString(attrs, "href")); h != "" {
				return "[" + s + "](" + strings.ReplaceAll(h, ")", "%29") + ")"
			}
		}
		return s // code is in pieceOf
	})
}

func pieceOf(r run) string {
	if _, isCode := r.marks["code"]; isCode {
		return codeSpan(r.text)
	}
	return mdEscaper.Replace(r.text)
}

// codeSpan quotes s with enough backticks.
func codeSpan(s string) string {
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

func writeMarkdownBlocks(w *lines, blocks []block) {
	for _, bl := range blocks {
		if w.out.full {
			return
		}
		switch bl.name {
		case "heading":
			level := min(max(attrInt(bl, "level", 1), 1), 6)
			w.WriteString(strings.Repeat("#", level) + " " + markdownRuns(bl.runs) + "\n\n")
		case "bulletList", "orderedList", "taskList":
			writeListItems(w, bl, "- ", writeMarkdownBlocks)
		case "blockquote":
			w.open("> ", "> ", false)
			writeMarkdownBlocks(w, bl.children)
			w.close()
			w.WriteString("\n")
		case "codeBlock":
			code := plainRuns(bl.runs)
			fence := strings.Repeat("`", max(3, longestRun(code, '`')+1))
			lang := strings.Fields(attrString(bl.attrs, "language") + " ")
			w.WriteString(fence)
			if len(lang) > 0 {
				w.WriteString(lang[0])
			}
			w.WriteString("\n" + code + "\n" + fence + "\n\n")
		case "horizontalRule":
			w.WriteString("---\n\n")
		case "paragraph":
			text := markdownRuns(bl.runs)
			// a paragraph must not read as a list, a quote or a heading
			if t := strings.TrimLeft(text, " "); len(t) > 0 && strings.ContainsAny(t[:1], "-+") || startsWithNumberDot(t) {
				text = `\` + text
			}
			w.WriteString(text + "\n\n")
		default:
			if len(bl.runs) > 0 {
				w.WriteString(markdownRuns(bl.runs) + "\n\n")
			}
			writeMarkdownBlocks(w, bl.children)
		}
	}
}

// longestRun is the length of the longest run of c in s (a fence must be
// longer; looking for ever longer fences would take time quadratic in s).
func longestRun(s string, c byte) int {
	longest, n := 0, 0
	for i := range len(s) {
		if s[i] == c {
			n++
			longest = max(longest, n)
		} else {
			n = 0
		}
	}
	return longest
}

func startsWithNumberDot(s string) bool {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i > 0 && i < len(s) && (s[i] == '.' || s[i] == ')')
}

// ---- HTML ----

// exportHTML writes the pad as a standalone HTML document. Text and
// attributes are escaped; links keep only safe schemes. Past limit bytes
// it stops with errTooLarge.
func exportHTML(title, lang string, blocks []block, limit int) (string, error) {
	b := newSink(limit)
	fmt.Fprintf(b, "<!doctype html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n<title>%s</title>\n</head>\n<body>\n",
		html.EscapeString(lang), html.EscapeString(title))
	writeHTMLBlocks(b, blocks)
	b.WriteString("</body>\n</html>\n")
	return b.result()
}

func htmlRuns(runs []run) string {
	return renderRuns(runs, "<br>", func(r run) string { return html.EscapeString(r.text) }, func(m string, attrs map[string]any, s string) string {
		switch m {
		case "bold":
			return "<strong>" + s + "</strong>"
		case "italic":
			return "<em>" + s + "</em>"
		case "strike":
			return "<s>" + s + "</s>"
		case "underline":
			return "<u>" + s + "</u>"
		case "code":
			return "<code>" + s + "</code>"
		case "link":
			if h := safeHref(attrString(attrs, "href")); h != "" {
				return `<a href="` + html.EscapeString(h) + `">` + s + "</a>"
			}
		}
		return s
	})
}

func writeHTMLBlocks(b *sink, blocks []block) {
	for _, bl := range blocks {
		if b.full {
			return
		}
		switch bl.name {
		case "heading":
			level := min(max(attrInt(bl, "level", 1), 1), 6)
			fmt.Fprintf(b, "<h%d>%s</h%d>\n", level, htmlRuns(bl.runs), level)
		case "paragraph":
			fmt.Fprintf(b, "<p>%s</p>\n", htmlRuns(bl.runs))
		case "bulletList":
			b.WriteString("<ul>\n")
			writeHTMLBlocks(b, bl.children)
			b.WriteString("</ul>\n")
		case "orderedList":
			if start := attrInt(bl, "start", 1); start != 1 {
				fmt.Fprintf(b, "<ol start=\"%d\">\n", start)
			} else {
				b.WriteString("<ol>\n")
			}
			writeHTMLBlocks(b, bl.children)
			b.WriteString("</ol>\n")
		case "taskList":
			b.WriteString("<ul class=\"tasks\">\n")
			writeHTMLBlocks(b, bl.children)
			b.WriteString("</ul>\n")
		case "listItem":
			b.WriteString("<li>")
			writeHTMLBlocks(b, bl.children)
			b.WriteString("</li>\n")
		case "taskItem":
			checked := ""
			if attrBool(bl, "checked") {
				checked = " checked"
			}
			fmt.Fprintf(b, "<li><input type=\"checkbox\" disabled%s> ", checked)
			writeHTMLBlocks(b, bl.children)
			b.WriteString("</li>\n")
		case "blockquote":
			b.WriteString("<blockquote>\n")
			writeHTMLBlocks(b, bl.children)
			b.WriteString("</blockquote>\n")
		case "codeBlock":
			class := ""
			if lang := strings.Fields(attrString(bl.attrs, "language") + " "); len(lang) > 0 {
				class = ` class="language-` + html.EscapeString(lang[0]) + `"`
			}
			fmt.Fprintf(b, "<pre><code%s>%s</code></pre>\n", class, html.EscapeString(plainRuns(bl.runs)))
		case "horizontalRule":
			b.WriteString("<hr>\n")
		default:
			if len(bl.runs) > 0 {
				fmt.Fprintf(b, "<p>%s</p>\n", htmlRuns(bl.runs))
			}
			writeHTMLBlocks(b, bl.children)
		}
	}
}

// exportFormats are the files a pad downloads as.
var exportFormats = map[string]struct{ ext, ctype string }{
	"md":   {".md", "text/markdown; charset=utf-8"},
	"html": {".html", "text/html; charset=utf-8"},
	"txt":  {".txt", "text/plain; charset=utf-8"},
	"yjs":  {".yjs", "application/octet-stream"},
	"odt":  {".odt", "application/vnd.oasis.opendocument.text"},
}

// loadDoc reads a pad's committed state from the store into a new document.
func (s *Service) loadDoc(id string) (*ydoc.Doc, error) {
	snapshot, updates, _, err := s.st.load(id)
	if err != nil {
		return nil, err
	}
	d := ydoc.NewDoc(randomClientID())
	for _, u := range append([][]byte{snapshot}, updates...) {
		if u == nil {
			continue
		}
		if err := d.ApplyUpdate(u); err != nil {
			return nil, fmt.Errorf("pad %s: %w", id, err)
		}
	}
	return d, nil
}

// export downloads a pad (by its id or its read-only id) as Markdown, HTML,
// plain text or its Yjs state, read from disk: what the box has committed.
func (s *Service) export(w http.ResponseWriter, r *http.Request) {
	f, ok := exportFormats[r.PathValue("format")]
	if !ok {
		page.JSONError(w, http.StatusNotFound, "no_format", "formats: md, html, txt, odt, yjs")
		return
	}
	id := r.PathValue("id")
	m, err := s.st.meta(id)
	if errors.Is(err, errNoPad) {
		if id, err = s.st.byReadID(id); err == nil {
			m, err = s.st.meta(id)
		}
	}
	if err != nil || m.Trashed {
		page.JSONError(w, http.StatusNotFound, "no_pad", "no such pad")
		return
	}
	d, err := s.loadDoc(id)
	if err != nil {
		s.opts.Log.Error("export", "pad", id, "err", err)
		page.JSONError(w, http.StatusInternalServerError, "internal", "could not read the pad")
		return
	}
	var body []byte
	var text string
	limit := s.opts.Limits.maxExport()
	switch r.PathValue("format") {
	case "md":
		text, err = exportMarkdown(readPad(d), limit)
	case "html":
		text, err = exportHTML(m.Title, locale.Choose(r).String(), readPad(d), limit)
	case "txt":
		text, err = exportText(readPad(d), limit)
	case "yjs":
		body = d.EncodeStateAsUpdate(nil)
	case "odt":
		body, err = exportODT(m.Title, readPad(d), m.Updated, limit)
	}
	switch {
	case errors.Is(err, errTooLarge):
		s.opts.Log.Warn("export too large", "pad", id, "format", r.PathValue("format"), "limit", limit)
		page.JSONError(w, http.StatusUnprocessableEntity, "too_large", s.printer(r).T("pads.export.tooLarge"))
		return
	case err != nil:
		s.opts.Log.Error("export", "pad", id, "format", r.PathValue("format"), "err", err)
		page.JSONError(w, http.StatusInternalServerError, "internal", "could not write the file")
		return
	case body == nil:
		body = []byte(text)
	}
	w.Header().Set("Content-Type", f.ctype)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": m.Title + f.ext}))
	w.Write(body)
}
