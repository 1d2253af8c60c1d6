package decide

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/coopbox/coopbox/services/page"
	"github.com/coopbox/coopbox/services/page/pagetest"
	"github.com/coopbox/coopbox/services/person"
)

// TestBrowserSecretVote drives Debian's Chromium through a secret vote
// (testdata/vote_browser.mjs) and checks the result the box stored.
func TestBrowserSecretVote(t *testing.T) {
	pagetest.RequireBrowser(t)
	b, err := web.ReadFile("web/dist/vote.js")
	pagetest.RequireBundle(t, err == nil && len(b) >= 1000, "decide's")
	db := pagetest.OpenDB(t, "decide.db")
	s, err := New(Options{Env: page.Env{DB: db}})
	if err != nil {
		t.Fatal(err)
	}
	var members []Member
	for i, name := range []string{"Ana", "Bo", "Cy", "Dee"} {
		members = append(members, Member{ID: "m0" + string(rune('0'+i)), Name: name, Weight: 1, Voting: true})
	}
	if err := s.stubAssembly(Assembly{ID: "asm1", Title: "AG"}, members); err != nil {
		t.Fatal(err)
	}
	s.stubCheckIn("asm1", "m00", "m01", "m02")
	mux := pagetest.Mux()
	mux.Handle("/", s)
	// The "testrole" cookie makes a page the facilitator's or a
	// participant's; without it the page is anonymous, as a member's phone.
	srv := pagetest.Serve(t, mux, func(r *http.Request) *person.Person {
		if c, err := r.Cookie("testrole"); err == nil {
			switch c.Value {
			case "facilitator":
				return &person.Person{ID: "f", Name: "Fa", Color: "#1a5fb4", Role: person.Facilitator}
			case "participant":
				return &person.Person{ID: "p", Name: "Pa", Color: "#1a5fb4", Role: person.Participant}
			}
		}
		return &person.Person{Role: person.Anonymous}
	})
	t.Cleanup(func() { s.Close() })
	// The members' bound browsers, as "name=value" cookies for the script.
	cookies := map[string]string{}
	for _, m := range members {
		c, err := s.stubBind("asm1", m.ID)
		if err != nil {
			t.Fatal(err)
		}
		cookies[m.ID] = c.Name + "=" + c.Value
	}
	cj, _ := json.Marshal(cookies)
	out := pagetest.RunScript(t, filepath.Join("testdata", "vote_browser.mjs"), srv.URL, string(cj))
	var result struct{ Vote string }
	pagetest.Result(t, out, &result)
	v, err := s.st.vote(result.Vote)
	if err != nil {
		t.Fatalf("vote %q: %v", result.Vote, err)
	}
	res, _, err := s.st.result(v)
	if err != nil {
		t.Fatal(err)
	}
	if d := res.Tally.Decision; !v.Secret || res.Ballots != 3 || d.Yes != 2 || d.No != 1 {
		t.Errorf("stored: secret %v, %d ballots, %+v; the browsers cast 2 yes and 1 no", v.Secret, res.Ballots, d)
	}
}
