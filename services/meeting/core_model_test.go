package meeting

import (
	"slices"
	"testing"
	"time"
)

func keys(q []Request) []string {
	var out []string
	for _, r := range q {
		out = append(out, r.Key)
	}
	return out
}

func TestOrderQueue(t *testing.T) {
	req := func(key string, seq uint64, reply bool) Request { return Request{Key: key, Seq: seq, Reply: reply} }
	tests := []struct {
		name   string
		q      []Request
		spoken map[string]time.Duration
		want   []string
	}{
		{"arrival when nobody spoke", []Request{req("c", 3, false), req("a", 1, false), req("b", 2, false)}, nil, []string{"a", "b", "c"}},
		{"first-time speakers first", []Request{req("a", 1, false), req("b", 2, false), req("c", 3, false)},
			map[string]time.Duration{"a": time.Minute}, []string{"b", "c", "a"}},
		{"spoke for no time still spoke", []Request{req("a", 1, false), req("b", 2, false)},
			map[string]time.Duration{"a": 0}, []string{"b", "a"}},
		{"least time spoken next", []Request{req("a", 1, false), req("b", 2, false), req("c", 3, false)},
			map[string]time.Duration{"a": 3 * time.Minute, "b": time.Minute, "c": 2 * time.Minute}, []string{"b", "c", "a"}},
		{"equal times by arrival", []Request{req("b", 2, false), req("a", 1, false)},
			map[string]time.Duration{"a": time.Minute, "b": time.Minute}, []string{"a", "b"}},
		{"direct replies jump, in arrival order", []Request{req("a", 1, false), req("r2", 5, true), req("n", 2, false), req("r1", 4, true)},
			map[string]time.Duration{"a": time.Minute, "r1": time.Hour, "r2": time.Hour}, []string{"r1", "r2", "n", "a"}},
	}
	for _, tt := range tests {
		got := keys(orderQueue(tt.q, tt.spoken))
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestInsertRequest(t *testing.T) {
	q := []Request{{Key: "r", Reply: true}, {Key: "a"}, {Key: "b"}}
	if got := keys(insertRequest(q, Request{Key: "c"})); !slices.Equal(got, []string{"r", "a", "b", "c"}) {
		t.Errorf("a request: %q", got)
	}
	q = []Request{{Key: "r", Reply: true}, {Key: "a"}, {Key: "b"}}
	if got := keys(insertRequest(q, Request{Key: "d", Reply: true})); !slices.Equal(got, []string{"r", "d", "a", "b"}) {
		t.Errorf("a direct reply: %q", got)
	}
}

// TestStopwatchAcrossPauses: the time an item ran is the sum of its
// stretches, whatever the wall clock does (Env.Now's values carry the
// monotonic reading; here the wall clock jumps back an hour between two
// readings of a real clock and the sum must not change sign).
func TestStopwatchAcrossPauses(t *testing.T) {
	base := time.Date(2026, 12, 2, 14, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return base.Add(time.Duration(s) * time.Second) }
	var w stopwatch
	var spent time.Duration
	w.start(at(0))
	w.start(at(5)) // a second start changes nothing
	if got := w.elapsed(at(30), spent); got != 30*time.Second {
		t.Errorf("running: %v", got)
	}
	w.stop(at(60), &spent)
	w.stop(at(70), &spent) // a second stop adds nothing
	if spent != time.Minute || w.running() {
		t.Errorf("after the first stretch: %v running=%v", spent, w.running())
	}
	if got := w.elapsed(at(600), spent); got != time.Minute {
		t.Errorf("paused: %v, want 1m (a pause does not count)", got)
	}
	w.start(at(600))
	w.stop(at(630), &spent)
	if spent != 90*time.Second {
		t.Errorf("two stretches: %v, want 1m30s", spent)
	}
	// A clock that goes back counts nothing rather than a negative time.
	w.start(at(1000))
	w.stop(at(900), &spent)
	if spent != 90*time.Second {
		t.Errorf("a backward reading changed the sum: %v", spent)
	}
	// Real readings: Sub uses the monotonic clock, so stripping it (as a
	// wall-clock comparison would) is what the code must not do.
	start := time.Now()
	w.start(start)
	w.stop(start.Add(2*time.Second), &spent)
	if spent != 92*time.Second {
		t.Errorf("monotonic stretch: %v", spent)
	}
}

func TestScheduleDelta(t *testing.T) {
	m := time.Minute
	items := []Item{
		{ID: "a", Planned: 10 * m, Spent: 12 * m, Status: StatusDone},
		{ID: "b", Planned: 5 * m, Spent: 0, Status: StatusSkipped},
		{ID: "c", Planned: 10 * m, Status: StatusRunning},
		{ID: "d", Planned: 20 * m, Status: StatusPending},
	}
	tests := []struct {
		current string
		spent   time.Duration
		want    time.Duration
	}{
		{"c", 4 * m, -3 * m}, // 2 behind on a, 5 saved on b, c on time so far
		{"c", 14 * m, 1 * m}, // c overruns by 4
		{"", 0, -3 * m},      // between items
	}
	for _, tt := range tests {
		if got := scheduleDelta(items, tt.current, tt.spent); got != tt.want {
			t.Errorf("current %q spent %v: delta %v, want %v", tt.current, tt.spent, got, tt.want)
		}
	}
}

func TestBalance(t *testing.T) {
	s := func(item, key, name string, sec int) Speech {
		return Speech{ItemID: item, Key: key, Name: name, Dur: time.Duration(sec) * time.Second}
	}
	speeches := []Speech{
		s("1", "ana", "Ana", 60), s("1", "bo", "Bo", 30), s("1", "ana", "Ana", 30),
		s("2", "bo", "Bo", 40), s("2", "cy", "Cy", 40), s("2", "name:dé", "Dé", 20),
	}
	profiles := map[string]Profile{"ana": {Gender: "woman", College: "A"}, "bo": {Gender: "man"}, "cy": {Gender: "woman", College: "B"}}

	b := balance(speeches, profiles, "1")
	if b.Speakers != 2 || b.Speeches != 3 || b.Total != 2*time.Minute || b.FirstTime != 2 {
		t.Errorf("item 1: %+v", b)
	}
	if b.People[0].Label != "Ana" || b.People[0].Percent != 75 || b.People[0].Speeches != 2 || b.People[1].Percent != 25 {
		t.Errorf("item 1 people: %+v", b.People)
	}
	b = balance(speeches, profiles, "2")
	if b.Speakers != 3 || b.FirstTime != 2 { // Bo spoke first in item 1
		t.Errorf("item 2: speakers %d first-time %d, want 3 and 2", b.Speakers, b.FirstTime)
	}
	want := []Share{{Label: "man", Speakers: 1, Speeches: 1, Time: 40 * time.Second, Percent: 40}, {Label: "woman", Speakers: 1, Speeches: 1, Time: 40 * time.Second, Percent: 40}, {Label: notGiven, Speakers: 1, Speeches: 1, Time: 20 * time.Second, Percent: 20}}
	if !slices.Equal(b.ByGender, want) {
		t.Errorf("item 2 by gender: %+v, want %+v", b.ByGender, want)
	}
	b = balance(speeches, profiles, "")
	if b.Speakers != 4 || b.Speeches != 6 || b.Total != 220*time.Second || b.FirstTime != 4 {
		t.Errorf("meeting: %+v", b)
	}
	if len(b.ByCollege) != 3 || b.ByCollege[0].Label != "A" || b.ByCollege[0].Percent != 41 || b.ByCollege[2].Label != notGiven || b.ByCollege[2].Speakers != 2 {
		t.Errorf("meeting by college: %+v", b.ByCollege)
	}
	if b := balance(speeches, nil, ""); b.ByGender != nil || b.ByCollege != nil {
		t.Errorf("groups shown though nobody gave one: %+v", b)
	}
	if b := balance(nil, nil, ""); b.Speakers != 0 || b.Total != 0 || len(b.People) != 0 {
		t.Errorf("no speech: %+v", b)
	}
}
