package appliance

import (
	"testing"
	"time"
)

func TestRateLimiter(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	l := newRateLimiter(3, 10*time.Second)
	l.now = func() time.Time { return now }
	for i := range 3 {
		if ok, _ := l.allow("a"); !ok {
			t.Fatalf("attempt %d refused within the burst", i+1)
		}
	}
	ok, wait := l.allow("a")
	if ok || wait <= 0 || wait > 10*time.Second {
		t.Fatalf("fourth attempt: ok=%v wait=%v, want refused with a wait ≤ 10s", ok, wait)
	}
	if ok, _ := l.allow("b"); !ok {
		t.Error("another address was refused")
	}
	now = now.Add(10 * time.Second)
	if ok, _ := l.allow("a"); !ok {
		t.Error("refused after a token came back")
	}
	if ok, _ := l.allow("a"); ok {
		t.Error("two attempts allowed after one token came back")
	}
}
