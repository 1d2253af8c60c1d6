package appliance

import (
	"crypto/x509"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coopbox/coopbox/appliance/backup"
	"github.com/coopbox/coopbox/services/locale"
	pagekit "github.com/coopbox/coopbox/services/page"
	qrcode "github.com/skip2/go-qrcode"
)

//go:embed web
var webFS embed.FS

// page is what every template receives.
type page = pagekit.Data

// parseTemplates parses each page of web/ inside the shared layout.
func parseTemplates(qr *qrCache) (map[string]*template.Template, error) {
	funcs := template.FuncMap{"qr": qr.svg, "bytes": backup.HumanSize}
	files, err := fs.Glob(webFS, "web/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, name := range files {
		t, err := pagekit.Parse(webFS, name, funcs)
		if err != nil {
			return nil, err
		}
		out[strings.TrimSuffix(strings.TrimPrefix(name, "web/"), ".html")] = t
	}
	return out, nil
}

// qrCache keeps the QR codes drawn lately: the addresses on the landing page
// change rarely, and drawing one costs more than the rest of the page
// (BenchmarkLandingPage: 846 µs a page without the cache, 197 µs with it).
type qrCache struct {
	mu sync.Mutex
	m  map[string]template.HTML
}

// svg returns text as a QR code in SVG.
func (c *qrCache) svg(text string) (template.HTML, error) {
	c.mu.Lock()
	svg, ok := c.m[text]
	c.mu.Unlock()
	if ok {
		return svg, nil
	}
	svg, err := drawQR(text)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= 64 {
		c.m = map[string]template.HTML{}
	}
	c.m[text] = svg
	c.mu.Unlock()
	return svg, nil
}

// drawQR draws text as a QR code in SVG, one path, crisp at any print size.
func drawQR(text string) (template.HTML, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return "", err
	}
	bm := q.Bitmap()
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="qr" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges" role="img" aria-label="QR code: %s"><rect width="100%%" height="100%%" fill="#fff"/><path fill="#000" d="`,
		len(bm), len(bm), template.HTMLEscapeString(text))
	for y, row := range bm {
		for x, on := range row {
			if on {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x, y)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	return template.HTML(b.String()), nil
}

func writeJSON(w http.ResponseWriter, status int, v any) { pagekit.JSON(w, status, v) }

// render writes the page named name.
func (b *Box) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	t, ok := b.templates[name]
	if !ok {
		b.log.Error("no such template", "template", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if p.Printer == nil {
		p.Printer = b.printer(r)
	}
	if p.BoxName == "" {
		p.BoxName = b.boxName()
	}
	pagekit.Render(w, r, b.log, status, t, p)
}

func (b *Box) printer(r *http.Request) *locale.Printer { return b.catalog.Printer(locale.Choose(r)) }

// boxName is the name given at claim, or the hostname before.
func (b *Box) boxName() string {
	v, err := b.st.setting("name")
	if err != nil || len(v) == 0 {
		return b.cfg.Hostname
	}
	return string(v)
}

// errorKey maps an error people caused to a catalog key and an HTTP status:
// the one place where domain errors meet HTTP.
func errorKey(err error) (key string, status int) {
	switch {
	case errors.Is(err, errBadName):
		return "err.name", http.StatusBadRequest
	case errors.Is(err, errNameTaken):
		return "err.name_taken", http.StatusConflict
	case errors.Is(err, errShortPassphrase):
		return "err.passphrase_short", http.StatusBadRequest
	case errors.Is(err, errPassphraseMatch):
		return "err.passphrase_match", http.StatusBadRequest
	case errors.Is(err, errBadCredentials):
		return "err.credentials", http.StatusUnauthorized
	case errors.Is(err, errBadClaimCode):
		return "err.claim_code", http.StatusForbidden
	case errors.Is(err, errShortUpdatePassword):
		return "err.update_password_short", http.StatusBadRequest
	case errors.Is(err, errUpdatePasswordReused):
		return "err.update_password_reused", http.StatusBadRequest
	case errors.Is(err, errAlreadyClaimed):
		return "err.claimed", http.StatusConflict
	case errors.Is(err, errBadInvite):
		return "err.invite", http.StatusNotFound
	case errors.Is(err, errForbidden):
		return "err.forbidden", http.StatusForbidden
	case errors.Is(err, backup.ErrInvalid), errors.Is(err, backup.ErrTooLarge):
		return "err.backup", http.StatusBadRequest
	case errors.Is(err, backup.ErrPending):
		return "err.restore_pending", http.StatusConflict
	case errors.Is(err, errNotFound):
		return "err.not_found", http.StatusNotFound
	}
	return "err.internal", http.StatusInternalServerError
}

// fail renders page name again with the message of err.
func (b *Box) fail(w http.ResponseWriter, r *http.Request, name string, err error, data any) {
	key, status := errorKey(err)
	if status == http.StatusInternalServerError {
		b.log.Error("request failed", "path", r.URL.Path, "err", err)
	}
	p := b.printer(r)
	b.render(w, r, status, name, page{Printer: p, Error: p.T(key), Data: data})
}

// localPath returns next if it is a path on this box, else "/": redirects
// after a form never leave the box.
func localPath(next string) string {
	u, err := url.Parse(next)
	if err != nil || next == "" || u.IsAbs() || u.Host != "" || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(next, "//") || strings.Contains(next, `\`) {
		return "/"
	}
	return u.RequestURI()
}

func seeOther(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, localPath(to), http.StatusSeeOther)
}

// adoptBrowserTime takes the time a facilitator's browser sent with a form
// (milliseconds since 1970) when the box's clock is unset.
func (b *Box) adoptBrowserTime(r *http.Request, by string) {
	ms, err := strconv.ParseInt(r.PostFormValue("browser_time"), 10, 64)
	if err != nil || ms <= 0 {
		return
	}
	t := time.UnixMilli(ms)
	if b.clock.Adopt(t, by) {
		b.log.Warn("clock was unset: adopted a facilitator's browser time", "time", t.UTC(), "by", by)
		b.st.setSetting("clock-set-by", []byte(by))
	}
}

// joinAddress is an address people type or scan to reach the box.
type joinAddress struct {
	URL   string
	Label string
}

// addresses are the box's join addresses now: the landing page, the card,
// the HDMI screen and the start-up log all show these.
func (b *Box) addresses() []joinAddress {
	ips, err := machineIPs()
	if err != nil {
		b.log.Debug("list addresses", "err", err)
	}
	return joinAddresses(b.httpsLn.Addr(), b.cfg.Hostname, b.cfg.MDNS, ips, b.certCovers)
}

// certCovers reports whether the current certificate is valid for host.
func (b *Box) certCovers(host string) bool {
	c, err := b.certs.Load().GetCertificate(nil)
	if err != nil || len(c.Certificate) == 0 {
		return false
	}
	leaf := c.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(c.Certificate[0]); err != nil {
			return false
		}
	}
	return leaf.VerifyHostname(host) == nil
}

// joinAddresses lists the addresses at which the HTTPS listener ln answers
// and that the certificate covers, the one to show first (in a QR code)
// first; the port is written when it is not 443.
//
//   - on loopback (make run: 127.0.0.1:8443): https://localhost:8443/ only,
//     the name the certificate carries for it;
//   - on every interface (the box: :443): <hostname>.local when mDNS
//     announces it, then the machine's IPv4 addresses (IPv6 ones are long to
//     type, and a phone on the venue's network has IPv4);
//   - on one address: that address.
//
// machine is the machine's addresses; covers tells whether the certificate
// is valid for a name or an address (a new address is left out until the
// certificate is re-issued for it, within ten seconds).
func joinAddresses(ln net.Addr, hostname string, mdns bool, machine []net.IP, covers func(host string) bool) []joinAddress {
	tcp, ok := ln.(*net.TCPAddr)
	if !ok {
		return nil
	}
	port := ""
	if tcp.Port != 443 {
		port = ":" + strconv.Itoa(tcp.Port)
	}
	var hosts []string
	switch {
	case tcp.IP.Equal(net.IPv4(127, 0, 0, 1)) || tcp.IP.Equal(net.IPv6loopback):
		hosts = []string{"localhost"}
	case tcp.IP == nil || tcp.IP.IsUnspecified():
		if mdns {
			hosts = append(hosts, hostname+".local")
		}
		for _, ip := range machine {
			if !ip.IsLoopback() && ip.To4() != nil {
				hosts = append(hosts, ip.String())
			}
		}
	default:
		hosts = []string{tcp.IP.String()}
	}
	var out []joinAddress
	for _, h := range hosts {
		if !covers(h) {
			continue
		}
		label := h
		if ip := net.ParseIP(h); ip != nil && ip.To4() == nil {
			h = "[" + h + "]"
		}
		out = append(out, joinAddress{URL: "https://" + h + port + "/", Label: label})
	}
	if len(out) == 0 && (tcp.IP == nil || tcp.IP.IsUnspecified()) && covers("localhost") {
		// No network yet, or only addresses the certificate may not name
		// (public ones): at least the machine itself.
		out = []joinAddress{{URL: "https://localhost" + port + "/", Label: "localhost"}}
	}
	return out
}

// requireFacilitator wraps h so that only facilitators reach it. The server
// decides, whatever the page showed.
func requireFacilitator(h http.HandlerFunc) http.HandlerFunc {
	return pagekit.FacilitatorsOnly(h).ServeHTTP
}
