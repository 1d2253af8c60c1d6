package tally_test

import (
	"errors"
	"fmt"

	"github.com/coopbox/coopbox/services/decide/tally"
)

func ExampleCount() {
	v := tally.Vote{Kind: tally.Ranked, Options: []string{"keep the statutes", "amendment A", "amendment B"}}
	ballots := []tally.Ballot{
		{Weight: 3, Ranking: [][]int{{1}, {0, 2}}}, // A first, the others tied after
		{Weight: 2, Ranking: [][]int{{2}, {0}}},    // B, then keep; A unranked: last
		{Weight: 1, Ranking: [][]int{{0}}},
	}
	r, err := tally.Count(v, ballots, tally.Schulze, tally.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	// A and "keep" tie head to head (3 to 3), but A beats B 3 to 2 and B
	// beats "keep" 2 to 1: A's strongest path to "keep" is 2, none back.
	fmt.Println("winner:", r.Options[r.Winners[0]])
	fmt.Println("d:", r.Pairwise)
	for _, f := range r.Why {
		fmt.Printf("%s %s over %s: %d to %d\n", f.Kind, r.Options[f.Option], r.Options[f.Other], f.For, f.Against)
	}
	// Output:
	// winner: amendment A
	// d: [[0 3 1] [3 0 3] [2 2 0]]
	// path amendment A over keep the statutes: 2 to 0
	// path amendment A over amendment B: 3 to 0
}

func ExampleVote_CheckBallot() {
	v := tally.Vote{Kind: tally.Approval, Options: []string{"Alice", "Bob", "none of these"}, MinApprovals: 1, MaxApprovals: 1}
	err := v.CheckBallot(&tally.Ballot{Weight: 1, Approved: []int{0, 1}})
	var be *tally.BallotError
	if errors.As(err, &be) {
		fmt.Println(be.Problem, be.Value, be.Limit)
		fmt.Println(err)
	}
	// Output:
	// too_many_approvals 2 1
	// ballot: 2 approvals, at most 1 allowed
}
