package pads

import (
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/coopbox/coopbox/services/pads/ydoc"
	"github.com/coopbox/coopbox/services/page"
	"github.com/coopbox/coopbox/services/person"
	"github.com/sergi/go-diff/diffmatchpatch"
)

// History: a pad keeps versions of itself — automatic ones every ten
// minutes of activity and when it leaves memory, named ones when someone
// asks — each the whole Yjs state at that moment. A version can be read
// (rendered on the server), compared with the pad as it is now (a line diff
// of the text), and restored: the pad's text is replaced by the version's in
// one update that every open editor receives; the chat is kept.

type historyPage struct {
	Pad      padView
	Versions []versionMeta
	CanWrite bool
}

type versionPage struct {
	Pad      padView
	Version  versionMeta
	Body     template.HTML // the version, rendered by writeHTMLBlocks (escaped)
	Diff     []diffLine    // from the version to the pad now
	Same     bool
	TooLarge bool // the version or the pad is too large to show here (maxHistory)
	CanWrite bool
}

// maxHistory bounds the text of a version and of the pad that a version's
// page shows and compares (bytes of HTML or text): the diff's time grows
// with the product of their line counts, up to its one-second timeout.
const maxHistory = 2 << 20

type diffLine struct {
	Op   string // "ins", "del" or ""
	Text string
}

// historyPad checks the asker may see the history of pad id and returns it.
func (s *Service) historyPad(w http.ResponseWriter, r *http.Request) (padMeta, bool) {
	who := person.FromContext(r.Context())
	if !who.IsParticipant() {
		http.Redirect(w, r, page.JoinURL(r.URL.RequestURI()), http.StatusSeeOther)
		return padMeta{}, false
	}
	m, err := s.st.meta(r.PathValue("id"))
	if err != nil || m.Trashed {
		http.Error(w, "no such pad", http.StatusNotFound)
		return padMeta{}, false
	}
	return m, true
}

func mayWrite(who *person.Person, m padMeta) bool { return !m.Locked || who.IsFacilitator() }

func (s *Service) historyList(w http.ResponseWriter, r *http.Request) {
	m, ok := s.historyPad(w, r)
	if !ok {
		return
	}
	vs, err := s.st.versions(m.ID)
	if err != nil {
		s.opts.Log.Error("versions", "pad", m.ID, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	who := person.FromContext(r.Context())
	s.render(w, r, http.StatusOK, s.pages.history, s.printer(r), historyPage{Pad: s.view(who, m), Versions: vs, CanWrite: mayWrite(who, m)})
}

// nameVersion keeps the pad as it is now under a name.
func (s *Service) nameVersion(w http.ResponseWriter, r *http.Request) {
	m, ok := s.historyPad(w, r)
	if !ok {
		return
	}
	name := strings.Join(strings.Fields(r.PostFormValue("name")), " ")
	if name == "" || utf8.RuneCountInString(name) > 120 {
		http.Error(w, "a version's name has 1 to 120 characters", http.StatusBadRequest)
		return
	}
	by := person.FromContext(r.Context()).Name
	err := s.hub.withPad(m.ID, func(d *ydoc.Doc) ([]byte, error) {
		_, err := s.st.addVersion(m.ID, versionMeta{Name: name, By: by, Created: s.opts.Now()}, d.EncodeStateAsUpdate(nil))
		return nil, err
	})
	if err != nil {
		s.opts.Log.Error("name version", "pad", m.ID, "err", err)
		http.Error(w, "could not keep the version", http.StatusInternalServerError)
		return
	}
	http.Redirect(w, r, "/pads/"+m.ID+"/history/", http.StatusSeeOther)
}

func (s *Service) versionFromPath(w http.ResponseWriter, r *http.Request, id string) (versionMeta, *ydoc.Doc, bool) {
	seq, err := strconv.ParseUint(r.PathValue("seq"), 10, 64)
	if err != nil {
		http.Error(w, "no such version", http.StatusNotFound)
		return versionMeta{}, nil, false
	}
	v, state, err := s.st.version(id, seq)
	if err != nil {
		http.Error(w, "no such version", http.StatusNotFound)
		return versionMeta{}, nil, false
	}
	d := ydoc.NewDoc(randomClientID())
	if err := d.ApplyUpdate(state); err != nil {
		s.opts.Log.Error("version state", "pad", id, "version", seq, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return versionMeta{}, nil, false
	}
	return v, d, true
}

func (s *Service) showVersion(w http.ResponseWriter, r *http.Request) {
	m, ok := s.historyPad(w, r)
	if !ok {
		return
	}
	v, vd, ok := s.versionFromPath(w, r, m.ID)
	if !ok {
		return
	}
	now, err := s.loadDoc(m.ID)
	if err != nil {
		s.opts.Log.Error("load pad", "pad", m.ID, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	page := versionPage{Version: v}
	blocks := readPad(vd)
	body := newSink(maxHistory)
	writeHTMLBlocks(body, blocks)
	from, err1 := exportText(blocks, maxHistory)
	to, err2 := exportText(readPad(now), maxHistory)
	if html, err := body.result(); err != nil || err1 != nil || err2 != nil {
		// a cut HTML text could leave a tag open; a diff of cut texts lies
		page.TooLarge = true
	} else {
		page.Body = template.HTML(html)
		page.Diff = lineDiff(from, to)
		page.Same = true
		for _, l := range page.Diff {
			if l.Op != "" {
				page.Same = false
			}
		}
	}
	who := person.FromContext(r.Context())
	page.Pad, page.CanWrite = s.view(who, m), mayWrite(who, m)
	s.render(w, r, http.StatusOK, s.pages.version, s.printer(r), page)
}

// restoreVersion replaces the pad's text by the version's.
func (s *Service) restoreVersion(w http.ResponseWriter, r *http.Request) {
	m, ok := s.historyPad(w, r)
	if !ok {
		return
	}
	if !mayWrite(person.FromContext(r.Context()), m) {
		http.Error(w, "this pad is locked", http.StatusForbidden)
		return
	}
	_, vd, ok := s.versionFromPath(w, r, m.ID)
	if !ok {
		return
	}
	blocks := readPad(vd)
	err := s.hub.withPad(m.ID, func(d *ydoc.Doc) ([]byte, error) { return replaceContent(d, blocks) })
	if err != nil {
		s.opts.Log.Error("restore version", "pad", m.ID, "err", err)
		http.Error(w, "could not restore the version", http.StatusInternalServerError)
		return
	}
	http.Redirect(w, r, "/pads/"+m.ID, http.StatusSeeOther)
}

// lineDiff compares two texts line by line.
func lineDiff(from, to string) []diffLine {
	dmp := diffmatchpatch.New()
	a, b, lines := dmp.DiffLinesToChars(from, to)
	diffs := dmp.DiffCharsToLines(dmp.DiffMain(a, b, false), lines)
	var out []diffLine
	for _, d := range diffs {
		op := ""
		switch d.Type {
		case diffmatchpatch.DiffInsert:
			op = "ins"
		case diffmatchpatch.DiffDelete:
			op = "del"
		}
		for _, line := range strings.SplitAfter(d.Text, "\n") {
			if line == "" {
				continue
			}
			out = append(out, diffLine{Op: op, Text: strings.TrimSuffix(line, "\n")})
		}
	}
	return out
}
