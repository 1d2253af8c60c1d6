package decide

import (
	"fmt"
	"strings"

	"github.com/coopbox/coopbox/services/decide/tally"
)

// why writes the "why this won" sentence of a result, in French or
// English, from tally's facts.
func why(res *storedResult, lang string) string {
	fr := lang == "fr"
	say := func(f, e string, args ...any) string {
		if fr {
			return fmt.Sprintf(f, args...)
		}
		return fmt.Sprintf(e, args...)
	}
	switch res.Outcome {
	case "none":
		return say("Aucun bulletin n'a été compté.", "No ballot was counted.")
	case "consent", "no_consent":
		d := res.Objection.Decision
		if res.Outcome == "consent" {
			return say("Consentement : %d consentent, aucune objection, %d s'abstiennent.", "Consent: %d consent, no objection, %d stand aside.", d.Yes, d.Abstain)
		}
		return say("Pas de consentement : %d objection(s) pour %d consentement(s).", "No consent: %d objection(s) against %d consent(s).", d.No, d.Yes)
	case "elected", "not_elected", "no_proposal":
		if res.Outcome == "no_proposal" {
			return say("Personne n'a été proposé.", "Nobody was proposed.")
		}
		d := res.Objection.Decision
		if res.Outcome == "elected" {
			return say("%s est élu·e : proposé·e après les nominations, sans objection (%d consentements).", "%s is elected: proposed after the nominations, with no objection (%d consents).", res.Proposal, d.Yes)
		}
		return say("%s n'est pas élu·e : %d objection(s).", "%s is not elected: %d objection(s).", res.Proposal, d.No)
	}
	r := res.Tally
	if r == nil {
		return ""
	}
	name := func(o int) string {
		if o >= 0 && o < len(r.Options) {
			return "« " + r.Options[o] + " »"
		}
		return "?"
	}
	if !fr {
		name = func(o int) string {
			if o >= 0 && o < len(r.Options) {
				return "“" + r.Options[o] + "”"
			}
			return "?"
		}
	}
	var parts []string
	for _, f := range r.Why {
		var s string
		switch f.Kind {
		case tally.FactAdopted:
			s = say("Adopté : %d pour, %d contre, %d abstentions ; il fallait au moins %d pour.", "Adopted: %d yes, %d no, %d abstain; at least %d yes were needed.", f.For, f.Against, f.Abstain, f.Needed)
		case tally.FactRejected:
			s = say("Rejeté : %d pour, %d contre, %d abstentions ; il fallait au moins %d pour.", "Rejected: %d yes, %d no, %d abstain; at least %d yes were needed.", f.For, f.Against, f.Abstain, f.Needed)
		case tally.FactMost:
			if f.Other >= 0 {
				s = say("%s arrive en tête avec %d, devant %s avec %d.", "%s comes first with %d, ahead of %s with %d.", name(f.Option), f.For, name(f.Other), f.Against)
			} else {
				s = say("%s arrive en tête avec %d.", "%s comes first with %d.", name(f.Option), f.For)
			}
		case tally.FactTie:
			var ns []string
			for _, o := range f.Options {
				ns = append(ns, name(o))
			}
			s = say("Égalité en tête entre %s.", "A tie for first place between %s.", strings.Join(ns, ", "))
		case tally.FactCondorcet:
			s = say("%s bat chacune des autres options en duel.", "%s beats every other option head to head.", name(f.Option))
		case tally.FactPath:
			s = say("%s l'emporte sur %s par un chemin de force %d contre %d.", "%s beats %s by a path of strength %d against %d.", name(f.Option), name(f.Other), f.For, f.Against)
		case tally.FactLocked:
			if len(parts) < 3 {
				s = say("La paire %s avant %s (%d contre %d) est verrouillée.", "The pair %s over %s (%d to %d) is locked.", name(f.Option), name(f.Other), f.For, f.Against)
			}
		case tally.FactMajority:
			s = say("Au tour %d, %s obtient %d sur %d, plus de la moitié.", "In round %d, %s has %d of %d, more than half.", f.Round+1, name(f.Option), f.For, f.Total)
		case tally.FactLast:
			s = say("Au tour %d, %s reste seule en lice avec %d sur %d.", "In round %d, %s is the last one left with %d of %d.", f.Round+1, name(f.Option), f.For, f.Total)
		case tally.FactMajorityGrade:
			if len(r.Winners) > 0 && f.Option == r.Winners[0] {
				s = say("%s a la meilleure mention majoritaire.", "%s has the best majority grade.", name(f.Option))
			}
		case tally.FactTieBreak:
			if len(r.Winners) > 0 && f.Option == r.Winners[0] {
				s = say("À mention égale avec %s, le départage la place devant.", "Tied on the majority grade with %s, the tie-break puts it ahead.", name(f.Other))
			}
		}
		if s != "" && len(parts) < 4 {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " ")
}
