package pads

import (
	"archive/zip"
	"bytes"
	"fmt"
	"html"
	"strings"
	"time"
)

// exportODT writes the pad as an OpenDocument text file (.odt), which
// LibreOffice — what associations use — opens: a zip whose first entry is
// the uncompressed mimetype, a manifest, and content.xml with headings,
// paragraphs, lists, quotes, code and the marks as automatic text styles.
func exportODT(title string, blocks []block, created time.Time, limit int) ([]byte, error) {
	content, err := odtContent(blocks, limit)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	mt, err := z.CreateHeader(&zip.FileHeader{Name: "mimetype", Method: zip.Store, Modified: created})
	if err != nil {
		return nil, err
	}
	mt.Write([]byte("application/vnd.oasis.opendocument.text"))
	files := []struct{ name, body string }{
		{"META-INF/manifest.xml", odtManifest},
		{"styles.xml", odtStyles},
		{"meta.xml", fmt.Sprintf(odtMeta, html.EscapeString(title))},
		{"content.xml", content},
	}
	for _, f := range files {
		w, err := z.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: created})
		if err != nil {
			return nil, err
		}
		if _, err := w.Write([]byte(f.body)); err != nil {
			return nil, err
		}
	}
	if err := z.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

const odtManifest = `<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">
 <manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
 <manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/>
 <manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/>
</manifest:manifest>
`

const odtMeta = `<?xml version="1.0" encoding="UTF-8"?>
<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/" office:version="1.3">
 <office:meta><dc:title>%s</dc:title><meta:generator xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0">coopbox</meta:generator></office:meta>
</office:document-meta>
`

const odtNS = `xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"`

// odtStyles names the paragraph styles content.xml uses, so LibreOffice
// shows headings as headings (and lists them in its navigator).
const odtStyles = `<?xml version="1.0" encoding="UTF-8"?>
<office:document-styles ` + odtNS + ` office:version="1.3">
 <office:styles>
  <style:style style:name="Standard" style:family="paragraph"><style:paragraph-properties fo:margin-bottom="0.2cm"/></style:style>
  <style:style style:name="Heading" style:family="paragraph" style:parent-style-name="Standard"><style:text-properties fo:font-weight="bold"/></style:style>
  <style:style style:name="Heading_20_1" style:display-name="Heading 1" style:family="paragraph" style:parent-style-name="Heading" style:default-outline-level="1"><style:text-properties fo:font-size="160%"/></style:style>
  <style:style style:name="Heading_20_2" style:display-name="Heading 2" style:family="paragraph" style:parent-style-name="Heading" style:default-outline-level="2"><style:text-properties fo:font-size="135%"/></style:style>
  <style:style style:name="Heading_20_3" style:display-name="Heading 3" style:family="paragraph" style:parent-style-name="Heading" style:default-outline-level="3"><style:text-properties fo:font-size="115%"/></style:style>
  <style:style style:name="Quotations" style:family="paragraph" style:parent-style-name="Standard"><style:paragraph-properties fo:margin-left="1cm"/><style:text-properties fo:font-style="italic"/></style:style>
  <style:style style:name="Preformatted_20_Text" style:display-name="Preformatted Text" style:family="paragraph" style:parent-style-name="Standard"><style:text-properties style:font-name="Liberation Mono" fo:font-family="'Liberation Mono', monospace"/></style:style>
 </office:styles>
</office:document-styles>
`

// Automatic text styles, one per mark.
const odtAutoStyles = ` <office:automatic-styles>
  <style:style style:name="bold" style:family="text"><style:text-properties fo:font-weight="bold"/></style:style>
  <style:style style:name="italic" style:family="text"><style:text-properties fo:font-style="italic"/></style:style>
  <style:style style:name="underline" style:family="text"><style:text-properties style:text-underline-style="solid" style:text-underline-width="auto" style:text-underline-color="font-color"/></style:style>
  <style:style style:name="strike" style:family="text"><style:text-properties style:text-line-through-style="solid"/></style:style>
  <style:style style:name="code" style:family="text"><style:text-properties fo:font-family="'Liberation Mono', monospace"/></style:style>
  <text:list-style style:name="numbered">
   <text:list-level-style-number text:level="1" style:num-format="1" style:num-suffix="."><style:list-level-properties text:list-level-position-and-space-mode="label-alignment"><style:list-level-label-alignment text:label-followed-by="listtab" fo:text-indent="-0.6cm" fo:margin-left="1.2cm"/></style:list-level-properties></text:list-level-style-number>
   <text:list-level-style-number text:level="2" style:num-format="1" style:num-suffix="."><style:list-level-properties text:list-level-position-and-space-mode="label-alignment"><style:list-level-label-alignment text:label-followed-by="listtab" fo:text-indent="-0.6cm" fo:margin-left="1.9cm"/></style:list-level-properties></text:list-level-style-number>
   <text:list-level-style-number text:level="3" style:num-format="1" style:num-suffix="."><style:list-level-properties text:list-level-position-and-space-mode="label-alignment"><style:list-level-label-alignment text:label-followed-by="listtab" fo:text-indent="-0.6cm" fo:margin-left="2.6cm"/></style:list-level-properties></text:list-level-style-number>
  </text:list-style>
  <text:list-style style:name="bullets">
   <text:list-level-style-bullet text:level="1" text:bullet-char="•"><style:list-level-properties text:list-level-position-and-space-mode="label-alignment"><style:list-level-label-alignment text:label-followed-by="listtab" fo:text-indent="-0.6cm" fo:margin-left="1.2cm"/></style:list-level-properties></text:list-level-style-bullet>
   <text:list-level-style-bullet text:level="2" text:bullet-char="◦"><style:list-level-properties text:list-level-position-and-space-mode="label-alignment"><style:list-level-label-alignment text:label-followed-by="listtab" fo:text-indent="-0.6cm" fo:margin-left="1.9cm"/></style:list-level-properties></text:list-level-style-bullet>
   <text:list-level-style-bullet text:level="3" text:bullet-char="▪"><style:list-level-properties text:list-level-position-and-space-mode="label-alignment"><style:list-level-label-alignment text:label-followed-by="listtab" fo:text-indent="-0.6cm" fo:margin-left="2.6cm"/></style:list-level-properties></text:list-level-style-bullet>
  </text:list-style>
 </office:automatic-styles>
`

// odtContent is content.xml; past limit bytes, errTooLarge.
func odtContent(blocks []block, limit int) (string, error) {
	b := newSink(limit)
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<office:document-content " + odtNS + ` office:version="1.3">` + "\n")
	b.WriteString(odtAutoStyles)
	b.WriteString(" <office:body><office:text>\n")
	writeODTBlocks(b, blocks, "Standard")
	b.WriteString(" </office:text></office:body>\n</office:document-content>\n")
	return b.result()
}

// odtText escapes text for XML and keeps runs of spaces, tabs and newlines,
// which ODF collapses unless marked.
func odtText(s string) string {
	var b strings.Builder
	spaces := 0
	flush := func() {
		if spaces == 1 {
			b.WriteString(" ")
		} else if spaces > 1 {
			fmt.Fprintf(&b, ` <text:s text:c="%d"/>`, spaces-1)
		}
		spaces = 0
	}
	for _, r := range s {
		switch r {
		case ' ':
			spaces++
			continue
		case '\t':
			flush()
			b.WriteString("<text:tab/>")
			continue
		case '\n':
			flush()
			b.WriteString("<text:line-break/>")
			continue
		}
		flush()
		b.WriteString(html.EscapeString(string(r)))
	}
	flush()
	return b.String()
}

func odtRuns(runs []run) string {
	return renderRuns(runs, "<text:line-break/>", func(r run) string { return odtText(r.text) }, func(m string, attrs map[string]any, s string) string {
		if m != "link" {
			return `<text:span text:style-name="` + m + `">` + s + `</text:span>`
		}
		if h := safeHref(attrString(attrs, "href")); h != "" {
			return `<text:a xlink:type="simple" xlink:href="` + html.EscapeString(h) + `">` + s + `</text:a>`
		}
		return s
	})
}

func writeODTBlocks(b *sink, blocks []block, para string) {
	for _, bl := range blocks {
		if b.full {
			return
		}
		switch bl.name {
		case "heading":
			level := min(max(attrInt(bl, "level", 1), 1), 3)
			fmt.Fprintf(b, `<text:h text:style-name="Heading_20_%d" text:outline-level="%d">%s</text:h>`+"\n", level, level, odtRuns(bl.runs))
		case "paragraph":
			fmt.Fprintf(b, `<text:p text:style-name="%s">%s</text:p>`+"\n", para, odtRuns(bl.runs))
		case "bulletList", "orderedList", "taskList":
			if bl.name == "orderedList" {
				b.WriteString(`<text:list text:style-name="numbered">` + "\n")
			} else {
				b.WriteString(`<text:list text:style-name="bullets">` + "\n")
			}
			for _, item := range bl.children {
				b.WriteString("<text:list-item>")
				children := item.children
				if item.name == "taskItem" && len(children) > 0 && children[0].name == "paragraph" {
					box := "☐ "
					if attrBool(item, "checked") {
						box = "☑ "
					}
					first := children[0]
					first.runs = append([]run{{text: box}}, first.runs...)
					children = append([]block{first}, children[1:]...)
				}
				writeODTBlocks(b, children, para)
				b.WriteString("</text:list-item>\n")
			}
			b.WriteString("</text:list>\n")
		case "blockquote":
			writeODTBlocks(b, bl.children, "Quotations")
		case "codeBlock":
			fmt.Fprintf(b, `<text:p text:style-name="Preformatted_20_Text">%s</text:p>`+"\n", odtText(plainRuns(bl.runs)))
		case "horizontalRule":
			fmt.Fprintf(b, `<text:p text:style-name="%s">―――</text:p>`+"\n", para)
		default:
			if len(bl.runs) > 0 {
				fmt.Fprintf(b, `<text:p text:style-name="%s">%s</text:p>`+"\n", para, odtRuns(bl.runs))
			}
			writeODTBlocks(b, bl.children, para)
		}
	}
}
