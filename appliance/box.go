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
	"github.com/coopbox/coopbox/appliance/listener"
	"github.com/coopbox/coopbox/appliance/mdns"
	"github.com/coopbox/coopbox/appliance/screen"
	"github.com/coopbox/coopbox/config"
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
	limits  limits
	conns   *connLimiter

	mounts    []pagekit.Mount  // the services (services.go)
	bigBodies map[string]int64 // routes with bodies over 64 KiB, and their limits

	// gen is what requests enter (gate.go); a restore puts a new one in.
	gen atomic.Pointer[generation]
	// gate guards the fields below for the background jobs; a restore takes
	// it for writing while it swaps the database underneath.
	gate     sync.RWMutex
	db       *bolt.DB
	st       *store
	people   *people
	services []*running

	restores chan string // staged restores waiting for Run to install them
}

// New opens the data folder of cfg, the database and the certificates, and
// binds the listeners, so that tests on port 0 know the addresses before Run.
func New(cfg config.Config, log *slog.Logger) (*Box, error) { return newBox(cfg, log, mounts()) }

func newBox(cfg config.Config, log *slog.Logger, ms []pagekit.Mount) (*Box, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	b := &Box{cfg: cfg, log: log, started: time.Now(), restores: make(chan string, 1),
		signin: newRateLimiter(5, 20*time.Second), create: newRateLimiter(30, 2*time.Second),
		limits: defaultLimits(), mounts: ms}
	b.bigBodies = bodyLimits(b.mounts)
	b.conns = newConnLimiter(b.limits.ConnsPerAddr, b.limits.Conns)
	if err := checkMounts(b.mounts); err != nil {
		return nil, err
	}

	// One catalog: the box's messages, the layout's, every service's, loaded
	// once (a missing translation fails here).
	b.catalog = locale.New()
	if err := b.catalog.Load(webFS, "web/messages.json"); err != nil {
		return nil, err
	}
	if err := pagekit.LoadMessages(b.catalog); err != nil {
		return nil, err
	}
	for _, m := range b.mounts {
		if m.Messages == nil {
			continue
		}
		if err := m.Messages(b.catalog); err != nil {
			return nil, fmt.Errorf("messages of %s: %w", m.Name, err)
		}
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
	if err == nil {
		ppl.updatePasswordFile = b.cfg.GokrazyPasswordFile
		_, err = ppl.ensureClaimCode()
	}
	if err != nil {
		db.Close()
		return err
	}
	b.db, b.st, b.people = db, st, ppl
	svcs, err := b.openServices(db)
	if err != nil {
		db.Close()
		return err
	}
	b.services = svcs
	b.gen.Store(newGeneration(b.routes(), b.welcomeRoutes()))
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
	b.serve(w, r, func(g *generation) http.Handler { return g.https })
}

func (b *Box) serveWelcome(w http.ResponseWriter, r *http.Request) {
	b.serve(w, r, func(g *generation) http.Handler { return g.welcome })
}

// serve runs a request inside the current generation, with a context that a
// restore cancels if the request outlasts its wait (gate.go). Long-lived
// requests count against the connection caps.
func (b *Box) serve(w http.ResponseWriter, r *http.Request, handler func(*generation) http.Handler) {
	long := longLived(r)
	if long {
		addr := clientKey(r)
		switch b.conns.acquire(addr) {
		case refusedAddr:
			w.Header().Set("Retry-After", "10")
			writeError(w, r, http.StatusTooManyRequests, refusedAddr, "too many connections from this address")
			return
		case refusedTotal:
			w.Header().Set("Retry-After", "10")
			writeError(w, r, http.StatusServiceUnavailable, refusedTotal, "the box has as many connections as it can hold")
			return
		}
		defer b.conns.release(addr)
	} else {
		// A slow body holds a goroutine and the generation: bound its time.
		// A big upload gets time for its size at a slow phone's pace; a
		// WebSocket's reads have no deadline (its pings keep it honest).
		b.limits.SetBodyDeadline(w, b.bigBodies[r.URL.Path])
	}
	g, ok := b.enter(r.Context())
	if !ok {
		return // the client went away while a restore was swapping the database
	}
	defer g.leave()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	stop := context.AfterFunc(g.all, cancel)
	defer stop()
	handler(g).ServeHTTP(w, r.WithContext(ctx))
}

// enter waits for a generation that takes requests: the current one, or,
// while a restore swaps the database, the next.
func (b *Box) enter(ctx context.Context) (*generation, bool) {
	for {
		g := b.gen.Load()
		if g.enter() {
			return g, true
		}
		select {
		case <-g.next:
		case <-ctx.Done():
			return nil, false
		}
	}
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
	b.announce()
	b.log.Info("coopbox serving", "version", b.cfg.Version, "https", "https://"+b.HTTPSAddr(), "http", b.HTTPAddr(), "data", b.cfg.DataDir)

	var wg sync.WaitGroup
	wg.Go(func() { b.every(ctx, 10*time.Second, b.refreshCert) })
	wg.Go(func() { b.every(ctx, 5*time.Minute, b.saveClock) })
	wg.Go(func() { b.every(ctx, time.Hour, b.purge) })
	if b.cfg.Screen != "" {
		wg.Go(func() { screen.Run(ctx, b.cfg.Screen, b.screenInfo, b.log) })
	}
	if b.cfg.MDNS {
		wg.Go(func() {
			port := portOf(b.HTTPSAddr())
			if err := mdns.New(b.cfg.Hostname, port, b.log).Run(ctx); err != nil {
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

// server is an HTTP server with the box's limits; every listener gets one.
func (b *Box) server(h http.Handler, tc *tls.Config) *http.Server {
	s := b.limits.Server(h, b.log)
	s.TLSConfig = tc
	return s
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
// addresses (the first in the QR code) and, until the box is claimed, the
// claim code.
func (b *Box) screenInfo() screen.Info {
	b.gate.RLock()
	name := b.boxName()
	b.gate.RUnlock()
	in := screen.Info{Name: name, WiFi: b.cfg.WiFiName, ClaimCode: b.ClaimCode()}
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
	old := b.gen.Load()
	old.close()       // new requests wait for the next generation
	b.closeServices() // the services end their connections cleanly
	if left := old.drain(b.limits.Drain); left > 0 {
		b.log.Warn("restore: requests still running after their context ended", "requests", left)
	}
	b.gate.Lock()
	defer b.gate.Unlock()
	defer close(old.next)
	if err := b.db.Close(); err != nil {
		b.gen.Store(newGeneration(unavailable(), unavailable()))
		return fmt.Errorf("close database: %w", err)
	}
	stamp := b.clock.Now().UTC().Format("20060102-150405")
	aside, ierr := backup.Install(b.cfg.DataDir, staged, stamp)
	if ierr != nil {
		b.log.Error("install the restore", "err", ierr)
	}
	if err := b.open(); err != nil {
		b.gen.Store(newGeneration(unavailable(), unavailable()))
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
	b.gate.Lock()
	svcs := b.services
	b.services = nil
	b.gate.Unlock()
	stopServices(svcs, b.log.Warn)
}

// unavailable answers every request while the box has no database: a
// restore failed to reopen it (the log says why).
func unavailable() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, http.StatusServiceUnavailable, "db", "database unavailable")
	})
}

// Close releases the listeners, the services and the database.
func (b *Box) Close() error {
	b.httpsLn.Close()
	if b.httpLn != nil {
		b.httpLn.Close()
	}
	g := b.gen.Load()
	g.close()
	b.closeServices()
	g.drain(b.limits.Drain)
	b.gate.Lock()
	defer b.gate.Unlock()
	return b.db.Close()
}

// limits bound what one client can hold: every listener's header timeout and
// size, idle time and a request body's time (package listener, the same on
// gokrazy's port), and the long-lived connections (WebSockets, event
// streams) per address and in total.
type limits struct {
	listener.Limits
	Drain        time.Duration // a restore waits this long for requests in flight
	ConnsPerAddr int
	Conns        int
}

// defaultLimits fit a Pi 3B+ with 1 GB on a venue's Wi-Fi: a phone keeps a
// few tabs open, each with a WebSocket or two; each holds two goroutines
// and a send queue (512 messages for a pad), so the total stays in the
// hundreds.
func defaultLimits() limits {
	return limits{Limits: listener.Default(), Drain: 10 * time.Second, ConnsPerAddr: 32, Conns: 1024}
}

func portOf(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	var n int
	fmt.Sscan(p, &n)
	return n
}
