package pads

import (
	"errors"
	"strings"
)

// Bounds on what a participant's input may cost the box. A pad is read by
// walking its tree (exports, search, the history's diff, and the editor in
// every browser), so how deep it nests matters as much as how big it is:
// the 32 KB Markdown of 16,000 nested list items once made a 256 MB text
// export that took minutes to write.

// maxDepth bounds how deep a pad's Yjs types nest: the fragment "default"
// is at 0, a top-level block at 1, its text at 2; a list adds two (the list
// and the item), a quote one. 64 allows 31 levels of list, which no meeting
// needs. Imports refuse files that would nest deeper, the pad refuses such
// updates (ydoc.Doc.SetMaxDepth), and the readers flatten what lies deeper
// (in pads stored before the limit existed).
const maxDepth = 64

// maxExport bounds the output of one export (and the text search reads of
// one pad): the largest pad (Limits.MaxPad, 16 MiB by default) holds less
// text than that, but indentation and escapes can multiply it.
const maxExport = 32 << 20

// errTooLarge is the error of an export that would pass maxExport.
var errTooLarge = errors.New("the export would be too large")

// sink is where a writer puts its output. It keeps at most limit bytes:
// what would pass them is cut (at a byte boundary: a cut export is an
// error, search only looks for words in it) and full is set, which the
// writers check to stop early.
type sink struct {
	b     strings.Builder
	limit int
	full  bool
}

func newSink(limit int) *sink { return &sink{limit: limit} }

func (s *sink) WriteString(x string) (int, error) {
	if s.full {
		return 0, errTooLarge
	}
	if room := s.limit - s.b.Len(); len(x) > room {
		s.b.WriteString(x[:room])
		s.full = true
		return room, errTooLarge
	}
	return s.b.WriteString(x)
}

func (s *sink) Write(p []byte) (int, error) { return s.WriteString(string(p)) }

// result is the output, or errTooLarge with the part that fitted.
func (s *sink) result() (string, error) {
	if s.full {
		return s.b.String(), errTooLarge
	}
	return s.b.String(), nil
}

// lines writes text through nested containers — list items, quotes — in
// one pass: each container is a level that prefixes the lines of what is
// written inside it (a first-line prefix such as "- " and one for the
// others), drops its trailing blank lines and, for a tight list item,
// halves runs of blank lines. Writing a level's output into a buffer and
// indenting it again at each level up, as a plain recursive writer does,
// copies deep text once per level: cubic time in the depth.
type lines struct {
	out    *sink
	levels []level // innermost last
}

type level struct {
	first, rest string // line prefixes
	tight       bool   // a run of n newlines becomes (n+1)/2, as in a tight list item
	newlines    int    // held back: trailing ones are dropped when the level closes
	lineNo      int    // lines ended at this level
	started     bool   // the current line's prefix is written
}

func newLines(out *sink) *lines {
	w := &lines{out: out}
	w.open("", "", false) // the document: its trailing blank lines go too
	return w
}

// open starts a container inside the current one.
func (w *lines) open(first, rest string, tight bool) {
	w.levels = append(w.levels, level{first: first, rest: rest, tight: tight})
}

// close ends the innermost container: its trailing newlines are dropped
// and its last line ended.
func (w *lines) close() {
	i := len(w.levels) - 1
	w.endLine(i)
	w.levels = w.levels[:i]
}

// finish closes the document and returns the text.
func (w *lines) finish() (string, error) {
	for len(w.levels) > 0 {
		w.close()
	}
	return w.out.result()
}

// WriteString writes s inside the innermost container.
func (w *lines) WriteString(s string) {
	w.feed(len(w.levels)-1, s)
}

// feed writes s into level i (the sink below level 0).
func (w *lines) feed(i int, s string) {
	if i < 0 {
		w.out.WriteString(s)
		return
	}
	l := &w.levels[i]
	for len(s) > 0 && !w.out.full {
		if s[0] == '\n' {
			l.newlines++
			s = s[1:]
			continue
		}
		chunk := s
		if j := strings.IndexByte(s, '\n'); j >= 0 {
			chunk, s = s[:j], s[j:]
		} else {
			s = ""
		}
		n := l.newlines
		if l.tight {
			n = (n + 1) / 2
		}
		l.newlines = 0
		for range n {
			w.endLine(i)
		}
		if !l.started {
			l.started = true
			w.feed(i-1, l.prefix())
		}
		w.feed(i-1, chunk)
	}
}

// endLine ends the current line of level i; an empty line gets its prefix
// without trailing spaces.
func (w *lines) endLine(i int) {
	l := &w.levels[i]
	if !l.started {
		w.feed(i-1, strings.TrimRight(l.prefix(), " "))
	}
	w.feed(i-1, "\n")
	l.lineNo++
	l.started = false
}

func (l *level) prefix() string {
	if l.lineNo == 0 {
		return l.first
	}
	return l.rest
}
