package pagetest

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/coopbox/coopbox/services/page"
	"github.com/coopbox/coopbox/services/person"
)

func TestCookiePerson(t *testing.T) {
	for _, c := range []struct {
		cookie string // "" for none
		want   *person.Person
	}{
		{"", nil},
		{"a|b|c", nil},
		{url.QueryEscape("f1|Zoé|#1a5fb4|facilitator"), &person.Person{ID: "f1", Name: "Zoé", Color: "#1a5fb4", Role: person.Facilitator}},
		{url.QueryEscape("p1|Bo|#000|participant"), &person.Person{ID: "p1", Name: "Bo", Color: "#000", Role: person.Participant}},
	} {
		r, _ := http.NewRequest("GET", "/", nil)
		if c.cookie != "" {
			r.AddCookie(&http.Cookie{Name: "testperson", Value: c.cookie})
		}
		got := CookiePerson(r)
		if (got == nil) != (c.want == nil) || got != nil && *got != *c.want {
			t.Errorf("cookie %q: %+v, want %+v", c.cookie, got, c.want)
		}
		if or := CookieOrTester(r); c.want == nil && (or == nil || or.ID != "t" || or.Role != person.Participant) {
			t.Errorf("cookie %q: CookieOrTester gave %+v, want the participant Test", c.cookie, or)
		}
	}
}

// TestServe checks that a page gets the box's CSP and the cookie's person,
// and the shared static files are served.
func TestServe(t *testing.T) {
	mux := Mux()
	mux.HandleFunc("/who", func(w http.ResponseWriter, r *http.Request) {
		if p := person.FromContext(r.Context()); p != nil {
			io.WriteString(w, p.Name)
		}
	})
	srv := Serve(t, mux, CookiePerson)
	get := func(path, cookie string) (*http.Response, string) {
		t.Helper()
		r, _ := http.NewRequest("GET", srv.URL+path, nil)
		if cookie != "" {
			r.AddCookie(&http.Cookie{Name: "testperson", Value: cookie})
		}
		res, err := srv.Client().Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	res, body := get("/who", url.QueryEscape("a|Ana|#fff|participant"))
	if got := res.Header.Get("Content-Security-Policy"); got != page.ContentSecurityPolicy {
		t.Errorf("CSP %q, want the box's", got)
	}
	if body != "Ana" {
		t.Errorf("person %q, want Ana", body)
	}
	if res, _ := get("/static/box.css", ""); res.StatusCode != http.StatusOK {
		t.Errorf("/static/box.css: %s", res.Status)
	}
	if _, body := get("/who", ""); body != "" {
		t.Errorf("without a cookie the page had a person: %q", body)
	}
}

func TestRunScriptResult(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		SkipOrFail(t, "node not installed: %v", err)
	}
	script := filepath.Join(t.TempDir(), "s.mjs")
	src := `console.log("noise"); console.log("RESULT " + JSON.stringify({A: process.argv[2]}));`
	if err := os.WriteFile(script, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	var got struct{ A string }
	Result(t, RunScript(t, script, "x y"), &got)
	if got.A != "x y" {
		t.Errorf("RESULT %+v, want the argument back", got)
	}
}
