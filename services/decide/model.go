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
// count (vote.go's voteTypes; PROTOCOL.md, "Votes"); Settings holds what
// the type needs.
type Vote struct {
	ID         string       `json:"id"`
	AssemblyID string       `json:"assemblyId"`
	Title      string       `json:"title"`
	Text       string       `json:"text,omitempty"`
	Type       string       `json:"type"`
	Options    []string     `json:"options,omitempty"`
	Secret     bool         `json:"secret"`
	HideResult bool         `json:"hideResult"` // results only once closed (always for secret votes)
	Delegation bool         `json:"delegation"` // open votes only
	Topic      string       `json:"topic,omitempty"`
	Settings   VoteSettings `json:"settings"`
	State      string       `json:"state"`
	// Phase is the step of a consent round or an election without
	// candidates (vote.go's phases); empty for the other types.
	Phase string `json:"phase,omitempty"`
	// Proposal is, in an election, the member the facilitator proposes
	// after the nominations.
	Proposal string    `json:"proposal,omitempty"`
	Seq      uint64    `json:"seq"` // order of creation in its assembly
	Created  time.Time `json:"created"`
	Closed   time.Time `json:"closed,omitzero"`
	// PublicKey is a secret vote's blind-signature key (DER,
	// SubjectPublicKeyInfo), made when it first opens.
	PublicKey []byte `json:"publicKey,omitempty"`
}

// VoteSettings are the settings of a vote's type; the zero value of each
// is the usual choice.
type VoteSettings struct {
	Majority string `json:"majority,omitempty"` // yes/no: simple (default), absolute, two_thirds
	Base     string `json:"base,omitempty"`     // yes/no: cast (default), present, members
	Method   string `json:"method,omitempty"`   // ranked: schulze (default), rankedpairs, irv
	// StatusQuo, for a ranked vote, is the label of a status-quo option
	// added after the others ("keep things as they are").
	StatusQuo    string   `json:"statusQuo,omitempty"`
	MinApprovals int      `json:"minApprovals,omitempty"`
	MaxApprovals int      `json:"maxApprovals,omitempty"`
	NoneOfThese  bool     `json:"noneOfThese,omitempty"` // approval: adds a "none of these" option
	MaxScore     int64    `json:"maxScore,omitempty"`    // score: 0..MaxScore (default 5)
	Points       int64    `json:"points,omitempty"`      // dots: points to spread (default 5)
	MaxPerOption int64    `json:"maxPerOption,omitempty"`
	Grades       []string `json:"grades,omitempty"` // majority judgment, worst first
	// DelegationCap bounds the delegated weight one voter casts (0: none);
	// DelegationMaxAgeHours ends delegations that old (0: never).
	DelegationCap         int64 `json:"delegationCap,omitempty"`
	DelegationMaxAgeHours int   `json:"delegationMaxAgeHours,omitempty"`
}
