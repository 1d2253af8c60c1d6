package meeting

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/coopbox/coopbox/services/locale"
	"github.com/coopbox/coopbox/services/person"
)

// The core's pages: the list of meetings, the participant's phone page,
// the facilitator's control page and the projector. Each is a frame the
// page's script (web/src/*.js) fills from the meeting's event stream.

type homeData struct {
	Meetings   []Meeting
	Assemblies []assemblyRef // decide's, for the creation form
	Strings    string
}

type assemblyRef struct{ ID, Title string }

func (s *Service) home(w http.ResponseWriter, r *http.Request) {
	ms, err := s.st.meetings()
	if err != nil {
		s.opts.Log.Error("meeting: list", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	slices.SortFunc(ms, func(a, b Meeting) int { return b.Created.Compare(a.Created) })
	d := homeData{Meetings: ms, Strings: s.jsStrings(r)}
	if dp := s.decide(); dp != nil && person.FromContext(r.Context()).IsFacilitator() {
		ids, titles, err := dp.Assemblies()
		if err != nil {
			s.opts.Log.Warn("meeting: list decide's assemblies", "err", err)
		}
		for i := range ids {
			d.Assemblies = append(d.Assemblies, assemblyRef{ids[i], titles[i]})
		}
	}
	s.render(w, r, http.StatusOK, "home", d)
}

// meetingData is what the meeting's pages receive.
type meetingData struct {
	Meeting Meeting
	Me      string // the asker's id: the scripts mark their own requests
	Strings string // the scripts' messages in the asker's language (JSON)
}

func (s *Service) meetingPage(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		m, err := s.st.meeting(r.PathValue("id"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		s.render(w, r, http.StatusOK, name, meetingData{Meeting: m, Me: person.FromContext(r.Context()).ID, Strings: s.jsStrings(r)})
	}
}

func (s *Service) phonePage(w http.ResponseWriter, r *http.Request)   { s.meetingPage("phone")(w, r) }
func (s *Service) controlPage(w http.ResponseWriter, r *http.Request) { s.meetingPage("control")(w, r) }
func (s *Service) projectorPage(w http.ResponseWriter, r *http.Request) {
	s.meetingPage("projector")(w, r)
}

// jsStrings are the catalog's "meeting.js.*" messages, for the scripts.
func (s *Service) jsStrings(r *http.Request) string {
	p := s.opts.Catalog.Printer(locale.Choose(r))
	out := map[string]string{}
	for _, k := range s.opts.Catalog.Keys() {
		if rest, ok := strings.CutPrefix(k, "meeting.js."); ok {
			out[rest] = p.T(k)
		}
	}
	raw, _ := json.Marshal(out)
	return string(raw)
}
