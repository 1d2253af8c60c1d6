package decide

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coopbox/coopbox/services/page"
	"github.com/coopbox/coopbox/services/person"
	bolt "go.etcd.io/bbolt"
)

// harness is decide on a real bbolt file behind a real HTTP server; the
// person of each request comes from the testrole cookie.
type harness struct {
	t       testing.TB
	s       *Service
	srv     *httptest.Server
	db      *bolt.DB
	path    string
	aid     string
	members []Member
	client  *http.Client
	cookies map[string]*http.Cookie // members' bound browsers
}

func newHarness(t testing.TB, n int) *harness {
	t.Helper()
	path := filepath.Join(t.TempDir(), "decide.db")
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Env: page.Env{DB: db}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := &person.Person{Role: person.Anonymous}
		if c, err := r.Cookie("testrole"); err == nil {
			switch c.Value {
			case "facilitator":
				p = &person.Person{ID: "f1", Name: "Fa", Role: person.Facilitator}
			case "participant":
				p = &person.Person{ID: "p1", Name: "Pa", Role: person.Participant}
			}
		}
		s.ServeHTTP(w, r.WithContext(person.NewContext(r.Context(), p)))
	}))
	h := &harness{t: t, s: s, srv: srv, db: db, path: path, aid: "asm1", cookies: map[string]*http.Cookie{}, client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 600}}}
	for i := range n {
		h.members = append(h.members, Member{ID: fmt.Sprintf("m%02d", i), Name: fmt.Sprintf("Member %d", i), Weight: 1, Voting: true})
	}
	if err := s.stubAssembly(Assembly{ID: h.aid, Title: "AG"}, h.members); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		s.Close()
		db.Close()
	})
	return h
}

// do sends a request as role ("facilitator", "participant", "" for
// nobody) or, when member is set, as that member's bound browser.
func (h *harness) do(role, member, method, path string, body any) (int, []byte) {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, h.srv.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if s, ok := body.(string); ok && strings.HasPrefix(s, "count=") {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if role != "" {
		req.AddCookie(&http.Cookie{Name: "testrole", Value: role})
	}
	if member != "" {
		c := h.cookies[member]
		if c == nil {
			var err error
			if c, err = h.s.stubBind(h.aid, member); err != nil {
				h.t.Fatalf("bind %s: %v", member, err)
			}
			h.cookies[member] = c
		}
		req.AddCookie(c)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// must2 checks a status: h.must2(h.do(…))(200) gives the body.
func (h *harness) must2(status int, body []byte) func(want int) []byte {
	return func(want int) []byte {
		h.t.Helper()
		if status != want {
			h.t.Fatalf("status %d, want %d: %s", status, want, body)
		}
		return body
	}
}

// createVote creates and opens a vote.
func (h *harness) createVote(v map[string]any, open bool) Vote {
	h.t.Helper()
	var out Vote
	json.Unmarshal(h.must2(h.do("facilitator", "", "POST", "/api/decide/a/"+h.aid+"/votes", v))(201), &out)
	if open {
		h.setState(out.ID, "open")
		out, _ = h.s.st.vote(out.ID)
	}
	return out
}

func (h *harness) setState(id, state string) {
	h.t.Helper()
	h.must2(h.do("facilitator", "", "POST", "/api/decide/votes/"+id+"/state", map[string]string{"state": state}))(200)
}

func (h *harness) ballot(id, member string, ballot string) (int, []byte) {
	h.t.Helper()
	return h.do("", member, "POST", "/api/decide/votes/"+id+"/ballot", `{"ballot": `+ballot+`}`)
}

func (h *harness) result(id string) *storedResult {
	h.t.Helper()
	var vv voteView
	json.Unmarshal(h.must2(h.do("participant", "", "GET", "/api/decide/votes/"+id, nil))(200), &vv)
	if vv.Result == nil {
		h.t.Fatalf("vote %s has no result: state %s", id, vv.State)
	}
	return vv.Result
}
