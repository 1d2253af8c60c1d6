package meeting

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coopbox/coopbox/services/pads"
	"github.com/coopbox/coopbox/services/page"
	"github.com/coopbox/coopbox/services/person"
	bolt "go.etcd.io/bbolt"
)

// testClock is the box's clock under the test's control.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// stubDecide answers for decide: one assembly "a1" with votes v1 and v2.
// (decide's own answers are tested in services/decide/peer_test.go.)
type stubDecide struct{ page.Service }

func (stubDecide) VoteSummary(voteID, lang string) (string, string, []string, error) {
	if voteID != "v1" {
		return "", "", nil, fmt.Errorf("no vote %s", voteID)
	}
	return "Budget 2027", "/decide/v/v1", []string{"La motion est adoptée : 12 pour, 3 contre.", "15 votant·es."}, nil
}

func (stubDecide) AssemblyPresence(assemblyID, lang string) (string, []string, error) {
	return "AG 2026", []string{"Membres ayant droit de vote : 20.", "Quorum atteint (11 requis)."}, nil
}

func (stubDecide) AssemblyVotes(assemblyID string) ([]string, []string, error) {
	if assemblyID != "a1" {
		return nil, nil, fmt.Errorf("no assembly %s", assemblyID)
	}
	return []string{"v1", "v2"}, []string{"Budget 2027", "Bureau"}, nil
}

func (stubDecide) Assemblies() ([]string, []string, error) {
	return []string{"a1"}, []string{"AG 2026"}, nil
}

type harness struct {
	t     testing.TB
	s     *Service
	pads  *pads.Service
	clock *testClock
	srv   *httptest.Server
}

// newHarness opens the meeting and the real pads on one bbolt file, as the
// box does, behind a server whose callers say who they are in the header
// X-Test-Person: "id|name|role".
func newHarness(t testing.TB) *harness { return newHarnessWith(t, nil) }

// newHarnessWith opens the harness with the peer "decide" given by
// openDecide on the same database (nil: stubDecide), served under
// /api/decide/ and /decide/.
func newHarnessWith(t testing.TB, openDecide func(page.Env) (page.Service, error)) *harness {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "box.db"), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	p, err := pads.New(pads.Options{Env: page.Env{DB: db, Log: log}})
	if err != nil {
		t.Fatal(err)
	}
	clock := &testClock{now: time.Date(2026, 12, 2, 14, 0, 0, 0, time.UTC)}
	var dec page.Service = stubDecide{}
	if openDecide != nil {
		if dec, err = openDecide(page.Env{DB: db, Log: log}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { dec.Close() })
	}
	peer := func(name string) page.Service {
		switch name {
		case "pads":
			return p
		case "decide":
			return dec
		}
		return nil
	}
	s, err := New(Options{Env: page.Env{DB: db, Log: log, Now: clock.Now, Peer: peer}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f := strings.Split(r.Header.Get("X-Test-Person"), "|"); len(f) == 3 {
			who := &person.Person{ID: f[0], Name: f[1], Color: "#1a5fb4", Role: person.Participant}
			if f[2] == "facilitator" {
				who.Role = person.Facilitator
			}
			r = r.WithContext(person.NewContext(r.Context(), who))
		}
		if strings.HasPrefix(r.URL.Path, "/api/decide/") || strings.HasPrefix(r.URL.Path, "/decide/") {
			dec.ServeHTTP(w, r)
			return
		}
		s.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		s.Close()
		srv.CloseClientConnections()
		srv.Close()
		p.Close()
		db.Close()
	})
	return &harness{t: t, s: s, pads: p, clock: clock, srv: srv}
}

const fac = "f1|Camille|facilitator"

// call sends body as JSON to path as who; it answers the status and body.
func (h *harness) call(who, method, path string, body any) (int, []byte) {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = strings.NewReader(string(raw))
	}
	req, _ := http.NewRequest(method, h.srv.URL+path, rd)
	req.Header.Set("X-Test-Person", who)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept-Language", "fr")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, out
}

// must calls and fails the test unless the status is want; it decodes
// the answer into v when given.
func (h *harness) must(want int, who, method, path string, body any, v any) {
	h.t.Helper()
	got, out := h.call(who, method, path, body)
	if got != want {
		h.t.Fatalf("%s %s as %s: status %d, want %d: %s", method, path, who, got, want, out)
	}
	if v != nil {
		if err := json.Unmarshal(out, v); err != nil {
			h.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

func (h *harness) state(id string) stateView {
	var v stateView
	h.must(200, fac, "GET", "/api/meeting/m/"+id, nil, &v)
	return v
}

func (h *harness) meeting(in map[string]any) string {
	var m Meeting
	h.must(201, fac, "POST", "/api/meeting/meetings", in, &m)
	return m.ID
}

func (h *harness) item(id, title, kind string, minutes int, vote string) Item {
	var it Item
	h.must(201, fac, "POST", "/api/meeting/m/"+id+"/items", map[string]any{"title": title, "kind": kind, "minutes": minutes, "presenter": "Camille", "voteId": vote}, &it)
	return it
}

func (h *harness) ask(id, who string, reply bool) Request {
	var r Request
	h.must(201, who, "POST", "/api/meeting/m/"+id+"/queue", map[string]any{"reply": reply}, &r)
	return r
}

func (h *harness) do(id, path string, body any) {
	h.t.Helper()
	if body == nil {
		body = map[string]any{}
	}
	h.must(204, fac, "POST", "/api/meeting/m/"+id+path, body, nil)
}

const (
	ana = "p-ana|Ana|participant"
	bo  = "p-bo|Bo|participant"
	cy  = "p-cy|Cy|participant"
)

// TestScriptedMeeting runs a meeting of three items through the API with
// the box's clock under control, checks the times (across a pause), the
// queue's order and the balance, then ends it and reads the minutes back
// through the pads' own Markdown.
func TestScriptedMeeting(t *testing.T) {
	h := newHarness(t)
	id := h.meeting(map[string]any{"title": "AG de la coopérative", "place": "Salle des fêtes", "date": "2 décembre 2026", "lang": "fr", "assemblyId": "a1"})
	i1 := h.item(id, "Rapport moral", KindInformation, 10, "")
	i2 := h.item(id, "Le local", KindDebate, 5, "")
	i3 := h.item(id, "Budget", KindDecision, 15, "v1")
	if i1.NotesPad == "" || i3.VoteID != "v1" {
		t.Fatalf("items: %+v %+v", i1, i3)
	}
	// The notes of item 2, as someone typed them in its pad.
	notes, err := h.pads.CreateFromMarkdown(&person.Person{ID: "f1", Name: "Camille"}, "Notes", "# Idées\n\nRepeindre la **façade**.\n")
	if err != nil {
		t.Fatal(err)
	}
	h.s.change(id, func(lm *liveMeeting, now time.Time) error { lm.c.item(i2.ID).NotesPad = notes; return nil })

	h.do(id, "/items/"+i1.ID+"/start", nil)
	ra := h.ask(id, ana, false)
	h.ask(id, bo, false)
	if got, _ := h.call(ana, "POST", "/api/meeting/m/"+id+"/queue", map[string]any{}); got != 409 {
		t.Errorf("asking twice: status %d, want 409", got)
	}
	h.do(id, "/speaker", nil) // Ana
	h.clock.advance(30 * time.Second)
	h.do(id, "/items/"+i1.ID+"/pause", nil)
	h.clock.advance(10 * time.Minute) // a pause: counts for neither
	if v := h.state(id); v.Running || v.Speaker.ElapsedMs != 30000 || v.Items[0].SpentMs != 30000 {
		t.Errorf("paused: running=%v speaker %d ms item %d ms, want 30000 each", v.Running, v.Speaker.ElapsedMs, v.Items[0].SpentMs)
	}
	h.do(id, "/items/"+i1.ID+"/start", nil)
	h.clock.advance(30 * time.Second)
	h.do(id, "/speaker", nil) // Bo: Ana's turn ends at 60 s
	h.clock.advance(20 * time.Second)
	h.do(id, "/speaker/end", nil)
	h.clock.advance(11 * time.Minute) // item 1 overruns: 12 min 20 s for 10 planned
	v := h.state(id)
	if v.Items[0].SpentMs != (12*time.Minute + 20*time.Second).Milliseconds() {
		t.Errorf("item 1 spent %d ms", v.Items[0].SpentMs)
	}
	if v.DeltaMs != (2*time.Minute + 20*time.Second).Milliseconds() {
		t.Errorf("delta %d ms, want 140000 (behind)", v.DeltaMs)
	}
	_ = ra

	// Item 2: Cy has not spoken, Ana spoke 60 s and Bo 20 s: the box's
	// order is Cy, Bo, Ana; Bo's direct reply then jumps ahead.
	h.do(id, "/items/"+i2.ID+"/start", nil)
	if it := h.state(id).Items[0]; it.Status != StatusDone {
		t.Errorf("starting item 2 left item 1 %s", it.Status)
	}
	h.ask(id, ana, false)
	h.ask(id, cy, false)
	h.do(id, "/settings", map[string]any{"auto": true, "limitSec": 90})
	h.ask(id, bo, true)
	if got, _ := h.call(bo, "POST", "/api/meeting/m/"+id+"/queue/"+h.state(id).Queue[1].ID+"/withdraw", nil); got != 403 {
		t.Errorf("Bo withdrew someone else's request: status %d, want 403", got)
	}
	var names []string
	for _, q := range h.state(id).Queue {
		names = append(names, q.Name)
	}
	if strings.Join(names, ",") != "Bo,Cy,Ana" {
		t.Errorf("queue %q, want Bo (direct reply), Cy (first time), Ana", names)
	}
	for _, d := range []time.Duration{15 * time.Second, 45 * time.Second, 30 * time.Second} {
		h.do(id, "/speaker", nil)
		h.clock.advance(d)
	}
	h.do(id, "/items/"+i2.ID+"/done", nil)
	h.do(id, "/items/"+i3.ID+"/skip", nil)

	var bal struct {
		Meeting Balance
		Items   []struct{ Balance Balance }
	}
	h.must(200, fac, "GET", "/api/meeting/m/"+id+"/balance", nil, &bal)
	if b := bal.Meeting; b.Speakers != 3 || b.Speeches != 5 || b.Total != 170*time.Second {
		t.Errorf("meeting balance: %+v", b)
	}
	if b := bal.Items[1].Balance; b.Speakers != 3 || b.FirstTime != 1 || b.People[0].Label != "Cy" || b.People[0].Percent != 50 {
		t.Errorf("item 2 balance: %+v", b)
	}
	if got, _ := h.call(ana, "GET", "/api/meeting/m/"+id+"/balance", nil); got != 403 {
		t.Errorf("a participant read the balance: %d", got)
	}

	var end struct{ Pad, URL string }
	h.must(200, fac, "POST", "/api/meeting/m/"+id+"/end", map[string]any{}, &end)
	if end.URL != "/pads/"+end.Pad {
		t.Errorf("end: %+v", end)
	}
	if got, _ := h.call(fac, "POST", "/api/meeting/m/"+id+"/items/"+i1.ID+"/start", nil); got != 409 {
		t.Errorf("an ended meeting took a change: %d", got)
	}
	md, err := h.pads.Markdown(end.Pad)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("minutes:\n%s", md)
	for _, want := range []string{
		"# Procès-verbal — AG de la coopérative",
		"Date : 2 décembre 2026", "Lieu : Salle des fêtes",
		"## Présence et quorum", "AG 2026", "Quorum atteint (11 requis).",
		"## Ordre du jour", "1. Rapport moral (information)", "2. Le local (débat)", "3. Budget (décision)",
		"### 1. Rapport moral", "Intervenant·es : Ana, Bo", "Durée : 12 min 20 s (prévu 10 min 00 s)",
		"### 2. Le local", "Intervenant·es : Bo, Cy, Ana", "#### Idées", "Repeindre la **façade**.",
		"### 3. Budget", "Point reporté.", "**Résolution** : Budget 2027", "La motion est adoptée : 12 pour, 3 contre.",
		"## Temps de parole",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the minutes lack %q", want)
		}
	}
	if v := h.state(id); !v.Meeting.Ended || v.Meeting.MinutesPad != end.Pad {
		t.Errorf("the meeting does not link its minutes: %+v", v.Meeting)
	}
}

// TestRefusals: bad input and acting for others are refused with a clear
// message, and change nothing.
func TestRefusals(t *testing.T) {
	h := newHarness(t)
	id := h.meeting(map[string]any{"title": "Débat", "lang": "en"})
	it := h.item(id, "Point", KindDebate, 10, "")
	long := strings.Repeat("x", 201)
	tests := []struct {
		who, method, path string
		body              any
		status            int
		code              string
	}{
		{fac, "POST", "/api/meeting/meetings", map[string]any{"title": "", "lang": "fr"}, 400, "bad_title"},
		{fac, "POST", "/api/meeting/meetings", map[string]any{"title": long, "lang": "fr"}, 400, "bad_title"},
		{fac, "POST", "/api/meeting/meetings", map[string]any{"title": "x", "lang": "de"}, 400, "bad_lang"},
		{fac, "POST", "/api/meeting/meetings", map[string]any{"title": "x", "lang": "fr", "assemblyId": "zz"}, 400, "no_assembly"},
		{ana, "POST", "/api/meeting/meetings", map[string]any{"title": "x", "lang": "fr"}, 403, "forbidden"},
		{ana, "POST", "/api/meeting/m/" + id + "/items", map[string]any{"title": "x", "kind": "debate", "minutes": 5}, 403, "forbidden"},
		{fac, "POST", "/api/meeting/m/" + id + "/items", map[string]any{"title": "x", "kind": "chat", "minutes": 5}, 400, "bad_kind"},
		{fac, "POST", "/api/meeting/m/" + id + "/items", map[string]any{"title": "x", "kind": "debate", "minutes": 0}, 400, "bad_minutes"},
		{fac, "POST", "/api/meeting/m/" + id + "/items", map[string]any{"title": "x", "kind": "decision", "minutes": 5, "voteId": "v1"}, 400, "bad_vote"},
		{fac, "POST", "/api/meeting/m/" + id + "/items", "not an object", 400, "bad_json"},
		{ana, "POST", "/api/meeting/m/" + id + "/queue", map[string]any{"name": "Zoé"}, 403, "not_yours"},
		{ana, "POST", "/api/meeting/m/" + id + "/queue", map[string]any{"reply": true}, 409, "no_item"},
		{fac, "POST", "/api/meeting/m/" + id + "/queue", map[string]any{"name": strings.Repeat("é", 61)}, 400, "bad_name"},
		{fac, "POST", "/api/meeting/m/" + id + "/speaker", map[string]any{}, 409, "no_item"},
		{fac, "POST", "/api/meeting/m/" + id + "/items/" + it.ID + "/pause", nil, 409, "not_running"},
		{fac, "POST", "/api/meeting/m/" + id + "/items/nope/start", nil, 404, "no_item"},
		{fac, "POST", "/api/meeting/m/" + id + "/items/order", map[string]any{"ids": []string{"a", "b"}}, 400, "bad_order"},
		{fac, "POST", "/api/meeting/m/" + id + "/settings", map[string]any{"limitSec": -1}, 400, "bad_limit"},
		{fac, "POST", "/api/meeting/m/" + id + "/projector", map[string]any{"view": "nope"}, 400, "bad_view"},
		{fac, "POST", "/api/meeting/m/" + id + "/projector", map[string]any{"view": "vote"}, 400, "bad_vote"},
		{ana, "POST", "/api/meeting/m/" + id + "/profile", map[string]any{"gender": "robot"}, 400, "bad_gender"},
		{ana, "POST", "/api/meeting/m/" + id + "/end", map[string]any{}, 403, "forbidden"},
		{"", "GET", "/api/meeting/m/" + id, nil, 401, "join_first"},
		{fac, "GET", "/api/meeting/m/nope", nil, 404, "no_meeting"},
	}
	before := h.state(id)
	for _, tt := range tests {
		got, out := h.call(tt.who, tt.method, tt.path, tt.body)
		var e struct{ Error, Code string }
		json.Unmarshal(out, &e)
		if got != tt.status || e.Code != tt.code || e.Error == "" || e.Error == e.Code {
			t.Errorf("%s %s as %q: %d %q %q, want %d %s with a message", tt.method, tt.path, tt.who, got, e.Code, e.Error, tt.status, tt.code)
		}
	}
	after := h.state(id)
	if len(after.Items) != len(before.Items) || len(after.Queue) != 0 || after.LimitSec != 0 {
		t.Errorf("a refusal changed the meeting: %+v", after)
	}
	// The message is in the asker's language.
	_, out := h.call(fac, "POST", "/api/meeting/m/"+id+"/items", map[string]any{"title": "x", "kind": "chat", "minutes": 5})
	if !strings.Contains(string(out), "Choisissez information") {
		t.Errorf("French message: %s", out)
	}
}

// TestEventStreamFirstState: a new stream gets the state first, then every
// change; a person who has not joined gets 401.
func TestEventStreamFirstState(t *testing.T) {
	h := newHarness(t)
	id := h.meeting(map[string]any{"title": "Débat", "lang": "fr"})
	req, _ := http.NewRequest("GET", h.srv.URL+"/meeting/m/"+id+"/events", nil)
	req.Header.Set("X-Test-Person", ana)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	rd := bufio.NewReader(res.Body)
	if ev := nextEvent(t, rd); ev.Name != "state" || !strings.Contains(string(ev.Data), `"title":"Débat"`) {
		t.Fatalf("first event %s %s", ev.Name, ev.Data)
	}
	h.item(id, "Point", KindDebate, 10, "")
	// The room's first events come after the core's state.
	ev := nextEvent(t, rd)
	for ev.Name != "state" {
		ev = nextEvent(t, rd)
	}
	if !strings.Contains(string(ev.Data), `"title":"Point"`) {
		t.Fatalf("after a change: %s %s", ev.Name, ev.Data)
	}
	req, _ = http.NewRequest("GET", h.srv.URL+"/meeting/m/"+id+"/events", nil)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 401 {
		t.Errorf("a stream without a name: %v %v", res.StatusCode, err)
	}
}

// nextEvent reads one Server-Sent Event (skipping comments and retry).
func nextEvent(t testing.TB, rd *bufio.Reader) page.Event {
	t.Helper()
	ev, err := readEvent(rd)
	if err != nil {
		t.Fatalf("event stream: %v", err)
	}
	return ev
}

func readEvent(rd *bufio.Reader) (page.Event, error) {
	var ev page.Event
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			return ev, err
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case strings.HasPrefix(line, "event: "):
			ev.Name = line[7:]
		case strings.HasPrefix(line, "data: "):
			ev.Data = []byte(line[6:])
		case line == "" && ev.Name != "":
			return ev, nil
		}
	}
}

// TestPages: each page renders for whom it is for, and sends the others
// where they belong.
func TestPages(t *testing.T) {
	h := newHarness(t)
	id := h.meeting(map[string]any{"title": "Débat <public>", "lang": "fr"})
	tests := []struct {
		who, path string
		status    int
		want      string
	}{
		{fac, "/meeting/", 200, `href="/meeting/m/` + id + `/control"`},
		{ana, "/meeting/", 200, "Débat &lt;public&gt;"},
		{ana, "/meeting/m/" + id + "/", 200, `data-page="phone"`},
		{ana, "/meeting/m/" + id + "/projector", 200, `data-page="projector"`},
		{fac, "/meeting/m/" + id + "/control", 200, `data-page="control"`},
		{ana, "/meeting/m/" + id + "/control", 303, ""},
		{"", "/meeting/m/" + id + "/", 303, ""},
		{ana, "/meeting/m/nope/", 404, ""},
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tt := range tests {
		req, _ := http.NewRequest("GET", h.srv.URL+tt.path, nil)
		req.Header.Set("X-Test-Person", tt.who)
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tt.status || !strings.Contains(string(body), tt.want) {
			t.Errorf("GET %s as %q: %d, want %d with %q", tt.path, tt.who, res.StatusCode, tt.status, tt.want)
		}
	}
}
