package appliance

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	pagekit "github.com/coopbox/coopbox/services/page"

	"github.com/coopbox/coopbox/services/locale"
	"github.com/coopbox/coopbox/services/person"
)

// routes returns the HTTPS handler of the box: every route in one place.
func (b *Box) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.StripPrefix("/static/", pagekit.Static()))
	mux.HandleFunc("GET /healthz", b.healthz)

	mux.HandleFunc("GET /{$}", b.landing)
	mux.Handle("POST /lang", b.create.limit(http.HandlerFunc(b.setLang)))
	mux.HandleFunc("GET /claim", b.claimForm)
	mux.Handle("POST /claim", b.signin.limit(http.HandlerFunc(b.claim)))
	mux.HandleFunc("GET /signin", b.signinForm)
	mux.Handle("POST /signin", b.signin.limit(http.HandlerFunc(b.doSignin)))
	mux.HandleFunc("POST /signout", b.signout)
	mux.HandleFunc("GET /join", b.joinForm)
	mux.Handle("POST /join", b.create.limit(http.HandlerFunc(b.join)))
	mux.HandleFunc("GET /invite/{token}", b.inviteForm)
	mux.Handle("POST /invite/{token}", b.signin.limit(http.HandlerFunc(b.redeemInvite)))
	mux.HandleFunc("GET /card", b.card)
	mux.HandleFunc("GET /ca.crt", b.caCert)
	mux.HandleFunc("GET /coopbox.mobileconfig", b.mobileConfig)
	mux.HandleFunc("GET /api/me", b.apiMe)

	mountServices(mux, b.services)

	// Facilitators only.
	mux.HandleFunc("GET /facilitators", requireFacilitator(b.facilitators))
	mux.HandleFunc("POST /facilitators/invites", requireFacilitator(b.create.limit(http.HandlerFunc(b.createInvite)).ServeHTTP))
	mux.HandleFunc("POST /facilitators/invites/{id}/cancel", requireFacilitator(b.cancelInvite))
	mux.HandleFunc("POST /facilitators/{id}/revoke", requireFacilitator(b.revoke))
	mux.HandleFunc("GET /account", requireFacilitator(b.accountForm))
	mux.HandleFunc("POST /account/passphrase", requireFacilitator(b.signin.limit(http.HandlerFunc(b.changePassphrase)).ServeHTTP))
	mux.HandleFunc("GET /admin", requireFacilitator(b.admin))
	mux.HandleFunc("GET /api/status", requireFacilitator(b.apiStatus))
	mux.HandleFunc("GET /admin/backup", requireFacilitator(b.downloadBackup))
	mux.HandleFunc("POST /admin/restore", requireFacilitator(b.uploadRestore))
	mux.HandleFunc("POST /admin/update-password", requireFacilitator(b.signin.limit(http.HandlerFunc(b.changeUpdatePassword)).ServeHTTP))

	var h http.Handler = mux
	h = b.needsClaim(h)
	h = b.people.middleware(h)
	h = limitBody(64<<10, b.bigBodies, h)
	h = http.NewCrossOriginProtection().Handler(h)
	return secureHeaders(h)
}

// needsClaim leads every page to the claim form while the box has no owner.
func (b *Box) needsClaim(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/claim", "/healthz", "/lang", "/ca.crt", "/coopbox.mobileconfig":
			next.ServeHTTP(w, r)
			return
		}
		if len(r.URL.Path) > 8 && r.URL.Path[:8] == "/static/" {
			next.ServeHTTP(w, r)
			return
		}
		if ok, err := b.people.claimed(); err == nil && !ok {
			if r.Method == http.MethodGet {
				seeOther(w, r, "/claim")
				return
			}
			writeError(w, r, http.StatusConflict, "unclaimed", "this box has not been claimed yet")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (b *Box) healthz(w http.ResponseWriter, r *http.Request) {
	if _, err := b.st.setting("schema"); err != nil {
		writeError(w, r, http.StatusServiceUnavailable, "db", "database unavailable")
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

type landingData struct {
	Addresses []joinAddress
	Spaces    []space
	WiFi      string
}

// space is one service's card on the landing page.
type space struct {
	Key string // message keys space.<Key> and space.<Key>.desc
	URL string
}

func (b *Box) landing(w http.ResponseWriter, r *http.Request) {
	p := b.printer(r)
	b.render(w, r, http.StatusOK, "landing", page{Printer: p, Data: landingData{
		Addresses: b.addresses(),
		Spaces:    b.spaces(),
		WiFi:      b.cfg.WiFiName,
	}})
}

// spaces are the cards of the mounted services, in the order of mounts.
func (b *Box) spaces() []space {
	out := make([]space, len(b.mounts))
	for i, m := range b.mounts {
		out[i] = space{Key: m.Name, URL: "/" + m.Name + "/"}
	}
	return out
}

func (b *Box) setLang(w http.ResponseWriter, r *http.Request) {
	lang := r.PostFormValue("lang")
	if lang != "fr" && lang != "en" {
		lang = "fr"
	}
	http.SetCookie(w, &http.Cookie{Name: locale.Cookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
		Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	seeOther(w, r, r.PostFormValue("next"))
}

// claimData is what the claim form shows: what was typed, and on the
// appliance the update password (a fresh proposal, or what was typed).
type claimData struct {
	Box, Name, Code   string
	AskUpdatePassword bool
	UpdatePassword    string
}

func (b *Box) claimForm(w http.ResponseWriter, r *http.Request) {
	if ok, _ := b.people.claimed(); ok {
		seeOther(w, r, "/")
		return
	}
	b.render(w, r, http.StatusOK, "claim", page{Data: claimData{
		AskUpdatePassword: b.cfg.GokrazyPasswordFile != "", UpdatePassword: newUpdatePassword()}})
}

func (b *Box) claim(w http.ResponseWriter, r *http.Request) {
	req := claimRequest{Box: r.PostFormValue("box"), Name: r.PostFormValue("name"), Passphrase: r.PostFormValue("passphrase"),
		Again: r.PostFormValue("again"), Code: r.PostFormValue("code"), UpdatePassword: r.PostFormValue("update_password")}
	s, err := b.people.claim(req)
	if err != nil {
		if errors.Is(err, errBadClaimCode) {
			b.log.Info("claim refused: wrong claim code", "client", clientKey(r))
		}
		b.fail(w, r, "claim", err, claimData{Box: req.Box, Name: req.Name, Code: req.Code,
			AskUpdatePassword: b.cfg.GokrazyPasswordFile != "", UpdatePassword: req.UpdatePassword})
		return
	}
	b.adoptBrowserTime(r, s.Name)
	b.log.Info("box claimed", "owner", s.Name, "update_password_written", b.cfg.GokrazyPasswordFile != "")
	b.people.setSessionCookie(w, s)
	seeOther(w, r, "/admin")
}

func (b *Box) signinForm(w http.ResponseWriter, r *http.Request) {
	b.render(w, r, http.StatusOK, "signin", page{Data: map[string]string{"next": localPath(r.URL.Query().Get("next"))}})
}

func (b *Box) doSignin(w http.ResponseWriter, r *http.Request) {
	s, err := b.people.signIn(sessionFrom(r), r.PostFormValue("name"), r.PostFormValue("passphrase"))
	if err != nil {
		b.log.Info("sign-in refused", "client", clientKey(r))
		b.fail(w, r, "signin", err, map[string]string{"next": localPath(r.PostFormValue("next")), "name": r.PostFormValue("name")})
		return
	}
	b.adoptBrowserTime(r, s.Name)
	b.people.setSessionCookie(w, s)
	seeOther(w, r, r.PostFormValue("next"))
}

func (b *Box) signout(w http.ResponseWriter, r *http.Request) {
	if s := sessionFrom(r); s != nil {
		if err := b.people.signOut(s); err != nil {
			b.log.Error("sign out", "err", err)
		}
	}
	clearSessionCookie(w)
	seeOther(w, r, "/")
}

func (b *Box) joinForm(w http.ResponseWriter, r *http.Request) {
	b.render(w, r, http.StatusOK, "join", page{Data: map[string]string{"next": localPath(r.URL.Query().Get("next"))}})
}

func (b *Box) join(w http.ResponseWriter, r *http.Request) {
	old := sessionFrom(r)
	if old != nil && old.Role == "facilitator" {
		b.fail(w, r, "join", errForbidden, map[string]string{"next": localPath(r.PostFormValue("next"))})
		return
	}
	s, err := b.people.join(old, r.PostFormValue("name"))
	if err != nil {
		b.fail(w, r, "join", err, map[string]string{"next": localPath(r.PostFormValue("next"))})
		return
	}
	b.people.setSessionCookie(w, s)
	seeOther(w, r, r.PostFormValue("next"))
}

func (b *Box) inviteForm(w http.ResponseWriter, r *http.Request) {
	if err := b.people.checkInvite(r.PathValue("token")); err != nil {
		b.fail(w, r, "invite", err, map[string]any{"invalid": true})
		return
	}
	b.render(w, r, http.StatusOK, "invite", page{Data: map[string]any{}})
}

func (b *Box) redeemInvite(w http.ResponseWriter, r *http.Request) {
	s, err := b.people.redeemInvite(r.PathValue("token"), r.PostFormValue("name"), r.PostFormValue("passphrase"), r.PostFormValue("again"))
	if err != nil {
		b.fail(w, r, "invite", err, map[string]any{"invalid": err == errBadInvite, "name": r.PostFormValue("name")})
		return
	}
	b.log.Info("co-facilitator joined", "name", s.Name)
	b.people.setSessionCookie(w, s)
	seeOther(w, r, "/")
}

type facilitatorsData struct {
	Accounts []account
	Invites  []invite
	NewLink  string
	MyID     string
}

func (b *Box) facilitatorsPage(w http.ResponseWriter, r *http.Request, status int, newLink string) {
	accts, err := list[account](b.st, bucketAccounts)
	if err != nil {
		b.fail(w, r, "facilitators", err, facilitatorsData{})
		return
	}
	invs, err := list[invite](b.st, bucketInvites)
	if err != nil {
		b.fail(w, r, "facilitators", err, facilitatorsData{})
		return
	}
	now := b.clock.Now()
	live := invs[:0]
	for _, inv := range invs {
		if now.Before(inv.Expires) {
			live = append(live, inv)
		}
	}
	b.render(w, r, status, "facilitators", page{Data: facilitatorsData{
		Accounts: accts, Invites: live, NewLink: newLink, MyID: person.FromContext(r.Context()).ID,
	}})
}

func (b *Box) facilitators(w http.ResponseWriter, r *http.Request) {
	b.facilitatorsPage(w, r, http.StatusOK, "")
}

func (b *Box) createInvite(w http.ResponseWriter, r *http.Request) {
	token, _, err := b.people.newInvite(sessionFrom(r))
	if err != nil {
		b.fail(w, r, "facilitators", err, facilitatorsData{})
		return
	}
	host := r.Host
	link := (&url.URL{Scheme: "https", Host: host, Path: "/invite/" + token}).String()
	b.facilitatorsPage(w, r, http.StatusCreated, link)
}

func (b *Box) cancelInvite(w http.ResponseWriter, r *http.Request) {
	if err := b.people.cancelInvite(r.PathValue("id")); err != nil {
		b.fail(w, r, "facilitators", err, facilitatorsData{})
		return
	}
	seeOther(w, r, "/facilitators")
}

func (b *Box) revoke(w http.ResponseWriter, r *http.Request) {
	if err := b.people.revoke(r.PathValue("id")); err != nil {
		b.fail(w, r, "facilitators", err, facilitatorsData{})
		return
	}
	b.log.Info("facilitator revoked", "account", r.PathValue("id"), "by", person.FromContext(r.Context()).Name)
	seeOther(w, r, "/facilitators")
}

func (b *Box) accountForm(w http.ResponseWriter, r *http.Request) {
	b.render(w, r, http.StatusOK, "account", page{})
}

func (b *Box) changePassphrase(w http.ResponseWriter, r *http.Request) {
	err := b.people.changePassphrase(sessionFrom(r), r.PostFormValue("current"), r.PostFormValue("passphrase"), r.PostFormValue("again"))
	if err != nil {
		b.fail(w, r, "account", err, nil)
		return
	}
	p := b.printer(r)
	b.render(w, r, http.StatusOK, "account", page{Printer: p, Data: map[string]string{"done": p.T("account.changed")}})
}

func (b *Box) card(w http.ResponseWriter, r *http.Request) {
	addrs := b.addresses()
	b.render(w, r, http.StatusOK, "card", page{Data: map[string]any{"WiFi": b.cfg.WiFiName, "Addresses": addrs}})
}

func (b *Box) caCert(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/x-x509-ca-cert")
	w.Header().Set("Content-Disposition", `attachment; filename="`+b.cfg.Hostname+`-ca.crt"`)
	w.Write(b.certs.Load().CACertPEM())
}

func (b *Box) mobileConfig(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/x-apple-aspen-config")
	w.Header().Set("Content-Disposition", `attachment; filename="`+b.cfg.Hostname+`.mobileconfig"`)
	w.Write(b.certs.Load().MobileConfig(b.boxName()))
}

func (b *Box) apiMe(w http.ResponseWriter, r *http.Request) {
	p := person.FromContext(r.Context())
	writeJSON(w, http.StatusOK, map[string]string{"id": p.ID, "name": p.Name, "color": p.Color, "role": p.Role.String()})
}

// uptime is how long this process has served, by the monotonic clock.
func (b *Box) uptime() time.Duration { return time.Since(b.started).Round(time.Second) }
