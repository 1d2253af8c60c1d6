package appliance

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coopbox/coopbox/appliance/backup"
	"github.com/coopbox/coopbox/appliance/certs"
	"github.com/coopbox/coopbox/config"
	"github.com/coopbox/coopbox/services/editor"
	"github.com/coopbox/coopbox/services/locale"
	pagekit "github.com/coopbox/coopbox/services/page"
	bolt "go.etcd.io/bbolt"
)

// Box is one running coopbox: its data folder, its listeners and its services.
// New opens everything and binds the listeners; Run serves until its context
// ends; Close releases what New opened.
type Box struct {
	cfg     config.Config
	log     *slog.Logger
	started time.Time

	catalog   *locale.Catalog
	templates map[string]*template.Template
	certs     atomic.Pointer[certs.Authority] // swapped by a restore; read by TLS handshakes outside the gate
	clock     *clock
	signin    *rateLimiter // sign-in, claim, invitation: passphrase guesses
	create    *rateLimiter // anything else that creates data

	httpsLn net.Listener
	httpLn  net.Listener

	// gate is held for reading by every request and for writing while a
	// restore swaps the database underneath.
	gate    sync.RWMutex
	db      *bolt.DB
	st      *store
	people  *people
	pads    *editor.Service
	handler http.Handler
	welcome http.Handler

	restores chan string // staged restores waiting for Run to install them
}

// New opens the data folder of cfg, the database and the certificates, and
// binds the listeners, so that tests on port 0 know the addresses before Run.
func New(cfg config.Config, log *slog.Logger) (*Box, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	b := &Box{cfg: cfg, log: log, started: time.Now(), restores: make(chan string, 1),
		signin: newRateLimiter(5, 20*time.Second), create: newRateLimiter(30, 2*time.Second)}

	b.catalog = locale.New()
	if err := b.catalog.Load(webFS, "web/messages.json"); err != nil {
		return nil, err
	}
	if err := pagekit.LoadMessages(b.catalog); err != nil {
		return nil, err
	}
	var err error
	if b.templates, err = parseTemplates(&qrCache{}); err != nil {
		return nil, err
	}
	if err := b.open(); err != nil {
		return nil, err
	}
	c, err := certs.Open(filepath.Join(cfg.DataDir, "tls"), cfg.Hostname, b.clock.Now())
	if err != nil {
		b.db.Close()
		return nil, err
	}
	b.certs.Store(c)
	b.refreshCert()

	b.httpsLn, err = net.Listen("tcp", cfg.HTTPSAddr)
	if err != nil {
		b.db.Close()
		return nil, fmt.Errorf("listen https: %w", err)
	}
	if cfg.HTTPAddr != "" {
		if b.httpLn, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
			b.httpsLn.Close()
			b.db.Close()
			return nil, fmt.Errorf("listen http: %w", err)
		}
	}
	return b, nil
}

// open opens the database and everything built on it.
func (b *Box) open() error {
	// A restore that a power cut interrupted after its point of no return is
	// completed before anything reads the folder.
	if finished, err := backup.Finish(b.cfg.DataDir); err != nil {
		return fmt.Errorf("finish an interrupted restore: %w", err)
	} else if finished {
		b.log.Warn("finished a restore that was interrupted")
	}
	db, err := openDB(b.cfg.DataDir, 2*time.Second)
	if err != nil {
		return err
	}
	st := &store{db: db}
	var lastSeen time.Time
	if v, _ := st.setting("last-seen"); v != nil {
		lastSeen.UnmarshalText(v)
	}
	if b.clock == nil {
		b.clock = newClock(time.Now, b.cfg.BuildTime, lastSeen)
		if b.clock.Unset() {
			b.log.Warn("the system clock is unset: continuing from the last time seen", "time", b.clock.Now().UTC())
		}
	}
	ppl, err := newPeople(st, b.clock)
	if err != nil {
		db.Close()
		return err
	}
	pads, err := editor.New(editor.Options{DB: db, Log: b.log.With("service", "pads"), Now: b.clock.Now, Limit: b.create.limit,
		Catalog: b.catalog, BoxName: b.boxName})
	if err != nil {
		db.Close()
		return err
	}
	b.db, b.st, b.people, b.pads = db, st, ppl, pads
	b.handler = b.routes()
	b.welcome = b.welcomeRoutes()
	return nil
}

// HTTPSAddr returns the address the HTTPS listener is bound to.
func (b *Box) HTTPSAddr() string { return b.httpsLn.Addr().String() }

// HTTPAddr returns the address of the welcome page's listener, "" when off.
func (b *Box) HTTPAddr() string {
	if b.httpLn == nil {
		return ""
	}
	return b.httpLn.Addr().String()
}

// ServeHTTP serves the box's HTTPS routes (tests call it without TLS).
func (b *Box) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.gate.RLock()
	h := b.handler
	defer b.gate.RUnlock()
	h.ServeHTTP(w, r)
}

func (b *Box) serveWelcome(w http.ResponseWriter, r *http.Request) {
	b.gate.RLock()
	h := b.welcome
	defer b.gate.RUnlock()
	h.ServeHTTP(w, r)
}

// Run serves until ctx is done, then lets requests in flight finish (up to
// ten seconds) and saves the clock.
func (b *Box) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 2)
	tc := &tls.Config{
		GetCertificate: func(h *tls.ClientHelloInfo) (*tls.Certificate, error) { return b.certs.Load().GetCertificate(h) },
		MinVersion:     tls.VersionTLS12,
	}
	https := b.server(b, tc)
	servers := []*http.Server{https}
	go func() { errc <- https.ServeTLS(b.httpsLn, "", "") }()
	if b.httpLn != nil {
		s := b.server(http.HandlerFunc(b.serveWelcome), nil)
		servers = append(servers, s)
		go func() { errc <- s.Serve(b.httpLn) }()
	}
	b.log.Info("coopbox serving", "version", b.cfg.Version, "https", "https://"+b.HTTPSAddr(), "http", b.HTTPAddr(), "data", b.cfg.DataDir)

	var wg sync.WaitGroup
	wg.Go(func() { b.every(ctx, 10*time.Second, b.refreshCert) })
	wg.Go(func() { b.every(ctx, 5*time.Minute, b.saveClock) })
	wg.Go(func() { b.every(ctx, time.Hour, b.purge) })
	if b.cfg.Screen != "" {
		wg.Go(func() { runScreen(ctx, b.cfg.Screen, b.screenInfo, b.log) })
	}
	if b.cfg.MDNS {
		wg.Go(func() {
			port := portOf(b.HTTPSAddr())
			if err := newMDNSAnnouncer(b.cfg.Hostname, port, b.log).Run(ctx); err != nil {
				b.log.Error("mdns stopped", "err", err)
			}
		})
	}

	var err error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case err = <-errc:
			break loop
		case staged := <-b.restores:
			if rerr := b.installRestore(staged); rerr != nil {
				b.log.Error("restore failed", "err", rerr)
			}
		}
	}
	cancel()
	shutdownCtx, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	for _, s := range servers {
		if serr := s.Shutdown(shutdownCtx); serr != nil {
			b.log.Warn("shutdown", "err", serr)
		}
	}
	wg.Wait()
	b.saveClock()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	b.log.Info("coopbox stopped")
	return err
}

func (b *Box) server(h http.Handler, tc *tls.Config) *http.Server {
	return &http.Server{
		Handler:           h,
		TLSConfig:         tc,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(b.log.Handler(), slog.LevelDebug), // TLS handshake noise from clicked-through warnings
	}
}

func (b *Box) every(ctx context.Context, d time.Duration, f func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f()
		}
	}
}

// screenInfo is what the HDMI screen shows: the box's name, the Wi-Fi, the
// addresses (the first, <hostname>.local, in the QR code).
func (b *Box) screenInfo() screenInfo {
	b.gate.RLock()
	name := b.boxName()
	b.gate.RUnlock()
	in := screenInfo{Name: name, WiFi: b.cfg.WiFiName}
	for i, a := range b.addresses() {
		if i == 0 {
			in.URL = a.URL
		} else {
			in.Others = append(in.Others, a.URL)
		}
	}
	return in
}

// refreshCert re-issues the leaf certificate when the machine's addresses changed.
func (b *Box) refreshCert() {
	ips, err := machineIPs()
	if err != nil {
		b.log.Warn("list addresses", "err", err)
		return
	}
	issued, err := b.certs.Load().Refresh(ips, b.clock.Now())
	if err != nil {
		b.log.Error("issue certificate", "err", err)
	} else if issued {
		b.log.Info("certificate issued", "addresses", fmt.Sprint(ips))
	}
}

// saveClock records the box's current time, the floor after a power cut.
func (b *Box) saveClock() {
	b.gate.RLock()
	defer b.gate.RUnlock()
	t, _ := b.clock.Now().UTC().MarshalText()
	if err := b.st.setSetting("last-seen", t); err != nil {
		b.log.Warn("save clock", "err", err)
	}
}

func (b *Box) purge() {
	b.gate.RLock()
	defer b.gate.RUnlock()
	if err := b.people.purgeExpired(); err != nil {
		b.log.Warn("purge sessions", "err", err)
	}
}

// installRestore swaps in a staged backup: it waits for requests in flight,
// closes the database, moves the old files aside and the new ones in, and
// opens again.
func (b *Box) installRestore(staged string) error {
	b.closeServices() // ends their long-lived connections, which hold the gate
	b.gate.Lock()
	defer b.gate.Unlock()
	if err := b.db.Close(); err != nil {
		return fmt.Errorf("close database: %w", err)
	}
	stamp := b.clock.Now().UTC().Format("20060102-150405")
	aside, ierr := backup.Install(b.cfg.DataDir, staged, stamp)
	if ierr != nil {
		b.log.Error("restore: install", "err", ierr)
	}
	if err := b.open(); err != nil {
		return fmt.Errorf("reopen after restore: %w", errors.Join(ierr, err))
	}
	c, err := certs.Open(filepath.Join(b.cfg.DataDir, "tls"), b.cfg.Hostname, b.clock.Now())
	if err != nil {
		return fmt.Errorf("certificates after restore: %w", errors.Join(ierr, err))
	}
	ips, _ := machineIPs()
	if _, err := c.Refresh(ips, b.clock.Now()); err != nil {
		return fmt.Errorf("certificate after restore: %w", errors.Join(ierr, err))
	}
	b.certs.Store(c)
	b.log.Info("restored a backup", "kept_aside", aside)
	return ierr
}

// closeServices disconnects the services' clients and lets them write what
// they hold in memory.
func (b *Box) closeServices() {
	b.gate.RLock()
	pads := b.pads
	b.gate.RUnlock()
	if err := pads.Close(); err != nil {
		b.log.Warn("close pads", "err", err)
	}
}

// Close releases the listeners, the services and the database.
func (b *Box) Close() error {
	b.httpsLn.Close()
	if b.httpLn != nil {
		b.httpLn.Close()
	}
	b.closeServices()
	b.gate.Lock()
	defer b.gate.Unlock()
	return b.db.Close()
}

func portOf(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	var n int
	fmt.Sscan(p, &n)
	return n
}
