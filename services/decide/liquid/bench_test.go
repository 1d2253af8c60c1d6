package liquid

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// forest draws an assembly of n members whose delegations form a random
// forest with chains up to maxDepth long: each member delegates to an
// earlier one (mostly a near one, so chains grow deep) unless that one is
// already maxDepth deep. Around it: 2 % roots, most of whom vote; some
// members vote themselves (overriding their delegation); topic delegations
// that beat a global one, question delegations to nobody, expired ones,
// proxies, and 100 loops of 3 with no voter at the end of the roll.
func forest(n, maxDepth int, seed uint64) Snapshot {
	rng := rand.New(rand.NewPCG(seed, 50))
	s := Snapshot{Question: "q", Topic: "t", Now: t0.Add(24 * time.Hour), Members: make([]Weighted, n)}
	for i := range s.Members {
		s.Members[i] = Weighted{ID: MemberID(fmt.Sprintf("m%06d", i)), Weight: 1, Voting: true}
	}
	id := func(i int) MemberID { return s.Members[i].ID }
	depth := make([]int, n)
	loops := 300
	for i := range n - loops {
		if i == 0 || rng.IntN(50) == 0 {
			if rng.IntN(10) < 9 {
				s.Voters = append(s.Voters, id(i))
			}
			continue
		}
		j := rng.IntN(i)
		if rng.IntN(10) < 7 {
			j = i - 1 - rng.IntN(min(i, 8))
		}
		if depth[j] >= maxDepth {
			if rng.IntN(10) < 9 {
				s.Voters = append(s.Voters, id(i))
			}
			continue
		}
		depth[i] = depth[j] + 1
		switch k := rng.IntN(100); {
		case k < 10: // a topic delegation beats a global one
			s.Delegations = append(s.Delegations,
				Delegation{From: id(i), To: id(rng.IntN(n)), Scope: ScopeGlobal, Created: t0},
				Delegation{From: id(i), To: id(j), Scope: ScopeTopic, Subject: "t", Created: t0})
		case k < 13: // nobody, for this question
			s.Delegations = append(s.Delegations,
				Delegation{From: id(i), To: id(j), Scope: ScopeGlobal, Created: t0},
				Delegation{From: id(i), Scope: ScopeQuestion, Subject: "q", Created: t0})
			depth[i] = 0
		case k < 15: // an expired question delegation, the global one applies
			s.Delegations = append(s.Delegations,
				Delegation{From: id(i), To: id(rng.IntN(n)), Scope: ScopeQuestion, Subject: "q", Created: t0, Expires: t0.Add(time.Hour)},
				Delegation{From: id(i), To: id(j), Scope: ScopeGlobal, Created: t0})
		default:
			s.Delegations = append(s.Delegations, Delegation{From: id(i), To: id(j), Scope: ScopeGlobal, Created: t0})
		}
		if rng.IntN(100) < 3 {
			s.Voters = append(s.Voters, id(i))
		}
	}
	for i := n - loops; i < n; i += 3 {
		for k := range 3 {
			s.Delegations = append(s.Delegations, Delegation{From: id(i + k), To: id(i + (k+1)%3), Scope: ScopeGlobal, Created: t0})
		}
	}
	return s
}

// BenchmarkWeigh100k is issue 8's benchmark: liquid weights for 100,000
// members with chains up to 50 long. Compare with BenchmarkWeigh100kWalk,
// the obvious per-member walk, in the same run.
func BenchmarkWeigh100k(b *testing.B) {
	s := forest(100_000, 50, 1)
	b.ReportAllocs()
	var res *Result
	for b.Loop() {
		var err error
		if res, err = Weigh(s, Policy{MaxDelegated: 500}); err != nil {
			b.Fatal(err)
		}
	}
	var longest int32
	for i := range res.ids {
		if res.end[i] >= 0 {
			longest = max(longest, res.depth[i])
		}
	}
	b.ReportMetric(float64(longest), "longest-chain")
	b.ReportMetric(float64(len(s.Delegations)), "delegations")
	b.ReportMetric(float64(res.Cast)/float64(res.Total)*100, "%cast")
}

// BenchmarkWeigh100kWalk is the peer: pick each member's delegation through
// maps, then walk every member's chain to its end with a visited set, as a
// first implementation would. It is O(members × chain length).
func BenchmarkWeigh100kWalk(b *testing.B) {
	s := forest(100_000, 50, 1)
	b.ReportAllocs()
	for b.Loop() {
		walk(s)
	}
}

func walk(s Snapshot) map[MemberID]int64 {
	voter := make(map[MemberID]bool, len(s.Voters))
	for _, v := range s.Voters {
		voter[v] = true
	}
	type choice struct {
		to    MemberID
		scope Scope
	}
	best := make(map[MemberID]choice, len(s.Members))
	for _, d := range s.Delegations {
		if d.Scope == ScopeTopic && d.Subject != s.Topic || d.Scope == ScopeQuestion && d.Subject != s.Question ||
			!d.Expires.IsZero() && !s.Now.Before(d.Expires) {
			continue
		}
		if c, ok := best[d.From]; !ok || d.Scope >= c.scope {
			best[d.From] = choice{d.To, d.Scope}
		}
	}
	weights := make(map[MemberID]int64, len(s.Voters))
	for _, m := range s.Members {
		seen := map[MemberID]bool{}
		for j := m.ID; j != "" && !seen[j]; j = best[j].to {
			if voter[j] {
				weights[j] += m.Weight
				break
			}
			seen[j] = true
		}
	}
	return weights
}

// quorumRoll is 10,000 members in three colleges, a quarter checked in,
// 2,000 proxies given to 1,000 carriers.
func quorumRoll(b *testing.B) (*Roll, []MemberID) {
	members := append(people("a", "A", 1000), people("b", "B", 3000)...)
	members = append(members, people("c", "C", 6000)...)
	r, err := NewRoll(members, Rules{Colleges: []College{{"A", 5}, {"B", 3}, {"C", 2}}, Quorum: QuorumRule{Basis: ByWeight, Num: 1, Den: 4}})
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]MemberID, len(members))
	for i, m := range members {
		ids[i] = m.ID
	}
	rng := rand.New(rand.NewPCG(10, 000))
	for _, id := range ids[:2500] {
		if _, err := r.CheckIn(id); err != nil {
			b.Fatal(err)
		}
	}
	for k := range 2000 {
		if err := r.GiveProxy(ids[2500+k+rng.IntN(2)*2000], ids[k/2]); err != nil && k%2 == 0 {
			b.Fatal(err)
		}
	}
	return r, ids
}

// BenchmarkQuorumCheckIn10k: one check-in or check-out at the desk and the
// live quorum read after it, on a roll of 10,000. The peer is
// BenchmarkQuorumRecount10k, which recounts the whole roll instead.
func BenchmarkQuorumCheckIn10k(b *testing.B) {
	r, ids := quorumRoll(b)
	rng := rand.New(rand.NewPCG(1, 2))
	b.ReportAllocs()
	for b.Loop() {
		toggle(b, r, ids[rng.IntN(len(ids))])
		if q := r.Quorum(); q.Voting != len(ids) {
			b.Fatal(q)
		}
	}
}

func BenchmarkQuorumRecount10k(b *testing.B) {
	r, ids := quorumRoll(b)
	rng := rand.New(rand.NewPCG(1, 2))
	b.ReportAllocs()
	for b.Loop() {
		toggle(b, r, ids[rng.IntN(len(ids))])
		if q := r.Recount(); q.Voting != len(ids) {
			b.Fatal(q)
		}
	}
}

func toggle(b *testing.B, r *Roll, id MemberID) {
	var err error
	if r.Present(id) {
		err = r.CheckOut(id)
	} else {
		_, err = r.CheckIn(id)
	}
	if err != nil {
		b.Fatal(err)
	}
}
