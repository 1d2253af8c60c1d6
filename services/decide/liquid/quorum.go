package liquid

import (
	"fmt"
	"math/bits"
)

// Basis is what a quorum counts.
type Basis uint8

const (
	// ByMembers counts heads: members with a voting right.
	ByMembers Basis = iota
	// ByWeight counts weight, colleges and shares included.
	ByWeight
)

func (b Basis) String() string {
	if b == ByWeight {
		return "weight"
	}
	return "members"
}

// QuorumRule is the fraction of the members, or of the weight, that must be
// present or represented by a counting proxy: Num/Den of them at least, or
// more than Num/Den when Strict ("more than half"). The zero rule asks for
// no quorum.
type QuorumRule struct {
	Basis    Basis
	Num, Den int64
	Strict   bool
}

func (q QuorumRule) check() error {
	if q.Den == 0 && q.Num == 0 && !q.Strict {
		return nil
	}
	if q.Den <= 0 || q.Num < 0 || q.Num > q.Den {
		return fmt.Errorf("quorum %d/%d: want a fraction between 0 and 1: %w", q.Num, q.Den, ErrInvalid)
	}
	if q.Basis > ByWeight {
		return fmt.Errorf("quorum basis %d: %w", q.Basis, ErrInvalid)
	}
	return nil
}

// required is the head count or weight the rule asks for, out of members
// heads or weight total, computed exactly: total × Num fits in 128 bits and
// the quotient is no bigger than the total.
func (q QuorumRule) required(members, total int64) int64 {
	if q.Den == 0 {
		return 0
	}
	of := members
	if q.Basis == ByWeight {
		of = total
	}
	hi, lo := bits.Mul64(uint64(of), uint64(q.Num))
	quo, rem := bits.Div64(hi, lo, uint64(q.Den))
	need := int64(quo)
	if q.Strict || rem != 0 {
		need++
	}
	return need
}

// QuorumStatus is the live quorum: heads and weights of the members with a
// voting right who are present, and of those present or represented by a
// counting proxy, against what the rule requires.
type QuorumStatus struct {
	Basis  Basis
	Rule   QuorumRule
	Voting int   // members with a voting right
	Weight int64 // their total weight

	Present       int
	PresentWeight int64
	// Represented counts the present and the givers of counting proxies.
	Represented       int
	RepresentedWeight int64

	// Required is a head count under ByMembers, a weight under ByWeight.
	Required int64
	Met      bool
}

// Quorum returns the live quorum. It reads counters that every check-in,
// check-out and proxy change keeps up to date, so it costs O(1).
func (r *Roll) Quorum() QuorumStatus {
	return r.status(r.nPresent, r.nRepresented, r.wPresent, r.wRepresented)
}

// Recount computes the quorum from scratch in O(members). It must always
// equal Quorum; the tests check that it does after every change.
func (r *Roll) Recount() QuorumStatus {
	var np, nr int
	var wp, wr int64
	for i := range r.ids {
		if !r.voting[i] {
			continue
		}
		switch {
		case r.present[i]:
			np++
			wp += r.weight[i]
			nr++
			wr += r.weight[i]
		case r.counts(int32(i)):
			nr++
			wr += r.weight[i]
		}
	}
	return r.status(np, nr, wp, wr)
}

func (r *Roll) status(np, nr int, wp, wr int64) QuorumStatus {
	s := QuorumStatus{
		Basis:             r.quorum.Basis,
		Rule:              r.quorum,
		Voting:            r.nVote,
		Weight:            r.total,
		Present:           np,
		PresentWeight:     wp,
		Represented:       nr,
		RepresentedWeight: wr,
		Required:          r.required,
	}
	have := int64(nr)
	if s.Basis == ByWeight {
		have = wr
	}
	s.Met = have >= s.Required
	return s
}
