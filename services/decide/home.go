package decide

import (
	"net/http"
	"slices"

	"github.com/coopbox/coopbox/services/page"
	"github.com/coopbox/coopbox/services/person"
)

// home lists the assemblies, most recent first.
func (s *Service) home(w http.ResponseWriter, r *http.Request) {
	if !person.FromContext(r.Context()).IsParticipant() {
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
	s.render(w, r, http.StatusOK, "home", all)
}
