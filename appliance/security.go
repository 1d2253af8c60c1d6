package appliance

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"sync"
	"time"

	pagekit "github.com/coopbox/coopbox/services/page"
)

// secureHeaders sets the headers every response of the box carries.
//
// No Strict-Transport-Security: the box's certificate comes from its own CA,
// which phones will not have installed, and HSTS would turn the one-time
// browser warning into an error that cannot be clicked through.
func secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", pagekit.ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(self), microphone=(self), geolocation=(), payment=(), usb=()")
		next.ServeHTTP(w, r)
	})
}

// limitBody caps request bodies at n bytes, except for the routes (exact
// paths) of big, which have limits of their own.
func limitBody(n int64, big map[string]int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			max, ok := big[r.URL.Path]
			if !ok {
				max = n
			}
			r.Body = http.MaxBytesReader(w, r.Body, max)
		}
		next.ServeHTTP(w, r)
	})
}

// rateLimiter is a token bucket per client address: burst requests at once,
// then one every per. It forgets addresses idle long enough to be full again.
type rateLimiter struct {
	burst float64
	per   time.Duration
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*tokenBucket
	sweep   time.Time
}

type tokenBucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter(burst int, per time.Duration) *rateLimiter {
	return &rateLimiter{burst: float64(burst), per: per, now: time.Now, buckets: map[string]*tokenBucket{}}
}

// allow takes a token for key; when none is left it returns how long to wait.
func (l *rateLimiter) allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.sweep) > time.Minute {
		full := time.Duration(l.burst) * l.per
		for k, b := range l.buckets {
			if now.Sub(b.last) > full {
				delete(l.buckets, k)
			}
		}
		l.sweep = now
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &tokenBucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+float64(now.Sub(b.last))/float64(l.per))
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) * float64(l.per))
}

// clientKey is the address a request came from. The box has no reverse proxy
// in front of it, so forwarded headers are not trusted.
func clientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// limit wraps h so that requests beyond l's rate get 429 Too Many Requests.
// Only unsafe methods count: reading a form is free, submitting it is not.
func (l *rateLimiter) limit(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			h.ServeHTTP(w, r)
			return
		}
		if ok, wait := l.allow(clientKey(r)); !ok {
			w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds())+1))
			writeError(w, r, http.StatusTooManyRequests, "rate_limited", "too many attempts, wait a little")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// writeError answers an error in the box's format: JSON for /api/ and for
// clients that ask for it, a short text otherwise.
func writeError(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	pagekit.Error(w, r, status, code, msg)
}
