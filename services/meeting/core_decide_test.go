package meeting

import (
	"strings"
	"testing"

	"github.com/coopbox/coopbox/services/decide"
	"github.com/coopbox/coopbox/services/pads"
	"github.com/coopbox/coopbox/services/page"
)

// The peers the box gives the meeting answer the meeting's interfaces.
var (
	_ padsPeer   = (*pads.Service)(nil)
	_ decidePeer = (*decide.Service)(nil)
)

// TestWithDecide runs a meeting of an assembly with the real decide on the
// same file: the decision item chooses among the assembly's votes, the
// projector shows the vote's result, and the minutes quote the presence
// and the resolution as decide words them.
func TestWithDecide(t *testing.T) {
	h := newHarnessWith(t, func(env page.Env) (page.Service, error) { return decide.New(decide.Options{Env: env}) })
	var a struct{ ID string }
	h.must(201, fac, "POST", "/api/decide/assemblies", map[string]any{"title": "AG 2026"}, &a)
	for _, name := range []string{"Ana", "Bo", "Cy"} {
		h.must(201, fac, "POST", "/api/decide/a/"+a.ID+"/members", map[string]any{"name": name, "weight": 1}, nil)
	}
	var v struct{ ID string }
	h.must(201, fac, "POST", "/api/decide/a/"+a.ID+"/votes", map[string]any{"title": "Budget 2027", "type": "yesno"}, &v)

	// The creation form offers decide's assemblies by title.
	if code, body := h.call(fac, "GET", "/meeting/", nil); code != 200 || !strings.Contains(string(body), `<option value="`+a.ID+`">AG 2026</option>`) {
		t.Errorf("the creation form does not offer the assembly AG 2026 (%d)", code)
	}
	id := h.meeting(map[string]any{"title": "AG", "lang": "fr", "assemblyId": a.ID})
	var votes []struct{ ID, Title string }
	h.must(200, fac, "GET", "/api/meeting/m/"+id+"/votes", nil, &votes)
	if len(votes) != 1 || votes[0].ID != v.ID || votes[0].Title != "Budget 2027" {
		t.Fatalf("the assembly's votes: %+v", votes)
	}
	if got, _ := h.call(fac, "POST", "/api/meeting/meetings", map[string]any{"title": "x", "lang": "fr", "assemblyId": "nope"}); got != 400 {
		t.Errorf("a meeting of an unknown assembly: %d", got)
	}
	it := h.item(id, "Budget", KindDecision, 10, v.ID)
	h.do(id, "/items/"+it.ID+"/start", nil)
	h.do(id, "/projector", map[string]any{"view": "vote"})
	if st := h.state(id); st.Vote == nil || st.Vote.Title != "Budget 2027" || len(st.Vote.Lines) == 0 {
		t.Errorf("the projector's vote: %+v", st.Vote)
	}
	var end struct{ Pad string }
	h.must(200, fac, "POST", "/api/meeting/m/"+id+"/end", map[string]any{}, &end)
	md, err := h.pads.Markdown(end.Pad)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Assemblée : AG 2026", "Membres ayant droit de vote : 3.", "**Résolution** : Budget 2027", "Vote non clos."} {
		if !strings.Contains(md, want) {
			t.Errorf("the minutes lack %q:\n%s", want, md)
		}
	}
}
