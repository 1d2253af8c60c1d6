package meeting

import (
	"slices"
	"strings"
	"time"
)

// The core's domain: the agenda and its timing, the speakers' queue and its
// ordering, the balance figures. Plain types and functions, no HTTP, no
// storage; table-tested in core_model_test.go.

// Item kinds.
const (
	KindInformation = "information"
	KindDebate      = "debate"
	KindDecision    = "decision"
)

// Item statuses.
const (
	StatusPending = "pending"
	StatusRunning = "running"
	StatusPaused  = "paused"
	StatusDone    = "done"
	StatusSkipped = "skipped"
)

// Item is one point of the agenda. Spent is the time it ran, as summed
// durations of the box's monotonic clock (never a difference of wall
// clocks), excluding the stretch running now (see stopwatch).
type Item struct {
	ID        string        `json:"id"`
	Title     string        `json:"title"`
	Presenter string        `json:"presenter,omitempty"`
	Kind      string        `json:"kind"`
	Planned   time.Duration `json:"planned"`
	Spent     time.Duration `json:"spent"`
	Status    string        `json:"status"`
	VoteID    string        `json:"voteId,omitempty"`
	NotesPad  string        `json:"notesPad,omitempty"`
}

// Request is one entry of the speakers' queue. Key identifies the speaker
// across the meeting (the person's id, or "name:" and the folded name for a
// name the facilitator typed).
type Request struct {
	ID       string `json:"id"`
	Key      string `json:"key"`
	PersonID string `json:"personId,omitempty"`
	Name     string `json:"name"`
	Reply    bool   `json:"reply,omitempty"` // a direct reply: jumps the queue once
	Seq      uint64 `json:"seq"`             // arrival order
}

// Speech is one turn of speech, recorded when it ends.
type Speech struct {
	ItemID string        `json:"itemId"`
	Key    string        `json:"key"`
	Name   string        `json:"name"`
	Dur    time.Duration `json:"dur"`
}

// Profile is what a participant chose to tell for the balance figures.
type Profile struct {
	Gender  string `json:"gender,omitempty"`
	College string `json:"college,omitempty"`
}

// Genders a participant may pick (or none).
var genders = []string{"woman", "man", "nonbinary"}

// Core is the core's stored state of one meeting (store_core.go).
type Core struct {
	Items        []Item             `json:"items"`
	Current      string             `json:"current,omitempty"` // the item running or paused
	Queue        []Request          `json:"queue"`
	Auto         bool               `json:"auto,omitempty"` // the box orders the queue
	LimitSec     int                `json:"limitSec,omitempty"`
	ShowBalance  bool               `json:"showBalance,omitempty"` // on the projector and the phones
	Speaker      *Request           `json:"speaker,omitempty"`
	SpeakerSpent time.Duration      `json:"speakerSpent,omitempty"`
	Speeches     []Speech           `json:"speeches"`
	Replies      []string           `json:"replies,omitempty"`  // item id + "|" + key: direct replies used
	Profiles     map[string]Profile `json:"profiles,omitempty"` // by person id
	View         string             `json:"view,omitempty"`     // what the projector shows
	ViewVote     string             `json:"viewVote,omitempty"` // the vote it shows
	Seq          uint64             `json:"seq"`
}

func (c *Core) item(id string) *Item {
	for i := range c.Items {
		if c.Items[i].ID == id {
			return &c.Items[i]
		}
	}
	return nil
}

// stopwatch sums the stretches a thing ran, on the box's monotonic clock:
// spent holds the finished stretches, since the start of the running one
// (zero when stopped). Times come from Env.Now, whose values carry the
// monotonic reading, so Sub ignores any change of the wall clock.
type stopwatch struct {
	since time.Time
}

func (w *stopwatch) running() bool { return !w.since.IsZero() }

func (w *stopwatch) start(now time.Time) {
	if w.since.IsZero() {
		w.since = now
	}
}

// stop ends the running stretch and adds it to *spent.
func (w *stopwatch) stop(now time.Time, spent *time.Duration) {
	if !w.since.IsZero() {
		*spent += max(0, now.Sub(w.since))
		w.since = time.Time{}
	}
}

// elapsed is spent plus the running stretch.
func (w *stopwatch) elapsed(now time.Time, spent time.Duration) time.Duration {
	if w.since.IsZero() {
		return spent
	}
	return spent + max(0, now.Sub(w.since))
}

// scheduleDelta tells how far behind (positive) or ahead (negative) the
// meeting runs: each finished or skipped item counts what it took against
// what was planned; the current item counts only once it overruns (until
// then it may still end on time); pending items count nothing.
func scheduleDelta(items []Item, current string, currentSpent time.Duration) time.Duration {
	var d time.Duration
	for _, it := range items {
		switch {
		case it.ID == current:
			d += max(0, currentSpent-it.Planned)
		case it.Status == StatusDone || it.Status == StatusSkipped:
			d += it.Spent - it.Planned
		}
	}
	return d
}

// spokenTimes sums each speaker's time over the meeting.
func spokenTimes(speeches []Speech) map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, s := range speeches {
		out[s.Key] += s.Dur
	}
	return out
}

// orderQueue is the box's order of the queue: direct replies first (in
// arrival order), then people who have not spoken yet in the meeting, then
// by least time spoken, then by arrival. spoken holds the meeting's times
// by speaker key (a key present has spoken, even for no time).
func orderQueue(q []Request, spoken map[string]time.Duration) []Request {
	out := slices.Clone(q)
	rank := func(r Request) int {
		if r.Reply {
			return 0
		}
		if _, ok := spoken[r.Key]; !ok {
			return 1
		}
		return 2
	}
	slices.SortStableFunc(out, func(a, b Request) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		if rank(a) == 2 {
			if ta, tb := spoken[a.Key], spoken[b.Key]; ta != tb {
				if ta < tb {
					return -1
				}
				return 1
			}
		}
		switch {
		case a.Seq < b.Seq:
			return -1
		case a.Seq > b.Seq:
			return 1
		}
		return 0
	})
	return out
}

// insertRequest places a new request in a queue the facilitator orders by
// hand: a direct reply after the replies already at the head, anything
// else at the end.
func insertRequest(q []Request, r Request) []Request {
	if !r.Reply {
		return append(q, r)
	}
	i := 0
	for i < len(q) && q[i].Reply {
		i++
	}
	return slices.Insert(q, i, r)
}

// Share is one speaker's or one group's part of the speaking time.
type Share struct {
	Label    string        `json:"label"`
	Speakers int           `json:"speakers"`
	Speeches int           `json:"speeches"`
	Time     time.Duration `json:"time"`
	Percent  int           `json:"percent"` // of the total time, rounded
}

// Balance is who spoke how much, for an item or the whole meeting.
type Balance struct {
	Speakers  int           `json:"speakers"`
	Speeches  int           `json:"speeches"`
	Total     time.Duration `json:"total"`
	FirstTime int           `json:"firstTime"` // speakers whose first turn of the meeting was here
	People    []Share       `json:"people"`
	ByGender  []Share       `json:"byGender,omitempty"`
	ByCollege []Share       `json:"byCollege,omitempty"`
}

// notGiven labels the group of those who gave no gender or college.
const notGiven = ""

// balance computes the figures of item itemID, or of the meeting when
// itemID is empty. profiles are by speaker key: a speaker whose key has no
// profile (or an empty field) falls in the group notGiven. The groups by
// gender and college appear only when someone gave one.
func balance(speeches []Speech, profiles map[string]Profile, itemID string) Balance {
	var b Balance
	firstItem := map[string]string{} // key → item of the first speech
	people := map[string]*Share{}
	var order []string
	for _, s := range speeches {
		if _, ok := firstItem[s.Key]; !ok {
			firstItem[s.Key] = s.ItemID
		}
		if itemID != "" && s.ItemID != itemID {
			continue
		}
		p := people[s.Key]
		if p == nil {
			p = &Share{Label: s.Name, Speakers: 1}
			people[s.Key] = p
			order = append(order, s.Key)
		}
		p.Speeches++
		p.Time += s.Dur
		b.Speeches++
		b.Total += s.Dur
	}
	b.Speakers = len(order)
	pct := func(d time.Duration) int {
		if b.Total <= 0 {
			return 0
		}
		return int((d*100 + b.Total/2) / b.Total)
	}
	group := func(field func(Profile) string) []Share {
		m := map[string]*Share{}
		var labels []string
		given := false
		for _, k := range order {
			l := field(profiles[k])
			if l != notGiven {
				given = true
			}
			g := m[l]
			if g == nil {
				g = &Share{Label: l}
				m[l] = g
				labels = append(labels, l)
			}
			g.Speakers++
			g.Speeches += people[k].Speeches
			g.Time += people[k].Time
		}
		if !given {
			return nil
		}
		slices.SortFunc(labels, func(a, b string) int {
			if (a == notGiven) != (b == notGiven) { // "not given" last
				if a == notGiven {
					return 1
				}
				return -1
			}
			return strings.Compare(a, b)
		})
		out := make([]Share, 0, len(labels))
		for _, l := range labels {
			g := *m[l]
			g.Percent = pct(g.Time)
			out = append(out, g)
		}
		return out
	}
	for _, k := range order {
		p := *people[k]
		p.Percent = pct(p.Time)
		b.People = append(b.People, p)
		if firstItem[k] == itemID || itemID == "" {
			b.FirstTime++
		}
	}
	slices.SortStableFunc(b.People, func(x, y Share) int {
		switch {
		case x.Time > y.Time:
			return -1
		case x.Time < y.Time:
			return 1
		}
		return 0
	})
	b.ByGender = group(func(p Profile) string { return p.Gender })
	b.ByCollege = group(func(p Profile) string { return p.College })
	return b
}
