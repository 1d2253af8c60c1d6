package decide

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coopbox/coopbox/services/decide/liquid"
	"github.com/coopbox/coopbox/services/page"
	"github.com/coopbox/coopbox/services/person"
	bolt "go.etcd.io/bbolt"
)

// rollTS is decide on a real bbolt file behind a plain HTTP test
// server. The box's session middleware is replaced by one that makes every
// request a participant, a facilitator with X-Test-Role: facilitator, or
// anonymous with X-Test-Role: anonymous; the middleware itself is tested
// in package appliance.
type rollTS struct {
	*Service
	t    testing.TB
	db   *bolt.DB
	path string
	srv  *httptest.Server
}

func startRollService(t testing.TB, path string) *rollTS {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Env: page.Env{DB: db, Log: slog.New(slog.NewTextHandler(rollTestLog{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := &person.Person{ID: "p", Name: "Test", Role: person.Participant}
		switch r.Header.Get("X-Test-Role") {
		case "facilitator":
			p.Role = person.Facilitator
		case "anonymous":
			p.Role = person.Anonymous
		}
		s.ServeHTTP(w, r.WithContext(person.NewContext(r.Context(), p)))
	}))
	ts := &rollTS{Service: s, t: t, db: db, path: path, srv: srv}
	t.Cleanup(ts.stop)
	return ts
}

func (ts *rollTS) stop() {
	if ts.srv == nil {
		return
	}
	ts.Close()
	ts.srv.CloseClientConnections()
	ts.srv.Close()
	ts.db.Close()
	ts.srv = nil
}

type rollTestLog struct{ t testing.TB }

func (l rollTestLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// rollNoRedirect is a client that shows redirections instead of following them.
var rollNoRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// do sends a request as role ("facilitator", "participant", "anonymous")
// and returns the status and body. body is JSON unless it is a string
// (sent as text/csv) or url.Values (a form).
func (ts *rollTS) do(role, method, path string, body any, hdr ...string) (int, []byte, http.Header) {
	ts.t.Helper()
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd, ctype = strings.NewReader(b), "text/csv"
	case url.Values:
		rd, ctype = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	default:
		raw, _ := json.Marshal(b)
		rd, ctype = bytes.NewReader(raw), "application/json"
	}
	req, _ := http.NewRequest(method, ts.srv.URL+path, rd)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("X-Test-Role", role)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	res, err := rollNoRedirect.Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, out, res.Header
}

// must sends a request as a facilitator and decodes the answer into v,
// failing unless the status is want.
func (ts *rollTS) must(want int, method, path string, body, v any) {
	ts.t.Helper()
	status, out, _ := ts.do("facilitator", method, path, body)
	if status != want {
		ts.t.Fatalf("%s %s: status %d, want %d: %s", method, path, status, want, out)
	}
	if v != nil {
		if err := json.Unmarshal(out, v); err != nil {
			ts.t.Fatalf("%s %s: %v: %s", method, path, err, out)
		}
	}
}

func (ts *rollTS) createAssembly(rules Rules) Assembly {
	ts.t.Helper()
	var a Assembly
	ts.must(http.StatusCreated, "POST", "/api/decide/assemblies", assemblyInput{Title: "AG 2026", Date: "14 mars", Rules: rules}, &a)
	return a
}

func (ts *rollTS) importFile(id, file string) {
	ts.t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		ts.t.Fatal(err)
	}
	ts.must(http.StatusOK, "POST", "/api/decide/roll-import?assembly="+id, string(data), nil)
}

// byName returns the desk's member ids by name.
func (ts *rollTS) byName(id string) (map[string]string, deskView) {
	ts.t.Helper()
	var v deskView
	ts.must(http.StatusOK, "GET", "/api/decide/a/"+id+"/desk", nil, &v)
	out := map[string]string{}
	for _, m := range v.Members {
		out[m.Name] = m.ID
	}
	return out, v
}

func (ts *rollTS) present(id, mid string, present bool) changeAnswer {
	ts.t.Helper()
	var ans changeAnswer
	ts.must(http.StatusOK, "POST", "/api/decide/a/"+id+"/presence", map[string]any{"member": mid, "present": present}, &ans)
	return ans
}

func quorumString(q quorumView) string {
	return strings.Join([]string{"present " + rollItoa(int64(q.Present)), "represented " + rollItoa(int64(q.Represented)),
		"required " + rollItoa(q.Required), "met " + yesNo(q.Met)}, ", ")
}

// nextQuorum reads the next "quorum" event of a live subscription.
func nextQuorum(t testing.TB, st *page.Stream) quorumView {
	t.Helper()
	select {
	case e := <-st.Events:
		var q quorumView
		if e.Name != "quorum" || json.Unmarshal(e.Data, &q) != nil {
			t.Fatalf("event %s %s, want quorum", e.Name, e.Data)
		}
		return q
	case <-time.After(5 * time.Second):
		t.Fatal("no quorum event after a committed change")
	}
	return quorumView{}
}

// TestRollImportDeskProxiesQuorum runs an assembly's roll through HTTP on
// a real database: import (a good file, then a broken one that changes
// nothing), search, check-in, proxies and their cap, the quorum after each
// change (and its event), and the same state after a restart.
func TestRollImportDeskProxiesQuorum(t *testing.T) {
	path := filepath.Join(t.TempDir(), "decide.db")
	ts := startRollService(t, path)
	// Quorum: half of the members with a voting right, present or
	// represented.
	a := ts.createAssembly(Rules{Quorum: Quorum{Num: 1, Den: 2, Of: "members", Represented: true}})
	live, _ := ts.live.Subscribe(a.ID)

	ts.importFile(a.ID, "testdata/roll_good.csv")
	if q := nextQuorum(t, live); q.Members != 6 || q.Voting != 5 || q.Required != 3 {
		t.Errorf("quorum event after the import: %+v, want 6 members, 5 voting, 3 required", q)
	}
	ids, v := ts.byName(a.ID)
	var order []string
	for _, m := range v.Members {
		order = append(order, m.Name)
	}
	// French collation: accents are secondary ("Émile Zola" among the E's,
	// not after "Zoé"), case and punctuation too.
	wantOrder := []string{"Agnès Petit", "Bernard, Anne", "Éloïse Lœuvre", "Emile Durand", "Émile Zola", "Zoé Martin"}
	if !slices.Equal(order, wantOrder) {
		t.Errorf("desk order %q, want %q", order, wantOrder)
	}

	// A file with broken lines: every refused line reported, nothing stored.
	broken, _ := os.ReadFile("testdata/roll_broken.csv")
	status, out, _ := ts.do("facilitator", "POST", "/api/decide/roll-import?assembly="+a.ID, string(broken))
	var rep struct {
		Code  string
		Lines []lineReport
	}
	json.Unmarshal(out, &rep)
	if status != http.StatusUnprocessableEntity || rep.Code != "roll_refused" || len(rep.Lines) != 5 {
		t.Fatalf("broken import: status %d, %s", status, out)
	}
	if rep.Lines[0].Line != 3 || rep.Lines[0].Error != "pas de nom" {
		t.Errorf("first refused line %+v, want line 3, “pas de nom” (French by default)", rep.Lines[0])
	}
	// Re-importing the good file refuses every line: they are on the roll.
	good, _ := os.ReadFile("testdata/roll_good.csv")
	status, out, _ = ts.do("facilitator", "POST", "/api/decide/roll-import?assembly="+a.ID, string(good))
	if status != http.StatusUnprocessableEntity || !strings.Contains(string(out), "déjà au registre") {
		t.Errorf("re-import: status %d, %s", status, out)
	}
	if _, v := ts.byName(a.ID); len(v.Members) != 6 {
		t.Fatalf("after refused imports the roll has %d members, want 6: nothing half-imported", len(v.Members))
	}

	// Search as you type: accents and case ignored, words in any order.
	var found deskView
	ts.must(http.StatusOK, "GET", "/api/decide/a/"+a.ID+"/desk?q="+url.QueryEscape("EMILE"), nil, &found)
	if len(found.Members) != 2 {
		t.Errorf("search “EMILE” found %d members, want Emile Durand and Émile Zola", len(found.Members))
	}
	ts.must(http.StatusOK, "GET", "/api/decide/a/"+a.ID+"/desk?q="+url.QueryEscape("loeuvre elo"), nil, &found)
	if len(found.Members) != 1 || found.Members[0].Name != "Éloïse Lœuvre" {
		t.Errorf("search “loeuvre elo”: %+v", found.Members)
	}

	eloise, zoe, emile, anne, agnes, zola := ids["Éloïse Lœuvre"], ids["Zoé Martin"], ids["Emile Durand"], ids["Bernard, Anne"], ids["Agnès Petit"], ids["Émile Zola"]
	// Check-in: Éloïse and Zoé present: 2 of 5, quorum 3 not met.
	ts.present(a.ID, eloise, true)
	nextQuorum(t, live)
	q := ts.present(a.ID, zoe, true).Quorum
	if got := nextQuorum(t, live); got.Present != 2 || got.Rev != q.Rev {
		t.Errorf("quorum event %+v, answer %+v", got, q)
	}
	if quorumString(q) != "present 2, represented 2, required 3, met n" {
		t.Errorf("quorum after two check-ins: %s", quorumString(q))
	}
	// Emile has no voting right: present, but the quorum does not move.
	if q := ts.present(a.ID, emile, true).Quorum; q.Present != 2 {
		t.Errorf("a member without a voting right counted: %s", quorumString(q))
	}
	nextQuorum(t, live)

	proxy := func(giver, carrier string) (int, string) {
		status, out, _ := ts.do("facilitator", "POST", "/api/decide/a/"+a.ID+"/proxies", map[string]string{"giver": giver, "carrier": carrier})
		var ans struct {
			Code   string
			Quorum quorumView
		}
		json.Unmarshal(out, &ans)
		return status, ans.Code + quorumString(ans.Quorum)
	}
	// Anne's proxy to Zoé, present: represented 3, the quorum is met.
	if status, got := proxy(anne, zoe); status != http.StatusOK || got != "present 2, represented 3, required 3, met y" {
		t.Errorf("proxy Anne → Zoé: %d %s", status, got)
	}
	nextQuorum(t, live)
	// Agnès's too: Zoé carries 2, the default cap.
	proxy(agnes, zoe)
	nextQuorum(t, live)
	// A third is refused, with nothing changed.
	if status, got := proxy(zola, zoe); status != http.StatusConflict || !strings.HasPrefix(got, "proxy_limit") {
		t.Errorf("third proxy to Zoé: %d %s, want 409 proxy_limit", status, got)
	}
	// A member without a voting right can carry none.
	if status, got := proxy(zola, emile); status != http.StatusConflict || !strings.HasPrefix(got, "no_voting_right") {
		t.Errorf("proxy to a member without a voting right: %d %s", status, got)
	}
	// Zoé leaves: her proxies stop counting.
	q = ts.present(a.ID, zoe, false).Quorum
	nextQuorum(t, live)
	if quorumString(q) != "present 1, represented 1, required 3, met n" {
		t.Errorf("carrier left: %s, want her proxies no longer counted", quorumString(q))
	}
	_, v = ts.byName(a.ID)
	for _, m := range v.Members {
		if m.ID == anne && (m.ProxyTo != zoe || m.Counts) {
			t.Errorf("Anne's proxy while Zoé is away: %+v, want registered, not counted", m)
		}
	}
	// Zoé comes back: they count again.
	if q := ts.present(a.ID, zoe, true).Quorum; q.Represented != 4 || !q.Met {
		t.Errorf("carrier back: %s", quorumString(q))
	}
	nextQuorum(t, live)
	// Anne arrives: she takes her vote back, her proxy is revoked.
	ans := ts.present(a.ID, anne, true)
	nextQuorum(t, live)
	if ans.Revoked == nil || string(ans.Revoked.Carrier) != zoe || ans.Quorum.Present != 3 || ans.Quorum.Represented != 4 {
		t.Errorf("Anne's arrival: %+v", ans)
	}
	// The answer carries the lines that changed: Anne's and Zoé's.
	lines := map[string]deskMember{}
	for _, m := range ans.Members {
		lines[m.ID] = m
	}
	if len(lines) != 2 || !lines[anne].Present || lines[anne].ProxyTo != "" || !slices.Equal(lines[zoe].Carrying, []string{agnes}) {
		t.Errorf("lines changed by Anne's arrival: %+v", ans.Members)
	}
	wantState := quorumString(ans.Quorum)

	// The roll as the votes part sees it.
	r, err := ts.rollOf(a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Carrying(liquid.MemberID(zoe)); !slices.Equal(got, []liquid.MemberID{liquid.MemberID(agnes)}) {
		t.Errorf("rollOf: Zoé carries %v, want Agnès only", got)
	}
	r.CheckOut(liquid.MemberID(zoe)) // a copy: the live roll does not move
	if err := ts.withRoll(a.ID, func(live *liquid.Roll) error {
		if !live.Present(liquid.MemberID(zoe)) {
			t.Error("changing rollOf's copy changed the live roll")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	// A restart rebuilds the same roll from storage.
	ts.stop()
	ts2 := startRollService(t, path)
	var av assemblyView
	ts2.must(http.StatusOK, "GET", "/api/decide/a/"+a.ID, nil, &av)
	if got := quorumString(av.Quorum); got != wantState {
		t.Errorf("after a restart the quorum is %s, want %s", got, wantState)
	}
	_, v = ts2.byName(a.ID)
	for _, m := range v.Members {
		if m.ID == agnes && (m.ProxyTo != zoe || !m.Counts) {
			t.Errorf("after a restart Agnès's proxy: %+v", m)
		}
		if m.ID == anne && m.ProxyTo != "" {
			t.Errorf("after a restart Anne's revoked proxy is back: %+v", m)
		}
	}
}

// TestMemberLinks: a member link binds one browser, once; re-issuing it
// revokes both the link and the browser bound through it.
func TestMemberLinks(t *testing.T) {
	ts := startRollService(t, filepath.Join(t.TempDir(), "decide.db"))
	a := ts.createAssembly(Rules{})
	ts.importFile(a.ID, "testdata/roll_good.csv")
	ids, _ := ts.byName(a.ID)
	zoe := ids["Zoé Martin"]

	var link linkAnswer
	ts.must(http.StatusOK, "POST", "/api/decide/a/"+a.ID+"/members/"+zoe+"/link", nil, &link)
	token := link.URL[strings.LastIndex(link.URL, "/")+1:]
	if len(token) != 22 || !strings.Contains(string(link.QR), "<svg") {
		t.Fatalf("link %q (token %q, want 128 bits in base64url), QR %.40q", link.URL, token, link.QR)
	}
	// The token is stored as its hash only.
	ts.db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			rollWalk(b, func(k, v []byte) {
				if bytes.Contains(k, []byte(token)) || bytes.Contains(v, []byte(token)) {
					t.Errorf("the database holds the token itself (key %q)", k)
				}
			})
			return nil
		})
	})

	// Opening the link shows who it is for; it binds only on the button.
	status, out, _ := ts.do("anonymous", "GET", "/decide/m/"+token, nil)
	if status != http.StatusOK || !strings.Contains(string(out), "Zoé Martin") {
		t.Fatalf("GET link: %d", status)
	}
	status, _, hdr := ts.do("anonymous", "POST", "/decide/m/"+token, url.Values{})
	cookie := ""
	for _, c := range (&http.Response{Header: hdr}).Cookies() {
		if c.Name == memberCookie {
			cookie = c.Name + "=" + c.Value
			if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || c.Path != "/" {
				t.Errorf("member cookie %+v: want HttpOnly, Secure, SameSite=Strict, Path=/ (the vote API is under /api/decide/)", c)
			}
		}
	}
	if status != http.StatusSeeOther || cookie == "" || hdr.Get("Location") != "/decide/a/"+a.ID+"/" {
		t.Fatalf("bind: status %d, location %q, cookie %q", status, hdr.Get("Location"), cookie)
	}
	memberOf := func(cookie string) (Member, bool) {
		req := httptest.NewRequest("GET", "/decide/a/"+a.ID+"/", nil)
		req.Header.Set("Cookie", cookie)
		return ts.member(req, a.ID)
	}
	if m, ok := memberOf(cookie); !ok || m.ID != zoe {
		t.Fatalf("the bound browser is %+v %v, want Zoé", m, ok)
	}
	// The assembly page greets the bound member, without a display name.
	status, out, _ = ts.do("anonymous", "GET", "/decide/a/"+a.ID+"/", nil, "Cookie", cookie)
	if status != http.StatusOK || !strings.Contains(string(out), "Zoé Martin") {
		t.Errorf("assembly page for the bound member: %d", status)
	}
	// The link works once.
	if status, _, _ := ts.do("anonymous", "POST", "/decide/m/"+token, url.Values{}); status != http.StatusGone {
		t.Errorf("second bind: status %d, want 410", status)
	}
	if _, ok := memberOf(cookie + "x"); ok {
		t.Error("a forged secret is taken for a member")
	}
	// The desk still checks Zoé in with her card.
	var ans changeAnswer
	ts.must(http.StatusOK, "POST", "/api/decide/a/"+a.ID+"/scan", map[string]string{"token": link.URL}, &ans)
	if ans.Member == nil || ans.Member.ID != zoe || !ans.Member.Present || ans.Member.Link != "bound" || ans.Member.Bound != 1 {
		t.Errorf("scan of a used card: %+v", ans.Member)
	}

	// Re-issue: the old link and the bound browser are revoked.
	var link2 linkAnswer
	ts.must(http.StatusOK, "POST", "/api/decide/a/"+a.ID+"/members/"+zoe+"/link", nil, &link2)
	if _, ok := memberOf(cookie); ok {
		t.Error("a browser bound through a re-issued link is still the member")
	}
	if status, _, _ := ts.do("anonymous", "GET", "/decide/m/"+token, nil); status != http.StatusNotFound {
		t.Errorf("old link after a re-issue: status %d, want 404", status)
	}
	status, _, _ = ts.do("facilitator", "POST", "/api/decide/a/"+a.ID+"/scan", map[string]string{"token": token})
	if status != http.StatusNotFound {
		t.Errorf("scan of a revoked card: status %d, want 404", status)
	}
	token2 := link2.URL[strings.LastIndex(link2.URL, "/")+1:]
	if status, _, _ := ts.do("anonymous", "POST", "/decide/m/"+token2, url.Values{}); status != http.StatusSeeOther {
		t.Errorf("the new link: status %d, want 303", status)
	}

	// Printed cards: one sheet for the members without a link (5 of 6).
	status, out, _ = ts.do("facilitator", "POST", "/decide/a/"+a.ID+"/cards", url.Values{"which": {"new"}})
	if n := strings.Count(string(out), `<svg class="qr"`); status != http.StatusOK || n != 5 {
		t.Errorf("cards: status %d, %d QR codes, want 5", status, n)
	}
	_, v := ts.byName(a.ID)
	for _, m := range v.Members {
		if m.Link == "none" {
			t.Errorf("%s has no link after printing", m.Name)
		}
	}
}

func rollWalk(b *bolt.Bucket, fn func(k, v []byte)) {
	b.ForEach(func(k, v []byte) error {
		fn(k, v)
		if v == nil {
			if sub := b.Bucket(k); sub != nil {
				rollWalk(sub, fn)
			}
		}
		return nil
	})
}

// TestRollRights: participants and strangers are refused the facilitators'
// routes, whatever a page showed.
func TestRollRights(t *testing.T) {
	ts := startRollService(t, filepath.Join(t.TempDir(), "decide.db"))
	a := ts.createAssembly(Rules{})
	ts.importFile(a.ID, "testdata/roll_good.csv")
	ids, _ := ts.byName(a.ID)
	mid := ids["Zoé Martin"]
	for _, r := range []struct{ method, path string }{
		{"POST", "/api/decide/assemblies"},
		{"GET", "/api/decide/a/" + a.ID},
		{"POST", "/api/decide/a/" + a.ID + "/rules"},
		{"GET", "/api/decide/a/" + a.ID + "/members"},
		{"POST", "/api/decide/a/" + a.ID + "/members"},
		{"POST", "/api/decide/a/" + a.ID + "/members/" + mid},
		{"DELETE", "/api/decide/a/" + a.ID + "/members/" + mid},
		{"POST", "/api/decide/roll-import?assembly=" + a.ID},
		{"GET", "/api/decide/a/" + a.ID + "/desk"},
		{"POST", "/api/decide/a/" + a.ID + "/presence"},
		{"POST", "/api/decide/a/" + a.ID + "/scan"},
		{"POST", "/api/decide/a/" + a.ID + "/proxies"},
		{"POST", "/api/decide/a/" + a.ID + "/members/" + mid + "/link"},
	} {
		for _, role := range []string{"participant", "anonymous"} {
			status, _, _ := ts.do(role, r.method, r.path, map[string]any{"member": mid, "present": true, "title": "x"})
			if status != http.StatusForbidden {
				t.Errorf("%s %s as %s: status %d, want 403", r.method, r.path, role, status)
			}
		}
	}
	// A file over the bound is refused whole (the box's body limit stops a
	// bigger one before the service reads it).
	big := "nom\n" + strings.Repeat("Quelqu'un de très long "+strings.Repeat("x", 60)+"\n", maxRollCSV/80)
	status, out, _ := ts.do("facilitator", "POST", "/api/decide/roll-import?assembly="+a.ID, big)
	if status != http.StatusRequestEntityTooLarge || !strings.Contains(string(out), "roll_too_big") {
		t.Errorf("a %d-byte roll: status %d, %.100s", len(big), status, out)
	}
	for _, p := range []string{"/roll", "/desk", "/cards"} {
		status, _, hdr := ts.do("participant", "GET", "/decide/a/"+a.ID+p, nil)
		if status != http.StatusSeeOther || !strings.HasPrefix(hdr.Get("Location"), "/signin") {
			t.Errorf("GET %s as a participant: %d %s, want the sign-in page", p, status, hdr.Get("Location"))
		}
	}
	status, _, _ = ts.do("participant", "POST", "/decide/a/"+a.ID+"/cards", url.Values{"which": {"all"}})
	if status != http.StatusForbidden {
		t.Errorf("printing cards as a participant: %d", status)
	}
	// Nothing changed, and a participant sees the assembly and its quorum.
	if _, v := ts.byName(a.ID); v.Quorum.Present != 0 || len(v.Members) != 6 {
		t.Errorf("after the refusals: %+v", v.Quorum)
	}
	if status, _, _ := ts.do("participant", "GET", "/decide/a/"+a.ID+"/", nil); status != http.StatusOK {
		t.Errorf("assembly page for a participant: %d", status)
	}
	if status, _, _ := ts.do("participant", "GET", "/api/decide/a/"+a.ID+"/quorum", nil); status != http.StatusOK {
		t.Errorf("quorum for a participant: %d", status)
	}
}

// TestRollForms: the pages' forms work without a script, and a refused
// form comes back with its error.
func TestRollForms(t *testing.T) {
	ts := startRollService(t, filepath.Join(t.TempDir(), "decide.db"))
	status, _, hdr := ts.do("facilitator", "POST", "/api/decide/assemblies", url.Values{"title": {"AG"}, "maxProxies": {"1"}})
	if status != http.StatusSeeOther {
		t.Fatalf("create by form: %d", status)
	}
	id := strings.Split(hdr.Get("Location"), "/")[3]
	add := func(name, college string) int {
		status, _, _ := ts.do("facilitator", "POST", "/api/decide/a/"+id+"/members", url.Values{"name": {name}, "college": {college}, "weight": {"1"}, "voting": {"1"}})
		return status
	}
	if add("Alice", "A") != http.StatusSeeOther || add("Bob", "B") != http.StatusSeeOther {
		t.Fatal("add members by form")
	}
	if s := add("", "A"); s != http.StatusBadRequest {
		t.Errorf("a member without a name: %d", s)
	}
	// Colleges that leave a member out are refused.
	status, out, _ := ts.do("facilitator", "POST", "/api/decide/a/"+id+"/rules", url.Values{"colleges": {"A : 60"}, "maxProxies": {"1"}})
	if status != http.StatusConflict || !strings.Contains(string(out), "Bob") {
		t.Errorf("rules without Bob's college: %d", status)
	}
	status, _, _ = ts.do("facilitator", "POST", "/api/decide/a/"+id+"/rules", url.Values{"colleges": {"A : 60\nB : 40"}, "maxProxies": {"0"}, "quorumNum": {"1"}, "quorumDen": {"2"}, "quorumOf": {"weight"}})
	if status != http.StatusSeeOther {
		t.Fatalf("rules: %d", status)
	}
	var av assemblyView
	ts.must(http.StatusOK, "GET", "/api/decide/a/"+id, nil, &av)
	if av.Rules.MaxProxies != -1 || len(av.Rules.Colleges) != 2 || av.Quorum.Weight != 5 || av.Quorum.Required != 3 {
		t.Errorf("rules %+v, quorum %+v: want no proxies, colleges 60/40 (weights 3 and 2), required 3 of 5", av.Rules, av.Quorum)
	}
	ids, _ := ts.byName(id)
	status, out, _ = ts.do("facilitator", "POST", "/api/decide/a/"+id+"/proxies", map[string]string{"giver": ids["Alice"], "carrier": ids["Bob"]})
	if status != http.StatusConflict || !strings.Contains(string(out), "proxy_limit") {
		t.Errorf("a proxy where the assembly allows none: %d %s", status, out)
	}
	// A roll page and an import by form with a refused line.
	if status, out, _ := ts.do("facilitator", "GET", "/decide/a/"+id+"/roll", nil); status != http.StatusOK || !strings.Contains(string(out), "Alice") {
		t.Errorf("roll page: %d", status)
	}
	status, out = rollPostFile(t, ts, "/api/decide/roll-import?assembly="+id, "nom;collège\nCarol;A\nDan;Z\n")
	if status != http.StatusUnprocessableEntity || !strings.Contains(string(out), "Dan") || !strings.Contains(string(out), "<td>3</td>") {
		t.Errorf("import by form with an unknown college on line 3: %d", status)
	}
	if _, v := ts.byName(id); len(v.Members) != 2 {
		t.Errorf("%d members after a refused import, want 2", len(v.Members))
	}
	status, out, hdr = ts.do("facilitator", "POST", "/api/decide/a/"+id+"/members/"+ids["Bob"]+"/remove", url.Values{"confirm": {"1"}})
	if status != http.StatusSeeOther {
		t.Errorf("remove by form: %d %s", status, out)
	}
	// Bob was the only member of college B: the roll cannot be counted,
	// and the desk says so instead of counting wrong.
	ts.must(http.StatusOK, "GET", "/api/decide/a/"+id, nil, &av)
	if av.Quorum.Problem != "roll_invalid" {
		t.Errorf("quorum with an empty college: %+v", av.Quorum)
	}
	status, _, _ = ts.do("facilitator", "POST", "/api/decide/a/"+id+"/presence", map[string]any{"member": ids["Alice"], "present": true})
	if status != http.StatusConflict {
		t.Errorf("check-in on a roll that cannot be counted: %d, want 409", status)
	}
}

func rollPostFile(t *testing.T, ts *rollTS, path, content string) (int, []byte) {
	t.Helper()
	var body bytes.Buffer
	boundary := "xXxroll"
	body.WriteString("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"roll.csv\"\r\nContent-Type: text/csv\r\n\r\n" + content + "\r\n--" + boundary + "--\r\n")
	req, _ := http.NewRequest("POST", ts.srv.URL+path, &body)
	req.Header.Set("Content-Type", "multipart/form-data; boundary="+boundary)
	req.Header.Set("X-Test-Role", "facilitator")
	res, err := rollNoRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, out
}

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"Éloïse  Lœuvre": "eloise loeuvre",
		"ÆSCHYLE Straße": "aeschyle strasse",
		"  Zoé\tMartin ": "zoe martin",
		"Ĉu ŝi?":         "cu si?",
	} {
		if got := fold(in); got != want {
			t.Errorf("fold(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDeskConcurrent: four desks tick and give proxies at once through
// HTTP; afterwards the live quorum equals a recount, and a restart rebuilds
// the same presence and proxies from storage.
func TestDeskConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "decide.db")
	ts := startRollService(t, path)
	a := ts.createAssembly(Rules{MaxProxies: 3, Quorum: Quorum{Num: 1, Den: 3, Of: "members", Represented: true}})
	var csv strings.Builder
	csv.WriteString("nom\n")
	for i := range 60 {
		csv.WriteString("Membre " + rollItoa(int64(i)) + "\n")
	}
	ts.must(http.StatusOK, "POST", "/api/decide/roll-import?assembly="+a.ID, csv.String(), nil)
	_, v := ts.byName(a.ID)
	ids := make([]string, len(v.Members))
	for i, m := range v.Members {
		ids[i] = m.ID
	}
	done := make(chan struct{})
	for d := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for k := range 40 {
				i := (d*41 + k*7) % len(ids)
				j := (i + 1 + k%5) % len(ids)
				if k%3 == 0 {
					ts.do("facilitator", "POST", "/api/decide/a/"+a.ID+"/proxies", map[string]string{"giver": ids[i], "carrier": ids[j]})
				} else {
					ts.do("facilitator", "POST", "/api/decide/a/"+a.ID+"/presence", map[string]any{"member": ids[i], "present": k%4 != 1})
				}
			}
		}()
	}
	for range 4 {
		select {
		case <-done:
		case <-time.After(time.Minute):
			t.Fatal("the desks did not finish within a minute")
		}
	}
	var live liquid.QuorumStatus
	ts.withRoll(a.ID, func(r *liquid.Roll) error {
		live = r.Quorum()
		if rc := r.Recount(); rc != live {
			t.Errorf("live quorum %+v, recount %+v", live, rc)
		}
		return nil
	})
	t.Logf("after the run: %d present, %d present or represented", live.Present, live.Represented)
	_, before := ts.byName(a.ID)
	ts.stop()
	ts2 := startRollService(t, path)
	_, after := ts2.byName(a.ID)
	for i := range before.Members {
		b, f := before.Members[i], after.Members[i]
		if b.Present != f.Present || b.ProxyTo != f.ProxyTo || b.Counts != f.Counts {
			t.Errorf("%s before a restart %+v, after %+v", b.Name, b, f)
		}
	}
	if quorumString(before.Quorum) != quorumString(after.Quorum) {
		t.Errorf("quorum before a restart %s, after %s", quorumString(before.Quorum), quorumString(after.Quorum))
	}
}
