package appliance

import (
	"testing"
	"time"
)

type fakeTime struct{ t time.Time }

func (f *fakeTime) now() time.Time { return f.t }

func TestClock(t *testing.T) {
	build := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	lastSeen := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	epoch := time.Unix(0, 0).UTC()

	t.Run("sane system clock is used", func(t *testing.T) {
		sys := &fakeTime{time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)}
		c := newClock(sys.now, build, lastSeen)
		if got := c.Now(); !got.Equal(sys.t) {
			t.Errorf("Now() = %v, want %v", got, sys.t)
		}
		if c.Unset() {
			t.Error("Unset() = true with a sane clock")
		}
		if c.Adopt(sys.t.Add(time.Hour), "Camille") {
			t.Error("Adopt succeeded although the system clock is sane")
		}
	})

	t.Run("after a power cut time continues from the last seen", func(t *testing.T) {
		sys := &fakeTime{epoch.Add(30 * time.Second)}
		c := newClock(sys.now, build, lastSeen)
		if !c.Unset() {
			t.Fatal("Unset() = false in 1970")
		}
		if got := c.Now(); !got.Equal(lastSeen) {
			t.Errorf("Now() = %v, want %v", got, lastSeen)
		}
		sys.t = sys.t.Add(time.Minute)
		if got, want := c.Now(), lastSeen.Add(time.Minute); !got.Equal(want) {
			t.Errorf("a minute later Now() = %v, want %v", got, want)
		}
	})

	t.Run("a browser sets it, never backwards", func(t *testing.T) {
		sys := &fakeTime{epoch}
		c := newClock(sys.now, build, time.Time{})
		if c.Adopt(build.Add(-time.Hour), "Camille") {
			t.Error("Adopt accepted a time before the floor")
		}
		browser := time.Date(2026, 11, 29, 9, 30, 0, 0, time.UTC)
		if !c.Adopt(browser, "Camille") {
			t.Fatal("Adopt refused a plausible browser time")
		}
		if got := c.Now(); !got.Equal(browser) {
			t.Errorf("Now() = %v, want %v", got, browser)
		}
		if got := c.SetBy(); got != "Camille" {
			t.Errorf("SetBy() = %q", got)
		}
		if c.Adopt(browser.Add(-time.Minute), "Dominique") {
			t.Error("Adopt let the clock run back")
		}
		// ntp arrives: the system clock jumps to the real time and wins.
		sys.t = browser.Add(2 * time.Hour)
		if got := c.Now(); !got.Equal(sys.t) {
			t.Errorf("after ntp Now() = %v, want %v", got, sys.t)
		}
		if c.SetBy() != "" {
			t.Error("SetBy() still reports a hand setting after ntp")
		}
	})
}
