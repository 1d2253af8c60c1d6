package meeting

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coopbox/coopbox/services/page"
	"github.com/coopbox/coopbox/services/person"
	bolt "go.etcd.io/bbolt"
)

var roomEpoch = time.Date(2026, 12, 2, 18, 0, 0, 0, time.UTC)

func timeSec(n int) time.Duration { return time.Duration(n) * time.Second }

// roomHarness is the meeting on a real bbolt file behind a real HTTP
// server; the person of each request comes from the header Test-Person,
// "id|name|role" (role "facilitator" or anything else for a participant;
// no header: nobody).
type roomHarness struct {
	t      testing.TB
	s      *Service
	srv    *httptest.Server
	db     *bolt.DB
	mid    string
	client *http.Client
}

func newRoomHarness(t testing.TB) *roomHarness {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "meeting.db"), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Env: page.Env{DB: db}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := &person.Person{Role: person.Anonymous}
		if f := strings.Split(r.Header.Get("Test-Person"), "|"); len(f) == 3 {
			p = &person.Person{ID: f[0], Name: f[1], Role: person.Participant}
			if f[2] == "facilitator" {
				p.Role = person.Facilitator
			}
		}
		s.ServeHTTP(w, r.WithContext(person.NewContext(r.Context(), p)))
	}))
	h := &roomHarness{t: t, s: s, srv: srv, db: db, mid: "mtg1", client: &http.Client{Timeout: 10 * time.Second}}
	h.putMeeting(Meeting{ID: h.mid, Title: "AG", Lang: "fr"})
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		s.Close()
		db.Close()
	})
	return h
}

// putMeeting stores m as the core would have created it.
func (h *roomHarness) putMeeting(m Meeting) {
	h.t.Helper()
	err := h.db.Update(func(tx *bolt.Tx) error {
		return putJSON(tx.Bucket(bucketMeeting).Bucket(bucketMeetings), []byte(m.ID), m)
	})
	if err != nil {
		h.t.Fatal(err)
	}
}

// who: "fac" is the facilitator, "" nobody, any other name a participant
// whose id is that name.
func (h *roomHarness) do(who, method, path string, body any) (int, []byte) {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, h.srv.URL+strings.ReplaceAll(path, "{m}", "/api/meeting/m/"+h.mid), rd)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Accept-Language", "en")
	switch who {
	case "":
	case "fac":
		req.Header.Set("Test-Person", "fac|Facilitator|facilitator")
	default:
		req.Header.Set("Test-Person", who+"|Name of "+who+"|participant")
	}
	resp, err := h.client.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// must sends and checks the status, decoding the answer into out.
func (h *roomHarness) must(want int, out any, who, method, path string, body any) {
	h.t.Helper()
	status, raw := h.do(who, method, path, body)
	if status != want {
		h.t.Fatalf("%s %s as %q: status %d, want %d: %s", method, path, who, status, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			h.t.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
	}
}

func (h *roomHarness) room(who string) roomView {
	h.t.Helper()
	var v roomView
	h.must(200, &v, who, "GET", "{m}/room", nil)
	return v
}

func (h *roomHarness) ask(who, text string) questionView {
	h.t.Helper()
	var out struct{ Question questionView }
	h.must(201, &out, who, "POST", "{m}/questions", map[string]any{"text": text})
	return out.Question
}

func TestQuestionsFlow(t *testing.T) {
	h := newRoomHarness(t)
	a := h.ask("ann", "Who pays for the hall?")
	b := h.ask("bob", "When do we vote?")
	c := h.ask("cat", "Why now?")
	h.must(200, nil, "cat", "POST", fmt.Sprintf("{m}/questions/%d/vote", b.ID), `{"up":true}`)
	h.must(200, nil, "dan", "POST", fmt.Sprintf("{m}/questions/%d/vote", b.ID), `{"up":true}`)
	h.must(200, nil, "dan", "POST", fmt.Sprintf("{m}/questions/%d/vote", c.ID), `{"up":true}`)
	if st, _ := h.do("dan", "POST", fmt.Sprintf("{m}/questions/%d/vote", c.ID), `{}`); st != 400 {
		t.Errorf("a vote that says neither up nor down: %d", st)
	}

	v := h.room("dan")
	order := []uint64{}
	for _, q := range v.Questions {
		order = append(order, q.ID)
	}
	if want := []uint64{b.ID, c.ID, a.ID}; fmt.Sprint(order) != fmt.Sprint(want) {
		t.Fatalf("order %v, want %v (votes, then older first)", order, want)
	}
	if !v.Questions[0].Voted || v.Questions[2].Voted || v.Questions[0].Votes != 2 {
		t.Errorf("dan's view: %+v", v.Questions)
	}
	if v.Questions[2].Author != "Name of ann" || v.Questions[2].Mine {
		t.Errorf("author shown %q, mine %v", v.Questions[2].Author, v.Questions[2].Mine)
	}

	// Undo a vote: c falls behind a? No: both at 0 votes, a is older.
	h.must(200, nil, "dan", "POST", fmt.Sprintf("{m}/questions/%d/vote", c.ID), `{"up":false}`)
	if v := h.room("dan"); v.Questions[1].ID != a.ID || v.Questions[2].Votes != 0 {
		t.Errorf("after undoing: %+v", v.Questions)
	}

	// Nobody acts for another: bob cannot edit or withdraw ann's question.
	if st, _ := h.do("bob", "POST", fmt.Sprintf("{m}/questions/%d/text", a.ID), `{"text":"changed"}`); st != 403 {
		t.Errorf("bob edits ann's question: %d", st)
	}
	if st, _ := h.do("bob", "POST", fmt.Sprintf("{m}/questions/%d/withdraw", a.ID), `{}`); st != 403 {
		t.Errorf("bob withdraws ann's question: %d", st)
	}
	// Participants cannot moderate.
	if st, _ := h.do("bob", "POST", fmt.Sprintf("{m}/questions/%d/moderate", a.ID), `{"action":"hide"}`); st != 403 {
		t.Errorf("a participant hides: %d", st)
	}
	if st, _ := h.do("", "POST", "{m}/questions", `{"text":"x"}`); st != 401 {
		t.Errorf("nobody asks: %d", st)
	}
	h.must(200, nil, "ann", "POST", fmt.Sprintf("{m}/questions/%d/text", a.ID), `{"text":"Who pays the hall?"}`)

	// Moderation: merge c into b, hide a, pin… then answered.
	h.must(200, nil, "fac", "POST", fmt.Sprintf("{m}/questions/%d/vote", c.ID), `{"up":true}`)
	h.must(200, nil, "cat", "POST", fmt.Sprintf("{m}/questions/%d/vote", c.ID), `{"up":true}`)
	h.must(200, nil, "fac", "POST", fmt.Sprintf("{m}/questions/%d/moderate", c.ID), map[string]any{"action": "merge", "into": b.ID})
	h.must(200, nil, "fac", "POST", fmt.Sprintf("{m}/questions/%d/moderate", a.ID), `{"action":"hide"}`)
	v = h.room("ann")
	if len(v.Questions) != 1 || v.Questions[0].ID != b.ID || v.Questions[0].Votes != 3 || fmt.Sprint(v.Questions[0].Merged) != "[Why now?]" {
		t.Fatalf("after merge and hide, ann sees %+v (want b with cat, dan, fac: 3 votes)", v.Questions)
	}
	if len(v.Hidden) != 0 {
		t.Errorf("a participant sees hidden questions: %+v", v.Hidden)
	}
	if f := h.room("fac"); len(f.Hidden) != 1 || f.Hidden[0].Text != "Who pays the hall?" {
		t.Errorf("the facilitator's hidden list: %+v", f.Hidden)
	}
	if st, _ := h.do("fac", "POST", fmt.Sprintf("{m}/questions/%d/moderate", b.ID), map[string]any{"action": "merge", "into": b.ID}); st != 409 {
		t.Errorf("merge into itself: %d", st)
	}
	if st, _ := h.do("dan", "POST", fmt.Sprintf("{m}/questions/%d/vote", c.ID), `{"up":true}`); st != 409 {
		t.Errorf("vote on a merged question: %d", st)
	}
	h.must(200, nil, "fac", "POST", fmt.Sprintf("{m}/questions/%d/moderate", b.ID), `{"action":"answered"}`)
	if v := h.room("ann"); len(v.Top) != 0 || !v.Questions[0].Answered {
		t.Errorf("answered question still on top: %+v", v)
	}
	h.must(200, nil, "bob", "POST", fmt.Sprintf("{m}/questions/%d/withdraw", b.ID), `{}`)
	if v := h.room("ann"); len(v.Questions) != 0 {
		t.Errorf("withdrawn question still listed: %+v", v.Questions)
	}
}

func TestAnonymousQuestion(t *testing.T) {
	h := newRoomHarness(t)
	if st, body := h.do("ann", "POST", "{m}/questions", `{"text":"Secret?","anonymous":true}`); st != 403 || !strings.Contains(string(body), "not allowed") {
		t.Fatalf("anonymous while not allowed: %d %s", st, body)
	}
	h.must(200, nil, "fac", "POST", "{m}/room/settings", `{"anonymousQuestions":true}`)
	var out struct {
		Question questionView
		Handle   string
	}
	h.must(201, &out, "ann", "POST", "{m}/questions", `{"text":"Is the budget sound?","anonymous":true}`)
	if out.Handle == "" || out.Question.Author != "" {
		t.Fatalf("anonymous answer: %+v", out)
	}
	// The database holds no trace of ann, nor the handle itself.
	raw := h.dump()
	for _, s := range []string{"ann", "Name of ann", out.Handle} {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("the database holds %q", s)
		}
	}
	path := fmt.Sprintf("{m}/questions/%d", out.Question.ID)
	// Ann herself without the handle is refused: the box does not know her.
	if st, _ := h.do("ann", "POST", path+"/text", `{"text":"x?"}`); st != 403 {
		t.Errorf("edit without handle: %d", st)
	}
	if st, _ := h.do("bob", "POST", path+"/text", `{"text":"x?","handle":"AAAAAAAAAAAAAAAAAAAAAA"}`); st != 403 {
		t.Errorf("edit with a wrong handle: %d", st)
	}
	h.must(200, nil, "ann", "POST", path+"/text", map[string]string{"text": "Is the budget balanced?", "handle": out.Handle})
	// Upvotes still count one per person.
	for _, who := range []string{"bob", "bob", "cat"} {
		h.must(200, nil, who, "POST", path+"/vote", `{"up":true}`)
	}
	if v := h.room("dan"); v.Questions[0].Votes != 2 || v.Questions[0].Text != "Is the budget balanced?" || v.Questions[0].Author != "" {
		t.Errorf("anonymous question: %+v", v.Questions[0])
	}
	h.must(200, nil, "ann", "POST", path+"/withdraw", map[string]string{"handle": out.Handle})
	if v := h.room("dan"); len(v.Questions) != 0 {
		t.Errorf("withdrawn: %+v", v.Questions)
	}
}

// dump is every key and value of the database.
func (h *roomHarness) dump() []byte {
	var buf bytes.Buffer
	h.db.View(func(tx *bolt.Tx) error {
		var walk func(b *bolt.Bucket)
		walk = func(b *bolt.Bucket) {
			b.ForEach(func(k, v []byte) error {
				buf.Write(k)
				if v == nil {
					walk(b.Bucket(k))
				} else {
					buf.Write(v)
				}
				return nil
			})
		}
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error { walk(b); return nil })
	})
	return buf.Bytes()
}

// Two people upvoting the same question at once count twice; one person
// twice at once counts once.
func TestConcurrentVotes(t *testing.T) {
	h := newRoomHarness(t)
	q := h.ask("ann", "Parallel?")
	r := h.ask("ann", "Twice?")
	for round := range 20 {
		var wg sync.WaitGroup
		vote := func(who string, id uint64) {
			defer wg.Done()
			if st, body := h.do(who, "POST", fmt.Sprintf("{m}/questions/%d/vote", id), `{"up":true}`); st != 200 {
				t.Errorf("vote: %d %s", st, body)
			}
		}
		p1, p2 := fmt.Sprintf("a%d", round), fmt.Sprintf("b%d", round)
		wg.Add(4)
		go vote(p1, q.ID)
		go vote(p2, q.ID)
		go vote(p1, r.ID)
		go vote(p1, r.ID)
		wg.Wait()
	}
	v := h.room("ann")
	got := map[uint64]int{}
	for _, x := range v.Questions {
		got[x.ID] = x.Votes
	}
	if got[q.ID] != 40 || got[r.ID] != 20 {
		t.Errorf("votes %v: want %d→40 (two people each round), %d→20 (one person twice each round)", got, q.ID, r.ID)
	}
}

func TestProsAndCons(t *testing.T) {
	h := newRoomHarness(t)
	if st, _ := h.do("ann", "POST", "{m}/proposals", `{"title":"Buy a van"}`); st != 403 {
		t.Errorf("a participant creates a proposal: %d", st)
	}
	var p Proposal
	h.must(201, &p, "fac", "POST", "{m}/proposals", `{"title":"Buy a van","item":"item-3"}`)
	var pro1, pro2, con1 argumentView
	h.must(201, &pro1, "ann", "POST", fmt.Sprintf("{m}/proposals/%d/arguments", p.ID), `{"side":"pro","text":"Deliveries"}`)
	h.must(201, &pro2, "bob", "POST", fmt.Sprintf("{m}/proposals/%d/arguments", p.ID), `{"side":"pro","text":"Cheaper than renting"}`)
	h.must(201, &con1, "cat", "POST", fmt.Sprintf("{m}/proposals/%d/arguments", p.ID), `{"side":"con","text":"Insurance"}`)
	for _, who := range []string{"dan", "eve", "dan"} {
		h.must(200, nil, who, "POST", fmt.Sprintf("{m}/arguments/%d/support", pro2.ID), `{"up":true}`)
	}
	if st, _ := h.do("ann", "POST", fmt.Sprintf("{m}/arguments/%d/withdraw", con1.ID), nil); st != 403 {
		t.Errorf("ann withdraws cat's argument: %d", st)
	}
	if st, _ := h.do("ann", "POST", fmt.Sprintf("{m}/proposals/%d/arguments", p.ID), `{"side":"maybe","text":"x"}`); st != 422 {
		t.Errorf("bad side: %d", st)
	}
	v := h.room("dan")
	if len(v.Boards) != 1 || v.Boards[0].Item != "item-3" {
		t.Fatalf("boards %+v", v.Boards)
	}
	b := v.Boards[0]
	if len(b.Pros) != 2 || b.Pros[0].ID != pro2.ID || b.Pros[0].Supports != 2 || !b.Pros[0].Supported || len(b.Cons) != 1 {
		t.Errorf("board %+v", b)
	}
	h.must(200, nil, "fac", "POST", fmt.Sprintf("{m}/arguments/%d/moderate", con1.ID), `{"action":"hide"}`)
	h.must(200, nil, "ann", "POST", fmt.Sprintf("{m}/arguments/%d/withdraw", pro1.ID), nil)
	if b := h.room("dan").Boards[0]; len(b.Pros) != 1 || len(b.Cons) != 0 || len(b.Hidden) != 0 {
		t.Errorf("after hide and withdraw: %+v", b)
	}
	if st, _ := h.do("ann", "POST", "{m}/proposals/999/arguments", `{"side":"pro","text":"x"}`); st != 404 {
		t.Errorf("argument on no proposal: %d", st)
	}
}

// events opens the meeting's event stream as who and returns its events
// as they come.
func (h *roomHarness) events(who string) <-chan page.Event {
	h.t.Helper()
	req, _ := http.NewRequest("GET", h.srv.URL+"/meeting/m/"+h.mid+"/events", nil)
	req.Header.Set("Test-Person", who+"|"+who+"|participant")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		h.t.Fatalf("events: %d", resp.StatusCode)
	}
	h.t.Cleanup(func() { resp.Body.Close() })
	out := make(chan page.Event, 256)
	go func() {
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		var name string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				name = line[7:]
			case strings.HasPrefix(line, "data: "):
				out <- page.Event{Name: name, Data: []byte(line[6:])}
			}
		}
	}()
	return out
}

// next waits for the event named name (at most a second).
func next(t *testing.T, ch <-chan page.Event, name string) []byte {
	t.Helper()
	deadline := time.After(time.Second)
	for {
		select {
		case e, ok := <-ch:
			if !ok {
				t.Fatalf("stream ended before %q", name)
			}
			if e.Name == name {
				return e.Data
			}
		case <-deadline:
			t.Fatalf("no %q event within a second", name)
		}
	}
}

func TestCheckLive(t *testing.T) {
	h := newRoomHarness(t)
	ev := h.events("projector")
	var first roomView
	json.Unmarshal(next(t, ev, "room"), &first)
	if first.Check != nil {
		t.Fatalf("a check before any: %+v", first.Check)
	}
	if st, _ := h.do("ann", "POST", "{m}/checks", `{"kind":"fist"}`); st != 403 {
		t.Errorf("a participant opens a check: %d", st)
	}
	var c checkView
	h.must(201, &c, "fac", "POST", "{m}/checks", `{"kind":"fist","prompt":"Ready to decide?"}`)
	next(t, ev, "check")
	if st, _ := h.do("fac", "POST", "{m}/checks", `{"kind":"thumbs"}`); st != 409 {
		t.Errorf("a second open check: %d", st)
	}
	path := fmt.Sprintf("{m}/checks/%d/answer", c.ID)
	for _, a := range []struct {
		who string
		v   int
	}{{"ann", 5}, {"bob", 3}, {"ann", 4}} {
		h.must(200, nil, a.who, "POST", path, map[string]int{"value": a.v})
		var got checkView
		json.Unmarshal(next(t, ev, "check"), &got)
		if got.Total == 0 {
			t.Fatalf("event after %s's answer: %+v", a.who, got)
		}
	}
	var last checkView
	h.must(200, &last, "bob", "POST", path, `{"value":3}`)
	var got checkView
	json.Unmarshal(next(t, ev, "check"), &got)
	if fmt.Sprint(got.Counts) != "[0 0 0 1 1 0]" || got.Total != 2 || got.MeanTenths != 35 || got.Mine != nil {
		t.Errorf("distribution on the stream: %+v", got)
	}
	if last.Mine == nil || *last.Mine != 3 {
		t.Errorf("bob's own answer: %+v", last.Mine)
	}
	if st, body := h.do("cat", "POST", path, `{"value":6}`); st != 422 || !strings.Contains(string(body), "scale") {
		t.Errorf("answer 6 to fist-to-five: %d %s", st, body)
	}
	h.must(200, nil, "fac", "POST", fmt.Sprintf("{m}/checks/%d/close", c.ID), nil)
	if st, _ := h.do("cat", "POST", path, `{"value":2}`); st != 409 {
		t.Errorf("answer after close: %d", st)
	}
	if v := h.room("ann"); v.Check == nil || v.Check.Open || v.Check.Total != 2 || v.Check.Mine == nil || *v.Check.Mine != 4 {
		t.Errorf("ann's view of the closed check: %+v", v.Check)
	}
}

func TestRoomBadInput(t *testing.T) {
	h := newRoomHarness(t)
	tests := []struct {
		who, path, body string
		status          int
		says            string
	}{
		{"ann", "{m}/questions", `{"text":""}`, 422, "1 to 500"},
		{"ann", "{m}/questions", `{"text":"` + strings.Repeat("é", 501) + `"}`, 422, "1 to 500"},
		{"ann", "{m}/questions", `{"text":"ok","author":"bob"}`, 400, "unknown field"},
		{"ann", "{m}/questions", `{"text":"ok"} {}`, 400, "one JSON object"},
		{"ann", "{m}/questions", `[`, 400, "one JSON object"},
		{"ann", "{m}/questions", `{"text":"` + strings.Repeat("x", 9000) + `"}`, 413, "too long"},
		{"ann", "{m}/questions/abc/vote", `{"up":true}`, 404, "Not found"},
		{"ann", "{m}/questions/77/vote", `{"up":true}`, 404, "Not found"},
		{"fac", "{m}/checks", `{"kind":"dice"}`, 422, "thumbs"},
		{"fac", "{m}/checks", `{"kind":"scale","item":"` + strings.Repeat("i", 65) + `"}`, 422, "agenda item"},
		{"fac", "{m}/proposals", `{"title":"` + strings.Repeat("t", 201) + `"}`, 422, "1 to 200"},
		{"fac", "{m}/questions/1/moderate", `{"action":"delete"}`, 400, "moderation"},
		{"fac", "{m}/room/settings", `{"board":42}`, 404, "Not found"},
		{"ann", "/api/meeting/m/nope/questions", `{"text":"ok"}`, 404, "Not found"},
	}
	for _, tt := range tests {
		st, body := h.do(tt.who, "POST", tt.path, tt.body)
		if st != tt.status || !strings.Contains(string(body), tt.says) {
			t.Errorf("POST %s %.40s: %d %s; want %d saying %q", tt.path, tt.body, st, body, tt.status, tt.says)
		}
	}
	if v := h.room("ann"); len(v.Questions) != 0 || len(v.Boards) != 0 || v.Check != nil {
		t.Errorf("bad input changed the room: %+v", v)
	}
	// French for a French phone.
	req, _ := http.NewRequest("POST", h.srv.URL+"/api/meeting/m/"+h.mid+"/questions", strings.NewReader(`{"text":""}`))
	req.Header.Set("Test-Person", "ann|Ann|participant")
	req.Header.Set("Accept-Language", "fr")
	resp, err := h.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "Une question fait de 1 à 500 caractères") {
		t.Errorf("French message: %s", body)
	}
}

func TestQuestionSpam(t *testing.T) {
	h := newRoomHarness(t)
	now := roomEpoch
	h.s.opts.Now = func() time.Time { return now }
	for i := range 5 {
		h.ask("ann", fmt.Sprintf("Question %d?", i))
	}
	if st, body := h.do("ann", "POST", "{m}/questions", `{"text":"Sixth?"}`); st != 429 || !strings.Contains(string(body), "5 questions a minute") {
		t.Errorf("sixth question in a minute: %d %s", st, body)
	}
	h.ask("bob", "Mine?") // another person is not held back
	now = now.Add(time.Minute)
	h.ask("ann", "A minute later?")
	if n := len(h.room("ann").Questions); n != 7 {
		t.Errorf("%d questions stored, want 7", n)
	}
}

func TestRoomEnded(t *testing.T) {
	h := newRoomHarness(t)
	q := h.ask("ann", "Before the end?")
	h.putMeeting(Meeting{ID: h.mid, Title: "AG", Ended: true})
	if st, _ := h.do("bob", "POST", fmt.Sprintf("{m}/questions/%d/vote", q.ID), `{"up":true}`); st != 409 {
		t.Errorf("vote after the end: %d", st)
	}
	if v := h.room("bob"); len(v.Questions) != 1 || v.Questions[0].Votes != 0 {
		t.Errorf("after the end: %+v", v.Questions)
	}
}

// TestRoomPages: the core's three pages carry the room's parts, in the
// asker's language, with the event names the core's script must forward,
// and the strings the script reads are valid JSON.
func TestRoomPages(t *testing.T) {
	h := newRoomHarness(t)
	var m struct{ ID string }
	h.must(201, &m, "fac", "POST", "/api/meeting/meetings", `{"title":"Débat","lang":"fr"}`)
	tests := []struct {
		who, path, lang string
		want            []string
	}{
		{"ann", "/meeting/m/" + m.ID + "/projector", "fr", []string{`id="p-room-questions"`, `id="p-room-board"`, `id="p-room-check"`, "ce n&#39;est pas un vote", `data-mode="projector"`}},
		{"ann", "/meeting/m/" + m.ID + "/projector", "en", []string{"not a decision"}},
		{"ann", "/meeting/m/" + m.ID + "/", "fr", []string{`data-mode="phone"`, `data-room="ask"`, "Votre question"}},
		{"fac", "/meeting/m/" + m.ID + "/control", "en", []string{`data-mode="control"`, `data-view="room:check"`, "Open a check", "Allow anonymous questions"}},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest("GET", h.srv.URL+tt.path, nil)
		if tt.who == "fac" {
			req.Header.Set("Test-Person", "fac|Facilitator|facilitator")
		} else {
			req.Header.Set("Test-Person", tt.who+"|"+tt.who+"|participant")
		}
		req.Header.Set("Accept-Language", tt.lang)
		resp, err := h.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		page := string(body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", tt.path, resp.StatusCode, body)
		}
		for _, w := range append(tt.want, `data-room-events="room room.settings question question.gone proposal argument argument.gone check"`, "/meeting/static/room.js") {
			if !strings.Contains(page, w) {
				t.Errorf("GET %s (%s) lacks %s", tt.path, tt.lang, w)
			}
		}
		_, rest, _ := strings.Cut(page, `id="room-strings">`)
		raw, _, _ := strings.Cut(rest, "</script>")
		var strs map[string]string
		if err := json.Unmarshal([]byte(raw), &strs); err != nil || strs["check.notDecision"] == "" {
			t.Errorf("GET %s: the room's strings do not read: %v", tt.path, err)
		}
	}
}
