package decide

import (
	"embed"
	"net/http"

	"github.com/coopbox/coopbox/services/locale"
	"github.com/coopbox/coopbox/services/page"
	"github.com/coopbox/coopbox/services/person"
)

// Schema is the version of the layout of the "decide" bucket (store.go).
const Schema = 1

//go:embed web/*.json web/*.html web/dist
var web embed.FS

// Mount plugs decide into the box: URL /decide/ and /api/decide, bucket "decide".
func Mount() page.Mount {
	return page.Mount{
		Name:     "decide",
		Schema:   Schema,
		Messages: LoadMessages,
		BodyLimits: map[string]int64{
			// A roll of a few thousand members as CSV.
			"/api/decide/roll-import": maxRollCSV + 64<<10,
		},
		Open: func(env page.Env) (page.Service, error) { return New(Options{Env: env}) },
	}
}

// maxRollCSV bounds an imported roll: 5,000 members of 200 bytes a line.
const maxRollCSV = 1 << 20

// LoadMessages adds decide's messages (web/messages*.json, one file per
// part) to cat.
func LoadMessages(cat *locale.Catalog) error {
	return page.LoadMessageFiles(cat, web, "web/messages*.json")
}

// Options are what the box gives decide.
type Options struct {
	page.Env
}

// Service serves decide under /decide/ and /api/decide.
type Service struct {
	opts  Options
	st    *store
	mux   *http.ServeMux
	pages *page.Pages
	live  *page.Hub
	roll  *rollState // roll_routes.go
	votes *voteState // vote_routes.go
}

// New opens decide's bucket and returns the service. A nil Catalog (tests)
// gets one of the layout's and decide's messages.
func New(opts Options) (*Service, error) {
	var err error
	if opts.Env, err = opts.Env.Defaults(LoadMessages); err != nil {
		return nil, err
	}
	st, err := newStore(opts.DB)
	if err != nil {
		return nil, err
	}
	s := &Service{opts: opts, st: st, mux: http.NewServeMux(), live: page.NewHub()}
	if s.pages, err = page.ParsePages(opts.Env, web, "web/*.html", "", nil); err != nil {
		return nil, err
	}
	s.mux.Handle("GET /decide/static/", http.StripPrefix("/decide/static/", page.Bundle(web, "web/dist")))
	s.mux.HandleFunc("GET /decide/a/{id}/events", s.events)
	s.rollRoutes()
	s.voteRoutes()
	return s, nil
}

func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Close ends decide's live streams. The box calls it before a restore and
// at shutdown.
func (s *Service) Close() error {
	s.live.Close()
	return nil
}

// events streams an assembly's live events (PROTOCOL.md, "Live events") to
// participants and to the members bound to the assembly by their link (who
// may have picked no display name).
func (s *Service) events(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := s.st.assembly(id); err != nil {
		page.JSONError(w, http.StatusNotFound, "no_assembly", "no such assembly")
		return
	}
	if _, bound := s.member(r, id); !bound && !person.FromContext(r.Context()).IsParticipant() {
		page.JSONError(w, http.StatusUnauthorized, "join_first", "pick a display name or open your member link first")
		return
	}
	s.live.Serve(w, r, id, s.currentState(r, id)...)
}

// render writes the page named name.
func (s *Service) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	s.pages.Render(w, r, status, name, data)
}
