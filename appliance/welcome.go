package appliance

import (
	"net"
	"net/http"
	"strconv"

	pagekit "github.com/coopbox/coopbox/services/page"
)

// welcomeRoutes is all that plain HTTP serves: a page that explains the
// browser's one-time warning, shows the CA's fingerprint, offers the CA for
// install and links to HTTPS. It never serves application data: every other
// path leads back to the welcome page.
func (b *Box) welcomeRoutes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.StripPrefix("/static/", pagekit.Static()))
	mux.HandleFunc("GET /{$}", b.welcomePage)
	mux.HandleFunc("GET /ca.crt", b.caCert)
	mux.HandleFunc("GET /coopbox.mobileconfig", b.mobileConfig)
	mux.Handle("POST /lang", b.create.limit(http.HandlerFunc(b.setLang)))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/", http.StatusFound)
	})
	return secureHeaders(http.NewCrossOriginProtection().Handler(limitBody(1<<10, nil, mux)))
}

// httpsURL is the HTTPS address of the box under the name the visitor used.
func (b *Box) httpsURL(r *http.Request) string {
	host := r.Host
	if h, _, err := net.SplitHostPort(r.Host); err == nil {
		host = h
	}
	if host == "" {
		host = b.cfg.Hostname + ".local"
	}
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		host = "[" + host + "]"
	}
	port := portOf(b.HTTPSAddr())
	if port != 443 {
		host += ":" + strconv.Itoa(port)
	}
	return "https://" + host + "/"
}

func (b *Box) welcomePage(w http.ResponseWriter, r *http.Request) {
	b.render(w, r, http.StatusOK, "welcome", page{Data: map[string]string{
		"HTTPS":       b.httpsURL(r),
		"Fingerprint": b.certs.Load().Fingerprint(),
	}})
}
