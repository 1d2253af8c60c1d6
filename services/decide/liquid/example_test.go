package liquid_test

import (
	"fmt"
	"time"

	"github.com/coopbox/coopbox/services/decide/liquid"
)

// An assembly with two colleges, a proxy and a delegation: the roll at the
// desk, then the weights of an open vote when it closes.
func Example() {
	roll, err := liquid.NewRoll([]liquid.Member{
		{ID: "ana", College: "workers", Voting: true},
		{ID: "bo", College: "workers", Voting: true},
		{ID: "chloé", College: "users", Voting: true},
		{ID: "dan", College: "users", Voting: true},
		{ID: "eve", College: "users", Voting: true},
		{ID: "fred", College: "users", Voting: true},
	}, liquid.Rules{
		Colleges: []liquid.College{{Name: "workers", Part: 1}, {Name: "users", Part: 1}},
		Quorum:   liquid.QuorumRule{Basis: liquid.ByWeight, Num: 1, Den: 2},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, id := range []liquid.MemberID{"ana", "chloé", "dan"} {
		if _, err := roll.CheckIn(id); err != nil {
			fmt.Println(err)
			return
		}
	}
	if err := roll.GiveProxy("bo", "ana"); err != nil {
		fmt.Println(err)
		return
	}
	q := roll.Quorum()
	fmt.Printf("quorum: %d present, %d represented, weight %d of %d, %d required: %v\n",
		q.Present, q.Represented, q.RepresentedWeight, q.Weight, q.Required, q.Met)

	closed := time.Date(2026, 6, 1, 11, 0, 0, 0, time.UTC)
	snap := roll.Snapshot()
	snap.Question, snap.Topic, snap.Now = "charter", "commons", closed
	snap.Voters = []liquid.MemberID{"ana", "chloé"}
	snap.Delegations = []liquid.Delegation{
		{From: "dan", To: "eve", Scope: liquid.ScopeGlobal, Created: closed.Add(-time.Hour)},
		{From: "eve", To: "chloé", Scope: liquid.ScopeTopic, Subject: "commons", Created: closed.Add(-time.Hour)},
	}
	res, err := liquid.Weigh(snap, liquid.Policy{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range res.Casts {
		if c.Proxy > 0 {
			fmt.Printf("%s casts %d (own %d, proxies %d %v, delegated %d %v)\n", c.Voter, c.Weight, c.Own, c.Proxy, c.Proxies, c.Delegated, c.Via)
		} else {
			fmt.Printf("%s casts %d (own %d, delegated %d %v)\n", c.Voter, c.Weight, c.Own, c.Delegated, c.Via)
		}
	}
	for _, l := range res.Losses {
		fmt.Printf("lost: %s's %d (%v)\n", l.Member, l.Weight, l.Reason)
	}
	t, _ := res.Trace("dan")
	fmt.Printf("dan's vote went %s → %s → %s, cast by %s\n", t.Chain[0].Member, t.Chain[1].Member, t.Chain[2].Member, t.CastBy)
	fmt.Printf("cast %d + lost %d = %d\n", res.Cast, res.Lost.Sum(), res.Total)
	// Output:
	// quorum: 3 present, 4 represented, weight 6 of 8, 4 required: true
	// ana casts 4 (own 2, proxies 2 [bo], delegated 0 [])
	// chloé casts 3 (own 1, delegated 2 [eve dan])
	// lost: fred's 1 (did not vote)
	// dan's vote went dan → eve → chloé, cast by chloé
	// cast 7 + lost 1 = 8
}
