package page

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coopbox/coopbox/services/locale"
	"github.com/coopbox/coopbox/services/person"
	bolt "go.etcd.io/bbolt"
)

// Mount is how a service plugs into the box: the box keeps one list of them
// and loops over it to open the services, route to them, close them before a
// restore, draw their cards on the landing page and check their buckets.
//
// One name per service: Name is the service's URL (/Name/ for pages,
// /api/Name and /api/Name/ for its API), its bbolt bucket, and the key of its
// landing-page card (messages space.Name and space.Name.desc, which its
// catalog must hold).
type Mount struct {
	Name string
	// Schema is the version of the layout of the service's bucket, kept in
	// the bucket under the key "schema". The box refuses to start on, or to
	// restore, a database whose bucket is newer; a service that changes its
	// layout bumps Schema and migrates in Open.
	Schema int
	// Messages adds the service's messages (French and English) to the
	// box's catalog. The box calls it once, at start.
	Messages func(*locale.Catalog) error
	// BodyLimits names the routes (exact paths) whose request bodies may
	// exceed the box's default limit of 64 KiB, with their own limit.
	BodyLimits map[string]int64
	// Open builds the service on the box's database. The box calls it at
	// start and again after a restore, each time on a freshly opened file.
	Open func(Env) (Service, error)
}

// Service is a mounted service. If it also has a method Run(context.Context),
// the box runs it in a goroutine of its own for the service's life and
// cancels its context before Close.
type Service interface {
	http.Handler
	// Close ends the service's long-lived connections and writes what it
	// holds in memory. The box calls it before a restore and at shutdown,
	// then closes the database. The box also cancels the context of every
	// WebSocket and event stream when a restore starts, so a connection that
	// follows its request's context ends even if Close forgets it.
	Close() error
}

// Env is what the box gives a service: its database, logger and clock, and
// the box-wide pieces every service shares.
type Env struct {
	DB  *bolt.DB
	Log *slog.Logger
	// Now is the box's clock (it never runs back below its floor; see the
	// appliance's clock).
	Now func() time.Time
	// Limit wraps handlers that create data with the box's per-address rate
	// limit (only unsafe methods count).
	Limit func(http.Handler) http.Handler
	// Catalog holds the layout's messages and every mounted service's.
	Catalog *locale.Catalog
	// BoxName is the name given at claim, for page headers.
	BoxName func() string
	// Peer returns another mounted service, opened before this one (the
	// order of the mounts list), or nil. A service never imports another:
	// it asserts the peer to an interface of its own, with methods of plain
	// types (the meeting writes its minutes into a pad this way). The box
	// reopens every service after a restore, so a peer is only good until
	// the service's own Close.
	Peer func(name string) Service
}

// Defaults fills in what a test may leave out: a discarding logger, the
// system clock, no rate limit, the name "coopbox", and a catalog of the
// layout's messages and those messages adds (the service's own).
func (e Env) Defaults(messages func(*locale.Catalog) error) (Env, error) {
	if e.Log == nil {
		e.Log = slog.New(slog.DiscardHandler)
	}
	if e.Now == nil {
		e.Now = time.Now
	}
	if e.Limit == nil {
		e.Limit = func(h http.Handler) http.Handler { return h }
	}
	if e.BoxName == nil {
		e.BoxName = func() string { return "coopbox" }
	}
	if e.Peer == nil {
		e.Peer = func(string) Service { return nil }
	}
	if e.Catalog == nil {
		e.Catalog = locale.New()
		if err := LoadMessages(e.Catalog); err != nil {
			return e, err
		}
		if err := messages(e.Catalog); err != nil {
			return e, err
		}
	}
	return e, nil
}

// Runner is a service with background work (see Service).
type Runner interface {
	Run(ctx context.Context)
}

// JSON writes v as the body of a JSON answer.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// JSONError is the box's error shape, for every API of every service:
// {"error": "human message", "code": "machine_code"} with the HTTP status.
func JSONError(w http.ResponseWriter, status int, code, msg string) {
	JSON(w, status, map[string]string{"error": msg, "code": code})
}

// Error answers an error as JSON to APIs (/api/…) and to clients that ask for
// JSON, and as a short text otherwise.
func Error(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	if wantsJSON(r) {
		JSONError(w, status, code, msg)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	w.Write([]byte(msg + "\n"))
}

func wantsJSON(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/") || strings.Contains(r.Header.Get("Accept"), "application/json")
}

// JoinURL is the page where a person picks a display name, coming back to
// next (a path on the box) afterwards.
func JoinURL(next string) string { return "/join?next=" + url.QueryEscape(next) }

// SigninURL is the facilitators' sign-in page, coming back to next.
func SigninURL(next string) string { return "/signin?next=" + url.QueryEscape(next) }

// ParticipantsOnly lets through whoever has picked a display name. Pages
// (GET outside /api/) send the others to JoinURL; APIs and WebSockets answer
// 401 join_first.
func ParticipantsOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if person.FromContext(r.Context()).IsParticipant() {
			h.ServeHTTP(w, r)
			return
		}
		if isPage(r) {
			http.Redirect(w, r, JoinURL(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		JSONError(w, http.StatusUnauthorized, "join_first", "pick a display name first")
	})
}

// FacilitatorsOnly lets through facilitators only: the server decides,
// whatever a page showed. Pages send the others to SigninURL; the rest
// answers 403 forbidden.
func FacilitatorsOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if person.FromContext(r.Context()).IsFacilitator() {
			h.ServeHTTP(w, r)
			return
		}
		if isPage(r) {
			http.Redirect(w, r, SigninURL(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		Error(w, r, http.StatusForbidden, "forbidden", "facilitators only")
	})
}

// isPage tells a page a person navigates to from an API call or a WebSocket.
func isPage(r *http.Request) bool {
	return r.Method == http.MethodGet && !strings.HasPrefix(r.URL.Path, "/api/") && r.Header.Get("Upgrade") == ""
}
