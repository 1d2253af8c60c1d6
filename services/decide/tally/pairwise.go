package tally

import (
	"math/bits"
	"slices"
)

// pairwise sums the matrix d, flat: d[a*n+b] is the weight ranking a above
// b. A ballot ranks every option of a group above every option of later
// groups and above every unranked option; options within a group, or both
// unranked, are tied and add nothing. The loop walks bit sets and
// allocates nothing per ballot: O(n²) per ballot at worst.
func pairwise(n int, ballots []Ballot) []int64 {
	d := make([]int64, n*n)
	all := ^uint64(0) >> (64 - n)
	for i := range ballots {
		b := &ballots[i]
		w := b.Weight
		if w == 0 {
			continue
		}
		var seen uint64
		for _, group := range b.Ranking {
			for _, o := range group {
				seen |= 1 << o
			}
			below := all &^ seen
			if below == 0 {
				break
			}
			for _, a := range group {
				row := d[a*n : a*n+n]
				for m := below; m != 0; m &= m - 1 {
					row[bits.TrailingZeros64(m)] += w
				}
			}
		}
	}
	return d
}

// square cuts a flat n×n matrix into rows.
func square(flat []int64, n int) [][]int64 {
	rows := make([][]int64, n)
	for i := range rows {
		rows[i] = flat[i*n : i*n+n : i*n+n]
	}
	return rows
}

// condorcet reports whether w beats every other option head to head.
func condorcet(d []int64, n, w int) bool {
	for x := 0; x < n; x++ {
		if x != w && d[w*n+x] <= d[x*n+w] {
			return false
		}
	}
	return n > 1
}

// schulze computes the strongest paths p by widest-path Floyd–Warshall
// (O(n³)): a link a→b has strength d[a][b] when d[a][b] > d[b][a] (winning
// votes), else there is none (0); a path is as strong as its weakest link.
// a beats b when p[a][b] > p[b][a]. This relation is transitive (Schulze
// 2011, §4.1) but equality is not: a can tie b and c while b beats c. So
// the ranking is layered: first the options no option beats (the Schulze
// winners), then the options beaten only by those, and so on; options in
// one group do not beat each other. The method breaks no tie, and a
// status-quo option is an option like any other.
func schulze(r *Result, n int, ballots []Ballot) {
	d := pairwise(n, ballots)
	p := make([]int64, n*n)
	for a := 0; a < n; a++ {
		for b := 0; b < n; b++ {
			if a != b && d[a*n+b] > d[b*n+a] {
				p[a*n+b] = d[a*n+b]
			}
		}
	}
	for k := 0; k < n; k++ {
		for a := 0; a < n; a++ {
			if a == k || p[a*n+k] == 0 {
				continue
			}
			ak := p[a*n+k]
			for b := 0; b < n; b++ {
				if b == a || b == k {
					continue
				}
				if s := min(ak, p[k*n+b]); s > p[a*n+b] {
					p[a*n+b] = s
				}
			}
		}
	}
	beaten := make([]uint64, n) // beaten[x]: the options that beat x
	for a := 0; a < n; a++ {
		for b := 0; b < n; b++ {
			if p[a*n+b] > p[b*n+a] {
				beaten[b] |= 1 << a
			}
		}
	}
	r.Pairwise = square(d, n)
	r.Paths = square(p, n)
	r.Ranking = layers(n, beaten)

	top := r.Ranking[0]
	if len(top) > 1 {
		r.Why = append(r.Why, Fact{Kind: FactTie, Option: top[0], Other: -1, Options: slices.Clone(top)})
		return
	}
	w := top[0]
	if condorcet(d, n, w) {
		r.Why = append(r.Why, Fact{Kind: FactCondorcet, Option: w, Other: -1})
		for x := 0; x < n; x++ {
			if x != w {
				r.Why = append(r.Why, Fact{Kind: FactBeats, Option: w, Other: x, For: d[w*n+x], Against: d[x*n+w]})
			}
		}
		return
	}
	for x := 0; x < n; x++ {
		if x != w {
			r.Why = append(r.Why, Fact{Kind: FactPath, Option: w, Other: x, For: p[w*n+x], Against: p[x*n+w]})
		}
	}
}

// rankedPairs is Tideman's method. Every pair a over b with d[a][b] >
// d[b][a] is a victory; victories are taken strongest first: more votes
// for the winner first, then fewer against (the wider margin), then, for
// victories equal on both, Tideman's tie-break by the tie order: the one
// whose winner comes first in the tie order, or with the same winner, the
// one whose loser comes last. Each victory is locked unless the victories
// locked before it already lead from its loser to its winner (it would
// close a cycle); then it is skipped. Pairs with equal votes both ways are
// no victory and lock nothing.
//
// The ranking is layered as Schulze's: first the options over which
// nothing is locked, then those with only those locked over them, and so
// on.
func rankedPairs(r *Result, n int, ballots []Ballot, prio []int) {
	d := pairwise(n, ballots)
	var pairs []Pair
	for a := 0; a < n; a++ {
		for b := 0; b < n; b++ {
			if a != b && d[a*n+b] > d[b*n+a] {
				pairs = append(pairs, Pair{Winner: a, Loser: b, For: d[a*n+b], Against: d[b*n+a]})
			}
		}
	}
	slices.SortFunc(pairs, func(x, y Pair) int {
		switch {
		case x.For != y.For:
			if x.For > y.For {
				return -1
			}
			return 1
		case x.Against != y.Against:
			if x.Against < y.Against {
				return -1
			}
			return 1
		case x.Winner != y.Winner:
			return prio[x.Winner] - prio[y.Winner]
		}
		return prio[y.Loser] - prio[x.Loser]
	})
	// reach[x]: the options that locked victories lead to from x.
	reach := make([]uint64, n)
	in := make([]uint64, n) // in[x]: options locked directly over x
	for i := range pairs {
		a, b := pairs[i].Winner, pairs[i].Loser
		if reach[b]&(1<<a) != 0 {
			continue
		}
		pairs[i].Locked = true
		in[b] |= 1 << a
		add := uint64(1)<<b | reach[b]
		for x := 0; x < n; x++ {
			if x == a || reach[x]&(1<<a) != 0 {
				reach[x] |= add
			}
		}
	}
	r.Ranking = layers(n, in)
	r.Pairwise = square(d, n)
	r.Pairs = pairs
	if r.Pairs == nil {
		r.Pairs = []Pair{}
	}

	top := r.Ranking[0]
	if len(top) > 1 {
		r.Why = append(r.Why, Fact{Kind: FactTie, Option: top[0], Other: -1, Options: slices.Clone(top)})
		return
	}
	w := top[0]
	if condorcet(d, n, w) {
		r.Why = append(r.Why, Fact{Kind: FactCondorcet, Option: w, Other: -1})
	}
	for i, pr := range pairs {
		switch {
		case pr.Locked && pr.Winner == w:
			r.Why = append(r.Why, Fact{Kind: FactLocked, Option: w, Other: pr.Loser, Step: i, For: pr.For, Against: pr.Against})
		case !pr.Locked && pr.Loser == w:
			r.Why = append(r.Why, Fact{Kind: FactSkipped, Option: pr.Winner, Other: w, Step: i, For: pr.For, Against: pr.Against})
		}
	}
}

// layers ranks a strict partial order: beaten[x] holds the options above
// x. Each group is the options that no option left is above; at most n
// rounds of O(n), since a partial order always has such an option.
func layers(n int, beaten []uint64) [][]int {
	var groups [][]int
	left := ^uint64(0) >> (64 - n)
	for left != 0 {
		var group []int
		var layer uint64
		for m := left; m != 0; m &= m - 1 {
			x := bits.TrailingZeros64(m)
			if beaten[x]&left == 0 {
				group = append(group, x)
				layer |= 1 << x
			}
		}
		if layer == 0 { // a cycle: impossible for these relations; stop rather than loop
			for m := left; m != 0; m &= m - 1 {
				group = append(group, bits.TrailingZeros64(m))
			}
			layer = left
		}
		groups = append(groups, group)
		left &^= layer
	}
	return groups
}
