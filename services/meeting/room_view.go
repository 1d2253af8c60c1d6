package meeting

import "github.com/coopbox/coopbox/services/person"

// What the room's API and events show: never who voted, supported or
// answered what, never an anonymous question's author or handle. Events go
// to every stream of a meeting alike, so they carry no "mine"; the "room"
// event and GET …/room, made for one asker, do.

type questionView struct {
	ID         uint64   `json:"id"`
	Text       string   `json:"text,omitempty"` // empty when hidden, but for facilitators
	Author     string   `json:"author,omitempty"`
	Anonymous  bool     `json:"anonymous,omitempty"`
	Votes      int      `json:"votes"`
	Hidden     bool     `json:"hidden,omitempty"`
	Answered   bool     `json:"answered,omitempty"`
	Pinned     bool     `json:"pinned,omitempty"`
	MergedInto uint64   `json:"mergedInto,omitempty"`
	Merged     []string `json:"merged,omitempty"`
	Edited     bool     `json:"edited,omitempty"`
	Mine       bool     `json:"mine,omitempty"`  // the asker wrote it (named questions only)
	Voted      bool     `json:"voted,omitempty"` // the asker voted for it
}

// viewQuestion shows q; full shows a hidden question's text (to
// facilitators).
func viewQuestion(q *Question, full bool) questionView {
	v := questionView{ID: q.ID, Anonymous: q.Anonymous, Votes: len(q.Voters), Hidden: q.Hidden,
		Answered: q.Answered, Pinned: q.Pinned, MergedInto: q.MergedInto, Edited: q.Edited}
	if q.MergedInto != 0 || (q.Hidden && !full) {
		return v
	}
	v.Text, v.Merged = q.Text, q.Merged
	if !q.Anonymous {
		v.Author = q.AuthorName
	}
	return v
}

type argumentView struct {
	ID        uint64 `json:"id"`
	Proposal  uint64 `json:"proposal"`
	Side      string `json:"side"`
	Text      string `json:"text,omitempty"`
	Author    string `json:"author,omitempty"`
	Supports  int    `json:"supports"`
	Hidden    bool   `json:"hidden,omitempty"`
	Mine      bool   `json:"mine,omitempty"`
	Supported bool   `json:"supported,omitempty"`
}

// viewArgument shows a; me nil is everyone (an event), otherwise the asker
// (a facilitator sees hidden text).
func viewArgument(a *Argument, me *person.Person) argumentView {
	v := argumentView{ID: a.ID, Proposal: a.Proposal, Side: a.Side, Supports: len(a.Supporters), Hidden: a.Hidden}
	if me != nil {
		v.Mine, v.Supported = a.AuthorID == me.ID, hasIn(a.Supporters, me.ID)
	}
	if !a.Hidden || me.IsFacilitator() {
		v.Text, v.Author = a.Text, a.AuthorName
	}
	return v
}

type checkView struct {
	ID     uint64 `json:"id"`
	Kind   string `json:"kind"`
	Prompt string `json:"prompt,omitempty"`
	Item   string `json:"item,omitempty"`
	Open   bool   `json:"open"`
	Distribution
	Mine *int `json:"mine,omitempty"` // the asker's answer
}

func viewCheck(c *Check, me *person.Person) checkView {
	v := checkView{ID: c.ID, Kind: c.Kind, Prompt: c.Prompt, Item: c.Item, Open: c.Open, Distribution: distribution(c)}
	if me != nil {
		if a, ok := c.Answers[me.ID]; ok {
			v.Mine = &a
		}
	}
	return v
}

type boardView struct {
	Proposal
	Pros []argumentView `json:"pros"`
	Cons []argumentView `json:"cons"`
	// Hidden are the hidden arguments, for facilitators.
	Hidden []argumentView `json:"hidden,omitempty"`
}

// roomView is the room as one person sees it.
type roomView struct {
	Settings    RoomSettings `json:"settings"`
	Facilitator bool         `json:"facilitator,omitempty"`
	// Questions are the questions shown, in order (orderQuestions); Top
	// the projector's (topOf).
	Questions []questionView `json:"questions"`
	Top       []uint64       `json:"top"`
	// Hidden are the hidden questions, for facilitators.
	Hidden []questionView `json:"hidden,omitempty"`
	Boards []boardView    `json:"boards"`
	// Check is the latest check (open, or the last closed), if any.
	Check *checkView `json:"check,omitempty"`
}

func roomViewOf(d *roomData, me *person.Person) roomView {
	fac := me.IsFacilitator()
	v := roomView{Settings: d.Settings, Facilitator: fac, Questions: []questionView{}, Top: []uint64{}, Boards: []boardView{}}
	ordered := orderQuestions(d.Questions)
	for i := range ordered {
		q := &ordered[i]
		qv := viewQuestion(q, fac)
		qv.Mine = !q.Anonymous && q.AuthorID == me.ID
		qv.Voted = hasIn(q.Voters, me.ID)
		v.Questions = append(v.Questions, qv)
	}
	for _, q := range topOf(ordered, topQuestions) {
		v.Top = append(v.Top, q.ID)
	}
	if fac {
		for i := range d.Questions {
			if q := &d.Questions[i]; q.Hidden && q.MergedInto == 0 {
				v.Hidden = append(v.Hidden, viewQuestion(q, true))
			}
		}
	}
	byProposal := map[uint64][]Argument{}
	for _, a := range d.Arguments {
		byProposal[a.Proposal] = append(byProposal[a.Proposal], a)
	}
	for _, p := range d.Proposals {
		b := boardView{Proposal: p, Pros: []argumentView{}, Cons: []argumentView{}}
		pros, cons := orderArguments(byProposal[p.ID])
		for i := range pros {
			b.Pros = append(b.Pros, viewArgument(&pros[i], me))
		}
		for i := range cons {
			b.Cons = append(b.Cons, viewArgument(&cons[i], me))
		}
		if fac {
			for _, a := range byProposal[p.ID] {
				if a.Hidden {
					b.Hidden = append(b.Hidden, viewArgument(&a, me))
				}
			}
		}
		v.Boards = append(v.Boards, b)
	}
	if n := len(d.Checks); n > 0 {
		c := viewCheck(&d.Checks[n-1], me)
		v.Check = &c
	}
	return v
}
