// Package aside serves gokrazy's web interface (its status page, the
// programs' logs, updates, reboot) on the appliance's side port, 8080
// (/etc/http-port.txt), in place of gokrazy's own listener.
//
// gokrazy's listener has no timeouts and no header limits, and reads its
// password once, at boot, from /perm/gokr-pw.txt or else /etc/gokr-pw.txt:
// the update password the owner chooses at claim counted only after a
// restart, and until then the image's builder could still update the box.
// So the image has no /etc/gokr-pw.txt (gokrazy then serves only on its
// unix socket, /run/gokrazy-http.sock, root only, and leaves its handlers
// on http.DefaultServeMux), and coopbox-init serves that mux here:
//
//   - with the limits of every listener of the box (package listener):
//     header time and size, idle time, a body's time, with time for an
//     update's root file system at a slow pace;
//   - to clients on private networks only, as gokrazy listened only on
//     the box's private addresses (see Handler.ServeHTTP);
//   - behind Basic auth (user gokrazy) against the owner's password,
//     /perm/gokr-pw.txt, written at claim and from the administration page,
//     or, until there is one, the builder's, /etc/coopbox/update-password.txt.
//     Both are read at each request, so a new password counts at once.
package aside

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/gokrazy/gokrazy/ifaddr"

	"github.com/coopbox/coopbox/appliance/listener"
)

const (
	// OwnerFile holds the owner's update password, written by coopbox at
	// claim (-gokrazy-password-file); gokrazy's tools know it by this name.
	OwnerFile = "/perm/gokr-pw.txt"
	// BuilderFile holds the password the image was built with, used until
	// the owner chose one. It is not gokrazy's /etc/gokr-pw.txt on purpose:
	// with that file gokrazy would listen on the port itself.
	BuilderFile = "/etc/coopbox/update-password.txt"
	// User is the Basic auth user name gokrazy's tools send.
	User = "gokrazy"
	// MaxUpload is the largest body an update sends: a root file system
	// (image.RootSize, 500 MiB; the boot file system is 100 MiB). A PUT
	// gets time for that much at listener.Limits.SlowBytesPerSecond.
	MaxUpload = 512 << 20
)

// Handler guards gokrazy's interface: it lets in requests from private
// networks with the update password, and hands them to Next.
type Handler struct {
	// PasswordFiles are read in order at each request; the first that
	// exists holds the password (OwnerFile, then BuilderFile).
	PasswordFiles []string
	Next          http.Handler // http.DefaultServeMux on the box: gokrazy's handlers
	Limits        listener.Limits
	Log           *slog.Logger
}

// retryListen is how often Serve tries again to bind a port another
// program holds.
const retryListen = 2 * time.Second

// Serve serves h on addr (":8080": every address) with h.Limits until ctx
// ends, then closes the connections. While another program holds the port
// it tries again every few seconds rather than give up: the box would then
// take no update until the next boot.
func (h *Handler) Serve(ctx context.Context, addr string) error {
	var ln net.Listener
	for {
		var err error
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		h.Log.Error("gokrazy's interface: listen", "addr", addr, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(retryListen):
		}
	}
	h.Log.Info("gokrazy's interface: listening", "addr", ln.Addr().String())
	srv := h.Limits.Server(h, h.Log)
	stop := context.AfterFunc(ctx, func() { srv.Close() })
	defer stop()
	err := srv.Serve(ln)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("gokrazy's interface on %s: %w", addr, err)
}

// ServeHTTP refuses clients outside private networks (403), then checks
// the password (401, asking for Basic auth), then serves Next.
//
// The port listens on every address (":8080") rather than on the private
// addresses gokrazy listened on: the box's addresses come and go (DHCP
// answers after boot, Wi-Fi joins later), which gokrazy follows by
// re-binding on each netlink message; one socket on every address follows
// them with nothing to re-bind, and refusing here any connection whose
// either end is not private (the same test gokrazy applies to the box's
// addresses, ifaddr.IsInPrivateNet) keeps the port off a public network as
// gokrazy's was, and a client on one from guessing passwords.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !private(r) {
		http.Error(w, "gokrazy's interface answers only on private networks", http.StatusForbidden)
		return
	}
	// What a handler reads of a body is bounded before the password is
	// checked: net/http reads some of an unread body after a 401.
	h.Limits.SetBodyDeadline(w, 0)
	want, err := h.password()
	if err != nil {
		h.Log.Error("gokrazy's interface refuses everyone", "err", err)
		http.Error(w, "the box has no update password it can read: see its log", http.StatusServiceUnavailable)
		return
	}
	user, pw, ok := r.BasicAuth()
	if !ok || !matches(user, User) || !matches(pw, want) {
		w.Header().Set("WWW-Authenticate", `Basic realm="gokrazy"`)
		http.Error(w, "user gokrazy and the update password, please", http.StatusUnauthorized)
		return
	}
	switch {
	case strings.Contains(strings.ToLower(r.Header.Get("Accept")), "text/event-stream"):
		listener.NoDeadline(w) // gokrazy's logs, followed until the page closes
	case r.Method == http.MethodPut:
		h.Limits.SetBodyDeadline(w, MaxUpload) // gokrazy's uploads: /update/*, /uploadtemp/
	}
	h.Next.ServeHTTP(w, r)
}

// matches compares in constant time, length included: the hashes are
// compared, not the strings.
func matches(got, want string) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

// password reads the update password: the first of PasswordFiles that
// exists, trimmed as gokrazy trims it. A file that exists but cannot be
// read, or holds nothing, is an error rather than a reason to read the
// next: the owner's file standing in the way is what keeps the builder's
// password out.
func (h *Handler) password() (string, error) {
	for _, f := range h.PasswordFiles {
		b, err := os.ReadFile(f)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("read the update password: %w", err)
		}
		pw := strings.TrimSpace(string(b))
		if pw == "" {
			return "", fmt.Errorf("the update password in %s is empty", f)
		}
		return pw, nil
	}
	return "", fmt.Errorf("no update password in %s", strings.Join(h.PasswordFiles, " or "))
}

// private tells whether both ends of the request's connection are on a
// private network (loopback, RFC 1918, unique local, link-local, and the
// 100.64/10 gokrazy counts for Tailscale). A request whose local address
// is unknown (not from a listener) is judged by its client alone.
func private(r *http.Request) bool {
	remote, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil || !ifaddr.IsInPrivateNet(net.IP(remote.Addr().Unmap().AsSlice())) {
		return false
	}
	if local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		lp, err := netip.ParseAddrPort(local.String())
		if err != nil || !ifaddr.IsInPrivateNet(net.IP(lp.Addr().Unmap().AsSlice())) {
			return false
		}
	}
	return true
}
