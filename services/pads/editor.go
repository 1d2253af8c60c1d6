package pads

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"
	"github.com/coopbox/coopbox/services/locale"
	"github.com/coopbox/coopbox/services/page"
	"github.com/coopbox/coopbox/services/person"
)

// Schema is the version of the layout of the "pads" bucket (store.go).
const Schema = 1

// Mount plugs the pads into the box: URL /pads/ and /api/pads, bucket "pads".
func Mount() page.Mount {
	return page.Mount{
		Name:       "pads",
		Schema:     Schema,
		Messages:   LoadMessages,
		BodyLimits: map[string]int64{"/api/pads/import": maxImportBody},
		Open:       func(env page.Env) (page.Service, error) { return New(Options{Env: env}) },
	}
}

// LoadMessages adds the pads' messages (web/messages.json) to cat.
func LoadMessages(cat *locale.Catalog) error { return cat.Load(web, "web/messages.json") }

// Options are what the box gives the pads, and the pads' own limits.
type Options struct {
	page.Env
	Limits Limits
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

// New opens the pads' bucket and returns the service. A nil Catalog (tests)
// gets one of the layout's and the pads' messages.
func New(opts Options) (*Service, error) {
	if opts.Limits == (Limits{}) {
		opts.Limits = DefaultLimits
	}
	var err error
	if opts.Env, err = opts.Env.Defaults(LoadMessages); err != nil {
		return nil, err
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
	s.mux.Handle("GET /pads/ws/{id}", page.ParticipantsOnly(http.HandlerFunc(s.websocket)))
	s.mux.Handle("GET /pads/{id}/export/{format}", page.ParticipantsOnly(http.HandlerFunc(s.export)))
	s.mux.HandleFunc("GET /pads/{id}/history/{$}", s.historyList)
	s.mux.Handle("POST /pads/{id}/history/{$}", opts.Limit(http.HandlerFunc(s.nameVersion)))
	s.mux.HandleFunc("GET /pads/{id}/history/{seq}", s.showVersion)
	s.mux.Handle("POST /pads/{id}/history/{seq}/restore", opts.Limit(http.HandlerFunc(s.restoreVersion)))
	// API (PROTOCOL.md).
	s.mux.Handle("GET /api/pads", page.ParticipantsOnly(http.HandlerFunc(s.list)))
	s.mux.Handle("POST /api/pads", page.ParticipantsOnly(opts.Limit(http.HandlerFunc(s.create))))
	s.mux.Handle("POST /api/pads/import", page.ParticipantsOnly(opts.Limit(http.HandlerFunc(s.importPad))))
	s.mux.Handle("GET /api/pads/{id}", page.ParticipantsOnly(http.HandlerFunc(s.get)))
	s.mux.Handle("PATCH /api/pads/{id}", page.ParticipantsOnly(opts.Limit(http.HandlerFunc(s.rename))))
	s.mux.Handle("POST /api/pads/{id}/trash", page.ParticipantsOnly(opts.Limit(s.setFlag("trashed", true))))
	s.mux.Handle("POST /api/pads/{id}/restore", page.ParticipantsOnly(opts.Limit(s.setFlag("trashed", false))))
	s.mux.Handle("POST /api/pads/{id}/lock", page.ParticipantsOnly(opts.Limit(s.setFlag("locked", true))))
	s.mux.Handle("POST /api/pads/{id}/unlock", page.ParticipantsOnly(opts.Limit(s.setFlag("locked", false))))
	return s, nil
}

func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Close disconnects every client and folds every open pad's log into its
// snapshot. The box calls it before closing the database.
func (s *Service) Close() error {
	s.hub.close()
	return nil
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
		page.JSONError(w, http.StatusBadRequest, "bad_json", "malformed request")
		return
	}
	title, err := cleanTitle(in.Title)
	if err != nil {
		page.JSONError(w, http.StatusBadRequest, "bad_title", err.Error())
		return
	}
	var initial []byte
	if in.Template != "" && in.Template != "blank" {
		if initial, err = templateUpdate(in.Template, locale.Choose(r).String()); err != nil {
			page.JSONError(w, http.StatusBadRequest, "bad_template", "templates: blank, ag, charter")
			return
		}
	}
	s.newPad(w, r, title, in.Template, initial)
}

// newPad stores a pad with its first update and answers 201 with it.
func (s *Service) newPad(w http.ResponseWriter, r *http.Request, title, template string, initial []byte) {
	who := person.FromContext(r.Context())
	m, err := s.addPad(who, title, template, initial)
	if err != nil {
		s.opts.Log.Error("create pad", "err", err)
		page.JSONError(w, http.StatusInternalServerError, "internal", "could not create the pad")
		return
	}
	page.JSON(w, http.StatusCreated, s.view(who, m))
}

// addPad stores a new pad made by who, with its first update.
func (s *Service) addPad(who *person.Person, title, template string, initial []byte) (padMeta, error) {
	now := s.opts.Now()
	m := padMeta{ID: newID(9), ReadID: newID(12), Title: title, Template: template, CreatedBy: who.Name, Created: now, Updated: now}
	err := s.setCreator(m.ID, who.ID)
	if err == nil {
		err = s.st.create(m, initial)
	}
	return m, err
}

// list answers the pads not in the trash (?trash=1: those in the trash),
// most recently updated first; ?q= keeps those whose title or text holds
// every word of q.
func (s *Service) list(w http.ResponseWriter, r *http.Request) {
	who := person.FromContext(r.Context())
	all, err := s.st.list()
	if err != nil {
		s.opts.Log.Error("list pads", "err", err)
		page.JSONError(w, http.StatusInternalServerError, "internal", "could not list the pads")
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
	page.JSON(w, http.StatusOK, out)
}

func (s *Service) get(w http.ResponseWriter, r *http.Request) {
	who := person.FromContext(r.Context())
	m, err := s.st.meta(r.PathValue("id"))
	if err != nil {
		page.JSONError(w, http.StatusNotFound, "no_pad", "no such pad")
		return
	}
	page.JSON(w, http.StatusOK, s.view(who, m))
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
		page.JSONError(w, http.StatusNotFound, "no_pad", "no such pad")
		return
	}
	if m.Trashed {
		page.JSONError(w, http.StatusGone, "trashed", "this pad is in the trash")
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
