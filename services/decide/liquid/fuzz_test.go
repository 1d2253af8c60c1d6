package liquid

import (
	"fmt"
	"testing"
	"time"
)

// snapshotFrom turns any bytes into a snapshot, malformed ones included:
// weights of -1 to 5, ids of members gone or empty, scopes out of range,
// proxies to oneself or passed on, voters twice.
func snapshotFrom(data []byte) (Snapshot, Policy) {
	at := 0
	next := func() byte {
		if at >= len(data) {
			return 0
		}
		at++
		return data[at-1]
	}
	s := Snapshot{Question: "q", Topic: "t", Now: t0.Add(time.Duration(next()) * time.Minute), Secret: next() == 255}
	p := Policy{MaxDelegated: int64(next()%8) - 1, MaxAge: time.Duration(next()) * time.Minute}
	n := int(next()%12) + 1
	for i := range n {
		b := next()
		s.Members = append(s.Members, Weighted{ID: MemberID(fmt.Sprint("m", i)), Weight: int64(b%7) - 1, Voting: b&0x80 == 0})
	}
	id := func(b byte) MemberID {
		switch k := int(b) % (n + 2); k {
		case n:
			return ""
		case n + 1:
			return "gone"
		default:
			return MemberID(fmt.Sprint("m", k))
		}
	}
	for at < len(data) {
		kind, a, b, c, d := next(), next(), next(), next(), next()
		switch kind % 4 {
		case 0:
			s.Voters = append(s.Voters, id(a))
		case 1:
			s.Proxies = append(s.Proxies, Proxy{Giver: id(a), Carrier: id(b)})
		default:
			dl := Delegation{From: id(a), To: id(b), Scope: Scope(c % 5), Subject: []string{"", "q", "t", "x"}[c>>3%4],
				Created: t0.Add(time.Duration(d%16) * time.Minute)}
			if d&0x80 != 0 {
				dl.Expires = t0.Add(time.Duration(d%64) * time.Minute)
			}
			s.Delegations = append(s.Delegations, dl)
		}
	}
	return s, p
}

// FuzzWeigh: whatever the snapshot, Weigh returns an error or a result in
// which every share of weight is cast or lost once, and every member has a
// trace that ends where the result says.
func FuzzWeigh(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{60, 0, 3, 0, 5, 1, 2, 3, 4, 5, 0, 1, 0, 0, 0, 2, 2, 1, 1, 0, 2, 1, 2, 9, 0, 2, 2, 0, 1, 5})
	f.Add([]byte{60, 0, 0, 0, 3, 1, 1, 1, 2, 0, 1, 1, 1, 3, 1, 2, 2, 1, 3, 2, 0, 1, 1, 0, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		s, p := snapshotFrom(data)
		res, err := Weigh(s, p)
		if err != nil {
			return
		}
		checkBalance(t, res)
		for _, m := range s.Members {
			if !m.Voting {
				continue
			}
			tr, err := res.Trace(m.ID)
			if err != nil {
				t.Fatalf("Trace(%s): %v", m.ID, err)
			}
			if (tr.CastBy == "") == (tr.Lost == 0) {
				t.Fatalf("%s: %s", m.ID, traceString(tr))
			}
		}
	})
}

// FuzzRoll: any sequence of desk actions leaves the live quorum equal to a
// recount, and no carrier over the limit.
func FuzzRoll(f *testing.F) {
	f.Add([]byte{0, 1, 2, 1, 0, 3, 1, 3, 4, 0, 2})
	f.Add([]byte{2, 0, 1, 2, 2, 1, 0, 1, 0, 0, 1, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		members := append(people("a", "A", 3), people("b", "B", 4)...)
		members[2].Voting = false
		r, err := NewRoll(members, Rules{Colleges: []College{{"A", 2}, {"B", 1}}, Quorum: QuorumRule{Num: 1, Den: 3}})
		if err != nil {
			t.Fatal(err)
		}
		id := func(b byte) MemberID { return members[int(b)%len(members)].ID }
		for k := 0; k+2 < len(data); k += 3 {
			switch data[k] % 4 {
			case 0:
				_, err = r.CheckIn(id(data[k+1]))
			case 1:
				err = r.CheckOut(id(data[k+1]))
			case 2:
				_ = r.GiveProxy(id(data[k+1]), id(data[k+2]))
			case 3:
				err = r.WithdrawProxy(id(data[k+1]))
			}
			if err != nil {
				t.Fatal(err)
			}
			if q, full := r.Quorum(), r.Recount(); q != full {
				t.Fatalf("after op %d: live %+v, recount %+v", k/3, q, full)
			}
			for i := range r.ids {
				if len(r.carried[i]) > DefaultMaxProxies {
					t.Fatalf("%s carries %d", r.ids[i], len(r.carried[i]))
				}
			}
		}
	})
}
