package liquid

import (
	"fmt"
	"math"
	"math/big"
)

// MemberID names a member of an assembly's roll. The decide service chooses
// the ids; this package only compares them.
type MemberID string

// Member is one line of the roll as the assembly typed or imported it.
type Member struct {
	ID MemberID
	// College is the member's college when the assembly has colleges; it is
	// ignored when it has none (a roll's category column may land here).
	College string
	// Shares is the member's own weight inside their college: shares held,
	// a household's size... Zero is read as one, so a roll without a weight
	// column needs nothing; a negative value is refused.
	Shares int64
	// Voting says the member has a voting right. A member without one may
	// be on the roll and checked in, but weighs nothing, is not counted by
	// the quorum and can neither give nor carry a proxy nor delegate.
	Voting bool
}

// College is a group of members that holds a fixed share of the vote
// whatever its size, as in a multi-stakeholder cooperative (a SCIC's
// colleges of workers, users, local authorities...).
type College struct {
	Name string
	// Part is the college's share of the vote, relative to the other
	// colleges' parts: parts 50, 30, 20 and parts 5, 3, 2 mean the same.
	Part int64
}

// Weights computes each member's integer weight, in the order of members,
// and their total. Members without a voting right weigh 0.
//
// The exact weight of member i in college c is (part_c / P) × (s_i / S_c),
// with P the sum of the parts, s_i the member's shares and S_c the shares of
// the college's voting members. Multiplying every weight by the same number
// changes no result (a tally compares weights, a quorum compares fractions
// of the total), so Weights scales them by P × L, where L is the least
// common multiple of the reduced denominators S_c / gcd(part_c, S_c): then
// member i weighs s_i × part_c × L / S_c, an integer, and the total is
// P × L. Once the parts are divided by their greatest common divisor (which
// Weights does first), L is the smallest factor for which one share of
// every college weighs a whole number. With no college every member weighs
// their shares.
//
// For 3 colleges with 50/30/20 % of the vote and 7, 13 and 101 members of
// one share each, the parts reduce to 5/3/2, L = 7 × 13 × 101 = 9191 and
// the members weigh 6565, 2121 and 182, out of 91910: exactly 50, 30 and
// 20 %.
//
// L grows with the product of coprime college sizes; when the total would
// not fit in an int64 Weights returns an error wrapping ErrOverflow that
// gives the total it would need. A college with no voting member is refused
// (ErrInvalid): its share could be cast by nobody, and handing it to the
// others is a decision for the assembly, not for this function.
//
// Statutes that apply a college's share to the votes cast in it, rather
// than to its members, get their weights by calling Weights with the
// members who voted.
func Weights(members []Member, colleges []College) (weights []int64, total int64, err error) {
	// A roll with no college is one implicit college holding the whole vote.
	implicit := len(colleges) == 0
	if implicit {
		colleges = []College{{Part: 1}}
	}
	byName := make(map[string]int, len(colleges))
	var g int64
	for i, c := range colleges {
		if c.Part <= 0 {
			return nil, 0, fmt.Errorf("college %q: part %d, want a positive number: %w", c.Name, c.Part, ErrInvalid)
		}
		if _, dup := byName[c.Name]; dup {
			return nil, 0, fmt.Errorf("college %q named twice: %w", c.Name, ErrInvalid)
		}
		byName[c.Name] = i
		g = gcd(g, c.Part)
	}

	college := make([]int, len(members))
	shares := make([]int64, len(colleges))
	for i, m := range members {
		if m.Shares < 0 {
			return nil, 0, fmt.Errorf("member %q: %d shares: %w", m.ID, m.Shares, ErrInvalid)
		}
		if !m.Voting {
			continue
		}
		c := 0
		if !implicit {
			var ok bool
			if c, ok = byName[m.College]; !ok {
				return nil, 0, fmt.Errorf("member %q: college %q is not one of the assembly's: %w", m.ID, m.College, ErrInvalid)
			}
		}
		college[i] = c
		s := max(m.Shares, 1)
		if shares[c] > math.MaxInt64-s {
			return nil, 0, fmt.Errorf("college %q: its shares add up to more than an int64: %w", colleges[c].Name, ErrOverflow)
		}
		shares[c] += s
	}

	// L = lcm over colleges of S_c / gcd(part_c, S_c), in big integers:
	// the point is to find out whether it fits.
	l := big.NewInt(1)
	var parts big.Int
	for c, col := range colleges {
		if shares[c] == 0 {
			return nil, 0, fmt.Errorf("college %q has no member with a voting right: %w", col.Name, ErrInvalid)
		}
		part := col.Part / g
		parts.Add(&parts, big.NewInt(part))
		d := big.NewInt(shares[c] / gcd(part, shares[c]))
		var q big.Int
		q.GCD(nil, nil, l, d)
		l.Mul(l, d.Quo(d, &q))
	}
	var t big.Int
	t.Mul(l, &parts)
	if !t.IsInt64() {
		return nil, 0, fmt.Errorf("exact college weights need a total of %s, more than an int64 holds (%d): use colleges whose sizes share factors, or fewer shares: %w", t.String(), int64(math.MaxInt64), ErrOverflow)
	}
	total = t.Int64()

	// factor_c = part_c × L / S_c is an integer by the choice of L, and no
	// bigger than the total, so it and every weight fit.
	factor := make([]int64, len(colleges))
	for c, col := range colleges {
		var f big.Int
		f.Mul(big.NewInt(col.Part/g), l)
		f.Quo(&f, big.NewInt(shares[c]))
		factor[c] = f.Int64()
	}
	weights = make([]int64, len(members))
	for i, m := range members {
		if m.Voting {
			weights[i] = max(m.Shares, 1) * factor[college[i]]
		}
	}
	return weights, total, nil
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
