package decide

import (
	"net/http"
	"slices"

	"github.com/coopbox/coopbox/services/page"
	"github.com/coopbox/coopbox/services/person"
)

// homePage is what the list of assemblies receives.
type homePage struct {
	Assemblies  []Assembly
	Facilitator bool
	Error       string
}

// home lists the assemblies, most recent first; facilitators get the form
// that creates one.
func (s *Service) home(w http.ResponseWriter, r *http.Request) { s.homeWith(w, r, nil) }

// homeWith draws the home page, with the error of the creation form if
// any.
func (s *Service) homeWith(w http.ResponseWriter, r *http.Request, formErr error) {
	who := person.FromContext(r.Context())
	if !who.IsParticipant() {
		http.Redirect(w, r, page.JoinURL(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	all, err := s.st.assemblies()
	if err != nil {
		s.opts.Log.Error("list assemblies", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	slices.SortFunc(all, func(a, b Assembly) int { return b.Created.Compare(a.Created) })
	d := homePage{Assemblies: all, Facilitator: who.IsFacilitator()}
	status := http.StatusOK
	if formErr != nil {
		status, _, d.Error = s.explain(s.printer(r), formErr)
	}
	s.render(w, r, status, "home", d)
}
