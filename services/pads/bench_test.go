package pads

import (
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

const tracePath = "../../testdata/editing-traces/automerge-paper.json.gz"

// BenchmarkOpenPads holds 100 pads of about 50 KB in memory (each loaded
// from the state of 50,000 characters typed along the automerge-paper
// trace) and reports the heap each costs, against yjs in Node holding the
// same 100 documents in the same run.
func BenchmarkOpenPads(b *testing.B) {
	node, err := exec.LookPath("node")
	if err != nil {
		b.Skip("node is needed for the yjs peer")
	}
	if _, err := os.Stat(tracePath); err != nil {
		b.Skipf("editing trace missing: %v", err)
	}
	const pads, chars = 100, 50_000
	out, err := exec.Command(node, "testdata/openpads.mjs", "make", tracePath, strconv.Itoa(chars)).Output()
	if err != nil {
		b.Fatalf("make the state: %v", err)
	}
	state, err := base64.StdEncoding.DecodeString(string(out))
	if err != nil {
		b.Fatal(err)
	}
	stateFile := filepath.Join(b.TempDir(), "state.b64")
	os.WriteFile(stateFile, out, 0o600)

	st := testStore(b)
	for i := range pads {
		if err := st.create(padMeta{ID: fmt.Sprint("p", i), ReadID: fmt.Sprint("r", i)}, state); err != nil {
			b.Fatal(err)
		}
	}
	h := newHub(st, nil, DefaultLimits)
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		open := make([]*pad, pads)
		for i := range open {
			if open[i], err = h.load(fmt.Sprint("p", i)); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		if got := open[pads-1].doc.Text("text").Len(); got < chars {
			b.Fatalf("pad holds %d characters, want ≥ %d", got, chars)
		}
		perPad := float64(after.HeapAlloc-before.HeapAlloc) / pads
		runtime.KeepAlive(open)

		peerOut, err := exec.Command(node, "--expose-gc", "testdata/openpads.mjs", "load", stateFile, strconv.Itoa(pads)).Output()
		if err != nil {
			b.Fatalf("yjs peer: %v", err)
		}
		peer, _ := strconv.ParseFloat(strings.TrimSpace(string(peerOut)), 64)
		b.ReportMetric(perPad, "heapB/pad")
		b.ReportMetric(peer, "yjs-heapB/pad")
		b.ReportMetric(perPad/peer, "x-yjs")
		b.ReportMetric(float64(len(state)), "stateB")
	}
}
