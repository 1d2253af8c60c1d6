package meeting

import (
	"cmp"
	"errors"
	"slices"
	"strings"
	"unicode/utf8"
)

// The room's records and the rules that order and change them: plain
// functions on plain values, with no storage and no HTTP (room_test.go
// tests them by tables). Every id is a sequence of the box's database
// (NextSequence), so "older" means "earlier committed", never a clock.

// Bounds on what people type and on how much a meeting holds: a room of
// 300 people, an evening's debate.
const (
	maxQuestionRunes = 500
	maxArgumentRunes = 300
	maxTitleRunes    = 200
	maxPromptRunes   = 200
	maxItemID        = 64
	maxQuestions     = 1000 // per meeting
	maxProposals     = 100  // per meeting
	maxArguments     = 200  // per proposal
	maxChecks        = 200  // per meeting
	// topQuestions is how many questions the projector shows.
	topQuestions = 5
)

// RoomSettings are a meeting's settings for the room's tools.
type RoomSettings struct {
	// AnonymousQuestions lets people submit questions with no name.
	AnonymousQuestions bool `json:"anonymousQuestions"`
	// Board is the proposal whose pros and cons the projector shows (0:
	// the latest).
	Board uint64 `json:"board,omitempty"`
}

// Question is a question from the room. An anonymous one stores no
// author: only the SHA-256 of a random handle given to its author once, so
// that they (and only whoever holds the handle) may edit or withdraw it.
type Question struct {
	ID         uint64   `json:"id"`
	Text       string   `json:"text"`
	AuthorID   string   `json:"authorId,omitempty"`
	AuthorName string   `json:"authorName,omitempty"`
	Anonymous  bool     `json:"anonymous,omitempty"`
	Handle     []byte   `json:"handle,omitempty"`
	Voters     []string `json:"voters,omitempty"` // person ids, sorted, each once
	Hidden     bool     `json:"hidden,omitempty"`
	Answered   bool     `json:"answered,omitempty"`
	Pinned     bool     `json:"pinned,omitempty"`
	// MergedInto is the question this one was merged into (0: none); a
	// merged question is no longer shown, voted on or edited.
	MergedInto uint64 `json:"mergedInto,omitempty"`
	// Merged are the texts of the questions merged into this one.
	Merged []string `json:"merged,omitempty"`
	Edited bool     `json:"edited,omitempty"`
}

// Shown reports whether q is on the list people see.
func (q *Question) Shown() bool { return !q.Hidden && q.MergedInto == 0 }

// Proposal is what a pros-and-cons board is about. Item is the agenda
// item it belongs to, if any (the core's id, kept as a string).
type Proposal struct {
	ID    uint64 `json:"id"`
	Title string `json:"title"`
	Item  string `json:"item,omitempty"`
}

// Sides of an argument.
const (
	SidePro = "pro"
	SideCon = "con"
)

// Argument is one argument for or against a proposal.
type Argument struct {
	ID         uint64   `json:"id"`
	Proposal   uint64   `json:"proposal"`
	Side       string   `json:"side"`
	Text       string   `json:"text"`
	AuthorID   string   `json:"authorId"`
	AuthorName string   `json:"authorName"`
	Supporters []string `json:"supporters,omitempty"` // person ids, sorted, each once
	Hidden     bool     `json:"hidden,omitempty"`
}

// Kinds of temperature checks, with their answers: thumbs 0 (down), 1
// (sideways), 2 (up); fist-to-five 0–5; scale 0–10.
const (
	CheckThumbs = "thumbs"
	CheckFist   = "fist"
	CheckScale  = "scale"
)

// checkRange is the highest answer of a kind (the lowest is 0); false for
// an unknown kind.
func checkRange(kind string) (int, bool) {
	switch kind {
	case CheckThumbs:
		return 2, true
	case CheckFist:
		return 5, true
	case CheckScale:
		return 10, true
	}
	return 0, false
}

// Check is a temperature check: one answer per person, changeable while
// it is open. It is a reading of the room, not a decision.
type Check struct {
	ID      uint64         `json:"id"`
	Kind    string         `json:"kind"`
	Prompt  string         `json:"prompt,omitempty"`
	Item    string         `json:"item,omitempty"`
	Open    bool           `json:"open"`
	Answers map[string]int `json:"answers,omitempty"` // by person id
}

// Distribution is a check's result: how many gave each answer.
type Distribution struct {
	Counts []int `json:"counts"` // Counts[v] answered v
	Total  int   `json:"total"`
	// Mean, for fist-to-five and the scale, in tenths (rounded half up):
	// integers only, so that every screen shows the same figure.
	MeanTenths int `json:"meanTenths,omitempty"`
}

// distribution counts c's answers; answers out of range (none are stored)
// are left out.
func distribution(c *Check) Distribution {
	top, _ := checkRange(c.Kind)
	d := Distribution{Counts: make([]int, top+1)}
	sum := 0
	for _, v := range c.Answers {
		if v < 0 || v > top {
			continue
		}
		d.Counts[v]++
		d.Total++
		sum += v
	}
	if d.Total > 0 && c.Kind != CheckThumbs {
		d.MeanTenths = (sum*20 + d.Total) / (2 * d.Total)
	}
	return d
}

// orderQuestions returns the questions people see, in the order they see
// them: pinned first, then those not answered yet, then by votes (most
// first), then the older first (by sequence). Hidden and merged questions
// are left out. qs is not changed.
func orderQuestions(qs []Question) []Question {
	out := make([]Question, 0, len(qs))
	for _, q := range qs {
		if q.Shown() {
			out = append(out, q)
		}
	}
	slices.SortFunc(out, func(a, b Question) int {
		if a.Pinned != b.Pinned {
			return boolFirst(a.Pinned)
		}
		if a.Answered != b.Answered {
			return -boolFirst(a.Answered)
		}
		if c := cmp.Compare(len(b.Voters), len(a.Voters)); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out
}

// boolFirst is -1 when the true side comes first.
func boolFirst(a bool) int {
	if a {
		return -1
	}
	return 1
}

// topOf is the projector's list: the first n of the ordered questions that
// are not answered (pinned ones always).
func topOf(ordered []Question, n int) []Question {
	var out []Question
	for _, q := range ordered {
		if len(out) == n {
			break
		}
		if q.Pinned || !q.Answered {
			out = append(out, q)
		}
	}
	return out
}

// Refusals of the room's rules.
var (
	errMergeSelf   = errors.New("a question cannot be merged into itself")
	errMerged      = errors.New("question already merged")
	errMergeHidden = errors.New("cannot merge into a hidden question")
	errClosed      = errors.New("check closed")
	errOutOfRange  = errors.New("answer out of range")
)

// mergeQuestions merges from into into: into gains from's voters (a person
// who voted for both counts once) and its text, and from's merged texts;
// from leaves the list. A merged question, or one merged into, cannot be
// merged again; nothing is merged into a hidden question.
func mergeQuestions(from, into *Question) error {
	switch {
	case from.ID == into.ID:
		return errMergeSelf
	case from.MergedInto != 0 || into.MergedInto != 0:
		return errMerged
	case into.Hidden:
		return errMergeHidden
	}
	for _, v := range from.Voters {
		into.Voters = addTo(into.Voters, v)
	}
	into.Merged = append(into.Merged, from.Text)
	into.Merged = append(into.Merged, from.Merged...)
	from.Merged, from.Voters = nil, nil
	from.MergedInto, from.Pinned = into.ID, false
	return nil
}

// answerCheck records person's answer v to c: one per person, replaced by
// a later one while c is open.
func answerCheck(c *Check, person string, v int) error {
	if !c.Open {
		return errClosed
	}
	top, ok := checkRange(c.Kind)
	if !ok || v < 0 || v > top {
		return errOutOfRange
	}
	if c.Answers == nil {
		c.Answers = map[string]int{}
	}
	c.Answers[person] = v
	return nil
}

// orderArguments returns a board's two columns: the arguments shown, most
// supported first, then the older first.
func orderArguments(args []Argument) (pros, cons []Argument) {
	for _, a := range args {
		if a.Hidden {
			continue
		}
		if a.Side == SidePro {
			pros = append(pros, a)
		} else {
			cons = append(cons, a)
		}
	}
	by := func(a, b Argument) int {
		if c := cmp.Compare(len(b.Supporters), len(a.Supporters)); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	}
	slices.SortFunc(pros, by)
	slices.SortFunc(cons, by)
	return pros, cons
}

// addTo adds id to the sorted set s; removeFrom takes it out. Both return
// the set.
func addTo(s []string, id string) []string {
	i, found := slices.BinarySearch(s, id)
	if found {
		return s
	}
	return slices.Insert(s, i, id)
}

func removeFrom(s []string, id string) []string {
	i, found := slices.BinarySearch(s, id)
	if !found {
		return s
	}
	return slices.Delete(s, i, i+1)
}

func hasIn(s []string, id string) bool {
	_, found := slices.BinarySearch(s, id)
	return found
}

// cleanText trims s and checks it has 1 to max characters of valid UTF-8
// with no control character but line breaks and tabs; false otherwise.
func cleanText(s string, max int, required bool) (string, bool) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return "", false
	}
	n := utf8.RuneCountInString(s)
	if n > max || (required && n == 0) {
		return "", false
	}
	for _, r := range s {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return "", false
		}
	}
	return s, true
}
