package editor

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"
	"github.com/coopbox/coopbox/services/locale"
	"github.com/coopbox/coopbox/services/page"
	"github.com/coopbox/coopbox/services/person"
	bolt "go.etcd.io/bbolt"
)

// Options are what the box gives the pads.
type Options struct {
	DB     *bolt.DB
	Log    *slog.Logger
	Now    func() time.Time // the box's clock
	Limits Limits
	// Limit wraps handlers that create data with the box's rate limit.
	Limit func(http.Handler) http.Handler
	// Catalog is the box's message catalog, already holding the shared
	// page's messages (page.LoadMessages); New adds the pads' own
	// (web/messages.json). Nil: a catalog of the pads' and the page's
	// messages only, for tests.
	Catalog *locale.Catalog
	// BoxName is the box's name for the page header; nil: "coopbox".
	BoxName func() string
}

// Service serves the pads under /pads/ and /api/pads.
type Service struct {
	opts   Options
	st     *store
	hub    *hub
	mux    *http.ServeMux
	assets *assets
	pages  *pages
}

// New opens the pads' bucket and returns the service.
func New(opts Options) (*Service, error) {
	if opts.Limits == (Limits{}) {
		opts.Limits = DefaultLimits
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Limit == nil {
		opts.Limit = func(h http.Handler) http.Handler { return h }
	}
	if opts.BoxName == nil {
		opts.BoxName = func() string { return "coopbox" }
	}
	if opts.Catalog == nil {
		opts.Catalog = locale.New()
		if err := page.LoadMessages(opts.Catalog); err != nil {
			return nil, err
		}
	}
	// The box opens its services again after a restore, with the same
	// catalog: the pads' messages are then already there.
	if !opts.Catalog.Has("pads.title") {
		if err := opts.Catalog.Load(web, "web/messages.json"); err != nil {
			return nil, err
		}
	}
	a, err := loadAssets()
	if err != nil {
		return nil, fmt.Errorf("pads bundle: %w", err)
	}
	pg, err := parsePages(a)
	if err != nil {
		return nil, err
	}
	st, err := newStore(opts.DB)
	if err != nil {
		return nil, err
	}
	s := &Service{opts: opts, st: st, hub: newHub(st, opts.Log, opts.Limits), mux: http.NewServeMux(), assets: a, pages: pg}
	s.hub.now = opts.Now
	if err := s.initCreators(); err != nil {
		return nil, fmt.Errorf("pads bucket: %w", err)
	}
	// Pages.
	s.mux.HandleFunc("GET /pads/{$}", s.listPage)
	s.mux.HandleFunc("GET /pads/{id}", s.editorPage(false))
	s.mux.HandleFunc("GET /pads/r/{id}", s.editorPage(true))
	s.mux.Handle("GET /pads/static/{file}", a)
	s.mux.Handle("GET /pads/ws/{id}", participantsOnly(http.HandlerFunc(s.websocket)))
	s.mux.Handle("GET /pads/{id}/export/{format}", participantsOnly(http.HandlerFunc(s.export)))
	s.mux.HandleFunc("GET /pads/{id}/history/{$}", s.historyList)
	s.mux.Handle("POST /pads/{id}/history/{$}", opts.Limit(http.HandlerFunc(s.nameVersion)))
	s.mux.HandleFunc("GET /pads/{id}/history/{seq}", s.showVersion)
	s.mux.Handle("POST /pads/{id}/history/{seq}/restore", opts.Limit(http.HandlerFunc(s.restoreVersion)))
	// API (PROTOCOL.md).
	s.mux.Handle("GET /api/pads", participantsOnly(http.HandlerFunc(s.list)))
	s.mux.Handle("POST /api/pads", participantsOnly(opts.Limit(http.HandlerFunc(s.create))))
	s.mux.Handle("POST /api/pads/import", participantsOnly(opts.Limit(http.HandlerFunc(s.importPad))))
	s.mux.Handle("GET /api/pads/{id}", participantsOnly(http.HandlerFunc(s.get)))
	s.mux.Handle("PATCH /api/pads/{id}", participantsOnly(opts.Limit(http.HandlerFunc(s.rename))))
	s.mux.Handle("POST /api/pads/{id}/trash", participantsOnly(opts.Limit(s.setFlag("trashed", true))))
	s.mux.Handle("POST /api/pads/{id}/restore", participantsOnly(opts.Limit(s.setFlag("trashed", false))))
	s.mux.Handle("POST /api/pads/{id}/lock", participantsOnly(opts.Limit(s.setFlag("locked", true))))
	s.mux.Handle("POST /api/pads/{id}/unlock", participantsOnly(opts.Limit(s.setFlag("locked", false))))
	return s, nil
}

func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Close disconnects every client and folds every open pad's log into its
// snapshot. The box calls it before closing the database.
func (s *Service) Close() error {
	s.hub.close()
	return nil
}

// participantsOnly answers 401 to whoever has not picked a display name:
// every API and the WebSocket need a participant at least (the pages send
// them to /join instead).
func participantsOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !person.FromContext(r.Context()).IsParticipant() {
			apiError(w, http.StatusUnauthorized, "join_first", "pick a display name first")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// apiError is the box's error format.
func apiError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]string{"error": msg, "code": code})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func newID(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// padView is a pad as the API shows it to one person: CanManage says
// whether they may trash and restore it, Snippet is the text around a
// search's match.
type padView struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	ReadID    string    `json:"readId,omitempty"`
	CreatedBy string    `json:"createdBy"`
	Created   time.Time `json:"created"`
	Updated   time.Time `json:"updated"`
	Locked    bool      `json:"locked"`
	Trashed   bool      `json:"trashed"`
	CanManage bool      `json:"canManage"`
	Snippet   string    `json:"snippet,omitempty"`
}

func view(m padMeta) padView {
	return padView{ID: m.ID, Title: m.Title, ReadID: m.ReadID, CreatedBy: m.CreatedBy, Created: m.Created,
		Updated: m.Updated, Locked: m.Locked, Trashed: m.Trashed}
}

func (s *Service) view(who *person.Person, m padMeta) padView {
	v := view(m)
	v.CanManage = s.mayManage(who, m.ID)
	return v
}

func cleanTitle(t string) (string, error) {
	t = strings.Join(strings.Fields(t), " ")
	if t == "" || utf8.RuneCountInString(t) > 120 {
		return "", errors.New("a title has 1 to 120 characters")
	}
	return t, nil
}

func (s *Service) create(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Title    string `json:"title"`
		Template string `json:"template"` // "", "blank", "ag", "charter"
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		apiError(w, http.StatusBadRequest, "bad_json", "malformed request")
		return
	}
	title, err := cleanTitle(in.Title)
	if err != nil {
		apiError(w, http.StatusBadRequest, "bad_title", err.Error())
		return
	}
	var initial []byte
	if in.Template != "" && in.Template != "blank" {
		if initial, err = templateUpdate(in.Template, locale.Choose(r).String()); err != nil {
			apiError(w, http.StatusBadRequest, "bad_template", "templates: blank, ag, charter")
			return
		}
	}
	s.newPad(w, r, title, in.Template, initial)
}

// newPad stores a pad with its first update and answers 201 with it.
func (s *Service) newPad(w http.ResponseWriter, r *http.Request, title, template string, initial []byte) {
	who := person.FromContext(r.Context())
	now := s.opts.Now()
	m := padMeta{ID: newID(9), ReadID: newID(12), Title: title, Template: template, CreatedBy: who.Name, Created: now, Updated: now}
	err := s.setCreator(m.ID, who.ID)
	if err == nil {
		err = s.st.create(m, initial)
	}
	if err != nil {
		s.opts.Log.Error("create pad", "err", err)
		apiError(w, http.StatusInternalServerError, "internal", "could not create the pad")
		return
	}
	writeJSON(w, http.StatusCreated, s.view(who, m))
}

// list answers the pads not in the trash (?trash=1: those in the trash),
// most recently updated first; ?q= keeps those whose title or text holds
// every word of q.
func (s *Service) list(w http.ResponseWriter, r *http.Request) {
	who := person.FromContext(r.Context())
	all, err := s.st.list()
	if err != nil {
		s.opts.Log.Error("list pads", "err", err)
		apiError(w, http.StatusInternalServerError, "internal", "could not list the pads")
		return
	}
	trash := r.URL.Query().Get("trash") == "1"
	out := make([]padView, 0, len(all))
	for _, m := range all {
		if m.Trashed == trash {
			out = append(out, s.view(who, m))
		}
	}
	slices.SortFunc(out, func(a, b padView) int { return b.Updated.Compare(a.Updated) })
	if q := r.URL.Query().Get("q"); q != "" {
		out = s.search(out, q)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Service) get(w http.ResponseWriter, r *http.Request) {
	who := person.FromContext(r.Context())
	m, err := s.st.meta(r.PathValue("id"))
	if err != nil {
		apiError(w, http.StatusNotFound, "no_pad", "no such pad")
		return
	}
	writeJSON(w, http.StatusOK, s.view(who, m))
}

// websocket joins a client to a pad by its id (read and write) or by its
// read-only id. Participants only; a locked pad is read-only except for
// facilitators; a trashed pad is gone.
func (s *Service) websocket(w http.ResponseWriter, r *http.Request) {
	who := person.FromContext(r.Context())
	id := r.PathValue("id")
	readOnly := false
	m, err := s.st.meta(id)
	if errors.Is(err, errNoPad) {
		if id, err = s.st.byReadID(id); err == nil {
			readOnly = true
			m, err = s.st.meta(id)
		}
	}
	if err != nil {
		apiError(w, http.StatusNotFound, "no_pad", "no such pad")
		return
	}
	if m.Trashed {
		apiError(w, http.StatusGone, "trashed", "this pad is in the trash")
		return
	}
	if m.Locked && !who.IsFacilitator() {
		readOnly = true
	}
	// Same-origin only (coder/websocket checks Origin against Host): a page
	// elsewhere cannot ride on a participant's cookie.
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		return // Accept answered the client
	}
	ws.SetReadLimit(s.opts.Limits.MaxMessage)
	c := newConn(r.Context(), ws, readOnly)
	p, err := s.hub.join(id, c)
	if err != nil {
		s.opts.Log.Error("join pad", "pad", id, "err", err)
		c.fail(errPadClosed)
		return
	}
	c.serve(p)
}
