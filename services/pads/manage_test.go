package pads

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// asPerson calls the API as one person (the testperson cookie of
// startPeopleService) and decodes the answer into out, if given.
func asPerson(t *testing.T, base, who, method, path, body string, out any) int {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.AddCookie(&http.Cookie{Name: "testperson", Value: url.QueryEscape(who)})
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if out != nil && res.StatusCode < 300 {
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return res.StatusCode
}

func TestManageRights(t *testing.T) {
	_, srv := startPeopleService(t)
	const (
		ana   = "p-ana|Ana|#c01c28|participant"
		bruno = "p-bruno|Bruno|#1a5fb4|participant"
		fac   = "p-fac|Camille|#26a269|facilitator"
	)
	var pad padView
	if got := asPerson(t, srv.URL, ana, "POST", "/api/pads", `{"title":"Compte rendu"}`, &pad); got != http.StatusCreated {
		t.Fatalf("create: %d", got)
	}
	if !pad.CanManage {
		t.Error("the creator cannot manage her new pad")
	}
	id := "/api/pads/" + pad.ID

	steps := []struct {
		who, method, path, body string
		want                    int
	}{
		{bruno, "PATCH", id, `{"title":"Procès-verbal"}`, http.StatusOK}, // participants rename
		{bruno, "PATCH", id, `{"title":"   "}`, http.StatusBadRequest},
		{bruno, "POST", id + "/trash", "", http.StatusForbidden}, // not his pad
		{bruno, "POST", id + "/lock", "", http.StatusForbidden},  // not a facilitator
		{ana, "POST", id + "/lock", "", http.StatusForbidden},
		{fac, "POST", id + "/lock", "", http.StatusOK},
		{bruno, "PATCH", id, `{"title":"Autre"}`, http.StatusForbidden}, // locked
		{fac, "PATCH", id, `{"title":"Procès-verbal de l'AG"}`, http.StatusOK},
		{fac, "POST", id + "/unlock", "", http.StatusOK},
		{ana, "POST", id + "/trash", "", http.StatusOK}, // her pad
		{bruno, "PATCH", id, `{"title":"Autre"}`, http.StatusGone},
		{bruno, "POST", id + "/restore", "", http.StatusForbidden},
		{fac, "POST", id + "/restore", "", http.StatusOK},
		{fac, "POST", "/api/pads/nope/trash", "", http.StatusNotFound},
		{bruno, "POST", "/api/pads/nope/trash", "", http.StatusNotFound},
	}
	for i, s := range steps {
		if got := asPerson(t, srv.URL, s.who, s.method, s.path, s.body, nil); got != s.want {
			t.Errorf("step %d: %s %s by %s: %d, want %d", i, s.method, s.path, strings.Split(s.who, "|")[1], got, s.want)
		}
	}
	var got padView
	asPerson(t, srv.URL, bruno, "GET", id, "", &got)
	if got.Title != "Procès-verbal de l'AG" || got.Locked || got.Trashed || got.CanManage {
		t.Errorf("after the steps, Bruno sees %+v", got)
	}
}

func TestListTrashAndSearch(t *testing.T) {
	_, srv := startPeopleService(t)
	const ana = "p-ana|Ana|#c01c28|participant"
	for _, title := range []string{"Réunion de rentrée", "Charte des communs", "Budget 2026"} {
		if got := asPerson(t, srv.URL, ana, "POST", "/api/pads", `{"title":"`+title+`"}`, nil); got != http.StatusCreated {
			t.Fatalf("create: %d", got)
		}
	}
	titles := func(path string) []string {
		var pads []padView
		if got := asPerson(t, srv.URL, ana, "GET", path, "", &pads); got != http.StatusOK {
			t.Fatalf("GET %s: %d", path, got)
		}
		var out []string
		for _, p := range pads {
			out = append(out, p.Title)
		}
		return out
	}
	if got := strings.Join(titles("/api/pads?q=reunion"), ","); got != "Réunion de rentrée" {
		t.Errorf("search reunion: %q", got)
	}
	if got := strings.Join(titles("/api/pads?q=CHARTE+communs"), ","); got != "Charte des communs" {
		t.Errorf("search CHARTE communs: %q", got)
	}
	var none []padView
	if asPerson(t, srv.URL, ana, "GET", "/api/pads?q=introuvable", "", &none); none == nil {
		t.Error("a search that finds nothing answers null, want []")
	}
	var all []padView
	asPerson(t, srv.URL, ana, "GET", "/api/pads", "", &all)
	var budget string
	for _, p := range all {
		if p.Title == "Budget 2026" {
			budget = p.ID
		}
	}
	asPerson(t, srv.URL, ana, "POST", "/api/pads/"+budget+"/trash", "", nil)
	if got := strings.Join(titles("/api/pads?trash=1"), ","); got != "Budget 2026" {
		t.Errorf("trash: %q", got)
	}
	if got := len(titles("/api/pads")); got != 2 {
		t.Errorf("%d pads outside the trash, want 2", got)
	}
}

func TestSnippet(t *testing.T) {
	text := "Ordre du jour : le budget de l'année, puis l'élection du bureau et les questions diverses du jour."
	got := snippet(text, fold(text), []string{"election"})
	if !strings.Contains(got, "élection du bureau") || !strings.HasPrefix(got, "…") {
		t.Errorf("snippet: %q", got)
	}
}

// Locking a pad that people are writing in closes their connections; when
// they come back, the box refuses their updates; a facilitator still writes.
func TestLockWhileOpen(t *testing.T) {
	s, srv := startPeopleService(t)
	const (
		ana = "p-ana|Ana|#c01c28|participant"
		fac = "p-fac|Camille|#26a269|facilitator"
	)
	var pad padView
	asPerson(t, srv.URL, ana, "POST", "/api/pads", `{"title":"AG"}`, &pad)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	open := func(who string) *websocket.Conn {
		t.Helper()
		c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/pads/ws/"+pad.ID,
			&websocket.DialOptions{HTTPHeader: http.Header{"Cookie": {"testperson=" + url.QueryEscape(who)}}})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := open(ana)
	if got := asPerson(t, srv.URL, fac, "POST", "/api/pads/"+pad.ID+"/lock", "", nil); got != http.StatusOK {
		t.Fatalf("lock: %d", got)
	}
	if code, _ := readUntilClose(c); code != websocket.StatusGoingAway {
		t.Errorf("Ana's connection closed with %d, want 1001 (going away: reconnect)", code)
	}

	c = open(ana)
	c.Write(ctx, websocket.MessageBinary, encodeSync(syncUpdate, bonjour))
	for {
		_, data, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("Ana on the locked pad: %v before permission denied", err)
		}
		if len(data) > 0 && data[0] == msgAuth {
			break
		}
	}
	c.Close(websocket.StatusNormalClosure, "")

	f := open(fac)
	f.Write(ctx, websocket.MessageBinary, encodeSync(syncUpdate, bonjour))
	deadline := time.Now().Add(5 * time.Second)
	for storedText(t, s.st, pad.ID) != "Bonjour" {
		if time.Now().After(deadline) {
			t.Fatal("the facilitator's update on the locked pad was not stored")
		}
		time.Sleep(20 * time.Millisecond)
	}
	f.Close(websocket.StatusNormalClosure, "")
}
