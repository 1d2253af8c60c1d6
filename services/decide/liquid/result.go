package liquid

import "fmt"

// Result is what one vote's ballots weigh and where every member's weight
// went. Cast + Lost.Sum() == Total always holds.
type Result struct {
	// Total is the weight of the members with a voting right.
	Total int64
	// Cast is the weight the ballots carry: the sum of Casts' weights.
	Cast int64
	// Lost adds up Losses by reason.
	Lost Lost
	// Casts has one entry per direct voter, in roll order.
	Casts []Cast
	// Losses has one entry per member whose own weight no ballot carries,
	// in roll order, then one per voter whose delegated weight was capped.
	Losses []Loss
	// Cycles lists the loops of delegations in which nobody voted; the
	// weight of their members, and of everyone who delegates into them,
	// is lost (ReasonCycle).
	Cycles [][]MemberID
	// Ignored lists the delegations of this question's scopes that were
	// not followed, and why.
	Ignored []Ignored

	// Per member, by roll index: what Trace and Weight read.
	ids    []MemberID
	index  map[MemberID]int32
	weight []int64
	voting []bool
	voter  []bool
	proxy  []int32 // carrier of a counting proxy
	chosen []int32 // index of the delegation chosen for this question
	next   []int32 // delegate followed (none for voters and proxy givers)
	end    []int32 // where the delegation chain ends, or cycleEnd
	depth  []int32 // steps from the member to its end
	cast   []int32 // index in Casts of a voter
}

// Cast is one ballot's weight and where it comes from.
type Cast struct {
	Voter MemberID
	// Weight is what the ballot counts for: Own + Proxy + Delegated.
	Weight int64
	Own    int64
	// Proxy is the weight of the counting proxies the voter carries, one
	// per giver in Proxies (givers who voted themselves excluded).
	Proxy   int64
	Proxies []MemberID
	// Delegated is the weight that reached the voter through delegation
	// chains, after the cap; Capped is what the cap cut off (and lost).
	Delegated int64
	Capped    int64
	// Via lists the members whose own weight reached the voter through
	// delegation, nearest first (direct delegators, then theirs...), in
	// roll order at equal distance; Result.Trace gives each one's chain.
	Via []MemberID
}

// Reason says why weight was lost.
type Reason uint8

const (
	// ReasonNoVote: the member neither voted nor delegated (or delegated
	// to nobody) nor had a counting proxy.
	ReasonNoVote Reason = iota + 1
	// ReasonChainEnd: the member's delegation chain ended at someone who
	// did not vote and delegates no further (Loss.End).
	ReasonChainEnd
	// ReasonCycle: the chain runs into a loop of delegations in which
	// nobody voted.
	ReasonCycle
	// ReasonCap: the delegated weight a voter (Loss.Member) received
	// beyond Policy.MaxDelegated.
	ReasonCap
	// ReasonProxyUnused: the member's proxy counted but its carrier
	// (Loss.End) did not vote.
	ReasonProxyUnused
)

func (r Reason) String() string {
	switch r {
	case ReasonNoVote:
		return "did not vote"
	case ReasonChainEnd:
		return "chain ended at a non-voter"
	case ReasonCycle:
		return "delegation cycle"
	case ReasonCap:
		return "over the delegation cap"
	case ReasonProxyUnused:
		return "proxy carrier did not vote"
	}
	return fmt.Sprintf("reason(%d)", uint8(r))
}

// Loss is weight no ballot carries.
type Loss struct {
	// Member is whose own weight was lost; for ReasonCap, the voter
	// whose delegated weight was cut (the excess is not pinned on any
	// one delegator: each was carried in part).
	Member MemberID
	Weight int64
	Reason Reason
	// End is where the weight stopped: the non-voter at the end of the
	// chain (the member themselves for ReasonNoVote), or the carrier
	// who did not vote; empty for a cycle and for the cap.
	End MemberID
}

// Lost adds up lost weight by reason.
type Lost struct {
	NoVote, ChainEnd, Cycle, Cap, ProxyUnused int64
}

// Sum is all the lost weight.
func (l Lost) Sum() int64 { return l.NoVote + l.ChainEnd + l.Cycle + l.Cap + l.ProxyUnused }

func (l *Lost) add(r Reason, w int64) {
	switch r {
	case ReasonNoVote:
		l.NoVote += w
	case ReasonChainEnd:
		l.ChainEnd += w
	case ReasonCycle:
		l.Cycle += w
	case ReasonCap:
		l.Cap += w
	case ReasonProxyUnused:
		l.ProxyUnused += w
	}
}

// IgnoredReason says why a delegation was not followed.
type IgnoredReason uint8

const (
	// IgnoredNone is the zero value, never reported.
	IgnoredNone IgnoredReason = iota
	// IgnoredExpired: past its Expires or Policy.MaxAge at the close.
	IgnoredExpired
	// IgnoredUnknownMember: its giver or delegate is not on the roll any more.
	IgnoredUnknownMember
	// IgnoredNoVotingRight: its giver or delegate has no voting right.
	IgnoredNoVotingRight
	// IgnoredProxy: its giver had a counting proxy, which wins.
	IgnoredProxy
)

func (r IgnoredReason) String() string {
	switch r {
	case IgnoredExpired:
		return "expired"
	case IgnoredUnknownMember:
		return "member not on the roll"
	case IgnoredNoVotingRight:
		return "no voting right"
	case IgnoredProxy:
		return "suspended by a counting proxy"
	}
	return "not ignored"
}

// Ignored is a delegation that was not followed.
type Ignored struct {
	Delegation int // index in Snapshot.Delegations
	Reason     IgnoredReason
}

// Link is how weight leaves a step of a chain.
type Link uint8

const (
	// LinkEnd: the chain stops here.
	LinkEnd Link = iota
	// LinkDelegation: by the delegation Step.Delegation.
	LinkDelegation
	// LinkProxy: by a counting proxy.
	LinkProxy
)

// Step is one member on a chain and how the weight left them.
type Step struct {
	Member MemberID
	Link   Link
	// Delegation is the index in Snapshot.Delegations of the delegation
	// followed, for LinkDelegation; -1 otherwise.
	Delegation int
}

// Trace is where one member's own weight went: what a delegator sees.
type Trace struct {
	Member MemberID
	Weight int64
	// Chain starts with the member. For a loop it ends with the first
	// member met twice, repeated.
	Chain []Step
	// CastBy is the voter whose ballot carries the weight; empty when lost.
	CastBy MemberID
	// Capped says CastBy's delegated weight was capped, so this weight
	// counted in part only.
	Capped bool
	// Lost is why the weight was lost; zero when cast.
	Lost Reason
}

// Weight is what a voter's ballot counts for; 0 for anyone who did not vote.
func (r *Result) Weight(voter MemberID) int64 {
	i, ok := r.index[voter]
	if !ok || r.cast[i] == none {
		return 0
	}
	return r.Casts[r.cast[i]].Weight
}

// Trace follows a member's weight to the ballot that carries it, or to
// where it was lost. It costs the length of the chain.
func (r *Result) Trace(id MemberID) (Trace, error) {
	i, ok := r.index[id]
	if !ok {
		return Trace{}, fmt.Errorf("trace %q: %w", id, ErrUnknownMember)
	}
	t := Trace{Member: id, Weight: r.weight[i]}
	if !r.voting[i] {
		return t, fmt.Errorf("trace %q: %w", id, ErrNoVotingRight)
	}
	step := func(m int32, l Link) {
		s := Step{Member: r.ids[m], Link: l, Delegation: -1}
		if l == LinkDelegation {
			s.Delegation = int(r.chosen[m])
		}
		t.Chain = append(t.Chain, s)
	}
	castBy := func(v int32) {
		t.CastBy = r.ids[v]
		c := r.Casts[r.cast[v]]
		t.Capped = c.Capped > 0 && v != i
	}
	switch {
	case r.voter[i]:
		step(i, LinkEnd)
		castBy(i)
	case r.proxy[i] != none:
		c := r.proxy[i]
		step(i, LinkProxy)
		step(c, LinkEnd)
		if r.voter[c] {
			t.CastBy = r.ids[c]
		} else {
			t.Lost = ReasonProxyUnused
		}
	case r.end[i] == cycleEnd:
		// Walk until a member comes back; the walk is at most the
		// members before the loop plus the loop.
		seen := make(map[int32]bool)
		for j := i; ; j = r.next[j] {
			if seen[j] {
				step(j, LinkEnd)
				break
			}
			seen[j] = true
			step(j, LinkDelegation)
		}
		t.Lost = ReasonCycle
	default:
		t.Chain = make([]Step, 0, r.depth[i]+1)
		j := i
		for ; r.next[j] != none; j = r.next[j] {
			step(j, LinkDelegation)
		}
		step(j, LinkEnd)
		switch {
		case r.voter[j]:
			castBy(j)
		case j == i:
			t.Lost = ReasonNoVote
		default:
			t.Lost = ReasonChainEnd
		}
	}
	return t, nil
}
