package meeting

import (
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/coopbox/coopbox/services/person"
)

// FuzzAPI sends arbitrary bodies to the meeting's writing routes, as a
// facilitator and as a participant: no answer is a 500 or a panic, and the
// meeting's state keeps its invariants (bounded lists, unique ids, a
// current item that exists).
func FuzzAPI(f *testing.F) {
	h := newHarness(f)
	id := h.meeting(map[string]any{"title": "Fuzz", "lang": "fr"})
	it := h.item(id, "Point", KindDebate, 10, "")
	routes := []string{"/items", "/items/order", "/items/" + it.ID + "/start", "/items/" + it.ID + "/pause", "/items/" + it.ID + "/skip",
		"/queue", "/queue/order", "/speaker", "/speaker/end", "/settings", "/projector", "/profile"}
	for _, seed := range []string{`{}`, `{"title":"x","kind":"debate","minutes":5}`, `{"ids":["a"]}`, `{"reply":true}`, `{"name":"Zoé"}`,
		`{"rules":true}`, `{"limitSec":60,"auto":true}`, `{"view":"vote","vote":"v1"}`, `{"gender":"woman","college":"A"}`, `[`, `{"minutes":1e99}`} {
		for r := range routes {
			f.Add(uint8(r), false, seed)
		}
	}
	f.Fuzz(func(t *testing.T, route uint8, asFac bool, body string) {
		who := &person.Person{ID: "p1", Name: "Ana", Role: person.Participant}
		if asFac {
			who = &person.Person{ID: "f1", Name: "Camille", Role: person.Facilitator}
		}
		req := httptest.NewRequest("POST", "/api/meeting/m/"+id+routes[int(route)%len(routes)], strings.NewReader(body))
		req = req.WithContext(person.NewContext(req.Context(), who))
		rec := httptest.NewRecorder()
		h.s.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %q: status %d: %s", req.URL.Path, body, rec.Code, rec.Body)
		}
		lm, err := h.s.load(id)
		if err != nil {
			t.Fatal(err)
		}
		lm.mu.Lock()
		defer lm.mu.Unlock()
		c := lm.c
		if len(c.Items) > maxItems || len(c.Queue) > maxQueue || len(c.Speeches) > maxSpeeches {
			t.Fatalf("bounds passed: %d items, %d requests, %d speeches", len(c.Items), len(c.Queue), len(c.Speeches))
		}
		var ids []string
		for _, q := range c.Queue {
			ids = append(ids, q.Key)
		}
		slices.Sort(ids)
		if len(slices.Compact(ids)) != len(c.Queue) {
			t.Fatalf("someone twice in the queue: %+v", c.Queue)
		}
		if c.Current != "" && c.item(c.Current) == nil {
			t.Fatalf("the current item %q does not exist", c.Current)
		}
		for _, it := range c.Items {
			if it.Spent < 0 || it.Planned <= 0 || utf8Len(it.Title) > 200 {
				t.Fatalf("an item out of bounds: %+v", it)
			}
		}
	})
}

func utf8Len(s string) int { return len([]rune(s)) }
