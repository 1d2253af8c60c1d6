package appliance

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/coopbox/coopbox/config"
)

// BenchmarkLandingPage serves the landing page to a participant through the
// whole HTTPS stack (gate, headers, cross-origin check, session lookup in
// bbolt, template, QR codes), without TLS, and compares it with a bare
// net/http handler writing the same bytes in the same run.
func BenchmarkLandingPage(b *testing.B) {
	cfg := config.Default()
	cfg.DataDir = b.TempDir()
	cfg.HTTPSAddr, cfg.HTTPAddr = "127.0.0.1:0", ""
	box, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	defer box.Close()
	if _, err := box.people.claim(claimRequest{Box: "Banc", Name: "Camille", Passphrase: ownerPass, Again: ownerPass, Code: box.ClaimCode()}); err != nil {
		b.Fatal(err)
	}
	s, err := box.people.join(nil, "Ana")
	if err != nil {
		b.Fatal(err)
	}
	cookie := sessionCookie + "=" + encodeSessionCookie(box.people.cookieKey, s.ID)
	req := httptest.NewRequest("GET", "https://coopbox.local/", nil)
	req.Header.Set("Cookie", cookie)

	rec := httptest.NewRecorder()
	box.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("landing: %d", rec.Code)
	}
	body := rec.Body.Bytes()
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(body)
	})

	var ours, peer time.Duration
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		box.ServeHTTP(httptest.NewRecorder(), req)
		t1 := time.Now()
		bare.ServeHTTP(httptest.NewRecorder(), req)
		ours += t1.Sub(t0)
		peer += time.Since(t1)
	}
	b.ReportMetric(float64(ours.Microseconds())/float64(b.N), "µs/page")
	b.ReportMetric(float64(ours)/float64(peer), "x-bare-nethttp")
	b.ReportMetric(float64(len(body)), "bytes/page")
}

// BenchmarkPassphraseHash is the cost of one sign-in or claim (argon2id,
// 19 MiB, 2 passes): what bounds sign-ins per second on a Pi.
func BenchmarkPassphraseHash(b *testing.B) {
	h := hashPassphrase("une phrase de passe")
	for b.Loop() {
		if !checkPassphrase(h, "une phrase de passe") {
			b.Fatal("check failed")
		}
	}
}
