package meeting

import (
	"embed"
	"net/http"

	"github.com/coopbox/coopbox/services/locale"
	"github.com/coopbox/coopbox/services/page"
	"github.com/coopbox/coopbox/services/person"
)

// Schema is the version of the layout of the "meeting" bucket (store.go).
const Schema = 1

//go:embed web/*.json web/*.html web/dist
var web embed.FS

// Mount plugs the meeting into the box: URL /meeting/ and /api/meeting,
// bucket "meeting". It comes after pads and decide in the box's mounts,
// whose services it reaches through Env.Peer.
func Mount() page.Mount {
	return page.Mount{
		Name:     "meeting",
		Schema:   Schema,
		Messages: LoadMessages,
		Open:     func(env page.Env) (page.Service, error) { return New(Options{Env: env}) },
	}
}

// LoadMessages adds the meeting's messages (web/messages*.json, one file
// per part) to cat.
func LoadMessages(cat *locale.Catalog) error {
	return page.LoadMessageFiles(cat, web, "web/messages*.json")
}

// Options are what the box gives the meeting.
type Options struct {
	page.Env
}

// Service serves the meeting under /meeting/ and /api/meeting.
type Service struct {
	opts  Options
	st    *store
	mux   *http.ServeMux
	pages *page.Pages
	live  *page.Hub  // topic: the meeting id
	core  *coreState // core_routes.go
	room  *roomState // room_routes.go
}

// New opens the meeting's bucket and returns the service. A nil Catalog
// (tests) gets one of the layout's and the meeting's messages.
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
	if s.pages, err = page.ParsePages(opts.Env, web, "web/*.html", "web/room_*.html", nil); err != nil {
		return nil, err
	}
	s.mux.Handle("GET /meeting/static/", http.StripPrefix("/meeting/static/", page.Bundle(web, "web/dist")))
	s.mux.HandleFunc("GET /meeting/m/{id}/events", s.events)
	s.coreRoutes()
	s.roomRoutes()
	return s, nil
}

func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Close ends the live streams. The box calls it before a restore and at
// shutdown.
func (s *Service) Close() error {
	s.live.Close()
	return nil
}

// events streams a meeting's live events to participants: first the state
// as the asker may see it, then every committed change.
func (s *Service) events(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := s.st.meeting(id); err != nil {
		page.JSONError(w, http.StatusNotFound, "no_meeting", "no such meeting")
		return
	}
	if !person.FromContext(r.Context()).IsParticipant() {
		page.JSONError(w, http.StatusUnauthorized, "join_first", "pick a display name first")
		return
	}
	s.live.Serve(w, r, id, s.currentState(r, id)...)
}

// render writes the page named name.
func (s *Service) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	s.pages.Render(w, r, status, name, data)
}
