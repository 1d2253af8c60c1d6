package page

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/coopbox/coopbox/services/locale"
)

// What every service's skeleton needs, written once.

// LoadMessageFiles adds to cat every messages file of fsys matching
// pattern (a service keeps one file per part: messages.json,
// messages_roll.json…).
func LoadMessageFiles(cat *locale.Catalog, fsys fs.FS, pattern string) error {
	files, err := fs.Glob(fsys, pattern)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no messages file matches %s", pattern)
	}
	for _, f := range files {
		if err := cat.Load(fsys, f); err != nil {
			return err
		}
	}
	return nil
}

// Pages are a service's page templates, each parsed once inside the layout,
// named by their file name without ".html".
type Pages struct {
	env Env
	t   map[string]*template.Template
}

// ParsePages parses every file of fsys matching pattern (say
// "web/*.html"); every page may use the templates of the files matching
// shared (a part's blocks), "" for none.
func ParsePages(env Env, fsys fs.FS, pattern, shared string, funcs template.FuncMap) (*Pages, error) {
	files, err := fs.Glob(fsys, pattern)
	if err != nil {
		return nil, err
	}
	out := &Pages{env: env, t: map[string]*template.Template{}}
	for _, name := range files {
		if ok, _ := path.Match(shared, name); ok {
			continue // a part's blocks, parsed with each page
		}
		t, err := Parse(fsys, name, funcs)
		if err != nil {
			return nil, err
		}
		if shared != "" {
			if t, err = t.ParseFS(fsys, shared); err != nil {
				return nil, fmt.Errorf("template %s with %s: %w", name, shared, err)
			}
		}
		base := name[strings.LastIndex(name, "/")+1:]
		out.t[strings.TrimSuffix(base, ".html")] = t
	}
	return out, nil
}

// Render writes the page named name with data, in the asker's language.
func (p *Pages) Render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	t, ok := p.t[name]
	if !ok {
		p.env.Log.Error("no such template", "template", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	pr := p.env.Catalog.Printer(locale.Choose(r))
	Render(w, r, p.env.Log, status, t, Data{Printer: pr, BoxName: p.env.BoxName(), Data: data})
}

// Bundle serves a service's built scripts and styles (dir of fsys, built
// by esbuild: make bundle), never its placeholder text or dotfiles, to be
// revalidated at each load (the names carry no hash).
func Bundle(fsys fs.FS, dir string) http.Handler {
	dist, _ := fs.Sub(fsys, dir)
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

// NewID is a random id of n bytes, base64url: 9 bytes for records, 16 for
// secrets.
func NewID(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // never fails on Linux (Go 1.24+)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
