package liquid

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
)

// people makes n voting members of one share in a college, ids prefix1...
func people(prefix, college string, n int) []Member {
	out := make([]Member, n)
	for i := range out {
		out[i] = Member{ID: MemberID(fmt.Sprintf("%s%d", prefix, i+1)), College: college, Voting: true}
	}
	return out
}

func TestWeightsColleges(t *testing.T) {
	// 50/30/20 % of the vote for 7, 13 and 101 members: the parts reduce
	// to 5/3/2, L = 7 × 13 × 101 = 9191 (the sizes are coprime and prime
	// to their parts), total 10 × 9191 = 91910, and one member weighs
	// 5 × 9191 / 7 = 6565, 3 × 9191 / 13 = 2121, 2 × 9191 / 101 = 182.
	var members []Member
	members = append(members, people("w", "workers", 7)...)
	members = append(members, people("u", "users", 13)...)
	members = append(members, people("p", "partners", 101)...)
	colleges := []College{{"workers", 50}, {"users", 30}, {"partners", 20}}
	weights, total, err := Weights(members, colleges)
	if err != nil {
		t.Fatal(err)
	}
	if total != 91910 {
		t.Errorf("total = %d, want 91910", total)
	}
	sum := map[string]int64{}
	for i, m := range members {
		want := map[string]int64{"workers": 6565, "users": 2121, "partners": 182}[m.College]
		if weights[i] != want {
			t.Fatalf("%s of %s weighs %d, want %d", m.ID, m.College, weights[i], want)
		}
		sum[m.College] += weights[i]
	}
	// Exactly the colleges' shares: 45955/91910 = 1/2, 27573 = 3/10, 18382 = 1/5.
	for _, c := range colleges {
		if sum[c.Name]*100 != total*c.Part {
			t.Errorf("college %s holds %d of %d, want exactly %d %%", c.Name, sum[c.Name], total, c.Part)
		}
	}
}

func TestWeightsCases(t *testing.T) {
	cases := []struct {
		name     string
		members  []Member
		colleges []College
		weights  []int64
		total    int64
	}{
		{"no college: weights are shares",
			[]Member{{ID: "a", Voting: true}, {ID: "b", Shares: 4, Voting: true}, {ID: "g", Shares: 9}},
			nil, []int64{1, 4, 0}, 5},
		{"equal colleges of 2 and 4",
			append(people("a", "A", 2), people("b", "B", 4)...),
			[]College{{"A", 1}, {"B", 1}}, []int64{2, 2, 1, 1, 1, 1}, 8},
		{"shares inside a college: 2/3 of the college to the one with 2 shares",
			[]Member{{ID: "a", College: "A", Shares: 2, Voting: true}, {ID: "b", College: "A", Voting: true}, {ID: "c", College: "B", Voting: true}},
			[]College{{"A", 50}, {"B", 50}}, []int64{2, 1, 3}, 6},
		{"members without a right weigh nothing and need no college",
			[]Member{{ID: "a", College: "A", Voting: true}, {ID: "x", College: "nowhere"}},
			[]College{{"A", 1}}, []int64{1, 0}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w, total, err := Weights(tc.members, tc.colleges)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(w, tc.weights) || total != tc.total {
				t.Errorf("weights %v of %d, want %v of %d", w, total, tc.weights, tc.total)
			}
		})
	}
}

func TestWeightsRefuses(t *testing.T) {
	// Ten colleges whose sizes are distinct primes: L is their product,
	// 101 × 103 × ... × 139 ≈ 2.3e20, past an int64's 9.2e18.
	var big []Member
	var bigColleges []College
	for _, p := range []int{101, 103, 107, 109, 113, 127, 131, 137, 139, 149} {
		name := fmt.Sprint("c", p)
		big = append(big, people(name+"-", name, p)...)
		bigColleges = append(bigColleges, College{name, 1})
	}
	cases := []struct {
		name     string
		members  []Member
		colleges []College
		want     error
	}{
		{"overflow", big, bigColleges, ErrOverflow},
		{"shares over int64", []Member{{ID: "a", Shares: 1 << 62, Voting: true}, {ID: "b", Shares: 1 << 62, Voting: true}}, nil, ErrOverflow},
		{"college with no voting member", people("a", "A", 2), []College{{"A", 1}, {"B", 1}}, ErrInvalid},
		{"member of no known college", people("a", "C", 2), []College{{"A", 1}}, ErrInvalid},
		{"zero part", people("a", "A", 2), []College{{"A", 0}}, ErrInvalid},
		{"college twice", people("a", "A", 2), []College{{"A", 1}, {"A", 1}}, ErrInvalid},
		{"negative shares", []Member{{ID: "a", Shares: -1, Voting: true}}, nil, ErrInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Weights(tc.members, tc.colleges)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Weights: %v, want an error wrapping %v", err, tc.want)
			}
			t.Log(err)
		})
	}
}

func newRoll(t *testing.T, members []Member, rules Rules) *Roll {
	t.Helper()
	r, err := NewRoll(members, rules)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// represented lists, in roll order, the members present or represented by
// a counting proxy, as Snapshot and Recount see them.
func represented(r *Roll) (present, byProxy []MemberID) {
	for i, id := range r.ids {
		if r.present[i] && r.voting[i] {
			present = append(present, id)
		}
	}
	for _, p := range r.Snapshot().Proxies {
		byProxy = append(byProxy, p.Giver)
	}
	return present, byProxy
}

func TestProxies(t *testing.T) {
	type op struct {
		do, a, b string // in, out, give, withdraw
		err      error
	}
	cases := []struct {
		name    string
		max     int
		ops     []op
		present []MemberID
		byProxy []MemberID
		proxies []Proxy // registered, counting or not
	}{
		{
			name: "a proxy counts only while its carrier is present",
			ops: []op{
				{do: "give", a: "a", b: "c"},
				{do: "in", a: "b"},
			},
			present: []MemberID{"b"},
			proxies: []Proxy{{"a", "c"}},
		},
		{
			name:    "the carrier arrives",
			ops:     []op{{do: "give", a: "a", b: "c"}, {do: "in", a: "c"}},
			present: []MemberID{"c"},
			byProxy: []MemberID{"a"},
			proxies: []Proxy{{"a", "c"}},
		},
		{
			name:    "the carrier leaves: registered, not counting",
			ops:     []op{{do: "in", a: "c"}, {do: "give", a: "a", b: "c"}, {do: "out", a: "c"}},
			proxies: []Proxy{{"a", "c"}},
		},
		{
			name: "the cap: a third proxy is refused by default",
			ops: []op{
				{do: "in", a: "c"},
				{do: "give", a: "a", b: "c"}, {do: "give", a: "b", b: "c"},
				{do: "give", a: "d", b: "c", err: ErrProxyLimit},
			},
			present: []MemberID{"c"},
			byProxy: []MemberID{"a", "b"},
			proxies: []Proxy{{"a", "c"}, {"b", "c"}},
		},
		{
			name: "the cap counts proxies that do not count now",
			ops: []op{
				{do: "in", a: "b"}, {do: "give", a: "a", b: "c"}, {do: "give", a: "b", b: "c"},
				{do: "give", a: "d", b: "c", err: ErrProxyLimit},
			},
			present: []MemberID{"b"},
			proxies: []Proxy{{"a", "c"}, {"b", "c"}},
		},
		{
			name: "an assembly's own cap",
			max:  3,
			ops: []op{
				{do: "in", a: "c"},
				{do: "give", a: "a", b: "c"}, {do: "give", a: "b", b: "c"}, {do: "give", a: "d", b: "c"},
				{do: "give", a: "e", b: "c", err: ErrProxyLimit},
			},
			present: []MemberID{"c"},
			byProxy: []MemberID{"a", "b", "d"},
			proxies: []Proxy{{"a", "c"}, {"b", "c"}, {"d", "c"}},
		},
		{
			name: "no proxies allowed",
			max:  -1,
			ops:  []op{{do: "give", a: "a", b: "c", err: ErrProxyLimit}},
		},
		{
			name: "a giver arriving takes the vote back and frees the slot",
			ops: []op{
				{do: "in", a: "c"},
				{do: "give", a: "a", b: "c"}, {do: "give", a: "b", b: "c"},
				{do: "in", a: "a"},
				{do: "give", a: "d", b: "c"},
				{do: "out", a: "a"}, // the revoked proxy does not come back
			},
			present: []MemberID{"c"},
			byProxy: []MemberID{"b", "d"},
			proxies: []Proxy{{"b", "c"}, {"d", "c"}},
		},
		{
			name: "not transitive: a carrier's proxies stop when it leaves, even if it gave its own",
			ops: []op{
				{do: "give", a: "a", b: "b"},
				{do: "in", a: "b"}, {do: "in", a: "c"},
				{do: "give", a: "b", b: "c"}, {do: "out", a: "b"}, // b leaves early
			},
			present: []MemberID{"c"},
			byProxy: []MemberID{"b"},
			proxies: []Proxy{{"a", "b"}, {"b", "c"}},
		},
		{
			name: "a new proxy replaces the old one; withdraw cancels",
			ops: []op{
				{do: "in", a: "c"}, {do: "in", a: "d"},
				{do: "give", a: "a", b: "c"}, {do: "give", a: "a", b: "d"},
				{do: "give", a: "b", b: "c"}, {do: "withdraw", a: "b"},
			},
			present: []MemberID{"c", "d"},
			byProxy: []MemberID{"a"},
			proxies: []Proxy{{"a", "d"}},
		},
		{
			name: "refused: self, no right, unknown",
			ops: []op{
				{do: "give", a: "a", b: "a", err: ErrInvalid},
				{do: "give", a: "a", b: "guest", err: ErrNoVotingRight},
				{do: "give", a: "guest", b: "a", err: ErrNoVotingRight},
				{do: "give", a: "a", b: "zed", err: ErrUnknownMember},
				{do: "in", a: "zed", err: ErrUnknownMember},
				{do: "in", a: "guest"},
			},
		},
	}
	members := append(people("", "", 0), Member{ID: "a", Voting: true}, Member{ID: "b", Voting: true},
		Member{ID: "c", Voting: true}, Member{ID: "d", Voting: true}, Member{ID: "e", Voting: true}, Member{ID: "guest"})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRoll(t, members, Rules{MaxProxies: tc.max})
			for _, o := range tc.ops {
				var err error
				switch o.do {
				case "in":
					_, err = r.CheckIn(MemberID(o.a))
				case "out":
					err = r.CheckOut(MemberID(o.a))
				case "give":
					err = r.GiveProxy(MemberID(o.a), MemberID(o.b))
				case "withdraw":
					err = r.WithdrawProxy(MemberID(o.a))
				}
				if !errors.Is(err, o.err) || (err != nil) != (o.err != nil) {
					t.Fatalf("%s %s %s: %v, want %v", o.do, o.a, o.b, err, o.err)
				}
				if q, full := r.Quorum(), r.Recount(); q != full {
					t.Fatalf("after %s %s %s: live quorum %+v, recount %+v", o.do, o.a, o.b, q, full)
				}
			}
			present, byProxy := represented(r)
			if !slicesEqual(present, tc.present) || !slicesEqual(byProxy, tc.byProxy) {
				t.Errorf("present %v, by proxy %v; want %v, %v", present, byProxy, tc.present, tc.byProxy)
			}
			q := r.Quorum()
			if q.Present != len(tc.present) || q.Represented != len(tc.present)+len(tc.byProxy) {
				t.Errorf("quorum counts %d present, %d represented; want %d, %d", q.Present, q.Represented, len(tc.present), len(tc.present)+len(tc.byProxy))
			}
			if got := r.Proxies(); !reflect.DeepEqual(got, tc.proxies) {
				t.Errorf("registered proxies %v, want %v", got, tc.proxies)
			}
		})
	}
}

func TestCheckInReturnsTheRevokedProxy(t *testing.T) {
	r := newRoll(t, people("m", "", 3), Rules{})
	if err := r.GiveProxy("m1", "m2"); err != nil {
		t.Fatal(err)
	}
	got, err := r.CheckIn("m1")
	if err != nil || got != (Proxy{"m1", "m2"}) {
		t.Errorf("CheckIn(m1) = %v, %v; want the revoked proxy m1→m2", got, err)
	}
	if c, ok := r.ProxyOf("m1"); ok {
		t.Errorf("m1 still gives a proxy to %s", c)
	}
	if got, _ := r.CheckIn("m1"); got != (Proxy{}) {
		t.Errorf("a second check-in revoked %v", got)
	}
}

func TestQuorum(t *testing.T) {
	ten := people("m", "", 10)
	// Two colleges 50/50: A's 2 members weigh 4 each, B's 8 weigh 1 (total 16).
	colleges := append(people("a", "A", 2), people("b", "B", 8)...)
	cases := []struct {
		name     string
		members  []Member
		rules    Rules
		in       []MemberID
		proxies  []Proxy
		required int64
		met      bool
	}{
		{"no rule: always met", ten, Rules{}, nil, nil, 0, true},
		{"a quarter of 10 is 3 (rounded up): 2 present", ten, Rules{Quorum: QuorumRule{Num: 1, Den: 4}}, []MemberID{"m1", "m2"}, nil, 3, false},
		{"a quarter: 2 present and 1 represented", ten, Rules{Quorum: QuorumRule{Num: 1, Den: 4}}, []MemberID{"m1", "m2"}, []Proxy{{"m3", "m1"}}, 3, true},
		{"half of 10 is 5", ten, Rules{Quorum: QuorumRule{Num: 1, Den: 2}}, []MemberID{"m1", "m2", "m3", "m4", "m5"}, nil, 5, true},
		{"more than half of 10 is 6", ten, Rules{Quorum: QuorumRule{Num: 1, Den: 2, Strict: true}}, []MemberID{"m1", "m2", "m3", "m4", "m5"}, nil, 6, false},
		{"half the weight: the two of college A", colleges, Rules{Colleges: []College{{"A", 1}, {"B", 1}}, Quorum: QuorumRule{Basis: ByWeight, Num: 1, Den: 2}},
			[]MemberID{"a1", "a2"}, nil, 8, true},
		{"half the weight: seven of college B fall short", colleges, Rules{Colleges: []College{{"A", 1}, {"B", 1}}, Quorum: QuorumRule{Basis: ByWeight, Num: 1, Den: 2}},
			[]MemberID{"b1", "b2", "b3", "b4", "b5", "b6", "b7"}, nil, 8, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRoll(t, tc.members, tc.rules)
			for _, id := range tc.in {
				if _, err := r.CheckIn(id); err != nil {
					t.Fatal(err)
				}
			}
			for _, p := range tc.proxies {
				if err := r.GiveProxy(p.Giver, p.Carrier); err != nil {
					t.Fatal(err)
				}
			}
			q := r.Quorum()
			if q.Required != tc.required || q.Met != tc.met {
				t.Errorf("required %d, met %v; want %d, %v (%+v)", q.Required, q.Met, tc.required, tc.met, q)
			}
			if full := r.Recount(); q != full {
				t.Errorf("live quorum %+v, recount %+v", q, full)
			}
		})
	}
	for _, bad := range []QuorumRule{{Num: 1}, {Num: 3, Den: 2}, {Num: -1, Den: 2}, {Strict: true}, {Basis: 7, Num: 1, Den: 2}} {
		if _, err := NewRoll(ten, Rules{Quorum: bad}); !errors.Is(err, ErrInvalid) {
			t.Errorf("quorum %+v: %v, want ErrInvalid", bad, err)
		}
	}
}

// TestQuorumLiveEqualsRecount drives a roll with random check-ins,
// check-outs and proxies and compares the live counters with a recount
// after every step.
func TestQuorumLiveEqualsRecount(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 1))
	members := append(people("a", "A", 7), people("b", "B", 13)...)
	members = append(members, people("c", "C", 30)...)
	members[3].Voting = false
	r := newRoll(t, members, Rules{Colleges: []College{{"A", 5}, {"B", 3}, {"C", 2}}, MaxProxies: 3, Quorum: QuorumRule{Basis: ByWeight, Num: 1, Den: 3}})
	pick := func() MemberID { return members[rng.IntN(len(members))].ID }
	for step := range 20000 {
		var err error
		switch k := rng.IntN(10); {
		case k < 3:
			_, err = r.CheckIn(pick())
		case k < 6:
			err = r.CheckOut(pick())
		case k < 9:
			err = r.GiveProxy(pick(), pick())
			if errors.Is(err, ErrProxyLimit) || errors.Is(err, ErrInvalid) || errors.Is(err, ErrNoVotingRight) {
				err = nil
			}
		default:
			err = r.WithdrawProxy(pick())
		}
		if err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		if q, full := r.Quorum(), r.Recount(); q != full {
			t.Fatalf("step %d: live %+v, recount %+v", step, q, full)
		}
		for i := range r.ids {
			if len(r.carried[i]) > 3 {
				t.Fatalf("step %d: %s carries %d proxies", step, r.ids[i], len(r.carried[i]))
			}
		}
	}
}
