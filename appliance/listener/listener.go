// Package listener holds what every HTTP listener of the box applies,
// whoever serves behind it: coopbox's HTTPS and plain HTTP listeners, and
// gokrazy's web interface on the appliance's side port (package
// appliance/image/aside). A client that opens a connection and sends its
// headers slowly, sends too many of them, keeps an idle connection open or
// trickles a body holds a goroutine and memory of a Pi with 1 GB; these
// limits bound each of those, the same on every port, so that no port is
// the one left open.
//
// What is the box's own (caps on long-lived connections, the drain of a
// restore) stays in package appliance: only what one listener needs is here.
package listener

import (
	"log/slog"
	"net/http"
	"time"
)

// Limits bound what one client can hold on a listener.
type Limits struct {
	Header      time.Duration // to read a request's headers (and the TLS handshake)
	HeaderBytes int           // a request's headers; more is answered 431
	Idle        time.Duration // a keep-alive connection between requests
	Body        time.Duration // to read a request body (not a WebSocket's or an event stream's)
	// SlowBytesPerSecond is the pace a big upload is given time for.
	SlowBytesPerSecond int64
}

// Default fits a Pi 3B+ on a venue's Wi-Fi: headers take a phone well
// under a second, a body of 64 KiB too, and a big upload (a backup, an
// import, an update's root file system) gets time for its size at
// 128 KiB/s, a slow phone's or a crowded Wi-Fi's pace.
func Default() Limits {
	return Limits{Header: 10 * time.Second, HeaderBytes: 32 << 10, Idle: 2 * time.Minute,
		Body: 60 * time.Second, SlowBytesPerSecond: 128 << 10}
}

// Server returns an HTTP server for h with these limits. Its error log
// goes to log at debug level: what net/http logs there is TLS handshakes
// from browsers that were told to click through a warning, and clients
// that went away, noise on a box that any phone may reach. A nil log
// leaves net/http's default.
func (l Limits) Server(h http.Handler, log *slog.Logger) *http.Server {
	s := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: l.Header, // also bounds the TLS handshake
		IdleTimeout:       l.Idle,
		MaxHeaderBytes:    l.HeaderBytes,
	}
	if log != nil {
		s.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelDebug)
	}
	return s
}

// BodyTime is how long a body of up to n bytes may take to arrive: Body,
// plus time for n at SlowBytesPerSecond.
func (l Limits) BodyTime(n int64) time.Duration {
	d := l.Body
	if n > 0 && l.SlowBytesPerSecond > 0 {
		d += time.Duration(n/l.SlowBytesPerSecond) * time.Second
	}
	return d
}

// SetBodyDeadline gives the request that w answers BodyTime(n) from now to
// send its body. A slow body holds a goroutine (and, in the box, a
// generation a restore waits for), so every request gets a deadline, set
// before its handler reads; a long-lived one (a WebSocket, an event
// stream) gets none, because the deadline also ends a connection that
// waits for nothing but the server: see NoDeadline.
func (l Limits) SetBodyDeadline(w http.ResponseWriter, n int64) {
	http.NewResponseController(w).SetReadDeadline(time.Now().Add(l.BodyTime(n)))
}

// NoDeadline lifts the read deadline of the request w answers: net/http
// reads the connection in the background while a handler streams, and a
// deadline passing there cancels the request's context, which would end an
// event stream after Body. Its client's pings or its end keep it honest.
func NoDeadline(w http.ResponseWriter) {
	http.NewResponseController(w).SetReadDeadline(time.Time{})
}
