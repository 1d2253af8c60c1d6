package decide

import (
	"time"

	"github.com/coopbox/coopbox/services/decide/liquid"
)

// Assembly is one meeting (an AG, a monthly decision) with its roll.
type Assembly struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Date      string    `json:"date,omitempty"` // as the facilitator typed it: the box's clock may be off
	Rules     Rules     `json:"rules"`
	Created   time.Time `json:"created"`
	CreatedBy string    `json:"createdBy"`
	Archived  bool      `json:"archived,omitempty"`
}

// Rules are an assembly's rules, stored as typed; liquid.Rules is built
// from them (rules.go).
type Rules struct {
	MaxProxies int       `json:"maxProxies"` // 0: liquid.DefaultMaxProxies; negative: none
	Quorum     Quorum    `json:"quorum"`
	Colleges   []College `json:"colleges,omitempty"`
}

// Quorum is what must be present (or represented) for a vote to be valid:
// Num/Den of the members (Of "members") or of their weight (Of "weight"),
// counting proxies when Represented is set. Den 0 means no quorum.
type Quorum struct {
	Num         int64  `json:"num"`
	Den         int64  `json:"den"`
	Of          string `json:"of"` // "members" or "weight"
	Represented bool   `json:"represented"`
}

// College is a group of members holding a fixed share of the vote.
type College struct {
	Name string `json:"name"`
	Part int64  `json:"part"`
}

// Member is one entry of a roll. ID is random and stable; the member's link
// token and bound browsers are stored as hashes beside it (store).
type Member struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	College string `json:"college,omitempty"`
	Weight  int64  `json:"weight"` // ≥ 1
	Voting  bool   `json:"voting"`
	// LinkGen counts re-issues of the member's link: a re-issue revokes the
	// previous link and every browser bound through it.
	LinkGen int `json:"linkGen"`
}

func (m Member) liquid() liquid.Member {
	return liquid.Member{ID: liquid.MemberID(m.ID), College: m.College, Shares: m.Weight, Voting: m.Voting}
}

// Vote states, in order; paused goes back to open.
const (
	StateDraft  = "draft"
	StateOpen   = "open"
	StatePaused = "paused"
	StateClosed = "closed"
)

// Vote is one question put to an assembly. Type names the ballot and its
// count (PROTOCOL.md, "Votes"); Settings holds what the type needs.
type Vote struct {
	ID         string         `json:"id"`
	AssemblyID string         `json:"assemblyId"`
	Title      string         `json:"title"`
	Text       string         `json:"text,omitempty"`
	Type       string         `json:"type"`
	Options    []string       `json:"options,omitempty"`
	Secret     bool           `json:"secret"`
	HideResult bool           `json:"hideResult"` // results only once closed
	Delegation bool           `json:"delegation"` // open votes only
	Topic      string         `json:"topic,omitempty"`
	Settings   map[string]any `json:"settings,omitempty"`
	State      string         `json:"state"`
	Seq        uint64         `json:"seq"` // order of creation in its assembly
	Created    time.Time      `json:"created"`
}
