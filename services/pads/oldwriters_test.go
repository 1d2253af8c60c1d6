package pads

// The text and Markdown writers as they were before they wrote in one pass
// (commit ff50c9d): TestWritersMatchTheRecursiveOnes checks that the
// one-pass writers give the same output on every tree they both can write.

import (
	"fmt"
	"strings"
)

func oldExportText(blocks []block) string {
	var b strings.Builder
	oldWriteTextBlocks(&b, blocks, "")
	return strings.TrimRight(b.String(), "\n") + "\n"
}

func oldPlainRuns(runs []run) string {
	return renderRuns(runs, "\n", func(r run) string { return r.text }, nil)
}

func oldWriteTextBlocks(b *strings.Builder, blocks []block, indent string) {
	for _, bl := range blocks {
		switch bl.name {
		case "bulletList", "orderedList", "taskList":
			oldWriteListItems(b, bl, indent, "", oldWriteTextBlocks)
		case "blockquote":
			var inner strings.Builder
			oldWriteTextBlocks(&inner, bl.children, "")
			oldWriteIndented(b, strings.TrimRight(inner.String(), "\n"), indent+"> ", indent+"> ")
			b.WriteString("\n")
		case "horizontalRule":
			b.WriteString(indent + "----\n\n")
		default:
			if len(bl.children) > 0 && len(bl.runs) == 0 {
				oldWriteTextBlocks(b, bl.children, indent)
				continue
			}
			oldWriteIndented(b, oldPlainRuns(bl.runs), indent, indent)
			b.WriteString("\n")
		}
	}
}

// writeListItems writes the items of a list block: each marked ("- ", "3. ",
// a task's box after taskPrefix), its children rendered by inner and indented
// under the marker, as a tight list.
func oldWriteListItems(b *strings.Builder, bl block, indent, taskPrefix string, inner func(*strings.Builder, []block, string)) {
	n := attrInt(bl, "start", 1)
	for _, item := range bl.children {
		marker := "- "
		switch {
		case bl.name == "orderedList":
			marker = fmt.Sprintf("%d. ", n)
			n++
		case item.name == "taskItem" && attrBool(item, "checked"):
			marker = taskPrefix + "[x] "
		case item.name == "taskItem":
			marker = taskPrefix + "[ ] "
		}
		var sb strings.Builder
		inner(&sb, item.children, "")
		body := strings.ReplaceAll(strings.TrimRight(sb.String(), "\n"), "\n\n", "\n")
		oldWriteIndented(b, body, indent+marker, indent+strings.Repeat(" ", len(marker)))
	}
	b.WriteString("\n")
}

// writeIndented writes s with first before its first line and rest before
// the others, blank lines inside a block kept without trailing spaces.
func oldWriteIndented(b *strings.Builder, s, first, rest string) {
	for i, line := range strings.Split(s, "\n") {
		p := rest
		if i == 0 {
			p = first
		}
		if line == "" {
			b.WriteString(strings.TrimRight(p, " ") + "\n")
			continue
		}
		b.WriteString(p + line + "\n")
	}
}

func oldExportMarkdown(blocks []block) string {
	var b strings.Builder
	oldWriteMarkdownBlocks(&b, blocks, "")
	return strings.TrimRight(b.String(), "\n") + "\n"
}

func oldWriteMarkdownBlocks(b *strings.Builder, blocks []block, indent string) {
	for _, bl := range blocks {
		switch bl.name {
		case "heading":
			level := min(max(attrInt(bl, "level", 1), 1), 6)
			b.WriteString(indent + strings.Repeat("#", level) + " " + markdownRuns(bl.runs) + "\n\n")
		case "bulletList", "orderedList", "taskList":
			oldWriteListItems(b, bl, indent, "- ", oldWriteMarkdownBlocks)
		case "blockquote":
			var inner strings.Builder
			oldWriteMarkdownBlocks(&inner, bl.children, "")
			oldWriteIndented(b, strings.TrimRight(inner.String(), "\n"), indent+"> ", indent+"> ")
			b.WriteString("\n")
		case "codeBlock":
			code := oldPlainRuns(bl.runs)
			fence := "```"
			for strings.Contains(code, fence) {
				fence += "`"
			}
			lang := strings.Fields(attrString(bl.attrs, "language") + " ")
			b.WriteString(indent + fence)
			if len(lang) > 0 {
				b.WriteString(lang[0])
			}
			b.WriteString("\n")
			oldWriteIndented(b, code, indent, indent)
			b.WriteString(indent + fence + "\n\n")
		case "horizontalRule":
			b.WriteString(indent + "---\n\n")
		case "paragraph":
			text := markdownRuns(bl.runs)
			// a paragraph must not read as a list, a quote or a heading
			if t := strings.TrimLeft(text, " "); len(t) > 0 && strings.ContainsAny(t[:1], "-+") || startsWithNumberDot(t) {
				text = `\` + text
			}
			oldWriteIndented(b, text, indent, indent)
			b.WriteString("\n")
		default:
			if len(bl.runs) > 0 {
				oldWriteIndented(b, markdownRuns(bl.runs), indent, indent)
				b.WriteString("\n")
			}
			oldWriteMarkdownBlocks(b, bl.children, indent)
		}
	}
}
