package decide

import (
	"errors"
	"net/http"
	"strconv"
)

// rollPageData is what the roll page receives.
type rollPageData struct {
	Assembly   Assembly
	Members    []deskMember
	Quorum     quorumView
	MaxProxies int // as typed: 0 for none
	Colleges   string
	Error      string
	Problem    string // why the roll cannot be counted
	Report     *importReport
	Imported   int
	Query      string
	Total      int // members on the roll
	More       int // matching members not drawn
}

// rollPageMax is how many members the roll page draws; a search finds the
// others (the desk's search, on the server).
const rollPageMax = 200

// rollPage: GET /decide/a/{id}/roll (facilitators): the rules, the roll
// with its forms (add, edit, remove) and the CSV import.
func (s *Service) rollPage(w http.ResponseWriter, r *http.Request) { s.rollPageWith(w, r, nil, nil) }

// rollPageWith draws the roll page with a form's error or an import's
// report.
func (s *Service) rollPageWith(w http.ResponseWriter, r *http.Request, formErr error, rep *importReport) {
	id := r.PathValue("id")
	p := s.printer(r)
	q := r.URL.Query().Get("q")
	v, err := s.desk(id, q)
	if err != nil {
		status, _, msg := s.explain(p, err)
		http.Error(w, msg, status)
		return
	}
	a, err := s.st.assembly(id)
	if err != nil {
		status, _, msg := s.explain(p, err)
		http.Error(w, msg, status)
		return
	}
	d := rollPageData{Assembly: a, Members: v.Members, Quorum: v.Quorum, MaxProxies: a.Rules.proxyCap(),
		Colleges: collegesText(a.Rules.Colleges), Report: rep}
	d.Query, d.Total = q, v.Quorum.Members
	if len(d.Members) > rollPageMax {
		d.More = len(d.Members) - rollPageMax
		d.Members = d.Members[:rollPageMax]
	}
	d.Imported, _ = strconv.Atoi(r.URL.Query().Get("imported"))
	if v.Quorum.Problem != "" {
		if e, err := s.entry(id); err == nil {
			if e.err != nil && !errors.Is(e.err, errNoVoter) {
				_, _, d.Problem = s.explain(p, e.err)
			}
			e.mu.Unlock()
		}
	}
	status := http.StatusOK
	if formErr != nil {
		status, _, d.Error = s.explain(p, formErr)
	}
	if rep != nil && len(rep.Lines) > 0 {
		status = http.StatusUnprocessableEntity
	}
	s.render(w, r, status, "roll", d)
}
