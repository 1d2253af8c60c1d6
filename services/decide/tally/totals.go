package tally

import (
	"fmt"
	"slices"
)

// plurality counts first choices. A ranked ballot counts for the option
// alone in its first group; an empty ranking, or a first group of several
// tied options, counts as blank.
func plurality(r *Result, v Vote, ballots []Ballot) {
	totals := make([]int64, len(v.Options))
	for i := range ballots {
		b := &ballots[i]
		choice := b.Choice
		if v.Kind == Ranked {
			choice = Blank
			if len(b.Ranking) > 0 && len(b.Ranking[0]) == 1 {
				choice = b.Ranking[0][0]
			}
		}
		if choice == Blank {
			r.Blank += b.Weight
			continue
		}
		totals[choice] += b.Weight
	}
	r.Totals = totals
	r.Ranking = rankByTotals(totals)
	mostFacts(r, totals)
}

// approval counts approvals; a graded ballot of two grades approves the
// options it gives the better grade.
func approval(r *Result, v Vote, ballots []Ballot) {
	totals := make([]int64, len(v.Options))
	for i := range ballots {
		b := &ballots[i]
		if v.Kind == Graded {
			for o, g := range b.Grades {
				if g == 1 {
					totals[o] += b.Weight
				}
			}
			continue
		}
		for _, o := range b.Approved {
			totals[o] += b.Weight
		}
	}
	r.Totals = totals
	r.Ranking = rankByTotals(totals)
	mostFacts(r, totals)
}

// score sums points times weight (score and dot voting alike); the average
// of an option is Totals[o] / Weight, for the caller to round.
func score(r *Result, v Vote, ballots []Ballot) {
	totals := make([]int64, len(v.Options))
	for i := range ballots {
		b := &ballots[i]
		for o, p := range b.Points {
			totals[o] += p * b.Weight // sum ≤ MaxPoints × MaxTotalWeight < 2^62
		}
	}
	r.Totals = totals
	r.Averages = make([]float64, len(totals))
	if r.Weight > 0 {
		for o, t := range totals {
			r.Averages[o] = float64(t) / float64(r.Weight)
		}
	}
	r.Ranking = rankByTotals(totals)
	mostFacts(r, totals)
}

// dates ranks dates by how many can come (yes plus if need be), then by
// how many can come gladly (yes); equal on both, they are tied.
func dates(r *Result, v Vote, ballots []Ballot) {
	n := len(v.Options)
	profiles := make([][]int64, n)
	for o := range profiles {
		profiles[o] = make([]int64, 3)
	}
	noAnswer := make([]int64, n)
	for i := range ballots {
		b := &ballots[i]
		for o, g := range b.Grades {
			if g == NoGrade {
				noAnswer[o] += b.Weight
				continue
			}
			profiles[o][g] += b.Weight
		}
	}
	totals := make([]int64, n)
	order := make([]int, n)
	for o := range totals {
		totals[o] = profiles[o][DateYes] + profiles[o][DateIfNeedBe]
		order[o] = o
	}
	better := func(a, b int) int {
		switch {
		case totals[a] != totals[b]:
			if totals[a] > totals[b] {
				return -1
			}
			return 1
		case profiles[a][DateYes] != profiles[b][DateYes]:
			if profiles[a][DateYes] > profiles[b][DateYes] {
				return -1
			}
			return 1
		}
		return 0
	}
	slices.SortStableFunc(order, better)
	r.Totals = totals
	r.Profiles = profiles
	r.NoGrade = noAnswer
	r.Ranking = groupSorted(order, func(a, b int) bool { return better(a, b) == 0 })
	mostFacts(r, totals)
}

// yesNo applies the majority rule. See Rule and Base for the definitions.
func yesNo(r *Result, ballots []Ballot, m Majority) error {
	var t [3]int64
	for i := range ballots {
		t[ballots[i].Choice] += ballots[i].Weight
	}
	d := &Decision{Rule: m.Rule, Base: m.Base, Yes: t[Yes], No: t[No], Abstain: t[Abstain]}
	if d.Rule == "" {
		d.Rule = SimpleMajority
	}
	if d.Base == "" {
		d.Base = Cast
	}
	switch d.Base {
	case Cast:
		d.BaseWeight = d.Yes + d.No
	case Present:
		d.BaseWeight = d.Yes + d.No + d.Abstain
	case Members:
		if m.Members < d.Yes+d.No+d.Abstain || m.Members > MaxTotalWeight {
			return fmt.Errorf("%w: members' weight %d, but %d voted", ErrVote, m.Members, d.Yes+d.No+d.Abstain)
		}
		d.BaseWeight = m.Members
	default:
		return fmt.Errorf("%w: unknown majority base %q", ErrVote, m.Base)
	}
	switch d.Rule {
	case SimpleMajority:
		d.BaseWeight = d.Yes + d.No
		d.Needed = d.No + 1
	case AbsoluteMajority:
		d.Needed = d.BaseWeight/2 + 1
	case TwoThirds:
		d.Needed = (2*d.BaseWeight + 2) / 3
	default:
		return fmt.Errorf("%w: unknown majority rule %q", ErrVote, m.Rule)
	}
	d.Needed = max(d.Needed, 1)
	d.Adopted = d.Yes >= d.Needed
	r.Totals = t[:]
	r.Decision = d
	kind := FactRejected
	r.Ranking = [][]int{{No}, {Yes}}
	if d.Adopted {
		kind = FactAdopted
		r.Ranking = [][]int{{Yes}, {No}}
	}
	r.Why = append(r.Why, Fact{Kind: kind, Option: r.Ranking[0][0], Other: -1, For: d.Yes, Against: d.No,
		Abstain: d.Abstain, Total: d.BaseWeight, Needed: d.Needed})
	return nil
}
