package pads

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/coopbox/coopbox/services/locale"
	"github.com/coopbox/coopbox/services/page"
	"github.com/coopbox/coopbox/services/person"
)

// The pages: templates and messages beside the code, the bundle built by
// esbuild into web/dist (make bundle). A fresh clone without the bundle still
// compiles (web/dist holds a placeholder); its pages then say the bundle is
// missing instead of loading a script that does not exist.
//
//go:embed web/messages.json web/list.html web/pad.html web/history.html web/version.html web/dist
var web embed.FS

// assets are the bundle's files with their content hashes: pages link them
// as /pads/static/NAME?v=HASH, which may be cached for a year, since a new
// build changes the hash and so the address.
type assets struct {
	fsys   fs.FS
	hashes map[string]string
	gz     map[string][]byte // gzipped once at start: the editor is 500 KB, 165 KB gzipped
}

func loadAssets() (*assets, error) {
	dist, err := fs.Sub(web, "web/dist")
	if err != nil {
		return nil, err
	}
	a := &assets{fsys: dist, hashes: map[string]string{}, gz: map[string][]byte{}}
	err = fs.WalkDir(dist, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(dist, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		a.hashes[name] = hex.EncodeToString(sum[:6])
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(data)
		if err := zw.Close(); err != nil {
			return err
		}
		a.gz[name] = buf.Bytes()
		return nil
	})
	return a, err
}

// url is the address of a bundle file, or "" when it was not built.
func (a *assets) url(name string) string {
	h, ok := a.hashes[name]
	if !ok {
		return ""
	}
	return "/pads/static/" + name + "?v=" + h
}

func (a *assets) built() bool { return a.hashes["pad.js"] != "" && a.hashes["list.js"] != "" }

func (a *assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	h, ok := a.hashes[name]
	if !ok || strings.Contains(name, "/") || path.Ext(name) == ".txt" {
		http.NotFound(w, r)
		return
	}
	if r.URL.Query().Get("v") == h {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	w.Header().Set("Vary", "Accept-Encoding")
	if gz := a.gz[name]; gz != nil && acceptsGzip(r) {
		w.Header().Set("ETag", `"`+h+`-gz"`)
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Type", mime.TypeByExtension(path.Ext(name)))
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(gz))
		return
	}
	w.Header().Set("ETag", `"`+h+`"`)
	http.ServeFileFS(w, r, a.fsys, name)
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.TrimSpace(enc) == "gzip" && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// pages holds the parsed templates.
type pages struct {
	list, pad, history, version *template.Template
}

func parsePages(a *assets) (*pages, error) {
	funcs := template.FuncMap{"asset": a.url, "built": a.built}
	list, err := page.Parse(web, "web/list.html", funcs)
	if err != nil {
		return nil, err
	}
	pad, err := page.Parse(web, "web/pad.html", funcs)
	if err != nil {
		return nil, err
	}
	history, err := page.Parse(web, "web/history.html", funcs)
	if err != nil {
		return nil, err
	}
	version, err := page.Parse(web, "web/version.html", funcs)
	if err != nil {
		return nil, err
	}
	return &pages{list: list, pad: pad, history: history, version: version}, nil
}

func (s *Service) printer(r *http.Request) *locale.Printer {
	return s.opts.Catalog.Printer(locale.Choose(r))
}

func (s *Service) render(w http.ResponseWriter, r *http.Request, status int, t *template.Template, p *locale.Printer, data any) {
	page.Render(w, r, s.opts.Log, status, t, page.Data{Printer: p, BoxName: s.opts.BoxName(), Data: data})
}

// scriptStrings are the messages the scripts show, in the page's language,
// handed over in a JSON data block (not a script: the CSP allows it).
func scriptStrings(p *locale.Printer, keys ...string) map[string]string {
	out := make(map[string]string, len(keys))
	for _, k := range keys {
		out[strings.TrimPrefix(k, "pads.js.")] = p.T(k)
	}
	return out
}

// padPage is what the editor page's template receives.
type padPage struct {
	Title    string
	Room     string // the id the WebSocket joins: the pad id, or its read-only id
	PadID    string // empty on a read-only link
	ReadOnly bool
	Locked   bool
	Me       *person.Person
	Strings  map[string]string
	Missing  string // the message key saying why there is no pad to show
}

var padScriptKeys = []string{
	"pads.js.connecting", "pads.js.offline", "pads.js.connected", "pads.js.saved", "pads.js.readonly",
	"pads.js.lockedNotice", "pads.js.you", "pads.js.linkPrompt", "pads.js.nobody", "pads.js.unknownAuthor",
	"pads.js.gone",
}

// editorPage serves the editor for a pad id (read and write, unless locked)
// or a read-only id.
func (s *Service) editorPage(readOnlyLink bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := s.printer(r)
		who := person.FromContext(r.Context())
		if !who.IsParticipant() {
			http.Redirect(w, r, page.JoinURL(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		room := r.PathValue("id")
		id := room
		var err error
		if readOnlyLink {
			id, err = s.st.byReadID(room)
		}
		var m padMeta
		if err == nil {
			m, err = s.st.meta(id)
		}
		switch {
		case errors.Is(err, errNoPad):
			s.render(w, r, http.StatusNotFound, s.pages.pad, p, padPage{Missing: "pads.missing"})
			return
		case err != nil:
			s.opts.Log.Error("pad page", "pad", id, "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		case m.Trashed:
			s.render(w, r, http.StatusGone, s.pages.pad, p, padPage{Missing: "pads.gone"})
			return
		}
		d := padPage{Title: m.Title, Room: room, ReadOnly: readOnlyLink || (m.Locked && !who.IsFacilitator()),
			Locked: m.Locked, Me: who, Strings: scriptStrings(p, padScriptKeys...)}
		if !readOnlyLink {
			d.PadID = m.ID
		}
		s.render(w, r, http.StatusOK, s.pages.pad, p, d)
	}
}

var listScriptKeys = []string{
	"pads.js.open", "pads.js.rename", "pads.js.save", "pads.js.cancel", "pads.js.trash", "pads.js.restore",
	"pads.js.copyLink", "pads.js.copied", "pads.js.lock", "pads.js.unlock", "pads.js.locked",
	"pads.js.empty", "pads.js.emptyTrash", "pads.js.noMatch", "pads.js.updated", "pads.js.by",
	"pads.js.newTitle", "pads.js.error", "pads.js.readLink", "pads.js.renamed", "pads.js.trashed",
	"pads.js.restored", "pads.js.lockedDone", "pads.js.unlockedDone", "pads.js.count",
}

// listPage serves the pad list; its script fills it from the API.
func (s *Service) listPage(w http.ResponseWriter, r *http.Request) {
	who := person.FromContext(r.Context())
	if !who.IsParticipant() {
		http.Redirect(w, r, page.JoinURL("/pads/"), http.StatusSeeOther)
		return
	}
	p := s.printer(r)
	s.render(w, r, http.StatusOK, s.pages.list, p, map[string]any{
		"Facilitator": who.IsFacilitator(),
		"Trash":       r.URL.Query().Get("trash") == "1",
		"Strings":     scriptStrings(p, listScriptKeys...),
	})
}
