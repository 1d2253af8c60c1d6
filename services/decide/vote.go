package decide

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/coopbox/coopbox/services/decide/tally"
)

// The vote types a facilitator may create.
const (
	TypeYesNo    = "yesno"
	TypeSingle   = "single"
	TypeApproval = "approval"
	TypeScore    = "score"
	TypeDots     = "dots"
	TypeRanked   = "ranked"
	TypeMJ       = "mj"
	TypeDates    = "dates"
	TypeConsent  = "consent"
	TypeElection = "election"
)

var voteTypes = []string{TypeYesNo, TypeSingle, TypeApproval, TypeScore, TypeDots, TypeRanked, TypeMJ, TypeDates, TypeConsent, TypeElection}

// The phases of a consent round and of an election without candidates, in
// order. Members write notes in the phases of notePhases, cast ballots in
// those of ballotPhases.
var phases = map[string][]string{
	TypeConsent:  {"questions", "reactions", "objections", "amend", "consent"},
	TypeElection: {"nominate", "change", "propose", "object"},
}

var notePhases = map[string]bool{"questions": true, "reactions": true, "objections": true}

// ballotSet is where a ballot of the phase goes: the vote's main ballots,
// or an election's objection round. "" means no ballot in this phase.
func ballotSet(v *Vote) string {
	switch v.Type {
	case TypeConsent:
		if v.Phase == "consent" {
			return setMain
		}
		return ""
	case TypeElection:
		switch v.Phase {
		case "nominate", "change":
			return setMain
		case "object":
			return setObjection
		}
		return ""
	}
	return setMain
}

const (
	setMain      = "main"
	setObjection = "objection"
)

// Consent ballots (a consent round's last phase, an election's objection
// round) are yes/no ballots whose three answers read differently.
var consentOptions = []string{"consent", "objection", "stand aside"}

// errInvalid wraps what a facilitator or a member sent that cannot be.
var errInvalid = errors.New("invalid")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errInvalid, fmt.Sprintf(format, args...))
}

// check fills in defaults and checks a vote as a facilitator wrote it.
func (v *Vote) check(colleges bool) error {
	v.Title = strings.TrimSpace(v.Title)
	if v.Title == "" || len(v.Title) > 300 {
		return invalid("a vote needs a title of at most 300 bytes")
	}
	if len(v.Text) > 20000 {
		return invalid("the text is longer than 20,000 bytes")
	}
	if !slices.Contains(voteTypes, v.Type) {
		return invalid("unknown vote type %q", v.Type)
	}
	if v.Secret {
		if v.Type == TypeConsent || v.Type == TypeElection {
			return invalid("a consent round or an election without candidates is held openly")
		}
		if colleges {
			return invalid("an assembly with colleges cannot hold a secret vote: weights must be whole ballots")
		}
		// Delegation never applies to a secret vote, and a running count
		// would tell who voted what to whoever watches it change.
		v.Delegation = false
		v.HideResult = true
	}
	if v.Settings.DelegationCap < 0 || v.Settings.DelegationMaxAgeHours < 0 {
		return invalid("the delegation cap and age cannot be negative")
	}
	if ps := phases[v.Type]; ps != nil && v.Phase == "" {
		v.Phase = ps[0]
	}
	switch v.Type {
	case TypeYesNo:
		v.Options = []string{"yes", "no", "abstain"}
	case TypeConsent:
		v.Options = nil
	case TypeElection:
		v.Options = nil
	case TypeMJ:
		if len(v.Settings.Grades) == 0 {
			v.Settings.Grades = []string{"to reject", "poor", "fair", "good", "very good", "excellent"}
		}
	case TypeScore:
		if v.Settings.MaxScore == 0 {
			v.Settings.MaxScore = 5
		}
	case TypeDots:
		if v.Settings.Points == 0 {
			v.Settings.Points = 5
		}
	}
	if v.Type != TypeConsent && v.Type != TypeElection {
		for i := range v.Options {
			v.Options[i] = strings.TrimSpace(v.Options[i])
		}
		if _, err := v.tallyVote(); err != nil {
			return invalid("%v", err)
		}
	}
	if _, err := v.method(); err != nil {
		return invalid("%v", err)
	}
	return nil
}

// tallyVote is what a ballot of the vote's main set must fit. The status
// quo and "none of these" are options like the others, added last.
func (v *Vote) tallyVote() (tally.Vote, error) {
	opts := slices.Clone(v.Options)
	tv := tally.Vote{Options: opts}
	switch v.Type {
	case TypeYesNo:
		tv.Kind = tally.YesNo
	case TypeSingle:
		tv.Kind = tally.Single
	case TypeApproval:
		tv.Kind = tally.Approval
		if v.Settings.NoneOfThese {
			tv.Options = append(tv.Options, "none of these")
		}
		tv.MinApprovals, tv.MaxApprovals = v.Settings.MinApprovals, v.Settings.MaxApprovals
	case TypeScore:
		tv.Kind, tv.MaxScore = tally.Score, v.Settings.MaxScore
	case TypeDots:
		tv.Kind, tv.Points, tv.MaxPerOption = tally.Dots, v.Settings.Points, v.Settings.MaxPerOption
	case TypeRanked:
		tv.Kind = tally.Ranked
		if v.Settings.StatusQuo != "" {
			tv.Options = append(tv.Options, v.Settings.StatusQuo)
		}
	case TypeMJ:
		tv.Kind, tv.Grades = tally.Graded, v.Settings.Grades
	case TypeDates:
		tv.Kind = tally.DatePoll
	case TypeConsent:
		tv.Kind, tv.Options = tally.YesNo, consentOptions
	default:
		return tv, fmt.Errorf("%s has no ballot of its own", v.Type)
	}
	return tv, tv.Validate()
}

// objectionVote is the ballot of a consent: consent, objection, stand aside.
func objectionVote() tally.Vote {
	return tally.Vote{Kind: tally.YesNo, Options: consentOptions}
}

// method is the tally method of the vote's main set.
func (v *Vote) method() (tally.Method, error) {
	switch v.Type {
	case TypeRanked:
		switch m := tally.Method(v.Settings.Method); m {
		case "":
			return tally.Schulze, nil
		case tally.Schulze, tally.RankedPairs, tally.IRV:
			return m, nil
		}
		return "", fmt.Errorf("a ranked vote is counted by schulze, rankedpairs or irv, not %q", v.Settings.Method)
	case TypeConsent, TypeElection:
		return tally.YesNoCount, nil
	}
	tv, err := v.tallyVote()
	if err != nil {
		return "", err
	}
	return tally.DefaultMethod(tv.Kind), nil
}

// majority is a yes/no vote's rule; members is the total weight of the
// members with a voting right.
func (v *Vote) majority(members int64) (tally.Majority, error) {
	m := tally.Majority{Rule: tally.Rule(v.Settings.Majority), Base: tally.Base(v.Settings.Base), Members: members}
	if m.Rule == "" {
		m.Rule = tally.SimpleMajority
	}
	if m.Base == "" {
		m.Base = tally.Cast
	}
	switch m.Rule {
	case tally.SimpleMajority, tally.AbsoluteMajority, tally.TwoThirds:
	default:
		return m, invalid("majority %q: simple, absolute or two_thirds", m.Rule)
	}
	switch m.Base {
	case tally.Cast, tally.Present, tally.Members:
	default:
		return m, invalid("base %q: cast, present or members", m.Base)
	}
	return m, nil
}

// nextState says whether a facilitator may move a vote from one state to
// another: draft → open ⇄ paused → closed (open → closed too).
func nextState(from, to string) bool {
	switch from {
	case StateDraft:
		return to == StateOpen
	case StateOpen:
		return to == StatePaused || to == StateClosed
	case StatePaused:
		return to == StateOpen || to == StateClosed
	}
	return false
}
