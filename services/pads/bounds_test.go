package pads

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// The exports of small pads, for tests: the output is far below the limit
// (a cut output would fail the comparisons that use it).
func mdOf(blocks []block) string {
	s, _ := exportMarkdown(blocks, maxExport)
	return s
}

func textOf(blocks []block) string {
	s, _ := exportText(blocks, maxExport)
	return s
}

func htmlOf(title, lang string, blocks []block) string {
	s, _ := exportHTML(title, lang, blocks, maxExport)
	return s
}

// randomBlocks makes a block tree with every shape the writers treat
// apart: lists of each kind (empty items too), quotes, code with blank
// lines and backticks, text with line breaks, blank lines and characters
// Markdown escapes.
func randomBlocks(r *rand.Rand, depth int) []block {
	pieces := []string{"a", "mot", " ", "\n", "\n\n", "- x", "1. y", "`", "``", "*", "> q", "#", "  "}
	text := func() []run {
		var runs []run
		for range r.IntN(4) {
			if r.IntN(5) == 0 {
				runs = append(runs, run{br: true})
				continue
			}
			var sb strings.Builder
			for range 1 + r.IntN(3) {
				sb.WriteString(pieces[r.IntN(len(pieces))])
			}
			marks := map[string]map[string]any{}
			if r.IntN(3) == 0 {
				marks[markOrder[r.IntN(len(markOrder))]] = map[string]any{"href": "https://x.example"}
			}
			runs = append(runs, run{text: sb.String(), marks: marks})
		}
		return runs
	}
	var out []block
	for range r.IntN(4) {
		kind := r.IntN(9)
		if depth > 5 {
			kind %= 4
		}
		switch kind {
		case 0:
			out = append(out, block{name: "paragraph", runs: text()})
		case 1:
			out = append(out, block{name: "heading", attrs: map[string]any{"level": float64(1 + r.IntN(7))}, runs: text()})
		case 2:
			out = append(out, block{name: "codeBlock", attrs: map[string]any{"language": "go"}, runs: text()})
		case 3:
			out = append(out, block{name: "horizontalRule"})
		case 4, 5, 6:
			list := block{name: []string{"bulletList", "orderedList", "taskList"}[kind-4], attrs: map[string]any{"start": float64(r.IntN(12))}}
			for range r.IntN(4) {
				item := block{name: "listItem", children: randomBlocks(r, depth+1)}
				if list.name == "taskList" {
					item.name, item.attrs = "taskItem", map[string]any{"checked": r.IntN(2) == 0}
				}
				list.children = append(list.children, item)
			}
			out = append(out, list)
		case 7:
			out = append(out, block{name: "blockquote", children: randomBlocks(r, depth+1)})
		default:
			out = append(out, block{name: "details", runs: text()[:0], children: randomBlocks(r, depth+1)})
		}
	}
	return out
}

// TestWritersMatchTheRecursiveOnes: the one-pass text and Markdown writers
// write exactly what the recursive ones did (oldwriters_test.go).
func TestWritersMatchTheRecursiveOnes(t *testing.T) {
	for seed := range uint64(5000) {
		blocks := randomBlocks(rand.New(rand.NewPCG(seed, 11)), 0)
		if got, want := textOf(blocks), oldExportText(blocks); got != want {
			t.Fatalf("seed %d: text\n%q\nwant\n%q", seed, got, want)
		}
		if got, want := mdOf(blocks), oldExportMarkdown(blocks); got != want {
			t.Fatalf("seed %d: Markdown\n%q\nwant\n%q", seed, got, want)
		}
	}
}
