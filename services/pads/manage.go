package pads

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"unicode"

	"github.com/coopbox/coopbox/services/page"
	"github.com/coopbox/coopbox/services/person"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Managing pads: rename, trash and restore, lock, search. Who may do what is
// decided here, on the server:
//
//   - participants create and rename pads (a locked pad: facilitators only);
//   - the person who created a pad, or a facilitator, trashes and restores it;
//   - facilitators lock and unlock.
//
// The creator is remembered by their session's person id in the bucket
// pads/creators (pad id → person id): display names are not unique, so a
// name cannot prove who created a pad.

var bucketCreators = []byte("creators")

var (
	errForbidden = errors.New("not allowed")
	errTrashed   = errors.New("this pad is in the trash")
)

func (s *Service) initCreators() error {
	return s.opts.DB.Update(func(tx *bolt.Tx) error {
		_, err := tx.Bucket(bucketPads).CreateBucketIfNotExists(bucketCreators)
		return err
	})
}

// setCreator records who created pad id. It is written before the pad
// itself: a crash in between leaves an unused record, never a pad whose
// creator is unknown.
func (s *Service) setCreator(id, personID string) error {
	return s.opts.DB.Update(func(tx *bolt.Tx) error {
		return padsBucket(tx, bucketCreators).Put([]byte(id), []byte(personID))
	})
}

func (s *Service) creator(id string) string {
	var out string
	s.opts.DB.View(func(tx *bolt.Tx) error {
		out = string(padsBucket(tx, bucketCreators).Get([]byte(id)))
		return nil
	})
	return out
}

// mayManage reports whether who may trash and restore pad id.
func (s *Service) mayManage(who *person.Person, id string) bool {
	if who.IsFacilitator() {
		return true
	}
	c := s.creator(id)
	return who.IsParticipant() && c != "" && c == who.ID
}

// kick closes every connection to pad id, if it is open: they reconnect and
// meet the pad's new state (locked: read-only; trashed: gone).
func (h *hub) kick(id string) {
	h.mu.Lock()
	p := h.pads[id]
	h.mu.Unlock()
	if p == nil {
		return
	}
	p.mu.Lock()
	conns := p.connsLocked()
	p.mu.Unlock()
	for _, c := range conns {
		c.fail(errPadClosed)
	}
}

// padError answers the errors of the management API in one place.
func (s *Service) padError(w http.ResponseWriter, what string, err error) {
	switch {
	case errors.Is(err, errNoPad):
		page.JSONError(w, http.StatusNotFound, "no_pad", "no such pad")
	case errors.Is(err, errForbidden):
		page.JSONError(w, http.StatusForbidden, "forbidden", "you may not do this")
	case errors.Is(err, errTrashed):
		page.JSONError(w, http.StatusGone, "trashed", "this pad is in the trash")
	default:
		s.opts.Log.Error(what, "err", err)
		page.JSONError(w, http.StatusInternalServerError, "internal", "could not change the pad")
	}
}

func (s *Service) rename(w http.ResponseWriter, r *http.Request) {
	who := person.FromContext(r.Context())
	var in struct {
		Title string `json:"title"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		page.JSONError(w, http.StatusBadRequest, "bad_json", "malformed request")
		return
	}
	title, err := cleanTitle(in.Title)
	if err != nil {
		page.JSONError(w, http.StatusBadRequest, "bad_title", err.Error())
		return
	}
	m, err := s.st.updateMeta(r.PathValue("id"), func(m *padMeta) error {
		switch {
		case m.Trashed:
			return errTrashed
		case m.Locked && !who.IsFacilitator():
			return errForbidden
		}
		m.Title = title
		m.Updated = s.opts.Now()
		return nil
	})
	if err != nil {
		s.padError(w, "rename pad", err)
		return
	}
	page.JSON(w, http.StatusOK, s.view(who, m))
}

// setFlag trashes, restores, locks or unlocks a pad.
func (s *Service) setFlag(flag string, on bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		who := person.FromContext(r.Context())
		id := r.PathValue("id")
		allowed := who.IsFacilitator() || (flag == "trashed" && s.mayManage(who, id))
		if !allowed {
			if _, err := s.st.meta(id); err != nil {
				s.padError(w, "pad flag", err)
				return
			}
			s.padError(w, "pad flag", errForbidden)
			return
		}
		m, err := s.st.updateMeta(id, func(m *padMeta) error {
			if flag == "trashed" {
				m.Trashed = on
			} else {
				m.Locked = on
			}
			return nil
		})
		if err != nil {
			s.padError(w, "pad flag", err)
			return
		}
		if on {
			s.hub.kick(id)
		}
		s.opts.Log.Info("pad "+flag, "pad", id, "on", on, "by", who.Name)
		page.JSON(w, http.StatusOK, s.view(who, m))
	}
}

// fold lowers a string and strips its accents, so that "reunion" finds
// "Réunion".
func fold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	return strings.ToLower(out)
}

// search keeps the pads whose title or text holds every word of q, titles
// first, and gives each a snippet of the text around the first word found.
func (s *Service) search(pads []padView, q string) []padView {
	words := strings.Fields(fold(q))
	if len(words) == 0 {
		return pads
	}
	var byTitle, byText []padView
	for _, v := range pads {
		title := fold(v.Title)
		if containsAll(title, words) {
			byTitle = append(byTitle, v)
			continue
		}
		text, err := s.storedText(v.ID)
		if err != nil {
			s.opts.Log.Warn("search pad", "pad", v.ID, "err", err)
			continue
		}
		ft := fold(text)
		if containsAll(title+"\n"+ft, words) {
			v.Snippet = snippet(text, ft, words)
			byText = append(byText, v)
		}
	}
	return append(append(make([]padView, 0, len(byTitle)+len(byText)), byTitle...), byText...)
}

func containsAll(s string, words []string) bool {
	for _, w := range words {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}

// snippet cuts about 80 characters of text around the first word found in
// folded (folding keeps one rune per rune for Latin text; when it does not,
// the snippet is the start of the text).
func snippet(text, folded string, words []string) string {
	tr, fr := []rune(text), []rune(folded)
	at := 0
	if len(tr) == len(fr) {
		for _, w := range words {
			if i := strings.Index(folded, w); i >= 0 {
				at = len([]rune(folded[:i]))
				break
			}
		}
	}
	from, to := max(0, at-30), min(len(tr), at+50)
	out := strings.Join(strings.Fields(string(tr[from:to])), " ")
	if from > 0 {
		out = "…" + out
	}
	if to < len(tr) {
		out += "…"
	}
	return out
}

// storedText is a pad's plain text as stored on disk, which every edit the
// server acknowledged has reached.
func (s *Service) storedText(id string) (string, error) {
	d, err := s.loadDoc(id)
	if err != nil {
		return "", err
	}
	// A pad whose text passes the limit is searched in what fits.
	text, err := exportText(readPad(d), s.opts.Limits.maxExport())
	if errors.Is(err, errTooLarge) {
		err = nil
	}
	return text, err
}
