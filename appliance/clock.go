package appliance

import (
	"sync"
	"time"
)

// clock is the box's idea of the time.
//
// A Raspberry Pi has no battery clock, and gokrazy's ntp saves the time only on
// a clean shutdown, so after a power cut an offline box boots in 1970 or at a
// stale time. Nothing in coopbox orders events by wall clock (server sequence
// numbers do that), but people read dates on minutes, backups and sessions
// expire. So:
//
//   - the system clock is trusted when it is at or past the floor: the later of
//     the build time and the latest time this box recorded (saved every few
//     minutes by Box.Run);
//   - below the floor the clock is unset: time continues from the floor, and the
//     first facilitator's browser may set it (adopt), which the box records as
//     set by hand;
//   - the clock never runs back before the floor.
type clock struct {
	mu        sync.Mutex
	sys       func() time.Time // time.Now, or a fake in tests
	floor     time.Time
	offset    time.Duration // added to sys while sys is below floor
	setByHand string        // who set it, when it was adopted from a browser
}

func newClock(sys func() time.Time, buildTime, lastSeen time.Time) *clock {
	floor := buildTime
	if lastSeen.After(floor) {
		floor = lastSeen
	}
	c := &clock{sys: sys, floor: floor}
	if now := sys(); now.Before(floor) {
		c.offset = floor.Sub(now)
	}
	return c
}

// Now returns the box's current time.
func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nowLocked()
}

func (c *clock) nowLocked() time.Time {
	now := c.sys()
	if !now.Before(c.floor) {
		return now // the system clock is sane (ntp, a laptop)
	}
	if t := now.Add(c.offset); !t.Before(c.floor) {
		return t
	}
	return c.floor
}

// Unset reports whether the system clock is below the floor, so that the box
// runs on its own reckoning and would take the time from a browser.
func (c *clock) Unset() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sys().Before(c.floor)
}

// Adopt takes t, a facilitator's browser time, as the current time when the
// system clock is unset and t is not before the box's current time. It reports
// whether it did. by names who set it, for the status page.
func (c *clock) Adopt(t time.Time, by string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.sys()
	if !now.Before(c.floor) || t.Before(c.nowLocked()) {
		return false
	}
	c.offset = t.Sub(now)
	c.setByHand = by
	return true
}

// SetBy returns who set the clock by hand, or "" if nobody did.
func (c *clock) SetBy() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.sys().Before(c.floor) {
		return ""
	}
	return c.setByHand
}
