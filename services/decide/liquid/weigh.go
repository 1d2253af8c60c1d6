package liquid

import (
	"fmt"
	"math"
	"time"
)

// Scope is how wide a delegation reaches. A wider scope ranks lower: for a
// given question, a member's question delegation beats their topic
// delegation, which beats their global one.
type Scope uint8

const (
	// ScopeGlobal covers every open vote of the assembly.
	ScopeGlobal Scope = iota + 1
	// ScopeTopic covers the questions of one topic.
	ScopeTopic
	// ScopeQuestion covers one question.
	ScopeQuestion
)

func (s Scope) String() string {
	switch s {
	case ScopeGlobal:
		return "global"
	case ScopeTopic:
		return "topic"
	case ScopeQuestion:
		return "question"
	}
	return fmt.Sprintf("scope(%d)", uint8(s))
}

// Delegation is one stored delegation, as the snapshot hands it over.
type Delegation struct {
	From MemberID
	// To is the delegate; empty delegates to nobody, which blocks any
	// wider delegation of From (a delegation to oneself means the same).
	To      MemberID
	Scope   Scope
	Subject string // the topic or the question; empty for ScopeGlobal
	// Created orders delegations of one member at one scope (the latest
	// wins) and starts Policy.MaxAge; Expires, when set, ends it sooner.
	Created, Expires time.Time
}

// Weighted is a member as Weigh sees them: an integer weight (from
// Weights, through Roll.Snapshot) and a voting right.
type Weighted struct {
	ID     MemberID
	Weight int64
	Voting bool
}

// Snapshot is everything the weights of one vote depend on, taken when the
// vote closes. Roll.Snapshot fills Members and Proxies.
type Snapshot struct {
	Members []Weighted
	// Proxies are the proxies that count at the close: carrier present,
	// giver absent. A member appears at most once as a giver and never as
	// both a giver and a carrier.
	Proxies []Proxy
	// Delegations are all stored delegations; those of other questions
	// and topics are skipped, expired ones reported.
	Delegations []Delegation
	// Voters cast a ballot themselves.
	Voters   []MemberID
	Question string
	Topic    string // the question's topic; empty when it has none
	// Secret votes take no delegation: Weigh refuses any (ErrSecretDelegation).
	Secret bool
	// Now is the box's clock at the close, only compared with Created and
	// Expires. It may be zero when there is no delegation.
	Now time.Time
}

// Policy is the assembly's delegation policy.
type Policy struct {
	// MaxDelegated caps the delegated weight one voter casts, on top of
	// their own weight and their proxies; the excess is lost and reported
	// (ReasonCap). Zero means no cap.
	MaxDelegated int64
	// MaxAge ends a delegation that long after its creation; zero means
	// delegations last until they expire or are withdrawn.
	MaxAge time.Duration
}

// none marks no member (no proxy, no delegate, no ballot); cycleEnd marks
// the end of a member whose weight runs into a loop with no voter.
const (
	none     int32 = -1
	cycleEnd int32 = -2
)

// Weigh computes what every ballot of a vote weighs, where the weight of
// every other member went, and what was lost; doc.go gives the rules. It
// costs O(members + delegations + proxies + voters) time and memory, with
// no recursion, whatever the length of the chains.
func Weigh(s Snapshot, p Policy) (*Result, error) {
	if p.MaxDelegated < 0 || p.MaxAge < 0 {
		return nil, fmt.Errorf("policy: negative cap or age: %w", ErrInvalid)
	}
	if s.Secret && len(s.Delegations) > 0 {
		return nil, fmt.Errorf("question %q: %d delegations: %w", s.Question, len(s.Delegations), ErrSecretDelegation)
	}
	n := len(s.Members)
	if n >= math.MaxInt32 {
		return nil, fmt.Errorf("snapshot of %d members: %w", n, ErrInvalid)
	}
	r := &Result{
		ids:    make([]MemberID, n),
		index:  make(map[MemberID]int32, n),
		weight: make([]int64, n),
		voting: make([]bool, n),
		voter:  make([]bool, n),
		proxy:  make([]int32, n),
		next:   make([]int32, n),
		chosen: make([]int32, n),
		end:    make([]int32, n),
		depth:  make([]int32, n),
		cast:   make([]int32, n),
	}
	for i, m := range s.Members {
		if m.ID == "" {
			return nil, fmt.Errorf("snapshot member %d: empty id: %w", i, ErrInvalid)
		}
		if _, dup := r.index[m.ID]; dup {
			return nil, fmt.Errorf("member %q twice in the snapshot: %w", m.ID, ErrInvalid)
		}
		r.index[m.ID] = int32(i)
		r.ids[i] = m.ID
		r.proxy[i], r.next[i], r.chosen[i], r.end[i], r.cast[i] = none, none, none, none, none
		if !m.Voting {
			continue
		}
		if m.Weight <= 0 {
			return nil, fmt.Errorf("member %q: weight %d with a voting right: %w", m.ID, m.Weight, ErrInvalid)
		}
		if r.Total > math.MaxInt64-m.Weight {
			return nil, fmt.Errorf("snapshot weights add up to more than an int64: %w", ErrOverflow)
		}
		r.Total += m.Weight
		r.weight[i] = m.Weight
		r.voting[i] = true
	}
	member := func(id MemberID, what string) (int32, error) {
		i, ok := r.index[id]
		if !ok {
			return 0, fmt.Errorf("%s %q: %w", what, id, ErrUnknownMember)
		}
		if !r.voting[i] {
			return 0, fmt.Errorf("%s %q: %w", what, id, ErrNoVotingRight)
		}
		return i, nil
	}

	nVoters := 0
	for _, id := range s.Voters {
		v, err := member(id, "voter")
		if err != nil {
			return nil, err
		}
		if r.voter[v] {
			return nil, fmt.Errorf("voter %q listed twice: %w", id, ErrInvalid)
		}
		r.voter[v] = true
		nVoters++
	}

	isCarrier := make([]bool, n)
	for _, px := range s.Proxies {
		g, err := member(px.Giver, "proxy giver")
		if err != nil {
			return nil, err
		}
		c, err := member(px.Carrier, "proxy carrier")
		if err != nil {
			return nil, err
		}
		if g == c || r.proxy[g] != none {
			return nil, fmt.Errorf("proxy of %q: given to oneself or twice: %w", px.Giver, ErrInvalid)
		}
		r.proxy[g] = c
		isCarrier[c] = true
	}
	for _, px := range s.Proxies {
		if isCarrier[r.index[px.Giver]] {
			return nil, fmt.Errorf("member %q both gives and carries a counting proxy (proxies do not pass on): %w", px.Giver, ErrInvalid)
		}
	}

	if err := r.choose(s, p); err != nil {
		return nil, err
	}
	r.resolve()
	r.count(nVoters, p)
	return r, nil
}

// choose picks each member's delegation for this question: the widest
// scope loses, then the oldest; a delegation that cannot apply any more
// (expired, to or from someone gone or without a right) is skipped and
// reported, so a wider one may apply instead. It then sets next[] (the
// delegate followed) for every member who neither voted nor gave a
// counting proxy.
func (r *Result) choose(s Snapshot, p Policy) error {
	if len(s.Delegations) == 0 {
		return nil
	}
	if s.Now.IsZero() {
		return fmt.Errorf("snapshot of question %q has delegations but no time: %w", s.Question, ErrInvalid)
	}
	target := make([]int32, len(r.ids)) // the chosen delegation's delegate, none for nobody
	for k, d := range s.Delegations {
		switch d.Scope {
		case ScopeGlobal:
			if d.Subject != "" {
				return fmt.Errorf("delegation %d: a global delegation has no subject: %w", k, ErrInvalid)
			}
		case ScopeTopic:
			if d.Subject == "" {
				return fmt.Errorf("delegation %d: a topic delegation needs its topic: %w", k, ErrInvalid)
			}
			if d.Subject != s.Topic {
				continue
			}
		case ScopeQuestion:
			if d.Subject == "" {
				return fmt.Errorf("delegation %d: a question delegation needs its question: %w", k, ErrInvalid)
			}
			if d.Subject != s.Question {
				continue
			}
		default:
			return fmt.Errorf("delegation %d: %v: %w", k, d.Scope, ErrInvalid)
		}
		if d.Created.IsZero() {
			return fmt.Errorf("delegation %d: no creation time: %w", k, ErrInvalid)
		}
		from, ok := r.index[d.From]
		to := none
		why := IgnoredNone
		switch {
		case !ok:
			why = IgnoredUnknownMember
		case !r.voting[from]:
			why = IgnoredNoVotingRight
		case d.To != "" && d.To != d.From:
			t, known := r.index[d.To]
			switch {
			case !known:
				why = IgnoredUnknownMember
			case !r.voting[t]:
				why = IgnoredNoVotingRight
			default:
				to = t
			}
		}
		if why == IgnoredNone && expired(d, s.Now, p.MaxAge) {
			why = IgnoredExpired
		}
		if why != IgnoredNone {
			r.Ignored = append(r.Ignored, Ignored{Delegation: k, Reason: why})
			continue
		}
		if b := r.chosen[from]; b != none {
			// Later in the input wins a tie, so a store that appends
			// gets "the last one given".
			old := s.Delegations[b]
			if old.Scope > d.Scope || old.Scope == d.Scope && old.Created.After(d.Created) {
				continue
			}
		}
		r.chosen[from] = int32(k)
		target[from] = to
	}
	for i, k := range r.chosen {
		if k == none || r.voter[i] {
			continue
		}
		if r.proxy[i] != none {
			// A counting proxy beats a delegation: the delegation is
			// suspended while the carrier is present.
			if target[i] != none {
				r.Ignored = append(r.Ignored, Ignored{Delegation: int(k), Reason: IgnoredProxy})
			}
			continue
		}
		r.next[i] = target[i]
	}
	return nil
}

// expired compares now only with the delegation's stored times: on a box
// whose clock was set by hand, a delegation "from the future" simply has
// not aged yet.
func expired(d Delegation, now time.Time, maxAge time.Duration) bool {
	if !d.Expires.IsZero() && !now.Before(d.Expires) {
		return true
	}
	return maxAge > 0 && !now.Before(d.Created.Add(maxAge))
}

// resolve follows next[] from every member to where its weight ends: a
// voter, a member who delegates no further, or a loop. Each member is
// walked once: a walk stops at the first member already resolved, and
// every member on the walk's path takes that member's end. The path is a
// slice, not the call stack, so a chain of any length costs its length.
// depth[] holds a member's place on the current path while it is on it,
// and its distance to its end once resolved.
func (r *Result) resolve() {
	const (
		unseen uint8 = iota
		onPath
		done
	)
	state := make([]uint8, len(r.ids))
	var path []int32
	for start := range r.ids {
		if state[start] != unseen || !r.voting[start] {
			continue
		}
		path = path[:0]
		j := int32(start)
		var end, base int32
		for {
			if state[j] == done {
				// path[last] delegates to j, one step further from the end.
				end, base = r.end[j], r.depth[j]+1
				break
			}
			if state[j] == onPath {
				// A loop with no voter in it: a voter delegates nowhere.
				loop := path[r.depth[j]:]
				cycle := make([]MemberID, len(loop))
				for k, m := range loop {
					cycle[k] = r.ids[m]
				}
				r.Cycles = append(r.Cycles, cycle)
				end = cycleEnd
				break
			}
			state[j] = onPath
			r.depth[j] = int32(len(path))
			path = append(path, j)
			if r.next[j] == none {
				end, base = j, 0
				break
			}
			j = r.next[j]
		}
		last := int32(len(path) - 1)
		for k, m := range path {
			state[m] = done
			r.end[m] = end
			r.depth[m] = base + last - int32(k)
		}
	}
}

// count adds every member's weight to the ballot that carries it or to the
// losses, applies the cap and lists, for every voter, the proxies and the
// delegators that reached them, nearest first.
func (r *Result) count(nVoters int, p Policy) {
	r.Casts = make([]Cast, 0, nVoters)
	for i := range r.ids {
		if r.voter[i] {
			r.cast[i] = int32(len(r.Casts))
			r.Casts = append(r.Casts, Cast{Voter: r.ids[i], Own: r.weight[i]})
		}
	}
	var nProxies, nVia int
	lose := func(i int, reason Reason, end int32) {
		l := Loss{Member: r.ids[i], Weight: r.weight[i], Reason: reason}
		if end >= 0 {
			l.End = r.ids[end]
		}
		r.Losses = append(r.Losses, l)
		r.Lost.add(reason, l.Weight)
	}
	for i := range r.ids {
		w := r.weight[i]
		switch {
		case !r.voting[i] || r.voter[i]:
		case r.proxy[i] != none:
			if c := r.cast[r.proxy[i]]; c != none {
				r.Casts[c].Proxy += w
				nProxies++
			} else {
				lose(i, ReasonProxyUnused, r.proxy[i])
			}
		case r.end[i] == cycleEnd:
			lose(i, ReasonCycle, none)
		case r.end[i] == int32(i):
			lose(i, ReasonNoVote, int32(i))
		case r.voter[r.end[i]]:
			r.Casts[r.cast[r.end[i]]].Delegated += w
			nVia++
		default:
			lose(i, ReasonChainEnd, r.end[i])
		}
	}
	for c := range r.Casts {
		x := &r.Casts[c]
		if p.MaxDelegated > 0 && x.Delegated > p.MaxDelegated {
			x.Capped = x.Delegated - p.MaxDelegated
			x.Delegated = p.MaxDelegated
			r.Losses = append(r.Losses, Loss{Member: x.Voter, Weight: x.Capped, Reason: ReasonCap})
			r.Lost.add(ReasonCap, x.Capped)
		}
		x.Weight = x.Own + x.Proxy + x.Delegated
		r.Cast += x.Weight
	}
	r.list(nProxies, nVia)
}

// list fills every Cast's Proxies and Via as windows of two shared slices
// (two allocations, not one per voter): counts per voter, offsets, then
// members in place, Via sorted by distance by a counting sort.
func (r *Result) list(nProxies, nVia int) {
	proxies := make([]MemberID, nProxies)
	vias := make([]MemberID, nVia)
	nextP := make([]int, len(r.Casts))
	nextV := make([]int, len(r.Casts))
	maxDepth := int32(0)
	for i := range r.ids {
		if r.voting[i] && !r.voter[i] && r.proxy[i] == none && r.end[i] >= 0 && r.voter[r.end[i]] {
			maxDepth = max(maxDepth, r.depth[i])
		}
	}
	byDepth := make([]int, maxDepth+2)
	for i := range r.ids {
		switch {
		case !r.voting[i] || r.voter[i]:
		case r.proxy[i] != none:
			if c := r.cast[r.proxy[i]]; c != none {
				nextP[c]++
			}
		case r.end[i] >= 0 && r.voter[r.end[i]]:
			nextV[r.cast[r.end[i]]]++
			byDepth[r.depth[i]+1]++
		}
	}
	offP, offV := 0, 0
	for c := range r.Casts {
		x := &r.Casts[c]
		x.Proxies = proxies[offP : offP : offP+nextP[c]]
		x.Via = vias[offV : offV : offV+nextV[c]]
		offP += nextP[c]
		offV += nextV[c]
	}
	for d := 1; d < len(byDepth); d++ {
		byDepth[d] += byDepth[d-1]
	}
	order := make([]int32, nVia)
	for i := range r.ids {
		switch {
		case !r.voting[i] || r.voter[i]:
		case r.proxy[i] != none:
			if c := r.cast[r.proxy[i]]; c != none {
				r.Casts[c].Proxies = append(r.Casts[c].Proxies, r.ids[i])
			}
		case r.end[i] >= 0 && r.voter[r.end[i]]:
			order[byDepth[r.depth[i]]] = int32(i)
			byDepth[r.depth[i]]++
		}
	}
	for _, i := range order {
		c := r.cast[r.end[i]]
		r.Casts[c].Via = append(r.Casts[c].Via, r.ids[i])
	}
}
