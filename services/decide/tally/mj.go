package tally

import (
	"fmt"
	"slices"
)

// mjBallots builds the merit profiles from graded ballots, a missing grade
// counting as the worst grade, and ranks them.
func mjBallots(r *Result, k int, ballots []Ballot) {
	n := len(r.Options)
	profiles := make([][]int64, n)
	flat := make([]int64, n*k)
	for o := range profiles {
		profiles[o] = flat[o*k : o*k+k : o*k+k]
	}
	noGrade := make([]int64, n)
	for i := range ballots {
		b := &ballots[i]
		for o, g := range b.Grades {
			if g == NoGrade {
				noGrade[o] += b.Weight
				g = 0
			}
			flat[o*k+g] += b.Weight
		}
	}
	r.NoGrade = noGrade
	mjRank(r, profiles)
}

// JudgeProfiles counts majority judgment from merit profiles already
// summed (profiles[o][g]: the weight giving option o grade g, worst grade
// first), as a service that keeps running sums, or a published example,
// has them. Every option must have the same total weight: majority
// judgment compares options judged by the same voters.
func JudgeProfiles(options, grades []string, profiles [][]int64) (*Result, error) {
	v := Vote{Kind: Graded, Options: options, Grades: grades}
	if err := v.Validate(); err != nil {
		return nil, err
	}
	if len(profiles) != len(options) {
		return nil, fmt.Errorf("%w: %d profiles for %d options", ErrVote, len(profiles), len(options))
	}
	var total int64 = -1
	for o, p := range profiles {
		if len(p) != len(grades) {
			return nil, fmt.Errorf("%w: option %d: %d counts for %d grades", ErrVote, o, len(p), len(grades))
		}
		var sum int64
		for _, c := range p {
			if c < 0 || c > MaxTotalWeight || sum+c > MaxTotalWeight {
				return nil, fmt.Errorf("%w: option %d: counts out of range", ErrVote, o)
			}
			sum += c
		}
		if total >= 0 && sum != total {
			return nil, fmt.Errorf("%w: option %d judged by weight %d, option 0 by %d", ErrVote, o, sum, total)
		}
		total = sum
	}
	r := &Result{Method: MajorityJudgment, Options: slices.Clone(options), Weight: total}
	cp := make([][]int64, len(profiles))
	for o := range profiles {
		cp[o] = slices.Clone(profiles[o])
	}
	mjRank(r, cp)
	r.Winners = slices.Clone(r.Ranking[0])
	return r, nil
}

// mjRank ranks merit profiles by majority judgment.
//
// The majority grade of an option judged by total weight W is the lower
// middle grade: with the judges' grades sorted worst first, the grade at
// position ⌊(W-1)/2⌋ (0-based), that is the grade g with at least half
// of the weight at g or below and more than half at g or above. For an
// even W it is the lower of the two middle grades, the convention of
// Balinski and Laraki and of Mieux Voter (Belenios takes the upper one).
//
// Options with the same majority grade are compared by removing one
// middle grade from each, again and again, until their middle grades
// differ: the option with the better middle grade at the first difference
// ranks first; options whose whole sequences agree are tied. The
// sequence of middle grades removed is, from the middle of the sorted
// grades outwards, lower side first: for even W positions m-1, m, m-2,
// m+1, ... with m = W/2; for odd W positions m, m-1, m+1, m-2, ... with
// m = (W-1)/2. Weights can be large, so the comparison walks runs of equal
// grades rather than single judges: O(grades) per comparison.
func mjRank(r *Result, profiles [][]int64) {
	n := len(profiles)
	cums := make([][]int64, n)
	var w int64
	for o, p := range profiles {
		c := make([]int64, len(p))
		var sum int64
		for g, x := range p {
			sum += x
			c[g] = sum
		}
		cums[o] = c
		w = sum
	}
	grades := make([]int, n)
	order := make([]int, n)
	for o := range order {
		order[o] = o
		if w > 0 {
			grades[o] = gradeAt(cums[o], (w-1)/2)
		}
	}
	cmp := func(a, b int) int {
		c, _, _, _ := mjCompare(cums[a], cums[b], w)
		return c
	}
	slices.SortStableFunc(order, cmp)
	r.Profiles = profiles
	r.MajorityGrades = grades
	r.Ranking = groupSorted(order, func(a, b int) bool { return cmp(a, b) == 0 })

	for _, group := range r.Ranking {
		for _, o := range group {
			g := grades[o]
			var below int64
			if g > 0 {
				below = cums[o][g-1]
			}
			r.Why = append(r.Why, Fact{Kind: FactMajorityGrade, Option: o, Other: -1, Grade: g,
				For: w - cums[o][g], Against: below, Total: w})
		}
	}
	if len(r.Ranking[0]) > 1 {
		top := r.Ranking[0]
		r.Why = append(r.Why, Fact{Kind: FactTie, Option: top[0], Other: -1, Options: slices.Clone(top)})
	}
	for i := 0; i+1 < len(r.Ranking); i++ {
		a, b := r.Ranking[i][0], r.Ranking[i+1][0]
		if grades[a] != grades[b] {
			continue
		}
		_, step, ga, gb := mjCompare(cums[a], cums[b], w)
		r.Why = append(r.Why, Fact{Kind: FactTieBreak, Option: a, Other: b, Grade: grades[a], Step: step,
			For: int64(ga), Against: int64(gb)})
	}
}

// gradeAt is the grade at position p (0-based) of the judges' grades
// sorted worst first, given the cumulative profile.
func gradeAt(cum []int64, p int64) int {
	for g, c := range cum {
		if c > p {
			return g
		}
	}
	return len(cum) - 1
}

// runStart is the first position holding grade g.
func runStart(cum []int64, g int) int64 {
	if g == 0 {
		return 0
	}
	return cum[g-1]
}

// mjCompare compares two options by their sequences of middle grades
// (see mjRank): -1 when a ranks first, 1 when b does, 0 when tied; with
// the number of middle grades removed before the first difference and the
// two grades found there.
func mjCompare(ca, cb []int64, w int64) (cmp, step, ga, gb int) {
	if w == 0 {
		return 0, 0, 0, 0
	}
	better := func(x, y int) int {
		if x > y {
			return -1
		}
		return 1
	}
	m := w / 2
	lowStart, highStart := m-1, m
	t := int64(0) // sequence index of the low element of pair s = 0
	if w%2 == 1 {
		x, y := gradeAt(ca, m), gradeAt(cb, m)
		if x != y {
			return better(x, y), 0, x, y
		}
		highStart = m + 1
		t = 1
	}
	for s := int64(0); s < m; {
		lo, hi := lowStart-s, highStart+s
		la, lb := gradeAt(ca, lo), gradeAt(cb, lo)
		if la != lb {
			return better(la, lb), int(min(t+2*s, 1<<30)), la, lb
		}
		ha, hb := gradeAt(ca, hi), gradeAt(cb, hi)
		if ha != hb {
			return better(ha, hb), int(min(t+2*s+1, 1<<30)), ha, hb
		}
		// Both sequences stay the same until one of the four runs ends.
		adv := min(lo-runStart(ca, la)+1, lo-runStart(cb, lb)+1, ca[ha]-hi, cb[hb]-hi)
		s += adv
	}
	return 0, 0, 0, 0
}
