package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// target is a pad server to load: where to connect and which process to watch.
type target struct {
	name   string
	wsURL  string // full URL of the pad's WebSocket
	header http.Header
	pid    int
	stop   func()
}

func run(server string, counts []int, rate float64, dur time.Duration, peer bool) error {
	fmt.Printf("pad load: each author types %.0f characters a second for %v; latency from send to receipt by every other author\n", rate, dur)
	fmt.Println("coopbox is measured over TLS (wss, as the box serves), with every update committed to disk before it is relayed;")
	fmt.Println("the peer over plain ws, in memory. The load generator runs on the same machine and takes CPU too.")
	fmt.Printf("%-22s %7s %9s %9s %9s %9s %8s %9s %9s %4s\n", "server", "authors", "p50", "p95", "p99", "max", "lost", "cpu", "peak rss", "cut")
	for _, n := range counts {
		var results []result
		starts := []func() (*target, error){func() (*target, error) { return startCoopbox(server) }}
		if peer {
			starts = append(starts, startPeer)
		}
		for _, start := range starts {
			tg, err := start()
			if err != nil {
				return err
			}
			res, err := load(tg, n, rate, dur)
			tg.stop()
			if err != nil {
				return fmt.Errorf("%s, %d authors: %w", tg.name, n, err)
			}
			res.print()
			results = append(results, res)
		}
		if len(results) == 2 && results[1].p95 > 0 {
			fmt.Printf("%-22s %7d  p95 ratio coopbox/peer %.2f, cpu ratio %.2f\n", "", n,
				float64(results[0].p95)/float64(results[1].p95), results[0].cpu/results[1].cpu)
		}
	}
	return nil
}

var insecure = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}} // the box's own CA; loopback only

// startCoopbox runs the coopbox binary on a temporary folder, joins as a
// participant and creates the pad.
func startCoopbox(bin string) (*target, error) {
	dir, err := os.MkdirTemp("", "coopbox-padload-")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", "-data", dir, "-https", "127.0.0.1:0", "-http", "")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	stop := func() { cmd.Process.Kill(); cmd.Wait(); os.RemoveAll(dir) }
	// Where it serves, and the claim code it prints (a fresh box).
	lines, err := waitForLines(stderr, regexp.MustCompile(`https=(https://127\.0\.0\.1:\d+)`), regexp.MustCompile(`claim_code="([0-9 ]+)"`))
	if err != nil {
		stop()
		return nil, err
	}
	base, code := lines[0], lines[1]
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Transport: insecure, Timeout: 10 * time.Second}
	if _, err := c.PostForm(base+"/claim", url.Values{"box": {"padload"}, "name": {"Load"}, "passphrase": {"padload passphrase"}, "again": {"padload passphrase"}, "code": {code}}); err != nil {
		stop()
		return nil, err
	}
	res, err := c.Post(base+"/api/pads", "application/json", strings.NewReader(`{"title":"load"}`))
	if err != nil {
		stop()
		return nil, err
	}
	var pad struct{ ID string }
	json.NewDecoder(res.Body).Decode(&pad)
	res.Body.Close()
	if pad.ID == "" {
		stop()
		return nil, fmt.Errorf("create pad: status %d", res.StatusCode)
	}
	u, _ := url.Parse(base)
	hdr := http.Header{"Origin": {base}}
	for _, ck := range jar.Cookies(u) {
		hdr.Add("Cookie", ck.Name+"="+ck.Value)
	}
	return &target{name: "coopbox", wsURL: "wss" + strings.TrimPrefix(base, "https") + "/pads/ws/" + pad.ID,
		header: hdr, pid: cmd.Process.Pid, stop: stop}, nil
}

// startPeer runs y-websocket's own Node server (npm y-websocket 1.5, kept
// as y-websocket-peer), which keeps documents in memory only.
func startPeer() (*target, error) {
	script := filepath.Join("node_modules", "y-websocket-peer", "bin", "server.js")
	if _, err := os.Stat(script); err != nil {
		return nil, fmt.Errorf("peer server missing (npm ci): %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command("node", script)
	cmd.Env = append(os.Environ(), "HOST=127.0.0.1", "PORT="+strconv.Itoa(port))
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	stop := func() { cmd.Process.Kill(); cmd.Wait() }
	addr := "127.0.0.1:" + strconv.Itoa(port)
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if i > 100 {
			stop()
			return nil, fmt.Errorf("peer server did not listen on %s", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return &target{name: "y-websocket (node)", wsURL: "ws://" + addr + "/load", header: http.Header{}, pid: cmd.Process.Pid, stop: stop}, nil
}

// waitForLines reads r until each of res has matched a line, and returns
// the first group of each, in order.
func waitForLines(r io.Reader, res ...*regexp.Regexp) ([]string, error) {
	found := make(chan []string, 1)
	go func() {
		got := make([]string, len(res))
		left := len(res)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			for i, re := range res {
				if m := re.FindStringSubmatch(sc.Text()); m != nil && got[i] == "" {
					got[i] = m[1]
					if left--; left == 0 {
						found <- got
					}
				}
			}
		}
	}()
	select {
	case got := <-found:
		return got, nil
	case <-time.After(20 * time.Second):
		return nil, fmt.Errorf("server did not start within 20s")
	}
}

type result struct {
	name           string
	authors        int
	p50, p95, p99  time.Duration
	max            time.Duration
	sent, received int64
	expected       int64
	cut            int     // authors disconnected by the server (too slow to read)
	cpu            float64 // fraction of one core
	rss            int64
}

func (r result) print() {
	lost := float64(r.expected-r.received) / float64(max(r.expected, 1)) * 100
	fmt.Printf("%-22s %7d %9s %9s %9s %9s %7.2f%% %8.0f%% %6.0f MiB %4d\n", r.name, r.authors,
		r.p50.Round(time.Microsecond*100), r.p95.Round(time.Microsecond*100), r.p99.Round(time.Microsecond*100),
		r.max.Round(time.Millisecond), lost, r.cpu*100, float64(r.rss)/(1<<20), r.cut)
}

// author is one simulated writer. Its client id is 1000+i and its n-th
// character has clock n, so a receiver knows whose send time to look up.
type author struct {
	id     uint64
	ws     *websocket.Conn
	sentAt []atomic.Int64 // unix nanoseconds per clock
	lat    []int32        // microseconds, written by this author's reader only
	got    atomic.Int64
	cut    atomic.Bool // the server closed the connection during the run
}

func load(tg *target, n int, rate float64, dur time.Duration) (result, error) {
	perAuthor := int(rate*dur.Seconds()) + 2
	authors := make([]*author, n)
	byID := map[uint64]*author{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i := range authors {
		a := &author{id: uint64(1000 + i), sentAt: make([]atomic.Int64, perAuthor)}
		dctx, dcancel := context.WithTimeout(ctx, 10*time.Second)
		ws, _, err := websocket.Dial(dctx, tg.wsURL, &websocket.DialOptions{HTTPHeader: tg.header, HTTPClient: &http.Client{Transport: insecure}})
		dcancel()
		if err != nil {
			return result{}, fmt.Errorf("author %d: %w", i, err)
		}
		ws.SetReadLimit(64 << 20)
		a.ws = ws
		authors[i] = a
		byID[a.id] = a
	}
	defer func() {
		for _, a := range authors {
			a.ws.CloseNow()
		}
	}()

	var readers sync.WaitGroup
	for _, a := range authors {
		readers.Go(func() { a.read(ctx, byID) })
		// The stock client's opening: its (empty) state vector.
		a.ws.Write(ctx, websocket.MessageBinary, []byte{0, 0, 1, 0})
	}
	time.Sleep(500 * time.Millisecond) // let the handshakes finish

	cpu0 := cpuTicks(tg.pid)
	start := time.Now()
	var writers sync.WaitGroup
	interval := time.Duration(float64(time.Second) / rate)
	for i, a := range authors {
		writers.Go(func() {
			time.Sleep(time.Duration(i) * interval / time.Duration(n)) // spread the authors over one interval
			t := time.NewTicker(interval)
			defer t.Stop()
			for clock := uint64(0); clock < uint64(perAuthor-2) && time.Since(start) < dur; clock++ {
				msg := updateMessage(a.id, clock)
				a.sentAt[clock].Store(time.Now().UnixNano())
				if err := a.ws.Write(ctx, websocket.MessageBinary, msg); err != nil {
					return
				}
				<-t.C
			}
		})
	}
	writers.Wait()
	elapsed := time.Since(start)
	time.Sleep(2 * time.Second) // updates in flight
	cpu1 := cpuTicks(tg.pid)
	rss := peakRSS(tg.pid)
	cancel()
	for _, a := range authors {
		a.ws.CloseNow()
	}
	readers.Wait()

	var sent int64
	var all []int32
	var received int64
	var cut int
	for _, a := range authors {
		for i := range a.sentAt {
			if a.sentAt[i].Load() != 0 {
				sent++
			}
		}
		all = append(all, a.lat...)
		received += a.got.Load()
		if a.cut.Load() {
			cut++
		}
	}
	slices.Sort(all)
	pct := func(p float64) time.Duration {
		if len(all) == 0 {
			return 0
		}
		return time.Duration(all[min(len(all)-1, int(p*float64(len(all))))]) * time.Microsecond
	}
	res := result{name: tg.name, authors: n, sent: sent, received: received, expected: sent * int64(n-1),
		p50: pct(0.50), p95: pct(0.95), p99: pct(0.99), rss: rss, cut: cut,
		cpu: float64(cpu1-cpu0) / 100 / (elapsed + 2*time.Second).Seconds()}
	if len(all) > 0 {
		res.max = time.Duration(all[len(all)-1]) * time.Microsecond
	}
	return res, nil
}

// read records, for each update another author sent, the time since it was sent.
func (a *author) read(ctx context.Context, byID map[uint64]*author) {
	for {
		_, msg, err := a.ws.Read(ctx)
		if err != nil {
			if ctx.Err() == nil {
				a.cut.Store(true)
			}
			return
		}
		now := time.Now().UnixNano()
		if len(msg) < 3 || msg[0] != 0 {
			continue // awareness and others
		}
		switch msg[1] {
		case 0: // the server's step 1: answer with our (empty) state
			a.ws.Write(ctx, websocket.MessageBinary, []byte{0, 1, 2, 0, 0})
			continue
		case 2: // an update
		default:
			continue
		}
		structs, ok := loadStructs(msg[2:])
		if !ok {
			continue
		}
		for _, st := range structs {
			from := byID[st.client]
			if from == nil || from == a {
				continue
			}
			for clock := st.clock; clock < st.clock+st.n && clock < uint64(len(from.sentAt)); clock++ {
				if t := from.sentAt[clock].Load(); t != 0 {
					a.lat = append(a.lat, int32((now-t)/1000))
					a.got.Add(1)
				}
			}
		}
	}
}

// updateMessage is a y-websocket update message in which client types one
// character: its first character at the start of the root Y.Text "text",
// each next one right after its previous one (origin = its own last item).
func updateMessage(client, clock uint64) []byte {
	var u []byte
	u = appendUvarint(u, 1) // struct groups
	u = appendUvarint(u, 1) // structs in the group
	u = appendUvarint(u, client)
	u = appendUvarint(u, clock)
	if clock == 0 {
		u = append(u, 4)        // Item, string content, no origin
		u = appendUvarint(u, 1) // parent is a root type, named:
		u = appendUvarint(u, 4)
		u = append(u, "text"...)
	} else {
		u = append(u, 4|0x80) // Item, string content, with origin
		u = appendUvarint(u, client)
		u = appendUvarint(u, clock-1)
	}
	u = appendUvarint(u, 1)
	u = append(u, 'x')
	u = appendUvarint(u, 0) // empty delete set
	msg := []byte{0, 2}
	msg = appendUvarint(msg, uint64(len(u)))
	return append(msg, u...)
}

// span is a run of characters of one client in an update.
type span struct{ client, clock, n uint64 }

// loadStructs reads the struct groups of a length-prefixed update made of
// the load's own items: string content, an origin or a root parent. The
// server may relay several authors' updates merged into one, and merge a
// client's consecutive characters into one item, so every group and item is
// read. Anything else stops the reading (ok = false).
func loadStructs(b []byte) (out []span, ok bool) {
	r := byteReader{b: b}
	r.uvarint() // length of the update
	groups := r.uvarint()
	for range groups {
		n := r.uvarint()
		client := r.uvarint()
		clock := r.uvarint()
		for range n {
			info := r.byte()
			if info&0x1f != 4 { // only string items
				return out, false
			}
			if info&0x80 != 0 {
				r.uvarint()
				r.uvarint()
			}
			if info&0x40 != 0 {
				r.uvarint()
				r.uvarint()
			}
			if info&0xc0 == 0 {
				if r.uvarint() == 1 {
					r.skip(r.uvarint()) // root type name
				} else {
					r.uvarint()
					r.uvarint()
				}
			}
			if info&0x20 != 0 {
				r.skip(r.uvarint())
			}
			length := r.uvarint() // bytes of the string; the load types ASCII
			r.skip(length)
			if r.bad {
				return out, false
			}
			out = append(out, span{client, clock, length})
			clock += length
		}
	}
	return out, !r.bad
}

type byteReader struct {
	b   []byte
	pos int
	bad bool
}

func (r *byteReader) byte() byte {
	if r.pos >= len(r.b) {
		r.bad = true
		return 0
	}
	r.pos++
	return r.b[r.pos-1]
}

func (r *byteReader) uvarint() uint64 {
	v, n := uvarint(r.b[min(r.pos, len(r.b)):])
	if n == 0 {
		r.bad = true
	}
	r.pos += n
	return v
}

func (r *byteReader) skip(n uint64) {
	if n > uint64(len(r.b)-min(r.pos, len(r.b))) {
		r.bad = true
		return
	}
	r.pos += int(n)
}

func appendUvarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func uvarint(b []byte) (uint64, int) {
	var v uint64
	for i, c := range b {
		if i > 9 {
			return 0, 0
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			return v, i + 1
		}
	}
	return 0, 0
}

// cpuTicks is the process's user+system time in clock ticks (1/100 s).
func cpuTicks(pid int) int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(raw)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	k, _ := strconv.ParseInt(f[12], 10, 64)
	return u + k
}

// peakRSS is the process's peak resident memory (VmHWM).
func peakRSS(pid int) int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			kb, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}
