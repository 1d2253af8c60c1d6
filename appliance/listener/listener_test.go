package listener

import (
	"testing"
	"time"
)

func TestBodyTime(t *testing.T) {
	d := Default()
	for _, tt := range []struct {
		l    Limits
		n    int64
		want time.Duration
	}{
		{d, 0, time.Minute},
		{d, 64 << 10, time.Minute}, // a form: no time added
		{d, 10 << 20, time.Minute + 80*time.Second},
		{d, 500 << 20, time.Minute + 4000*time.Second}, // an update's root file system
		{Limits{Body: time.Second}, 1 << 30, time.Second},
		{d, -1, time.Minute},
	} {
		if got := tt.l.BodyTime(tt.n); got != tt.want {
			t.Errorf("BodyTime(%d) at %d B/s = %v, want %v", tt.n, tt.l.SlowBytesPerSecond, got, tt.want)
		}
	}
}
