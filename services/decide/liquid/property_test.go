package liquid

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// randomSnapshot draws a small assembly with every kind of trouble: members
// without a right, proxies, delegations at every scope, to nobody, to
// oneself, to members gone or without a right, expired, tied, in loops.
func randomSnapshot(rng *rand.Rand) (Snapshot, Policy) {
	n := 1 + rng.IntN(40)
	s := Snapshot{Question: "q1", Topic: []string{"", "t1", "t2"}[rng.IntN(3)], Now: t0.Add(10 * time.Hour)}
	for i := range n {
		s.Members = append(s.Members, Weighted{ID: MemberID(fmt.Sprint("m", i)), Weight: 1 + rng.Int64N(5), Voting: rng.IntN(10) > 0})
	}
	id := func() MemberID {
		switch rng.IntN(20) {
		case 0:
			return "gone"
		case 1:
			return ""
		}
		return s.Members[rng.IntN(n)].ID
	}
	voting := func(m MemberID) bool {
		for _, w := range s.Members {
			if w.ID == m {
				return w.Voting
			}
		}
		return false
	}
	for _, m := range s.Members {
		if m.Voting && rng.IntN(10) < 3 {
			s.Voters = append(s.Voters, m.ID)
		}
	}
	givers, carriers := map[MemberID]bool{}, map[MemberID]bool{}
	for range rng.IntN(n/3 + 1) {
		g, c := s.Members[rng.IntN(n)].ID, s.Members[rng.IntN(n)].ID
		if g == c || !voting(g) || !voting(c) || givers[g] || carriers[g] || givers[c] {
			continue
		}
		givers[g], carriers[c] = true, true
		s.Proxies = append(s.Proxies, Proxy{Giver: g, Carrier: c})
	}
	for range rng.IntN(2*n + 1) {
		d := Delegation{From: id(), To: id(), Created: t0.Add(time.Duration(rng.IntN(10)) * time.Hour)}
		if d.From == "" {
			d.From = s.Members[0].ID
		}
		switch rng.IntN(3) {
		case 0:
			d.Scope = ScopeGlobal
		case 1:
			d.Scope, d.Subject = ScopeTopic, []string{"t1", "t2"}[rng.IntN(2)]
		case 2:
			d.Scope, d.Subject = ScopeQuestion, []string{"q1", "q2"}[rng.IntN(2)]
		}
		if rng.IntN(5) == 0 {
			d.Expires = t0.Add(time.Duration(rng.IntN(20)) * time.Hour)
		}
		s.Delegations = append(s.Delegations, d)
	}
	p := Policy{MaxDelegated: rng.Int64N(8), MaxAge: time.Duration(rng.IntN(12)) * time.Hour}
	return s, p
}

// reference weighs a snapshot the slow, obvious way: for every member,
// scan all delegations for theirs, then walk the chain with a visited set.
// It shares no code with Weigh.
func reference(s Snapshot, p Policy) (weights map[MemberID]int64, lost Lost, castBy map[MemberID]MemberID) {
	weight, voting, voter := map[MemberID]int64{}, map[MemberID]bool{}, map[MemberID]bool{}
	for _, m := range s.Members {
		if m.Voting {
			weight[m.ID], voting[m.ID] = m.Weight, true
		}
	}
	for _, v := range s.Voters {
		voter[v] = true
	}
	proxy := map[MemberID]MemberID{}
	for _, px := range s.Proxies {
		proxy[px.Giver] = px.Carrier
	}
	target := map[MemberID]MemberID{} // "" for nobody or no delegation
	for _, m := range s.Members {
		best := -1
		for k, d := range s.Delegations {
			applies := d.From == m.ID && voting[d.From] &&
				(d.To == "" || voting[d.To]) &&
				(d.Scope == ScopeGlobal || d.Scope == ScopeTopic && d.Subject == s.Topic || d.Scope == ScopeQuestion && d.Subject == s.Question) &&
				(d.Expires.IsZero() || s.Now.Before(d.Expires)) &&
				(p.MaxAge == 0 || s.Now.Sub(d.Created) < p.MaxAge)
			if !applies {
				continue
			}
			if best < 0 || d.Scope > s.Delegations[best].Scope ||
				d.Scope == s.Delegations[best].Scope && !d.Created.Before(s.Delegations[best].Created) {
				best = k
			}
		}
		if best >= 0 && s.Delegations[best].To != m.ID {
			target[m.ID] = s.Delegations[best].To
		}
	}
	own, prox, deleg := map[MemberID]int64{}, map[MemberID]int64{}, map[MemberID]int64{}
	castBy = map[MemberID]MemberID{}
	for _, m := range s.Members {
		w := weight[m.ID]
		switch {
		case !m.Voting:
		case voter[m.ID]:
			own[m.ID] += w
			castBy[m.ID] = m.ID
		case proxy[m.ID] != "":
			if c := proxy[m.ID]; voter[c] {
				prox[c] += w
				castBy[m.ID] = c
			} else {
				lost.ProxyUnused += w
			}
		default:
			seen := map[MemberID]bool{}
			for j := m.ID; ; j = target[j] {
				switch {
				case voter[j]:
					deleg[j] += w
					castBy[m.ID] = j
				case seen[j]:
					lost.Cycle += w
				case j != m.ID && proxy[j] != "" || target[j] == "":
					if j == m.ID {
						lost.NoVote += w
					} else {
						lost.ChainEnd += w
					}
				default:
					seen[j] = true
					continue
				}
				break
			}
		}
	}
	weights = map[MemberID]int64{}
	for v := range voter {
		d := deleg[v]
		if p.MaxDelegated > 0 && d > p.MaxDelegated {
			lost.Cap += d - p.MaxDelegated
			d = p.MaxDelegated
		}
		weights[v] = own[v] + prox[v] + d
	}
	return weights, lost, castBy
}

// TestWeighProperties checks on random assemblies that the weight cast plus
// the weight reported lost is the weight of the members with a voting
// right, and that Weigh agrees with the reference on every ballot, every
// loss and every member's trace.
func TestWeighProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(2026, 8))
	for run := range 3000 {
		s, p := randomSnapshot(rng)
		res, err := Weigh(s, p)
		if err != nil {
			t.Fatalf("run %d: Weigh: %v\n%+v", run, err, s)
		}
		var total int64
		for _, m := range s.Members {
			if m.Voting {
				total += m.Weight
			}
		}
		if res.Total != total || res.Cast+res.Lost.Sum() != total {
			t.Fatalf("run %d: cast %d + lost %d, total %d; want the voting weight %d", run, res.Cast, res.Lost.Sum(), res.Total, total)
		}
		checkBalance(t, res)
		weights, lost, castBy := reference(s, p)
		got := map[MemberID]int64{}
		for _, c := range res.Casts {
			got[c.Voter] = c.Weight
		}
		if !reflect.DeepEqual(got, weights) || res.Lost != lost {
			t.Fatalf("run %d: weights %v lost %+v; reference %v lost %+v\n%+v %+v", run, got, res.Lost, weights, lost, s, p)
		}
		for _, m := range s.Members {
			if !m.Voting {
				continue
			}
			tr, err := res.Trace(m.ID)
			if err != nil {
				t.Fatalf("run %d: Trace(%s): %v", run, m.ID, err)
			}
			if tr.CastBy != castBy[m.ID] || (tr.CastBy == "") != (tr.Lost != 0) {
				t.Fatalf("run %d: %s: %s; reference cast by %q", run, m.ID, traceString(tr), castBy[m.ID])
			}
			if last := tr.Chain[len(tr.Chain)-1]; tr.CastBy != "" && last.Member != tr.CastBy {
				t.Fatalf("run %d: %s: chain %s does not end at its voter", run, m.ID, traceString(tr))
			}
		}
	}
}
