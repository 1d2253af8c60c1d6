package aside

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coopbox/coopbox/appliance/listener"
)

// side is a Handler on a loopback port, with its two password files in a
// temporary folder (the builder's written, the owner's not yet).
type side struct {
	*Handler
	base           string
	owner, builder string
	reached        atomic.Int32 // requests that got through to Next
}

const builderPassword = "builder-password"

func startSide(t *testing.T, l listener.Limits) *side {
	t.Helper()
	dir := t.TempDir()
	s := &side{owner: filepath.Join(dir, "gokr-pw.txt"), builder: filepath.Join(dir, "update-password.txt")}
	if err := os.WriteFile(s.builder, []byte(builderPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	next := http.NewServeMux()
	next.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.reached.Add(1)
		io.WriteString(w, "gokrazy")
	})
	// An upload: answers how many bytes it read.
	next.HandleFunc("/update/", func(w http.ResponseWriter, r *http.Request) {
		s.reached.Add(1)
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprint(w, n)
	})
	// A log followed as an event stream: ten events over a second.
	next.HandleFunc("/log", func(w http.ResponseWriter, r *http.Request) {
		s.reached.Add(1)
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range 10 {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
			fmt.Fprintf(w, "data: line %d\n\n", i)
			http.NewResponseController(w).Flush()
		}
	})
	s.Handler = &Handler{PasswordFiles: []string{s.owner, s.builder}, Next: next, Limits: l,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := l.Server(s.Handler, nil)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	s.base = "http://" + ln.Addr().String()
	return s
}

// get asks for / as user:password ("" user: no Authorization header).
func (s *side) get(t *testing.T, c *http.Client, user, password string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("GET", s.base+"/", nil)
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

func (s *side) want(t *testing.T, c *http.Client, password string, want int, when string) {
	t.Helper()
	before := s.reached.Load()
	res := s.get(t, c, User, password)
	if res.StatusCode != want {
		t.Errorf("%s: password %q: %d, want %d", when, password, res.StatusCode, want)
	}
	if through := s.reached.Load() > before; through != (want == http.StatusOK) {
		t.Errorf("%s: password %q: reached gokrazy's handlers: %v", when, password, through)
	}
	if want == http.StatusUnauthorized && res.Header.Get("WWW-Authenticate") != `Basic realm="gokrazy"` {
		t.Errorf("%s: 401 without WWW-Authenticate (%q): a browser would not ask", when, res.Header.Get("WWW-Authenticate"))
	}
}

func TestPassword(t *testing.T) {
	s := startSide(t, listener.Default())
	c := &http.Client{Timeout: 5 * time.Second}

	if res := s.get(t, c, "", ""); res.StatusCode != http.StatusUnauthorized || res.Header.Get("WWW-Authenticate") != `Basic realm="gokrazy"` {
		t.Errorf("no password: %d, WWW-Authenticate %q; want 401 asking for Basic auth", res.StatusCode, res.Header.Get("WWW-Authenticate"))
	}
	if res := s.get(t, c, "root", builderPassword); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("the right password as another user: %d, want 401", res.StatusCode)
	}
	s.want(t, c, "wrong-password", http.StatusUnauthorized, "unclaimed")
	s.want(t, c, builderPassword+"x", http.StatusUnauthorized, "unclaimed")
	s.want(t, c, builderPassword, http.StatusOK, "unclaimed")

	// The claim writes the owner's: it counts at once, the builder's no more.
	if err := os.WriteFile(s.owner, []byte("owner-password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.want(t, c, builderPassword, http.StatusUnauthorized, "claimed")
	s.want(t, c, "owner-password", http.StatusOK, "claimed")

	// Changed from the administration page, as the box writes it (a new
	// file renamed over the old), on the same keep-alive connection.
	tmp := s.owner + ".new"
	if err := os.WriteFile(tmp, []byte("  changed-password \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, s.owner); err != nil {
		t.Fatal(err)
	}
	s.want(t, c, "owner-password", http.StatusUnauthorized, "changed")
	s.want(t, c, "changed-password", http.StatusOK, "changed")
	s.want(t, c, builderPassword, http.StatusUnauthorized, "changed")

	// An owner's file that holds nothing, or cannot be read, lets nobody
	// in: falling back to the builder's would undo the claim.
	os.WriteFile(s.owner, []byte("\n"), 0o600)
	s.want(t, c, builderPassword, http.StatusServiceUnavailable, "empty owner's file")
	s.want(t, c, "", http.StatusServiceUnavailable, "empty owner's file")
	os.Remove(s.owner)
	os.Mkdir(s.owner, 0o700)
	s.want(t, c, builderPassword, http.StatusServiceUnavailable, "unreadable owner's file")
	os.Remove(s.owner)
	os.Remove(s.builder)
	s.want(t, c, builderPassword, http.StatusServiceUnavailable, "no file")
}

// TestPrivateOnly: a client, or a box address, outside private networks is
// refused before the password is looked at.
func TestPrivateOnly(t *testing.T) {
	s := startSide(t, listener.Default())
	for _, tt := range []struct {
		remote string
		local  net.IP // nil: a request not from a listener
		want   int
	}{
		{"203.0.113.7:4000", nil, http.StatusForbidden},
		{"[2001:db8::7]:4000", nil, http.StatusForbidden},
		{"[::ffff:203.0.113.7]:4000", nil, http.StatusForbidden},
		{"8.8.8.8:53", net.ParseIP("192.168.1.2"), http.StatusForbidden},
		{"192.168.1.20:4000", net.ParseIP("198.51.100.1"), http.StatusForbidden}, // the box's public address
		{"not an address", nil, http.StatusForbidden},
		{"192.168.1.20:4000", net.ParseIP("192.168.1.2"), http.StatusOK},
		{"10.0.2.2:4000", net.ParseIP("10.0.2.15"), http.StatusOK},
		{"[::ffff:172.16.0.9]:4000", nil, http.StatusOK},
		{"[fe80::1%wlan0]:4000", nil, http.StatusOK},
		{"[fd12:3456::9]:4000", nil, http.StatusOK},
		{"127.0.0.1:4000", net.ParseIP("127.0.0.1"), http.StatusOK},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.remote
		r.SetBasicAuth(User, builderPassword)
		if tt.local != nil {
			r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, &net.TCPAddr{IP: tt.local, Port: 8080}))
		}
		before := s.reached.Load()
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != tt.want {
			t.Errorf("client %s, box %v: %d, want %d", tt.remote, tt.local, w.Code, tt.want)
		}
		if through := s.reached.Load() > before; through != (tt.want == http.StatusOK) {
			t.Errorf("client %s, box %v: reached gokrazy's handlers: %v", tt.remote, tt.local, through)
		}
	}
}

// TestLimits: the port has the limits of every listener of the box, and
// gives an update's upload and a followed log the time they need.
func TestLimits(t *testing.T) {
	l := listener.Default()
	l.Header, l.Body = 300*time.Millisecond, 300*time.Millisecond
	s := startSide(t, l)
	dial := func(t *testing.T) net.Conn {
		c, err := net.DialTimeout("tcp", strings.TrimPrefix(s.base, "http://"), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetDeadline(time.Now().Add(10 * time.Second))
		return c
	}
	auth := "Authorization: Basic Z29rcmF6eTpidWlsZGVyLXBhc3N3b3Jk\r\n" // gokrazy:builder-password

	t.Run("slow headers", func(t *testing.T) {
		c := dial(t)
		start := time.Now()
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: coopbox\r\n")
		_, err := c.Read(make([]byte, 1))
		if isTimeout(err) {
			t.Fatalf("the port kept a connection whose headers never ended: %v", err)
		}
		if waited := time.Since(start); waited > 3*time.Second {
			t.Fatalf("dropped after %v, want about %v", waited, l.Header)
		}
	})
	t.Run("big headers", func(t *testing.T) {
		c := dial(t)
		fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: coopbox\r\n%sX-Big: %s\r\n\r\n", auth, strings.Repeat("a", 64<<10))
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Fatalf("64 KiB of headers: %d, want 431", res.StatusCode)
		}
	})
	// A body sent in two halves, a second apart (more than l.Body).
	slowBody := func(t *testing.T, method string) (*http.Response, error) {
		c := dial(t)
		fmt.Fprintf(c, "%s /update/root HTTP/1.1\r\nHost: coopbox\r\n%sContent-Length: 8\r\n\r\nroot", method, auth)
		time.Sleep(time.Second)
		io.WriteString(c, "fs!!")
		return http.ReadResponse(bufio.NewReader(c), nil)
	}
	t.Run("slow upload", func(t *testing.T) {
		res, err := slowBody(t, "PUT")
		if err != nil {
			t.Fatalf("an update's upload, slower than %v: %v", l.Body, err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || string(body) != "8" {
			t.Fatalf("an update's upload, slower than %v: %d %q, want 200 and the 8 bytes read", l.Body, res.StatusCode, body)
		}
	})
	t.Run("slow body", func(t *testing.T) {
		res, err := slowBody(t, "POST")
		if err == nil {
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				t.Fatalf("a POST whose body took a second (limit %v) was read whole: %q", l.Body, body)
			}
		}
	})
	t.Run("followed log", func(t *testing.T) {
		c := dial(t)
		fmt.Fprintf(c, "GET /log HTTP/1.1\r\nHost: coopbox\r\n%sAccept: text/event-stream\r\n\r\n", auth)
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if n := strings.Count(string(body), "data: "); res.StatusCode != http.StatusOK || n != 10 {
			t.Fatalf("a log followed for a second (body limit %v): %d, %d events of 10", l.Body, res.StatusCode, n)
		}
	})
}

// TestServeWaitsForThePort: a port another program holds is bound once it
// is free, and Serve ends with its context.
func TestServeWaitsForThePort(t *testing.T) {
	s := startSide(t, listener.Default())
	holder, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := holder.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, addr) }()
	time.Sleep(retryListen / 2) // Serve has tried once and failed
	holder.Close()
	c := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(3 * retryListen)
	for {
		res, err := c.Get("http://" + addr + "/")
		if err == nil {
			res.Body.Close()
			if res.StatusCode != http.StatusUnauthorized {
				t.Fatalf("the port, once free: %d, want 401", res.StatusCode)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the port was not served within %v of being free: %v", 3*retryListen, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Serve ended with %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve still runs 5 s after its context ended")
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
