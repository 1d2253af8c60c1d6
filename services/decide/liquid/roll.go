package liquid

import (
	"fmt"
	"math"
	"slices"
)

// DefaultMaxProxies is how many proxies one present member may carry when
// the assembly's rule says nothing, as most French associations' statutes do.
const DefaultMaxProxies = 2

// Rules are an assembly's rules for weights, proxies and quorum.
type Rules struct {
	// Colleges, when there are any, share the vote (see Weights).
	Colleges []College
	// MaxProxies is how many proxies one member may carry: 0 means
	// DefaultMaxProxies, a negative number means the assembly allows none.
	MaxProxies int
	// Quorum is what must be present or represented for a vote to be valid.
	Quorum QuorumRule
}

// Proxy is a "pouvoir": Giver, absent, has Carrier, present, vote for them.
type Proxy struct {
	Giver, Carrier MemberID
}

// Roll is an assembly's roll during the meeting: who is on it, what each
// member weighs, who is present, who carries whose proxy, and the quorum,
// kept up to date at every check-in in time bounded by the proxy limit.
//
// A Roll is not safe for concurrent use: the decide service holds it under
// its assembly's lock.
type Roll struct {
	ids    []MemberID
	index  map[MemberID]int32
	weight []int64 // 0 for members without a voting right
	voting []bool
	total  int64
	nVote  int // members with a voting right

	present []bool
	proxyTo []int32   // giver → carrier, -1 when the member gave no proxy
	carried [][]int32 // carrier → givers whose proxies it holds, counting or not

	maxProxies int
	quorum     QuorumRule
	required   int64

	// Counters of the quorum, moved by every check-in, check-out and proxy
	// change; Recount computes them from scratch.
	nPresent, nRepresented int
	wPresent, wRepresented int64
}

// NewRoll checks the roll and the rules, computes the members' integer
// weights (see Weights) and returns a roll on which nobody is present yet.
//
// To rebuild a roll from storage, check the present members in first and
// give the proxies after: checking in a giver revokes their proxy.
func NewRoll(members []Member, rules Rules) (*Roll, error) {
	if len(members) >= math.MaxInt32 {
		return nil, fmt.Errorf("roll of %d members: %w", len(members), ErrInvalid)
	}
	if err := rules.Quorum.check(); err != nil {
		return nil, err
	}
	weights, total, err := Weights(members, rules.Colleges)
	if err != nil {
		return nil, fmt.Errorf("roll weights: %w", err)
	}
	n := len(members)
	r := &Roll{
		ids:        make([]MemberID, n),
		index:      make(map[MemberID]int32, n),
		weight:     weights,
		voting:     make([]bool, n),
		total:      total,
		present:    make([]bool, n),
		proxyTo:    make([]int32, n),
		carried:    make([][]int32, n),
		maxProxies: rules.MaxProxies,
		quorum:     rules.Quorum,
	}
	if r.maxProxies == 0 {
		r.maxProxies = DefaultMaxProxies
	}
	for i, m := range members {
		if m.ID == "" {
			return nil, fmt.Errorf("roll line %d: empty member id: %w", i+1, ErrInvalid)
		}
		if _, dup := r.index[m.ID]; dup {
			return nil, fmt.Errorf("member %q is on the roll twice: %w", m.ID, ErrInvalid)
		}
		r.index[m.ID] = int32(i)
		r.ids[i] = m.ID
		r.voting[i] = m.Voting
		r.proxyTo[i] = -1
		if m.Voting {
			r.nVote++
		}
	}
	r.required = r.quorum.required(int64(r.nVote), r.total)
	return r, nil
}

func (r *Roll) lookup(id MemberID) (int32, error) {
	i, ok := r.index[id]
	if !ok {
		return 0, fmt.Errorf("member %q: %w", id, ErrUnknownMember)
	}
	return i, nil
}

// Len is the number of members on the roll, with or without a voting right.
func (r *Roll) Len() int { return len(r.ids) }

// Total is the weight of all members with a voting right.
func (r *Roll) Total() int64 { return r.total }

// Weight is a member's integer weight; 0 without a voting right.
func (r *Roll) Weight(id MemberID) (int64, error) {
	i, err := r.lookup(id)
	if err != nil {
		return 0, err
	}
	return r.weight[i], nil
}

// Present says whether a member is checked in.
func (r *Roll) Present(id MemberID) bool {
	i, ok := r.index[id]
	return ok && r.present[i]
}

// counts says whether giver g's proxy is counted now: its carrier is
// present and g is not. The carrier's own proxy, if it gave one, does not
// count then (the carrier is present), so a proxy never passes on.
func (r *Roll) counts(g int32) bool {
	c := r.proxyTo[g]
	return c >= 0 && r.present[c] && !r.present[g]
}

// CheckIn marks a member present. A member who gave a proxy takes their
// vote back: the proxy is revoked (and returned, so the desk can say so);
// leaving again later needs a new proxy. The proxies the member carries
// start counting. Checking in a present member changes nothing.
func (r *Roll) CheckIn(id MemberID) (revoked Proxy, err error) {
	i, err := r.lookup(id)
	if err != nil {
		return Proxy{}, fmt.Errorf("check in: %w", err)
	}
	if r.present[i] {
		return Proxy{}, nil
	}
	if r.voting[i] {
		w := r.weight[i]
		r.nPresent++
		r.wPresent += w
		// Represented by a counting proxy until now, the member stays
		// represented; otherwise they join the represented.
		if !r.counts(i) {
			r.nRepresented++
			r.wRepresented += w
		}
		for _, g := range r.carried[i] {
			if !r.present[g] {
				r.nRepresented++
				r.wRepresented += r.weight[g]
			}
		}
	}
	r.present[i] = true
	if c := r.proxyTo[i]; c >= 0 {
		r.unlink(i)
		revoked = Proxy{Giver: id, Carrier: r.ids[c]}
	}
	return revoked, nil
}

// CheckOut marks a member absent. The proxies they carry stop counting
// (they stay registered and count again if the carrier comes back); a
// proxy the member gave starts counting if its carrier is present.
func (r *Roll) CheckOut(id MemberID) error {
	i, err := r.lookup(id)
	if err != nil {
		return fmt.Errorf("check out: %w", err)
	}
	if !r.present[i] {
		return nil
	}
	r.present[i] = false
	if !r.voting[i] {
		return nil
	}
	w := r.weight[i]
	r.nPresent--
	r.wPresent -= w
	if !r.counts(i) {
		r.nRepresented--
		r.wRepresented -= w
	}
	for _, g := range r.carried[i] {
		if !r.present[g] {
			r.nRepresented--
			r.wRepresented -= r.weight[g]
		}
	}
	return nil
}

// GiveProxy registers that giver has carrier vote for them, replacing any
// proxy the giver gave before. Both need a voting right; the carrier may
// hold at most the assembly's limit, whether or not those proxies count
// right now. The proxy counts while the carrier is present and the giver
// absent. A carrier may give their own proxy too, but a proxy is never
// passed on: when the carrier leaves, the proxies they hold stop counting.
func (r *Roll) GiveProxy(giver, carrier MemberID) error {
	g, err := r.lookup(giver)
	if err != nil {
		return fmt.Errorf("proxy giver: %w", err)
	}
	c, err := r.lookup(carrier)
	if err != nil {
		return fmt.Errorf("proxy carrier: %w", err)
	}
	switch {
	case g == c:
		return fmt.Errorf("member %q cannot carry their own proxy: %w", giver, ErrInvalid)
	case !r.voting[g]:
		return fmt.Errorf("proxy giver %q: %w", giver, ErrNoVotingRight)
	case !r.voting[c]:
		return fmt.Errorf("proxy carrier %q: %w", carrier, ErrNoVotingRight)
	case r.maxProxies < 0:
		return fmt.Errorf("this assembly allows no proxies: %w", ErrProxyLimit)
	case r.proxyTo[g] == c:
		return nil
	case len(r.carried[c]) >= r.maxProxies:
		return fmt.Errorf("member %q already carries %d proxies, the most this assembly allows: %w", carrier, len(r.carried[c]), ErrProxyLimit)
	}
	if r.proxyTo[g] >= 0 {
		r.unlink(g)
	}
	r.proxyTo[g] = c
	r.carried[c] = append(r.carried[c], g)
	if r.counts(g) {
		r.nRepresented++
		r.wRepresented += r.weight[g]
	}
	return nil
}

// WithdrawProxy cancels the proxy a member gave, if any.
func (r *Roll) WithdrawProxy(giver MemberID) error {
	g, err := r.lookup(giver)
	if err != nil {
		return fmt.Errorf("withdraw proxy: %w", err)
	}
	if r.proxyTo[g] >= 0 {
		r.unlink(g)
	}
	return nil
}

// unlink removes g's proxy and takes it out of the counters if it counted.
func (r *Roll) unlink(g int32) {
	c := r.proxyTo[g]
	if r.counts(g) {
		r.nRepresented--
		r.wRepresented -= r.weight[g]
	}
	held := r.carried[c]
	k := slices.Index(held, g)
	r.carried[c] = slices.Delete(held, k, k+1)
	r.proxyTo[g] = -1
}

// ProxyOf returns the carrier of the proxy a member gave, if any.
func (r *Roll) ProxyOf(giver MemberID) (carrier MemberID, ok bool) {
	g, found := r.index[giver]
	if !found || r.proxyTo[g] < 0 {
		return "", false
	}
	return r.ids[r.proxyTo[g]], true
}

// Carrying lists the givers whose proxies a member holds, in the order they
// were given, whether they count now or not.
func (r *Roll) Carrying(carrier MemberID) []MemberID {
	c, ok := r.index[carrier]
	if !ok {
		return nil
	}
	out := make([]MemberID, len(r.carried[c]))
	for k, g := range r.carried[c] {
		out[k] = r.ids[g]
	}
	return out
}

// Proxies lists every registered proxy, counting or not, in roll order of
// the givers: what the service stores.
func (r *Roll) Proxies() []Proxy {
	var out []Proxy
	for g, c := range r.proxyTo {
		if c >= 0 {
			out = append(out, Proxy{Giver: r.ids[g], Carrier: r.ids[c]})
		}
	}
	return out
}

// Snapshot returns the members with their weights and the proxies that
// count now, for Weigh; the caller adds the rest when the vote closes.
func (r *Roll) Snapshot() Snapshot {
	s := Snapshot{Members: make([]Weighted, len(r.ids))}
	for i, id := range r.ids {
		s.Members[i] = Weighted{ID: id, Weight: r.weight[i], Voting: r.voting[i]}
		if r.counts(int32(i)) {
			s.Proxies = append(s.Proxies, Proxy{Giver: id, Carrier: r.ids[r.proxyTo[i]]})
		}
	}
	return s
}
