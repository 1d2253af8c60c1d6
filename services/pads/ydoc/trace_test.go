package ydoc

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// traceDir holds the editing traces in the repository's testdata (see
// testdata/README.md at the root).
var traceDir = filepath.Join("..", "..", "..", "testdata", "editing-traces")

type editingTrace struct {
	StartContent string `json:"startContent"`
	EndContent   string `json:"endContent"`
}

func readTrace(t testing.TB, name string) (path string, tr editingTrace) {
	t.Helper()
	path = filepath.Join(traceDir, name+".json.gz")
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		if os.Getenv("COOPBOX_REQUIRE_ALL") == "1" {
			t.Fatalf("%s is absent (COOPBOX_REQUIRE_ALL=1)", path)
		}
		t.Skipf("%s is absent: the repository's testdata is incomplete", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.NewDecoder(z).Decode(&tr); err != nil {
		t.Fatal(err)
	}
	return path, tr
}

// traceUpdates has yjs replay a trace, one update per transaction, and
// returns the updates and the file holding them.
func traceUpdates(t testing.TB, name string) (updates [][]byte, file string, tr editingTrace) {
	t.Helper()
	requireNode(t)
	path, tr := readTrace(t, name)
	file = filepath.Join(t.TempDir(), name+".updates")
	runNode(t, nil, "trace.mjs", path, file)
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for len(b) > 0 {
		if len(b) < 4 {
			t.Fatal("truncated updates file")
		}
		n := binary.LittleEndian.Uint32(b)
		updates = append(updates, b[4:4+n])
		b = b[4+n:]
	}
	return updates, file, tr
}

func TestReplayTraces(t *testing.T) {
	for _, name := range []string{"automerge-paper", "seph-blog1"} {
		t.Run(name, func(t *testing.T) {
			updates, file, tr := traceUpdates(t, name)
			d := NewDoc(99)
			for i, u := range updates {
				if err := d.ApplyUpdate(u); err != nil {
					t.Fatalf("update %d: %v", i, err)
				}
			}
			if got := d.Text("t").String(); got != tr.EndContent {
				t.Fatalf("final text differs from endContent (%d bytes, want %d)", len(got), len(tr.EndContent))
			}
			// Same history, same order: the encoded state should be yjs's,
			// byte for byte (same merges, same garbage collection).
			state := d.EncodeStateAsUpdate(nil)
			yjsState, err := os.ReadFile(file + ".state")
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(state, yjsState) {
				t.Errorf("encoded state: %d bytes, yjs's %d bytes, not identical", len(state), len(yjsState))
			}
			l := loadInYjs(t, state)
			var c struct {
				Text []struct {
					Insert string `json:"insert"`
				} `json:"text"`
			}
			if err := json.Unmarshal(l.Content, &c); err != nil {
				t.Fatal(err)
			}
			got := ""
			for _, op := range c.Text {
				got += op.Insert
			}
			if got != tr.EndContent {
				t.Errorf("Go state loaded in yjs does not give endContent")
			}
		})
	}
}

type yjsFigures struct {
	Updates      int   `json:"updates"`
	NS           int64 `json:"ns"`
	CPUNS        int64 `json:"cpuNS"`
	PeakHeap     int64 `json:"peakHeap"`
	RetainedHeap int64 `json:"retainedHeap"`
	StateSize    int   `json:"stateSize"`
}

// BenchmarkReplayAutomergePaper applies the automerge-paper trace, one
// yjs-made update per keystroke, to a fresh Doc; it also runs yjs on the
// same updates (testdata/bench.mjs) and reports both and the ratios.
func BenchmarkReplayAutomergePaper(b *testing.B) { benchReplay(b, "automerge-paper") }

// BenchmarkReplaySephBlog1 is the same for the seph-blog1 trace.
func BenchmarkReplaySephBlog1(b *testing.B) { benchReplay(b, "seph-blog1") }

func benchReplay(b *testing.B, name string) {
	updates, file, tr := traceUpdates(b, name)
	var y yjsFigures
	if err := json.Unmarshal(runNodeFlags(b, []string{"--expose-gc"}, "bench.mjs", file), &y); err != nil {
		b.Fatal(err)
	}
	// Memory, in a pass of its own: heap growth sampled every 1000 updates,
	// as bench.mjs does for yjs.
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := int64(ms.HeapAlloc)
	var peak int64
	d := NewDoc(99)
	d.SetMaxDepth(64) // as the pad server does
	for i, u := range updates {
		if err := d.ApplyUpdate(u); err != nil {
			b.Fatal(err)
		}
		if i%1000 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, int64(ms.HeapAlloc)-base)
		}
	}
	runtime.ReadMemStats(&ms)
	peak = max(peak, int64(ms.HeapAlloc)-base)
	runtime.GC()
	runtime.ReadMemStats(&ms)
	retained := int64(ms.HeapAlloc) - base
	if d.Text("t").String() != tr.EndContent {
		b.Fatal("final text differs from endContent")
	}
	size := len(d.EncodeStateAsUpdate(nil))
	runtime.KeepAlive(d)

	// Time: wall clock per replay, as yjs's, and the best CPU time of the
	// process per replay (GC workers included), steadier on a shared machine.
	var total time.Duration
	bestCPU := time.Duration(1 << 62)
	for b.Loop() {
		start, cpu0 := time.Now(), cpuTime()
		d := NewDoc(99)
		d.SetMaxDepth(64)
		for _, u := range updates {
			if err := d.ApplyUpdate(u); err != nil {
				b.Fatal(err)
			}
		}
		total += time.Since(start)
		bestCPU = min(bestCPU, cpuTime()-cpu0)
	}
	perRun := total / time.Duration(b.N)
	b.ReportMetric(float64(bestCPU)/1e6, "cpu-ms")
	b.ReportMetric(float64(y.CPUNS)/1e6, "yjs-cpu-ms")
	b.ReportMetric(float64(bestCPU)/float64(y.CPUNS), "cpu/yjs")
	b.ReportMetric(float64(peak)/1e6, "peak-MB")
	b.ReportMetric(float64(retained)/1e6, "retained-MB")
	b.ReportMetric(float64(size), "state-bytes")
	b.ReportMetric(float64(y.NS)/1e6, "yjs-ms")
	b.ReportMetric(float64(y.PeakHeap)/1e6, "yjs-peak-MB")
	b.ReportMetric(float64(y.RetainedHeap)/1e6, "yjs-retained-MB")
	b.ReportMetric(float64(y.StateSize), "yjs-state-bytes")
	b.ReportMetric(float64(perRun)/float64(y.NS), "time/yjs")
	b.ReportMetric(float64(peak)/float64(y.PeakHeap), "peak/yjs")
	b.ReportMetric(float64(size)/float64(y.StateSize), "size/yjs")
	b.Logf("%d updates: Go %v per replay (CPU %v), yjs %v (CPU %v), best of 3", len(updates), perRun, bestCPU, time.Duration(y.NS), time.Duration(y.CPUNS))
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkEncodeStateAutomergePaper measures sync step 2 for a newcomer
// (the whole state) on the finished automerge-paper document.
func BenchmarkEncodeStateAutomergePaper(b *testing.B) {
	d := replayed(b, "automerge-paper")
	var n int
	for b.Loop() {
		n = len(d.EncodeStateAsUpdate(nil))
	}
	b.ReportMetric(float64(n), "state-bytes")
}

// BenchmarkLoadStateAutomergePaper measures loading that state into a
// fresh Doc, as the server does when a pad is opened from its snapshot.
func BenchmarkLoadStateAutomergePaper(b *testing.B) {
	state := replayed(b, "automerge-paper").EncodeStateAsUpdate(nil)
	for b.Loop() {
		d := NewDoc(1)
		if err := d.ApplyUpdate(state); err != nil {
			b.Fatal(err)
		}
	}
}

func replayed(b *testing.B, name string) *Doc {
	updates, _, _ := traceUpdates(b, name)
	d := NewDoc(99)
	for _, u := range updates {
		if err := d.ApplyUpdate(u); err != nil {
			b.Fatal(err)
		}
	}
	return d
}
