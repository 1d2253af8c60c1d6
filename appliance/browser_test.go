package appliance

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// requireAll makes missing tools a failure rather than a skip: `make test`
// and CI set it, so that a browser test cannot silently stop running.
func requireAll() bool { return os.Getenv("COOPBOX_REQUIRE_ALL") == "1" }

func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	if requireAll() {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// TestBrowser drives Debian's Chromium through the landing page, the claim
// flow, the English switch and an axe-core check (testdata/browser/box.mjs).
func TestBrowser(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		skipOrFail(t, "node not installed: %v", err)
	}
	if _, err := os.Stat("../node_modules/playwright-core"); err != nil {
		skipOrFail(t, "npm packages missing (run: npm ci): %v", err)
	}
	if _, err := os.Stat("/usr/bin/chromium"); err != nil {
		skipOrFail(t, "Debian's chromium missing (apt-get install chromium): %v", err)
	}
	tb := startBox(t, t.TempDir())
	shots := os.Getenv("COOPBOX_SCREENSHOTS") // a folder, to look at the pages
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// The claim code, as a person reads it off the screen or the terminal.
	cmd := exec.CommandContext(ctx, node, filepath.Join("testdata", "browser", "box.mjs"), tb.base, tb.ClaimCode(), shots)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("browser test: %v", err)
	}
}
