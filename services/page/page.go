// Package page is the frame every HTML page of the box shares: the layout
// (header with the box's name, who is signed in, the language switch; the
// footer), the stylesheet and the small script, and the data a template
// receives. The appliance and every service render their pages through it,
// so the box looks and behaves as one thing.
//
// A page template defines "main" and may redefine "title" and "nav"; Parse
// adds the layout around it.
package page

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/coopbox/coopbox/services/locale"
	"github.com/coopbox/coopbox/services/person"
)

//go:embed layout.html messages.json static
var files embed.FS

// ContentSecurityPolicy is the box's, on every response (the appliance sets
// it; services' browser tests serve their pages with it too, so that they
// meet the same refusals): only the box itself, no CDN, no inline script or
// style, no framing. connect-src 'self' covers same-origin WebSocket (wss:).
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; " +
	"form-action 'self'; frame-ancestors 'none'"

// Data is what every template receives.
type Data struct {
	*locale.Printer
	BoxName string
	Me      *person.Person
	Path    string
	Error   string // already translated
	Data    any
}

// LoadMessages adds the layout's messages to cat.
func LoadMessages(cat *locale.Catalog) error { return cat.Load(files, "messages.json") }

// Parse returns the template of the page file of fsys inside the layout, with
// the functions every page may use (date) and those given.
func Parse(fsys fs.FS, file string, funcs template.FuncMap) (*template.Template, error) {
	all := template.FuncMap{
		"date": func(p *locale.Printer, t time.Time) string { return FormatDate(p.Lang(), t) },
	}
	for k, v := range funcs {
		all[k] = v
	}
	t, err := template.New("layout").Funcs(all).ParseFS(files, "layout.html")
	if err != nil {
		return nil, err
	}
	if t, err = t.ParseFS(fsys, file); err != nil {
		return nil, fmt.Errorf("template %s: %w", file, err)
	}
	return t, nil
}

// Render writes t with d, filling in who is asking and the path. A template
// error is logged and answered with a plain 500.
func Render(w http.ResponseWriter, r *http.Request, log *slog.Logger, status int, t *template.Template, d Data) {
	d.Me = person.FromContext(r.Context())
	d.Path = r.URL.Path
	var buf strings.Builder
	if err := t.ExecuteTemplate(&buf, "layout", d); err != nil {
		log.Error("render", "template", t.Name(), "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	io.WriteString(w, buf.String())
}

// Static serves the shared stylesheet, script and icon; mount it at /static/.
func Static() http.Handler {
	static, _ := fs.Sub(files, "static")
	h := http.FileServerFS(static)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.ServeHTTP(w, r)
	})
}

var frMonths = []string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}

// FormatDate writes a date and time the way each language reads it.
func FormatDate(lang string, t time.Time) string {
	t = t.Local()
	if lang == "fr" {
		return fmt.Sprintf("%d %s %d à %02d:%02d", t.Day(), frMonths[t.Month()-1], t.Year(), t.Hour(), t.Minute())
	}
	return t.Format("2 January 2006, 15:04")
}
