package image

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// progress shows what the builder is doing: on a terminal, one line
// rewritten in place with a byte count for long copies; elsewhere (CI logs,
// tests), one line per finished step.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	tty   bool
	start time.Time
}

func newProgress(w io.Writer) *progress {
	if w == nil {
		w = io.Discard
	}
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return &progress{w: w, tty: tty, start: time.Now()}
}

// status shows work under way; only a terminal sees it.
func (p *progress) status(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", fmt.Sprintf(format, args...))
	}
}

// done reports a finished step with the time since the build started.
func (p *progress) done(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		fmt.Fprint(p.w, "\r\033[K")
	}
	fmt.Fprintf(p.w, "[%5.1fs] %s\n", time.Since(p.start).Seconds(), fmt.Sprintf(format, args...))
}

// counter returns a writer that counts bytes and shows them against total
// under the label, at most ten times a second.
func (p *progress) counter(label string, total int64) *byteCounter {
	return &byteCounter{p: p, label: label, total: total}
}

type byteCounter struct {
	p     *progress
	label string
	total int64
	n     int64
	last  time.Time
}

func (c *byteCounter) Write(b []byte) (int, error) {
	c.add(int64(len(b)))
	return len(b), nil
}

func (c *byteCounter) add(n int64) {
	c.n += n
	if now := time.Now(); now.Sub(c.last) > 100*time.Millisecond || c.n == c.total {
		c.last = now
		pct := 100.0
		if c.total > 0 {
			pct = 100 * float64(c.n) / float64(c.total)
		}
		c.p.status("%s: %s of %s (%.0f%%)", c.label, human(c.n), human(c.total), pct)
	}
}

// human formats a byte count in binary units.
func human(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
