package main

import (
	"strings"
	"testing"
)

// TestTallyCommand: `coopbox tally` counts a PrefLib file with the box's own
// code (Wikipedia's Schulze example: E wins; instant runoff elects C).
func TestTallyCommand(t *testing.T) {
	for _, tc := range []struct{ method, winner string }{{"schulze", "winner: E"}, {"irv", "winner: C"}} {
		var out, errs strings.Builder
		if rc := run([]string{"tally", "--method", tc.method, "testdata/schulze-wikipedia.soc"}, &out, &errs); rc != 0 {
			t.Fatalf("tally %s: exit %d: %s", tc.method, rc, errs.String())
		}
		if !strings.Contains(out.String(), tc.winner) {
			t.Errorf("tally %s: no %q in\n%s", tc.method, tc.winner, out.String())
		}
	}
	var out, errs strings.Builder
	if rc := run([]string{"tally", "--method", "schulze", "testdata/missing.soc"}, &out, &errs); rc == 0 {
		t.Error("tally of a missing file succeeded")
	}
}
