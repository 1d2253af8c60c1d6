package meeting

import (
	"crypto/rand"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"

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
	files, err := fs.Glob(web, "web/messages*.json")
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := cat.Load(web, f); err != nil {
			return err
		}
	}
	return nil
}

// Options are what the box gives the meeting.
type Options struct {
	page.Env
}

// Service serves the meeting under /meeting/ and /api/meeting.
type Service struct {
	opts      Options
	st        *store
	mux       *http.ServeMux
	templates map[string]*template.Template
	live      *page.Hub  // topic: the meeting id
	core      *coreState // core_routes.go
	room      *roomState // room_routes.go
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
	if s.templates, err = parseTemplates(); err != nil {
		return nil, err
	}
	s.mux.Handle("GET /meeting/static/", http.StripPrefix("/meeting/static/", staticFiles()))
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

// parseTemplates parses each page of web/ inside the shared layout.
func parseTemplates() (map[string]*template.Template, error) {
	files, err := fs.Glob(web, "web/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, name := range files {
		if strings.HasPrefix(name, "web/room_") {
			continue // the room's parts of the pages, parsed with each
		}
		t, err := page.Parse(web, name, nil)
		if err != nil {
			return nil, err
		}
		if t, err = t.ParseFS(web, "web/room_*.html"); err != nil {
			return nil, fmt.Errorf("room parts of %s: %w", name, err)
		}
		out[strings.TrimSuffix(strings.TrimPrefix(name, "web/"), ".html")] = t
	}
	return out, nil
}

// render writes the page named name.
func (s *Service) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	t, ok := s.templates[name]
	if !ok {
		s.opts.Log.Error("no such template", "template", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	p := s.opts.Catalog.Printer(locale.Choose(r))
	page.Render(w, r, s.opts.Log, status, t, page.Data{Printer: p, BoxName: s.opts.BoxName(), Data: data})
}

// staticFiles serves the bundle built by esbuild into web/dist (make
// bundle): the pages' scripts.
func staticFiles() http.Handler {
	dist, _ := fs.Sub(web, "web/dist")
	h := http.FileServerFS(dist)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".txt") || strings.HasPrefix(r.URL.Path, ".") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		h.ServeHTTP(w, r)
	})
}

// newID is a random id: 9 bytes for records, 16 for secrets.
func newID(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // never fails on Linux (Go 1.24+)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
