package decide

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudflare/circl/blindsign/blindrsa"
	bolt "go.etcd.io/bbolt"
)

// blindTokens does what the member's page does: make tokens, blind them,
// have the box sign them (member cookie), unblind. It returns the tokens,
// signatures, and the blinded values the box saw.
func blindTokens(t *testing.T, h *harness, v Vote, member string, n int) (tokens, sigs, seen [][]byte) {
	t.Helper()
	pk, err := x509.ParsePKIXPublicKey(v.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := blindrsa.NewClient(blindVariant, pk.(*rsa.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	var states []blindrsa.State
	var req []string
	for range n {
		msg := make([]byte, 32)
		rand.Read(msg)
		prepared, err := c.Prepare(rand.Reader, msg)
		if err != nil {
			t.Fatal(err)
		}
		blinded, st, err := c.Blind(rand.Reader, prepared)
		if err != nil {
			t.Fatal(err)
		}
		tokens, seen, states = append(tokens, prepared), append(seen, blinded), append(states, st)
		req = append(req, base64.RawURLEncoding.EncodeToString(blinded))
	}
	var out struct{ Signatures []string }
	json.Unmarshal(h.must2(h.do("", member, "POST", "/api/decide/votes/"+v.ID+"/sign", map[string]any{"blinded": req}))(200), &out)
	for i, s := range out.Signatures {
		bs, _ := base64.RawURLEncoding.DecodeString(s)
		seen = append(seen, bs)
		sig, err := c.Finalize(states[i], bs)
		if err != nil {
			t.Fatal(err)
		}
		sigs = append(sigs, sig)
	}
	return tokens, sigs, seen
}

func castSigned(h *harness, v Vote, token, sig []byte, ballot string) (int, []byte) {
	return h.do("", "", "POST", "/api/decide/votes/"+v.ID+"/cast", fmt.Sprintf(`{"token":%q,"signature":%q,"ballot":%s}`,
		base64.RawURLEncoding.EncodeToString(token), base64.RawURLEncoding.EncodeToString(sig), ballot))
}

func castCard(h *harness, v Vote, code, ballot string) (int, []byte) {
	return h.do("", "", "POST", "/api/decide/votes/"+v.ID+"/cast", fmt.Sprintf(`{"token":%q,"ballot":%s}`, code, ballot))
}

var cardCodeRE = regexp.MustCompile(`<p class="code">([A-Z2-7-]+)</p>`)

// printCards prints n cards through the desk's form and reads their codes
// off the sheet.
func printCards(t *testing.T, h *harness, v Vote, n int) []string {
	t.Helper()
	body := h.must2(h.do("facilitator", "", "POST", "/decide/v/"+v.ID+"/cards", "count="+fmt.Sprint(n)))(200)
	var codes []string
	for _, m := range cardCodeRE.FindAllSubmatch(body, -1) {
		codes = append(codes, string(m[1]))
	}
	if len(codes) != n {
		t.Fatalf("%d codes on the sheet, want %d", len(codes), n)
	}
	return codes
}

// secretVote opens a secret yes/no vote with members m00..m03 present,
// m00 carrying m04's proxy.
func secretVote(t *testing.T, n int) (*harness, Vote) {
	h := newHarness(t, n)
	h.s.stubCheckIn(h.aid, "m00", "m01", "m02", "m03")
	h.s.stubProxy(h.aid, "m04", "m00")
	v := h.createVote(map[string]any{"title": "Secret budget", "type": "yesno", "secret": true, "delegation": true}, true)
	if !v.Secret || v.Delegation || !v.HideResult || len(v.PublicKey) == 0 {
		t.Fatalf("secret vote: %+v", v)
	}
	return h, v
}

func TestSecretVoteEndToEnd(t *testing.T) {
	h, v := secretVote(t, 5)
	// Rights: m00 has 2 (own + proxy), the others present 1, m04 absent 0.
	tokens, sigs, _ := blindTokens(t, h, v, "m00", 2)
	if st, body := h.do("", "m00", "POST", "/api/decide/votes/"+v.ID+"/sign", map[string]any{"blinded": []string{base64.RawURLEncoding.EncodeToString(make([]byte, 256))}}); st != 403 {
		t.Errorf("a third signature for m00: %d %s", st, body)
	}
	if st, _ := h.do("", "m04", "POST", "/api/decide/votes/"+v.ID+"/sign", map[string]any{"blinded": []string{base64.RawURLEncoding.EncodeToString(make([]byte, 256))}}); st != 403 {
		t.Errorf("an absent member got a signature: %d", st)
	}
	// The desk hands m01 one card; a second is refused.
	h.must2(h.do("facilitator", "", "POST", "/api/decide/votes/"+v.ID+"/handed", map[string]any{"member": "m01", "count": 1}))(200)
	if st, _ := h.do("facilitator", "", "POST", "/api/decide/votes/"+v.ID+"/handed", map[string]any{"member": "m01", "count": 1}); st != 403 {
		t.Errorf("a second card for m01: %d", st)
	}
	codes := printCards(t, h, v, 2)

	h.must2(castSigned(h, v, tokens[0], sigs[0], `{"choice":0}`))(200)
	h.must2(castSigned(h, v, tokens[1], sigs[1], `{"choice":0}`))(200)
	h.must2(castCard(h, v, strings.ToLower(codes[0]), `{"choice":1}`))(200)
	// Used twice: refused, counted once.
	if st, _ := castSigned(h, v, tokens[0], sigs[0], `{"choice":1}`); st != 409 {
		t.Errorf("token used twice: %d", st)
	}
	if st, _ := castCard(h, v, codes[0], `{"choice":0}`); st != 409 {
		t.Errorf("card used twice: %d", st)
	}
	// A forged signature, a made-up card, a bad ballot: refused, nothing spent.
	bad := bytes.Clone(sigs[1])
	bad[10] ^= 1
	if st, _ := castSigned(h, v, tokens[1][:], bad, `{"choice":0}`); st != 403 && st != 409 {
		t.Errorf("forged signature: %d", st)
	}
	if st, _ := castCard(h, v, "AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AA", `{"choice":0}`); st != 403 {
		t.Errorf("made-up card: %d", st)
	}
	if st, _ := castCard(h, v, codes[1], `{"choice":5}`); st != 400 {
		t.Errorf("bad ballot: %d", st)
	}
	// An open vote's ballot route refuses a secret vote.
	if st, _ := h.ballot(v.ID, "m02", `{"choice":0}`); st != 409 {
		t.Errorf("secret vote through the member route: %d", st)
	}
	// Hidden until closed, even to facilitators.
	var vv voteView
	json.Unmarshal(h.must2(h.do("facilitator", "", "GET", "/api/decide/votes/"+v.ID, nil))(200), &vv)
	if vv.Interim != nil || vv.Ballots != 3 {
		t.Errorf("open secret vote shows %+v, %d ballots", vv.Interim, vv.Ballots)
	}
	h.must2(castCard(h, v, codes[1], `{"choice":2}`))(200)
	h.setState(v.ID, "closed")
	res := h.result(v.ID)
	d := res.Tally.Decision
	if d.Yes != 2 || d.No != 1 || d.Abstain != 1 || res.Outcome != "adopted" || res.Ballots != 4 || res.Issued != 3 {
		t.Errorf("decision %+v outcome %s ballots %d issued %d", d, res.Outcome, res.Ballots, res.Issued)
	}
	if res.Weights != nil {
		t.Errorf("a secret vote's result lists weights")
	}
}

// A token used by 50 requests at the same instant counts once.
func TestSecretTokenRace(t *testing.T) {
	h, v := secretVote(t, 5)
	tokens, sigs, _ := blindTokens(t, h, v, "m01", 1)
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	start := make(chan struct{})
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			st, _ := castSigned(h, v, tokens[0], sigs[0], `{"choice":0}`)
			mu.Lock()
			statuses[st]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	if statuses[200] != 1 || statuses[409] != 49 {
		t.Errorf("statuses %v, want one 200 and 49 409", statuses)
	}
	if n, _ := h.s.st.countBallots(v); n != 1 {
		t.Errorf("%d ballots stored, want 1", n)
	}
}

// 500 ballots cast concurrently over HTTP: none lost, none duplicated.
func TestSecret500Concurrent(t *testing.T) {
	h, v := secretVote(t, 5)
	codes := printCards(t, h, v, 500)
	var wg sync.WaitGroup
	var mu sync.Mutex
	receipts := map[string]bool{}
	failed := 0
	for i, code := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, body := castCard(h, v, code, fmt.Sprintf(`{"choice":%d}`, i%3))
			var out struct{ Receipt string }
			json.Unmarshal(body, &out)
			mu.Lock()
			defer mu.Unlock()
			if st != 200 || out.Receipt == "" || receipts[out.Receipt] {
				failed++
				return
			}
			receipts[out.Receipt] = true
		}()
	}
	wg.Wait()
	if failed != 0 {
		t.Fatalf("%d of 500 ballots failed", failed)
	}
	h.setState(v.ID, "closed")
	res := h.result(v.ID)
	d := res.Tally.Decision
	if res.Ballots != 500 || d.Yes != 167 || d.No != 167 || d.Abstain != 166 {
		t.Errorf("ballots %d, decision %+v", res.Ballots, d)
	}
	for _, p := range res.Published {
		delete(receipts, p.Receipt)
	}
	if len(receipts) != 0 {
		t.Errorf("%d acknowledged receipts missing from the published list", len(receipts))
	}
}

// TestSecretBallotsHoldNoLink reads the bbolt file itself after a secret
// vote and checks that no page holding a ballot holds a member id, a
// member's link token hash, a value of the signing exchange or a time; and
// that no signing value is anywhere in the file.
func TestSecretBallotsHoldNoLink(t *testing.T) {
	h, v := secretVote(t, 5)
	tok0, sig0, seen0 := blindTokens(t, h, v, "m00", 2)
	tok2, sig2, seen2 := blindTokens(t, h, v, "m02", 1)
	h.must2(h.do("facilitator", "", "POST", "/api/decide/votes/"+v.ID+"/handed", map[string]any{"member": "m01", "count": 1}))(200)
	codes := printCards(t, h, v, 1)
	// Distinct ballots, so each can be found in the file.
	h.must2(castSigned(h, v, tok0[0], sig0[0], `{"choice":0}`))(200)
	h.must2(castSigned(h, v, tok0[1], sig0[1], `{"choice":1}`))(200)
	h.must2(castSigned(h, v, tok2[0], sig2[0], `{"choice":2}`))(200)
	h.must2(castCard(h, v, codes[0], `{"choice":0}`))(200)
	// An open vote in the same assembly, so member ids are in the file.
	// (an approval vote: its stored ballots differ from the secret ones).
	ov := h.createVote(map[string]any{"title": "Open", "type": "approval", "options": []string{"A", "B"}}, true)
	h.must2(h.ballot(ov.ID, "m00", `{"approved":[0]}`))(200)
	h.setState(v.ID, "closed")
	h.setState(ov.ID, "closed")
	h.s.Close()
	if err := h.db.Close(); err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(h.path)
	if err != nil {
		t.Fatal(err)
	}
	const pageSize = 4096 // bbolt's page size on this machine (os.Getpagesize)
	if os.Getpagesize() != pageSize {
		t.Skipf("page size %d", os.Getpagesize())
	}
	// What must never sit beside a ballot.
	var forbidden [][]byte
	for _, m := range h.members {
		forbidden = append(forbidden, []byte(`"`+m.ID+`"`), []byte(m.ID))
	}
	var signing [][]byte
	signing = append(signing, seen0...)
	signing = append(signing, seen2...)
	for _, s := range signing {
		for _, enc := range [][]byte{s, []byte(base64.RawURLEncoding.EncodeToString(s)), []byte(base64.StdEncoding.EncodeToString(s))} {
			if bytes.Contains(file, enc[:64]) {
				t.Errorf("a signing value is in the database file")
			}
		}
	}
	forbidden = append(forbidden, []byte(time.Now().UTC().Format("2006-01-02")), []byte(time.Now().Format("2006-01-02")))
	// Members' link token hashes are the roll's: here, any SHA-256 of a
	// member id stands for them.
	for _, m := range h.members {
		sum := sha256.Sum256([]byte(m.ID))
		forbidden = append(forbidden, sum[:], []byte(hex.EncodeToString(sum[:])))
	}
	// Everything stored about the assembly (its members, the rights handed
	// out, the roll's records, open ballots...): any key or value of 8
	// bytes or more under decide/a, but the names of buckets, small numbers
	// and the votes' ids, which the box names its buckets by.
	voteIDs := map[string]bool{v.ID: true, ov.ID: true}
	rdb, err := bolt.Open(h.path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var walk func(b *bolt.Bucket)
	walk = func(b *bolt.Bucket) {
		b.ForEach(func(k, val []byte) error {
			if val == nil {
				walk(b.Bucket(k))
				return nil
			}
			for _, x := range [][]byte{k, val} {
				// (small big-endian numbers, sequence keys and counts, are
				// in every page header too)
				small := len(x) == 8 && bytes.Equal(x[:4], make([]byte, 4))
				if len(x) >= 8 && !small && !voteIDs[string(x)] {
					forbidden = append(forbidden, bytes.Clone(x))
				}
			}
			return nil
		})
	}
	rdb.View(func(tx *bolt.Tx) error {
		walk(tx.Bucket([]byte("decide")).Bucket([]byte("a")))
		return nil
	})
	rdb.Close()
	// The ballots as stored: canonical JSON with weight 1.
	ballots := [][]byte{[]byte(`{"weight":1,"choice":0}`), []byte(`{"weight":1,"choice":1}`), []byte(`{"weight":1,"choice":2}`)}
	found := 0
	for off := 0; off+pageSize <= len(file); off += pageSize {
		pg := file[off : off+pageSize]
		holds := false
		for _, b := range ballots {
			if bytes.Contains(pg, b) {
				holds = true
			}
		}
		if !holds {
			continue
		}
		found++
		for _, f := range forbidden {
			if bytes.Contains(pg, f) {
				t.Errorf("page %d holds a ballot and %q", off/pageSize, f)
			}
		}
	}
	if found == 0 {
		t.Fatalf("no page holds a ballot: the test looks for the wrong bytes")
	}
}

// The ballot and signing routes log neither addresses nor paths, whatever
// happens.
func TestBallotRoutesLogNoAddress(t *testing.T) {
	h, v := secretVote(t, 5)
	var buf bytes.Buffer
	h.s.opts.Log = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	tokens, sigs, _ := blindTokens(t, h, v, "m01", 1)
	h.must2(castSigned(h, v, tokens[0], sigs[0], `{"choice":0}`))(200)
	castSigned(h, v, tokens[0], sigs[0], `{"choice":0}`)
	castCard(h, v, "not a code", `{"choice":0}`)
	h.do("", "m01", "POST", "/api/decide/votes/"+v.ID+"/sign", `{"blinded":["AAAA"]}`)
	h.do("", "", "POST", "/api/decide/votes/"+v.ID+"/cast", strings.Repeat("x", maxBallotBody+10))
	// A failing store: the database closed under the service.
	h.s.Close()
	h.db.Close()
	castCard(h, v, "AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AA", `{"choice":0}`)
	if strings.Contains(buf.String(), "127.0.0.1") || strings.Contains(buf.String(), "/api/decide") {
		t.Errorf("the log holds an address or a path:\n%s", buf.String())
	}
	if buf.Len() == 0 {
		t.Errorf("nothing logged, even for the closed database: the test does not reach the log")
	}
}
