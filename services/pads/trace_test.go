package pads

import (
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coopbox/coopbox/services/pads/ydoc"
)

// TestTraceThroughTheServer replays the real editing traces (automerge-paper:
// 259,778 transactions, seph-blog1: 137,154, typed by yjs in Node, one
// update each) through a WebSocket into the pad server, and checks the
// stored pad reads each trace's endContent.
func TestTraceThroughTheServer(t *testing.T) {
	for _, name := range []string{"automerge-paper", "seph-blog1"} {
		t.Run(name, func(t *testing.T) { replayThroughServer(t, name) })
	}
}

func replayThroughServer(t *testing.T, name string) {
	node := requireNode(t)
	path := "../../testdata/editing-traces/" + name + ".json.gz"
	f, err := os.Open(path)
	if err != nil {
		if os.Getenv("COOPBOX_REQUIRE_ALL") == "1" {
			t.Fatalf("%s: %v", path, err)
		}
		t.Skipf("the repository's testdata is incomplete: %v", err)
	}
	var tr struct {
		EndContent string `json:"endContent"`
	}
	z, _ := gzip.NewReader(f)
	err = json.NewDecoder(z).Decode(&tr)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "updates")
	if out, err := exec.Command(node, "ydoc/testdata/trace.mjs", path, file).CombinedOutput(); err != nil {
		t.Fatalf("trace.mjs: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}

	ts := startService(t, filepath.Join(t.TempDir(), "pads.db"), Limits{MaxMessage: 1 << 20, MaxPad: 64 << 20, CompactEvery: 5000})
	p := ts.createPad(t, "Trace")
	c := dial(t, ts, p.ID, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	go func() { // the server's messages must be read, or it would drop us as too slow
		for {
			if _, _, err := c.Read(ctx); err != nil {
				return
			}
		}
	}()
	n := 0
	for b := raw; len(b) >= 4; n++ {
		size := binary.LittleEndian.Uint32(b)
		if err := c.Write(ctx, websocket.MessageBinary, encodeSync(syncUpdate, b[4:4+size])); err != nil {
			t.Fatalf("update %d: %v", n, err)
		}
		b = b[4+size:]
	}
	text := func() string {
		snap, updates, _, err := ts.st.load(p.ID)
		if err != nil {
			t.Fatal(err)
		}
		d := ydoc.NewDoc(1)
		for _, u := range append([][]byte{snap}, updates...) {
			if u != nil {
				if err := d.ApplyUpdate(u); err != nil {
					t.Fatal(err)
				}
			}
		}
		return d.Text("t").String()
	}
	for got := text(); got != tr.EndContent; got = text() {
		if ctx.Err() != nil {
			t.Fatalf("after %d updates the stored pad has %d characters, want the trace's %d", n, len([]rune(got)), len([]rune(tr.EndContent)))
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("%d updates through the server: the stored pad is the trace's endContent (%d characters)", n, len([]rune(tr.EndContent)))
	c.Close(websocket.StatusNormalClosure, "")
}
