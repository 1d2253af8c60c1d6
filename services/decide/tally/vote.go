package tally

import (
	"errors"
	"fmt"
	"math/bits"
)

// Kind is the shape of a vote's ballots.
type Kind string

// The kinds of vote. Each names the Ballot fields it uses.
const (
	// Ranked ballots: Ballot.Ranking, groups of tied options, best first;
	// options left out are tied last.
	Ranked Kind = "ranked"
	// Graded ballots: Ballot.Grades, one grade per option, 0 (worst) ..
	// len(Vote.Grades)-1 (best), or NoGrade.
	Graded Kind = "graded"
	// Approval ballots: Ballot.Approved, a set of options.
	Approval Kind = "approval"
	// Score ballots: Ballot.Points, one score per option in 0..Vote.MaxScore.
	Score Kind = "score"
	// Dot voting: Ballot.Points, points per option, at most Vote.Points in
	// all and Vote.MaxPerOption on one option.
	Dots Kind = "dots"
	// Single choice: Ballot.Choice, one option or Blank.
	Single Kind = "single"
	// Yes/no/abstain: Ballot.Choice is Yes, No or Abstain; Vote.Options
	// holds the three labels in that order.
	YesNo Kind = "yesno"
	// Date poll: Ballot.Grades, one answer per date (option): DateNo,
	// DateIfNeedBe, DateYes, or NoGrade for no answer.
	DatePoll Kind = "dates"
)

// Choices of a yes/no/abstain ballot (Ballot.Choice), also the indexes of
// their labels in Vote.Options.
const (
	Yes     = 0
	No      = 1
	Abstain = 2
)

// Answers of a date poll (Ballot.Grades), worst to best.
const (
	DateNo       = 0
	DateIfNeedBe = 1
	DateYes      = 2
)

// NoGrade in Ballot.Grades: the voter gave this option no grade (graded) or
// no answer (date poll). Majority judgment counts it as the worst grade, so
// every option is judged by the same voters (Mieux Voter does the same);
// Result.NoGrade reports how much weight that was.
const NoGrade = -1

// Blank in Ballot.Choice: a single-choice ballot for no option. It counts in
// Result.Blank and for nobody.
const Blank = -1

// Limits on the work one count may do. A vote or ballot beyond them is
// refused, so a count costs at most O(ballots × MaxOptions²) plus
// O(MaxOptions³) for strongest paths, with no recursion on input.
const (
	// MaxOptions bounds every vote's options. The pairwise methods keep
	// sets of options in a uint64, hence 64.
	MaxOptions = 64
	// MaxGrades bounds a graded vote's scale.
	MaxGrades = 32
	// MaxWeight bounds one ballot's weight and MaxTotalWeight their sum,
	// so that no table overflows an int64 (score sums, twice a base for
	// two-thirds majorities).
	MaxWeight      = int64(1) << 40
	MaxTotalWeight = int64(1) << 52
	// MaxPoints bounds Vote.MaxScore and Vote.Points: points times the
	// total weight stay below 2^62.
	MaxPoints = int64(1000)
	// MaxNameLen bounds an option's or a grade's name, in bytes.
	MaxNameLen = 1000
)

// Vote describes what ballots fit: the kind, the options and the kind's
// constraints. The zero values of the optional constraints mean "none".
type Vote struct {
	Kind    Kind     `json:"kind"`
	Options []string `json:"options"`
	// Grades names a graded vote's grades, worst first (Graded only), e.g.
	// "to reject", "poor", "fair", "good", "very good", "excellent".
	Grades []string `json:"grades,omitempty"`
	// MinApprovals and MaxApprovals bound how many options an approval
	// ballot approves; MaxApprovals 0 means no maximum. A "none of these"
	// option is an ordinary option: with MinApprovals 1 a voter who likes
	// nothing approves it.
	MinApprovals int `json:"min_approvals,omitempty"`
	MaxApprovals int `json:"max_approvals,omitempty"`
	// MaxScore is the best score of a score vote (scores are 0..MaxScore).
	MaxScore int64 `json:"max_score,omitempty"`
	// Points is how many points a dot-voting voter distributes (at most);
	// MaxPerOption caps the points on one option (0: no cap but Points).
	Points       int64 `json:"points,omitempty"`
	MaxPerOption int64 `json:"max_per_option,omitempty"`
}

// Ballot is one voter's ballot (or several identical ones: Weight is the
// voter's weight, proxies included, or a PrefLib multiplicity). Only the
// fields of the vote's Kind are set; Vote.CheckBallot refuses the others.
//
// Ballot has no JSON tags on purpose: its JSON form depends on its vote
// (a null grade, a required choice), so it goes through EncodeBallot and
// DecodeBallot, or WriteJSON and ReadJSON for whole files.
type Ballot struct {
	Weight int64
	// Ranking: groups of option indexes, best group first; options in one
	// group are tied; options in no group are tied after every group.
	Ranking [][]int
	// Grades: one per option (graded, date poll), NoGrade allowed.
	Grades []int
	// Approved: the approved options (approval), in any order.
	Approved []int
	// Points: one per option (score, dots).
	Points []int64
	// Choice: an option index or Blank (single); Yes, No or Abstain (yesno).
	Choice int
}

// ErrVote is wrapped by every error about a Vote that cannot be counted.
var ErrVote = errors.New("vote does not fit")

// ErrBallot is wrapped by every *BallotError.
var ErrBallot = errors.New("ballot does not fit its vote")

// Problem says what is wrong with a ballot, as a stable code the service
// can turn into a sentence in its own language.
type Problem string

// The problems a ballot can have.
const (
	NegativeWeight   Problem = "negative_weight"    // Value = the weight
	WeightTooLarge   Problem = "weight_too_large"   // Value = the weight, Limit = MaxWeight
	TotalTooLarge    Problem = "total_too_large"    // ballots' weights sum above MaxTotalWeight
	UnknownOption    Problem = "unknown_option"     // Option = the index given
	DuplicateOption  Problem = "duplicate_option"   // Option appears twice (ranking, approvals)
	EmptyGroup       Problem = "empty_group"        // a ranking group with no option
	WrongLength      Problem = "wrong_length"       // Value = length given, Limit = options
	GradeOutOfRange  Problem = "grade_out_of_range" // Option, Value = grade, Limit = highest grade
	TooFewApprovals  Problem = "too_few_approvals"  // Value = count, Limit = MinApprovals
	TooManyApprovals Problem = "too_many_approvals" // Value = count, Limit = MaxApprovals
	ScoreOutOfRange  Problem = "score_out_of_range" // Option, Value = score, Limit = MaxScore
	NegativePoints   Problem = "negative_points"    // Option, Value
	TooManyOnOption  Problem = "too_many_on_option" // Option, Value, Limit = MaxPerOption
	TooManyPoints    Problem = "too_many_points"    // Value = sum, Limit = Points
	UnknownChoice    Problem = "unknown_choice"     // Value = the choice
	FieldOfOtherKind Problem = "field_of_other_kind"
)

// BallotError is a refused ballot: which one (its index in the slice given
// to Count, or -1 when checked alone), the problem, and the numbers that
// say it (see each Problem for which are set; the others are -1).
type BallotError struct {
	Ballot  int
	Problem Problem
	Option  int
	Value   int64
	Limit   int64
}

func (e *BallotError) Error() string {
	var s string
	switch e.Problem {
	case NegativeWeight:
		s = fmt.Sprintf("negative weight %d", e.Value)
	case WeightTooLarge:
		s = fmt.Sprintf("weight %d above the limit %d", e.Value, e.Limit)
	case TotalTooLarge:
		s = fmt.Sprintf("total weight above the limit %d", e.Limit)
	case UnknownOption:
		s = fmt.Sprintf("unknown option %d", e.Option)
	case DuplicateOption:
		s = fmt.Sprintf("option %d given twice", e.Option)
	case EmptyGroup:
		s = fmt.Sprintf("empty group at rank %d", e.Value+1)
	case WrongLength:
		s = fmt.Sprintf("%d values for %d options", e.Value, e.Limit)
	case GradeOutOfRange:
		s = fmt.Sprintf("grade %d for option %d outside 0..%d", e.Value, e.Option, e.Limit)
	case TooFewApprovals:
		s = fmt.Sprintf("%d approvals, at least %d needed", e.Value, e.Limit)
	case TooManyApprovals:
		s = fmt.Sprintf("%d approvals, at most %d allowed", e.Value, e.Limit)
	case ScoreOutOfRange:
		s = fmt.Sprintf("score %d for option %d outside 0..%d", e.Value, e.Option, e.Limit)
	case NegativePoints:
		s = fmt.Sprintf("negative points %d on option %d", e.Value, e.Option)
	case TooManyOnOption:
		s = fmt.Sprintf("%d points on option %d, at most %d allowed", e.Value, e.Option, e.Limit)
	case TooManyPoints:
		s = fmt.Sprintf("%d points in all, at most %d allowed", e.Value, e.Limit)
	case UnknownChoice:
		s = fmt.Sprintf("unknown choice %d", e.Value)
	case FieldOfOtherKind:
		s = "a field of another kind of ballot is set"
	default:
		s = string(e.Problem)
	}
	if e.Ballot >= 0 {
		return fmt.Sprintf("ballot %d: %s", e.Ballot, s)
	}
	return "ballot: " + s
}

func (e *BallotError) Unwrap() error { return ErrBallot }

func bad(p Problem, option int, value, limit int64) *BallotError {
	return &BallotError{Ballot: -1, Problem: p, Option: option, Value: value, Limit: limit}
}

// Validate checks the vote itself: a known kind, 1..MaxOptions options
// (exactly three for yes/no) with distinct names of bounded length, and
// the kind's constraints in range.
func (v *Vote) Validate() error {
	n := len(v.Options)
	switch v.Kind {
	case Ranked, Graded, Approval, Score, Dots, Single, DatePoll:
		if n < 1 || n > MaxOptions {
			return fmt.Errorf("%w: %d options, 1..%d allowed", ErrVote, n, MaxOptions)
		}
	case YesNo:
		if n != 3 {
			return fmt.Errorf("%w: a yes/no vote has 3 options (yes, no, abstain), not %d", ErrVote, n)
		}
	default:
		return fmt.Errorf("%w: unknown kind %q", ErrVote, v.Kind)
	}
	seen := make(map[string]bool, n)
	for i, name := range v.Options {
		if len(name) > MaxNameLen {
			return fmt.Errorf("%w: option %d: name longer than %d bytes", ErrVote, i, MaxNameLen)
		}
		if seen[name] {
			return fmt.Errorf("%w: two options named %q", ErrVote, name)
		}
		seen[name] = true
	}
	if v.Kind == Graded {
		if len(v.Grades) < 2 || len(v.Grades) > MaxGrades {
			return fmt.Errorf("%w: %d grades, 2..%d allowed", ErrVote, len(v.Grades), MaxGrades)
		}
		for i, name := range v.Grades {
			if len(name) > MaxNameLen {
				return fmt.Errorf("%w: grade %d: name longer than %d bytes", ErrVote, i, MaxNameLen)
			}
		}
	} else if len(v.Grades) != 0 {
		return fmt.Errorf("%w: grades are for graded votes only", ErrVote)
	}
	if v.Kind == Approval {
		if v.MinApprovals < 0 || v.MinApprovals > n || v.MaxApprovals < 0 || v.MaxApprovals > n ||
			(v.MaxApprovals > 0 && v.MaxApprovals < v.MinApprovals) {
			return fmt.Errorf("%w: approvals between %d and %d out of %d options", ErrVote, v.MinApprovals, v.MaxApprovals, n)
		}
	} else if v.MinApprovals != 0 || v.MaxApprovals != 0 {
		return fmt.Errorf("%w: approval limits are for approval votes only", ErrVote)
	}
	if v.Kind == Score {
		if v.MaxScore < 1 || v.MaxScore > MaxPoints {
			return fmt.Errorf("%w: best score %d, 1..%d allowed", ErrVote, v.MaxScore, MaxPoints)
		}
	} else if v.MaxScore != 0 {
		return fmt.Errorf("%w: a best score is for score votes only", ErrVote)
	}
	if v.Kind == Dots {
		if v.Points < 1 || v.Points > MaxPoints || v.MaxPerOption < 0 || v.MaxPerOption > v.Points {
			return fmt.Errorf("%w: %d points, %d at most per option: 1..%d points allowed", ErrVote, v.Points, v.MaxPerOption, MaxPoints)
		}
	} else if v.Points != 0 || v.MaxPerOption != 0 {
		return fmt.Errorf("%w: points are for dot votes only", ErrVote)
	}
	return nil
}

// CheckBallot says whether b fits the vote, which must be valid. The error
// is a *BallotError with Ballot -1. It allocates nothing for a ballot that
// fits.
func (v *Vote) CheckBallot(b *Ballot) error {
	if err := v.checkBallot(b); err != nil {
		return err
	}
	return nil
}

func (v *Vote) checkBallot(b *Ballot) *BallotError {
	n := len(v.Options)
	if b.Weight < 0 {
		return bad(NegativeWeight, -1, b.Weight, 0)
	}
	if b.Weight > MaxWeight {
		return bad(WeightTooLarge, -1, b.Weight, MaxWeight)
	}
	other := func(ranking, grades, approved, points, choice bool) *BallotError {
		if (!ranking && b.Ranking != nil) || (!grades && b.Grades != nil) || (!approved && b.Approved != nil) ||
			(!points && b.Points != nil) || (!choice && b.Choice != 0) {
			return bad(FieldOfOtherKind, -1, -1, -1)
		}
		return nil
	}
	switch v.Kind {
	case Ranked:
		if e := other(true, false, false, false, false); e != nil {
			return e
		}
		var seen uint64
		for g, group := range b.Ranking {
			if len(group) == 0 {
				return bad(EmptyGroup, -1, int64(g), -1)
			}
			for _, o := range group {
				if o < 0 || o >= n {
					return bad(UnknownOption, o, -1, -1)
				}
				if seen&(1<<o) != 0 {
					return bad(DuplicateOption, o, -1, -1)
				}
				seen |= 1 << o
			}
		}
	case Graded, DatePoll:
		if e := other(false, true, false, false, false); e != nil {
			return e
		}
		if len(b.Grades) != n {
			return bad(WrongLength, -1, int64(len(b.Grades)), int64(n))
		}
		top := len(v.Grades) - 1
		if v.Kind == DatePoll {
			top = DateYes
		}
		for o, g := range b.Grades {
			if g != NoGrade && (g < 0 || g > top) {
				return bad(GradeOutOfRange, o, int64(g), int64(top))
			}
		}
	case Approval:
		if e := other(false, false, true, false, false); e != nil {
			return e
		}
		var seen uint64
		for _, o := range b.Approved {
			if o < 0 || o >= n {
				return bad(UnknownOption, o, -1, -1)
			}
			if seen&(1<<o) != 0 {
				return bad(DuplicateOption, o, -1, -1)
			}
			seen |= 1 << o
		}
		count := int64(bits.OnesCount64(seen))
		if count < int64(v.MinApprovals) {
			return bad(TooFewApprovals, -1, count, int64(v.MinApprovals))
		}
		if v.MaxApprovals > 0 && count > int64(v.MaxApprovals) {
			return bad(TooManyApprovals, -1, count, int64(v.MaxApprovals))
		}
	case Score:
		if e := other(false, false, false, true, false); e != nil {
			return e
		}
		if len(b.Points) != n {
			return bad(WrongLength, -1, int64(len(b.Points)), int64(n))
		}
		for o, p := range b.Points {
			if p < 0 || p > v.MaxScore {
				return bad(ScoreOutOfRange, o, p, v.MaxScore)
			}
		}
	case Dots:
		if e := other(false, false, false, true, false); e != nil {
			return e
		}
		if len(b.Points) != n {
			return bad(WrongLength, -1, int64(len(b.Points)), int64(n))
		}
		cap := v.MaxPerOption
		if cap == 0 {
			cap = v.Points
		}
		var sum int64
		for o, p := range b.Points {
			if p < 0 {
				return bad(NegativePoints, o, p, 0)
			}
			if p > cap {
				return bad(TooManyOnOption, o, p, cap)
			}
			sum += p // each p ≤ MaxPoints, n ≤ 64: no overflow
		}
		if sum > v.Points {
			return bad(TooManyPoints, -1, sum, v.Points)
		}
	case Single:
		if e := other(false, false, false, false, true); e != nil {
			return e
		}
		if b.Choice != Blank && (b.Choice < 0 || b.Choice >= n) {
			return bad(UnknownChoice, -1, int64(b.Choice), int64(n-1))
		}
	case YesNo:
		if e := other(false, false, false, false, true); e != nil {
			return e
		}
		if b.Choice < Yes || b.Choice > Abstain {
			return bad(UnknownChoice, -1, int64(b.Choice), Abstain)
		}
	}
	return nil
}

// CheckBallots checks every ballot and their total weight; the error names
// the first ballot that does not fit (BallotError.Ballot).
func (v *Vote) CheckBallots(ballots []Ballot) error {
	if err := v.Validate(); err != nil {
		return err
	}
	var total int64
	for i := range ballots {
		if e := v.checkBallot(&ballots[i]); e != nil {
			e.Ballot = i
			return e
		}
		total += ballots[i].Weight // each ≤ 2^40, checked against 2^52 at every step
		if total > MaxTotalWeight {
			return &BallotError{Ballot: i, Problem: TotalTooLarge, Option: -1, Value: -1, Limit: MaxTotalWeight}
		}
	}
	return nil
}
