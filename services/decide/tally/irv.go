package tally

import (
	"math/bits"
	"slices"
)

// irv is instant runoff. Each round, a ballot counts for its highest
// ranked continuing option. A ballot whose highest group with a
// continuing option holds several continuing options is undecided this
// round and counts for nobody (it may count in a later round, once the tie
// is gone); a ballot that ranks no continuing option is exhausted
// (unranked options are not choices). An option with more than half of
// the weight still active (counted for someone, or undecided) is elected;
// so is the last one left.
// Otherwise the option with the lowest count is eliminated. A tie for the
// lowest count is broken by the earlier rounds, latest first (the option
// that had less in the latest round where they differed goes), then by
// the tie order (the option latest in it goes). One option goes per round,
// so there are at most n rounds of O(ballots × n) each.
//
// The ranking is the winner, then the options still in the race when it
// won (by final count, equal counts tied), then the eliminated in reverse
// order of elimination.
func irv(r *Result, n int, ballots []Ballot, prio []int) {
	cont := ^uint64(0) >> (64 - n)
	var eliminated []int
	for round := 0; ; round++ {
		counts := make([]int64, n)
		rd := Round{Counts: counts, Elected: -1, Eliminated: -1}
		for m := cont; m != 0; m &= m - 1 {
			rd.Continuing = append(rd.Continuing, bits.TrailingZeros64(m))
		}
		for i := range ballots {
			b := &ballots[i]
			if b.Weight == 0 {
				continue
			}
			var hit uint64
			for _, group := range b.Ranking {
				for _, o := range group {
					hit |= 1 << o
				}
				if hit &= cont; hit != 0 {
					break
				}
			}
			switch bits.OnesCount64(hit) {
			case 0:
				rd.Exhausted += b.Weight
			case 1:
				counts[bits.TrailingZeros64(hit)] += b.Weight
			default:
				rd.Undecided += b.Weight
			}
		}
		counted := rd.Undecided // still active: it must not be outvoted by its silence
		best := -1
		for _, o := range rd.Continuing {
			counted += counts[o]
			if best < 0 || counts[o] > counts[best] {
				best = o
			}
		}
		if round == 0 && counted == 0 {
			// No ballot ranks anything: nothing to run off, all tied.
			r.Rounds = append(r.Rounds, rd)
			r.Ranking = [][]int{rd.Continuing}
			r.Why = append(r.Why, Fact{Kind: FactTie, Option: best, Other: -1, Options: slices.Clone(rd.Continuing)})
			return
		}
		if 2*counts[best] > counted {
			rd.Elected = best
			r.Rounds = append(r.Rounds, rd)
			r.Why = append(r.Why, Fact{Kind: FactMajority, Option: best, Other: -1, Round: round, For: counts[best], Total: counted})
			break
		}
		if len(rd.Continuing) == 1 {
			rd.Elected = best
			r.Rounds = append(r.Rounds, rd)
			r.Why = append(r.Why, Fact{Kind: FactLast, Option: best, Other: -1, Round: round, For: counts[best], Total: counted})
			break
		}
		var low []int
		for _, o := range rd.Continuing {
			switch {
			case len(low) == 0 || counts[o] < counts[low[0]]:
				low = append(low[:0], o)
			case counts[o] == counts[low[0]]:
				low = append(low, o)
			}
		}
		out := low[0]
		if len(low) > 1 {
			rd.Tied = slices.Clone(low)
			out = irvTieBreak(low, r.Rounds, prio)
		}
		rd.Eliminated = out
		r.Rounds = append(r.Rounds, rd)
		r.Why = append(r.Why, Fact{Kind: FactEliminated, Option: out, Other: -1, Round: round, For: counts[out], Options: rd.Tied})
		eliminated = append(eliminated, out)
		cont &^= 1 << out
	}
	winner := r.Rounds[len(r.Rounds)-1].Elected
	r.Ranking = append(r.Ranking, []int{winner})
	// Options never eliminated but not elected (a majority came first) rank
	// after the winner by their final count, equal counts tied; then the
	// eliminated, last eliminated first.
	last := r.Rounds[len(r.Rounds)-1]
	var rest []int
	for _, o := range last.Continuing {
		if o != winner {
			rest = append(rest, o)
		}
	}
	slices.SortStableFunc(rest, func(a, b int) int {
		switch {
		case last.Counts[a] > last.Counts[b]:
			return -1
		case last.Counts[a] < last.Counts[b]:
			return 1
		}
		return 0
	})
	r.Ranking = append(r.Ranking, groupSorted(rest, func(a, b int) bool { return last.Counts[a] == last.Counts[b] })...)
	for i := len(eliminated) - 1; i >= 0; i-- {
		r.Ranking = append(r.Ranking, []int{eliminated[i]})
	}
}

// irvTieBreak picks, among options tied for the lowest count, the one to
// eliminate: the one with the lowest count in the latest earlier round
// where the tied options' counts differ, narrowing the tie round by round
// back to the first; then the one latest in the tie order.
func irvTieBreak(tied []int, earlier []Round, prio []int) int {
	tied = slices.Clone(tied)
	for i := len(earlier) - 1; i >= 0 && len(tied) > 1; i-- {
		c := earlier[i].Counts
		low := c[tied[0]]
		for _, o := range tied {
			low = min(low, c[o])
		}
		keep := tied[:0]
		for _, o := range tied {
			if c[o] == low {
				keep = append(keep, o)
			}
		}
		tied = keep
	}
	out := tied[0]
	for _, o := range tied {
		if prio[o] > prio[out] {
			out = o
		}
	}
	return out
}
