package liquid

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)

// ones is a roll of voting members who weigh 1 each.
func ones(ids ...MemberID) []Weighted {
	out := make([]Weighted, len(ids))
	for i, id := range ids {
		out[i] = Weighted{ID: id, Weight: 1, Voting: true}
	}
	return out
}

func global(from, to MemberID) Delegation {
	return Delegation{From: from, To: to, Scope: ScopeGlobal, Created: t0}
}

func topic(from, to MemberID, subject string) Delegation {
	return Delegation{From: from, To: to, Scope: ScopeTopic, Subject: subject, Created: t0}
}

func question(from, to MemberID, subject string) Delegation {
	return Delegation{From: from, To: to, Scope: ScopeQuestion, Subject: subject, Created: t0}
}

func at(d Delegation, created time.Time) Delegation {
	d.Created = created
	return d
}

// traceString writes a trace the way the tables below spell it:
// "a->b->c cast by c", "a=>c lost: proxy carrier did not vote".
func traceString(t Trace) string {
	var b strings.Builder
	for _, s := range t.Chain {
		b.WriteString(string(s.Member))
		switch s.Link {
		case LinkDelegation:
			b.WriteString("->")
		case LinkProxy:
			b.WriteString("=>")
		}
	}
	if t.CastBy != "" {
		fmt.Fprintf(&b, " cast by %s", t.CastBy)
		if t.Capped {
			b.WriteString(" (capped)")
		}
	} else {
		fmt.Fprintf(&b, " lost: %v", t.Lost)
	}
	return b.String()
}

type weighCase struct {
	name    string
	snap    Snapshot
	policy  Policy
	weights map[MemberID]int64 // every voter's ballot weight
	lost    Lost
	traces  map[MemberID]string
	via     map[MemberID][]MemberID
	cycles  [][]MemberID
	ignored []Ignored
}

func TestWeigh(t *testing.T) {
	const q, tp = "q1", "budget"
	day := 24 * time.Hour
	cases := []weighCase{
		{
			name: "scope precedence: question over topic over global, nobody blocks",
			snap: Snapshot{
				Members: ones("a", "b", "c", "d", "e", "f", "g", "v1", "v2", "v3"),
				Delegations: []Delegation{
					global("a", "v1"), topic("a", "v2", tp), question("a", "v3", q),
					global("b", "v1"), topic("b", "v2", tp),
					global("c", "v1"),
					global("d", "v1"), question("d", "", q), // nobody blocks global
					global("e", "v1"), topic("e", "", tp), question("e", "v2", q),
					topic("f", "v2", "other topic"), global("f", "v1"),
					question("g", "v3", "other question"),
				},
				Voters: []MemberID{"v1", "v2", "v3"},
			},
			weights: map[MemberID]int64{"v1": 3, "v2": 3, "v3": 2},
			lost:    Lost{NoVote: 2},
			traces: map[MemberID]string{
				"a": "a->v3 cast by v3",
				"b": "b->v2 cast by v2",
				"d": "d lost: did not vote",
				"e": "e->v2 cast by v2",
				"f": "f->v1 cast by v1",
				"g": "g lost: did not vote",
			},
			via: map[MemberID][]MemberID{"v1": {"c", "f"}, "v2": {"b", "e"}, "v3": {"a"}},
		},
		{
			name: "a direct vote overrides one's delegation and keeps what flowed in",
			snap: Snapshot{
				Members:     ones("a", "b", "c", "x"),
				Delegations: []Delegation{global("a", "b"), global("b", "c"), global("x", "a")},
				Voters:      []MemberID{"b", "c"},
			},
			weights: map[MemberID]int64{"b": 3, "c": 1},
			traces: map[MemberID]string{
				"x": "x->a->b cast by b",
				"b": "b cast by b",
			},
			via: map[MemberID][]MemberID{"b": {"a", "x"}, "c": {}},
		},
		{
			name: "a cycle broken by a vote flows to the voter",
			snap: Snapshot{
				Members:     ones("a", "b", "c", "d"),
				Delegations: []Delegation{global("a", "b"), global("b", "c"), global("c", "a"), global("d", "a")},
				Voters:      []MemberID{"b"},
			},
			weights: map[MemberID]int64{"b": 4},
			traces: map[MemberID]string{
				"c": "c->a->b cast by b",
				"d": "d->a->b cast by b",
			},
			via: map[MemberID][]MemberID{"b": {"a", "c", "d"}},
		},
		{
			name: "a cycle with no voter counts for nothing",
			snap: Snapshot{
				Members:     ones("a", "b", "c", "d", "e"),
				Delegations: []Delegation{global("a", "b"), global("b", "c"), global("c", "a"), global("d", "a")},
				Voters:      []MemberID{"e"},
			},
			weights: map[MemberID]int64{"e": 1},
			lost:    Lost{Cycle: 4},
			cycles:  [][]MemberID{{"a", "b", "c"}},
			traces: map[MemberID]string{
				"d": "d->a->b->c->a lost: delegation cycle",
				"b": "b->c->a->b lost: delegation cycle",
			},
		},
		{
			name: "a chain ending at a non-voter is lost",
			snap: Snapshot{
				Members:     ones("a", "b", "c", "v"),
				Delegations: []Delegation{global("a", "b"), global("b", "c")},
				Voters:      []MemberID{"v"},
			},
			weights: map[MemberID]int64{"v": 1},
			lost:    Lost{ChainEnd: 2, NoVote: 1},
			traces: map[MemberID]string{
				"a": "a->b->c lost: chain ended at a non-voter",
				"c": "c lost: did not vote",
			},
		},
		{
			name: "the cap cuts delegated weight, never the voter's own",
			snap: Snapshot{
				Members: append(ones("a", "b", "c", "d", "v", "x", "y", "z", "u"),
					Weighted{ID: "w", Weight: 5, Voting: true}),
				Delegations: []Delegation{
					global("a", "v"), global("b", "v"), global("c", "v"), global("d", "a"),
					global("x", "w"), global("y", "w"), global("z", "w"),
					global("u", "v"),
				},
				Voters: []MemberID{"v", "w", "u"},
			},
			policy:  Policy{MaxDelegated: 2},
			weights: map[MemberID]int64{"v": 3, "w": 7, "u": 1},
			lost:    Lost{Cap: 2 + 1},
			traces: map[MemberID]string{
				"d": "d->a->v cast by v (capped)",
				"u": "u cast by u", // its delegation to v is overridden
			},
		},
		{
			name: "expired delegations are ignored and wider ones apply",
			snap: Snapshot{
				Members: ones("a", "b", "c", "d", "v1", "v2"),
				Delegations: []Delegation{
					at(global("a", "v1"), t0), // 0: 10 days old, over MaxAge
					{From: "b", To: "v2", Scope: ScopeQuestion, Subject: q, Created: t0.Add(5 * day), Expires: t0.Add(9 * day)}, // 1: past Expires
					at(global("b", "v1"), t0.Add(8*day)),  // 2
					at(global("c", "v2"), t0.Add(3*day)),  // 3: exactly MaxAge old
					at(global("d", "v2"), t0.Add(11*day)), // 4: from the future
				},
				Voters: []MemberID{"v1", "v2"},
				Now:    t0.Add(10 * day),
			},
			policy:  Policy{MaxAge: 7 * day},
			weights: map[MemberID]int64{"v1": 2, "v2": 2},
			lost:    Lost{NoVote: 2},
			traces: map[MemberID]string{
				"a": "a lost: did not vote",
				"b": "b->v1 cast by v1",
				"d": "d->v2 cast by v2",
			},
			ignored: []Ignored{{0, IgnoredExpired}, {1, IgnoredExpired}, {3, IgnoredExpired}},
		},
		{
			name: "a counting proxy beats a delegation and is not passed on",
			snap: Snapshot{
				Members: ones("a", "b", "c", "d", "g", "h", "i"),
				Proxies: []Proxy{{"a", "c"}, {"h", "g"}, {"i", "c"}},
				Delegations: []Delegation{
					global("a", "d"), // suspended: a's proxy counts
					global("b", "a"), // a is represented by proxy: stops at a
					global("g", "d"), // g's own weight flows, not h's proxy
				},
				Voters: []MemberID{"c", "d", "i"},
			},
			weights: map[MemberID]int64{"c": 2, "d": 2, "i": 1},
			lost:    Lost{ChainEnd: 1, ProxyUnused: 1},
			traces: map[MemberID]string{
				"a": "a=>c cast by c",
				"b": "b->a lost: chain ended at a non-voter",
				"h": "h=>g lost: proxy carrier did not vote",
				"g": "g->d cast by d",
				"i": "i cast by i",
			},
			ignored: []Ignored{{0, IgnoredProxy}},
		},
		{
			name: "a proxy carrier casts own, proxies and delegated weight; the cap spares proxies",
			snap: Snapshot{
				Members:     ones("c", "p1", "p2", "d1", "d2", "d3"),
				Proxies:     []Proxy{{"p1", "c"}, {"p2", "c"}},
				Delegations: []Delegation{global("d1", "c"), global("d2", "d1"), global("d3", "c")},
				Voters:      []MemberID{"c"},
			},
			policy:  Policy{MaxDelegated: 2},
			weights: map[MemberID]int64{"c": 5},
			lost:    Lost{Cap: 1},
			via:     map[MemberID][]MemberID{"c": {"d1", "d3", "d2"}},
		},
		{
			name: "stale delegations: gone members, no voting right, self, ties",
			snap: Snapshot{
				Members: append(ones("a", "b", "c", "d", "v1", "v2"),
					Weighted{ID: "guest", Weight: 0, Voting: false}),
				Delegations: []Delegation{
					global("a", "v1"), question("a", "gone", q), // 1: unknown delegate, a falls back to v1
					global("b", "v1"), topic("b", "b", tp), // self at a narrower scope: nobody
					global("c", "guest"),                                        // 4: delegate has no voting right
					at(global("d", "v1"), t0.Add(time.Hour)), global("d", "v2"), // the latest wins
					global("guest", "v1"), // 7: giver has no voting right
					global("gone", "v1"),  // 8: giver gone
				},
				Voters: []MemberID{"v1", "v2"},
				Topic:  tp,
				Now:    t0.Add(time.Hour),
			},
			weights: map[MemberID]int64{"v1": 3, "v2": 1},
			lost:    Lost{NoVote: 2},
			traces: map[MemberID]string{
				"a": "a->v1 cast by v1",
				"b": "b lost: did not vote",
				"c": "c lost: did not vote",
				"d": "d->v1 cast by v1",
			},
			ignored: []Ignored{{1, IgnoredUnknownMember}, {4, IgnoredNoVotingRight}, {7, IgnoredNoVotingRight}, {8, IgnoredUnknownMember}},
		},
		{
			name: "same scope, same time: the later one in the input wins",
			snap: Snapshot{
				Members:     ones("a", "v1", "v2"),
				Delegations: []Delegation{global("a", "v1"), global("a", "v2")},
				Voters:      []MemberID{"v1", "v2"},
			},
			weights: map[MemberID]int64{"v1": 1, "v2": 2},
		},
		{
			name: "a secret vote counts proxies",
			snap: Snapshot{
				Members: ones("a", "b", "c"),
				Proxies: []Proxy{{"a", "c"}},
				Voters:  []MemberID{"c"},
				Secret:  true,
			},
			weights: map[MemberID]int64{"c": 2},
			lost:    Lost{NoVote: 1},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.snap.Question == "" && !tc.snap.Secret {
				tc.snap.Question = q
			}
			if tc.snap.Topic == "" {
				tc.snap.Topic = tp
			}
			if tc.snap.Now.IsZero() {
				tc.snap.Now = t0.Add(time.Hour)
			}
			res, err := Weigh(tc.snap, tc.policy)
			if err != nil {
				t.Fatalf("Weigh: %v", err)
			}
			checkBalance(t, res)
			got := map[MemberID]int64{}
			for _, c := range res.Casts {
				got[c.Voter] = c.Weight
				if w := res.Weight(c.Voter); w != c.Weight {
					t.Errorf("Weight(%s) = %d, Casts says %d", c.Voter, w, c.Weight)
				}
			}
			if !reflect.DeepEqual(got, tc.weights) {
				t.Errorf("ballot weights = %v, want %v", got, tc.weights)
			}
			if res.Lost != tc.lost {
				t.Errorf("lost = %+v, want %+v", res.Lost, tc.lost)
			}
			for id, want := range tc.traces {
				tr, err := res.Trace(id)
				if err != nil {
					t.Fatalf("Trace(%s): %v", id, err)
				}
				if got := traceString(tr); got != want {
					t.Errorf("Trace(%s) = %q, want %q", id, got, want)
				}
			}
			for voter, want := range tc.via {
				for _, c := range res.Casts {
					if c.Voter == voter && !slicesEqual(c.Via, want) {
						t.Errorf("Via of %s = %v, want %v", voter, c.Via, want)
					}
				}
			}
			if !reflect.DeepEqual(res.Cycles, tc.cycles) {
				t.Errorf("cycles = %v, want %v", res.Cycles, tc.cycles)
			}
			if !reflect.DeepEqual(res.Ignored, tc.ignored) {
				t.Errorf("ignored = %v, want %v", res.Ignored, tc.ignored)
			}
		})
	}
}

func slicesEqual(a, b []MemberID) bool {
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}

// checkBalance checks what must hold of every result: every share of
// weight is cast or lost, once.
func checkBalance(t *testing.T, res *Result) {
	t.Helper()
	if got := res.Cast + res.Lost.Sum(); got != res.Total {
		t.Errorf("cast %d + lost %d = %d, want the total %d", res.Cast, res.Lost.Sum(), got, res.Total)
	}
	var cast, lost int64
	for _, c := range res.Casts {
		if c.Weight != c.Own+c.Proxy+c.Delegated {
			t.Errorf("%s casts %d, not own %d + proxies %d + delegated %d", c.Voter, c.Weight, c.Own, c.Proxy, c.Delegated)
		}
		cast += c.Weight
	}
	var byReason Lost
	for _, l := range res.Losses {
		lost += l.Weight
		byReason.add(l.Reason, l.Weight)
	}
	if cast != res.Cast || lost != res.Lost.Sum() || byReason != res.Lost {
		t.Errorf("casts add up to %d (Cast %d), losses to %+v (Lost %+v)", cast, res.Cast, byReason, res.Lost)
	}
}

func TestWeighTraceShowsTheDelegationsFollowed(t *testing.T) {
	snap := Snapshot{
		Members:     ones("a", "b", "v"),
		Delegations: []Delegation{global("a", "v"), topic("a", "b", "t"), global("b", "v")},
		Voters:      []MemberID{"v"},
		Question:    "q",
		Topic:       "t",
		Now:         t0,
	}
	res, err := Weigh(snap, Policy{})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := res.Trace("a")
	if err != nil {
		t.Fatal(err)
	}
	want := []Step{{"a", LinkDelegation, 1}, {"b", LinkDelegation, 2}, {"v", LinkEnd, -1}}
	if !reflect.DeepEqual(tr.Chain, want) {
		t.Errorf("chain = %v, want %v", tr.Chain, want)
	}
	if _, err := res.Trace("nobody"); !errors.Is(err, ErrUnknownMember) {
		t.Errorf("Trace of an unknown member: %v, want ErrUnknownMember", err)
	}
}

func TestWeighRefuses(t *testing.T) {
	base := func() Snapshot {
		return Snapshot{Members: ones("a", "b", "c"), Voters: []MemberID{"a"}, Question: "q", Now: t0}
	}
	cases := []struct {
		name   string
		change func(*Snapshot)
		policy Policy
		want   error
	}{
		{"delegation on a secret vote", func(s *Snapshot) {
			s.Secret = true
			s.Delegations = []Delegation{global("b", "a")}
		}, Policy{}, ErrSecretDelegation},
		{"unknown voter", func(s *Snapshot) { s.Voters = append(s.Voters, "z") }, Policy{}, ErrUnknownMember},
		{"voter without a right", func(s *Snapshot) {
			s.Members = append(s.Members, Weighted{ID: "g"})
			s.Voters = append(s.Voters, "g")
		}, Policy{}, ErrNoVotingRight},
		{"voter twice", func(s *Snapshot) { s.Voters = append(s.Voters, "a") }, Policy{}, ErrInvalid},
		{"member twice", func(s *Snapshot) { s.Members = append(s.Members, s.Members[0]) }, Policy{}, ErrInvalid},
		{"empty id", func(s *Snapshot) { s.Members = append(s.Members, Weighted{Weight: 1, Voting: true}) }, Policy{}, ErrInvalid},
		{"voting member of weight 0", func(s *Snapshot) { s.Members[1].Weight = 0 }, Policy{}, ErrInvalid},
		{"total over int64", func(s *Snapshot) { s.Members[1].Weight = 1 << 62; s.Members[2].Weight = 1 << 62 }, Policy{}, ErrOverflow},
		{"proxy to oneself", func(s *Snapshot) { s.Proxies = []Proxy{{"b", "b"}} }, Policy{}, ErrInvalid},
		{"two proxies from one giver", func(s *Snapshot) { s.Proxies = []Proxy{{"b", "a"}, {"b", "c"}} }, Policy{}, ErrInvalid},
		{"a proxy passed on", func(s *Snapshot) { s.Proxies = []Proxy{{"b", "c"}, {"c", "a"}} }, Policy{}, ErrInvalid},
		{"proxy from someone unknown", func(s *Snapshot) { s.Proxies = []Proxy{{"z", "a"}} }, Policy{}, ErrUnknownMember},
		{"delegations and no time", func(s *Snapshot) {
			s.Now = time.Time{}
			s.Delegations = []Delegation{global("b", "a")}
		}, Policy{}, ErrInvalid},
		{"delegation without scope", func(s *Snapshot) { s.Delegations = []Delegation{{From: "b", To: "a", Created: t0}} }, Policy{}, ErrInvalid},
		{"topic delegation without topic", func(s *Snapshot) { s.Delegations = []Delegation{topic("b", "a", "")} }, Policy{}, ErrInvalid},
		{"global delegation with a subject", func(s *Snapshot) {
			s.Delegations = []Delegation{topic("b", "a", "t")}
			s.Delegations[0].Scope = ScopeGlobal
		}, Policy{}, ErrInvalid},
		{"delegation without creation time", func(s *Snapshot) { s.Delegations = []Delegation{at(global("b", "a"), time.Time{})} }, Policy{}, ErrInvalid},
		{"negative cap", func(s *Snapshot) {}, Policy{MaxDelegated: -1}, ErrInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := base()
			tc.change(&s)
			res, err := Weigh(s, tc.policy)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Weigh = %v, %v; want an error wrapping %v", res, err, tc.want)
			}
		})
	}
}
