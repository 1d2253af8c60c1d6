package decide

import (
	"errors"
	"html/template"
	"net/http"
	"strings"

	"github.com/coopbox/coopbox/services/page"
	bolt "go.etcd.io/bbolt"
)

// Member links (PROTOCOL.md, "People and rights"): /decide/m/{token}, a
// 128-bit random token stored as its SHA-256 only. Opening it shows the
// member's name and one button; pressing it binds this browser (the
// "member" cookie) and spends the link. The two steps keep a phone's link
// preview, or anything else that merely fetches the address, from spending
// it.

// memberCookie is the name of the cookie of bound browsers. Its value
// lists "assemblyID.secret" pairs, newest first, joined by "~": one
// browser may be a member of several assemblies.
const memberCookie = "member"

// maxBindings bounds the pairs one browser keeps.
const maxBindings = 8

type binding struct{ assembly, secret string }

// memberCookies reads the bindings of the member cookie.
func memberCookies(r *http.Request) []binding {
	c, err := r.Cookie(memberCookie)
	if err != nil || len(c.Value) > 1024 {
		return nil
	}
	var out []binding
	for _, pair := range strings.Split(c.Value, "~") {
		a, sec, ok := strings.Cut(pair, ".")
		if ok && a != "" && sec != "" {
			out = append(out, binding{a, sec})
		}
	}
	return out
}

// setMemberCookie adds a binding to the browser's cookie, replacing an
// older one of the same assembly.
func setMemberCookie(w http.ResponseWriter, r *http.Request, assemblyID, secret string) {
	pairs := []string{assemblyID + "." + secret}
	for _, b := range memberCookies(r) {
		if b.assembly != assemblyID && len(pairs) < maxBindings {
			pairs = append(pairs, b.assembly+"."+b.secret)
		}
	}
	// Path "/": the member's pages are under /decide/ but what they send
	// (ballots, delegations, blind-signing) goes to /api/decide/; a cookie
	// of path /decide/ left a bound phone unable to vote.
	http.SetCookie(w, &http.Cookie{Name: memberCookie, Value: strings.Join(pairs, "~"), Path: "/",
		MaxAge: 30 * 24 * 3600, HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
}

// linkPage: GET /decide/m/{token}: who the link is for, and the button
// that binds this browser. Anyone may open it: the token is the right.
func (s *Service) linkPage(w http.ResponseWriter, r *http.Request) {
	l, m, err := s.st.peekLink(r.PathValue("token"))
	d := struct {
		Token, Name, Assembly, Title string
		Used                         bool
	}{Token: r.PathValue("token")}
	status := http.StatusOK
	switch {
	case err != nil:
		status = http.StatusNotFound
	case l.Used:
		if bound, ok := s.member(r, l.Assembly); ok && bound.ID == m.ID {
			http.Redirect(w, r, "/decide/a/"+l.Assembly+"/", http.StatusSeeOther)
			return
		}
		status, d.Used = http.StatusGone, true
	default:
		d.Name, d.Assembly = m.Name, l.Assembly
		if a, err := s.st.assembly(l.Assembly); err == nil {
			d.Title = a.Title
		}
	}
	w.Header().Set("Referrer-Policy", "no-referrer")
	s.render(w, r, status, "member", d)
}

// bindLink: POST /decide/m/{token}: binds this browser to the link's
// member and spends the link; then the assembly's page.
func (s *Service) bindLink(w http.ResponseWriter, r *http.Request) {
	l, _, secret, err := s.st.bindBrowser(r.PathValue("token"))
	if err != nil {
		if !errors.Is(err, errNotFound) && !errors.Is(err, errLinkUsed) {
			s.opts.Log.Error("bind member link", "err", err)
		}
		s.linkPage(w, r)
		return
	}
	setMemberCookie(w, r, l.Assembly, secret)
	http.Redirect(w, r, "/decide/a/"+l.Assembly+"/", http.StatusSeeOther)
}

// linkAnswer is a freshly issued link, for the desk to show full screen.
type linkAnswer struct {
	Member string        `json:"member"`
	Name   string        `json:"name"`
	URL    string        `json:"url"`
	QR     template.HTML `json:"qr"` // SVG
}

// reissueLink: POST /api/decide/a/{id}/members/{mid}/link (facilitators):
// a new link for the member, revoking the old one and every browser bound
// through it; answered with its address and QR code for the member to scan
// at the desk.
func (s *Service) reissueLink(w http.ResponseWriter, r *http.Request) {
	id, mid := r.PathValue("id"), r.PathValue("mid")
	links, err := s.issueLinks(id, []string{mid})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	m := links[0]
	u := linkURL(r, m.token)
	qr, err := drawQR(u, s.printer(r).T("roll.card.qrLabel", m.member.Name))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page.JSON(w, http.StatusOK, linkAnswer{Member: mid, Name: m.member.Name, URL: u, QR: qr})
}

type issued struct {
	member Member
	token  string
}

// issueLinks issues new links for members ids of an assembly, in one
// transaction, in the order given.
func (s *Service) issueLinks(id string, ids []string) ([]issued, error) {
	var out []issued
	err := s.change(id, func(tx *bolt.Tx, a *bolt.Bucket, e *assemblyRoll) error {
		out = out[:0]
		for _, mid := range ids {
			i, ok := e.index[mid]
			if !ok {
				return errNotFound
			}
			token, err := issueLink(tx, id, a, mid)
			if err != nil {
				return err
			}
			m := e.members[i]
			m.LinkGen++
			out = append(out, issued{m, token})
		}
		// The members' LinkGen changed: the roll reloads them.
		e.forget()
		return nil
	})
	return out, err
}

// linkURL is the address of a member link on this box, as the facilitator
// reached it.
func linkURL(r *http.Request, token string) string {
	return boxURL(r, "/decide/m/"+token)
}

// boxURL is the address of path on the box as the asker reached it, for
// QR codes: member links and ballot cards alike.
func boxURL(r *http.Request, path string) string {
	scheme := "https"
	if r.TLS == nil {
		scheme = "http" // tests on loopback; the box serves pages over HTTPS only
	}
	return scheme + "://" + r.Host + path
}
