package decide

import (
	"errors"
	"fmt"
	"slices"
)

// What decide offers the box's other services, through page.Env.Peer: plain
// types only, so that a service asserts them to an interface of its own and
// never imports this package (the meeting's minutes quote resolutions and
// the assembly's presence this way).

// VoteSummary tells a vote's title, its URL on the box, and its outcome as
// lines a person reads in lang ("fr" or "en"): the "why this won" sentence
// and the figures. A vote not closed yet says so; a result hidden until the
// close stays hidden.
func (s *Service) VoteSummary(voteID, lang string) (title, url string, lines []string, err error) {
	v, err := s.st.vote(voteID)
	if err != nil {
		return "", "", nil, fmt.Errorf("vote %s: %w", voteID, err)
	}
	fr := lang == "fr"
	say := func(f, e string, args ...any) string {
		if fr {
			return fmt.Sprintf(f, args...)
		}
		return fmt.Sprintf(e, args...)
	}
	url = "/decide/v/" + v.ID
	if v.State != StateClosed {
		return v.Title, url, []string{say("Vote non clos.", "Vote not closed.")}, nil
	}
	res, _, err := s.st.result(v)
	if err != nil {
		return "", "", nil, fmt.Errorf("result of vote %s: %w", voteID, err)
	}
	if w := why(res, lang); w != "" {
		lines = append(lines, w)
	}
	if v.Secret {
		lines = append(lines, say("Vote à bulletin secret : %d bulletins pour %d droits remis.", "Secret ballot: %d ballots for %d rights handed out.", res.Ballots, res.Issued))
	} else {
		lines = append(lines, say("%d votant·es.", "%d voters.", res.Ballots))
	}
	return v.Title, url, lines, nil
}

// AssemblyPresence tells an assembly's title and its presence as lines in
// lang: members with a voting right, present, represented by proxies, and
// the quorum.
func (s *Service) AssemblyPresence(assemblyID, lang string) (title string, lines []string, err error) {
	a, err := s.st.assembly(assemblyID)
	if err != nil {
		return "", nil, fmt.Errorf("assembly %s: %w", assemblyID, err)
	}
	roll, err := s.rollOf(assemblyID)
	if err != nil {
		return "", nil, fmt.Errorf("roll of %s: %w", assemblyID, err)
	}
	if roll == nil {
		return "", nil, errors.New("no roll")
	}
	q := roll.Quorum()
	fr := lang == "fr"
	say := func(f, e string, args ...any) string {
		if fr {
			return fmt.Sprintf(f, args...)
		}
		return fmt.Sprintf(e, args...)
	}
	lines = []string{
		say("Membres ayant droit de vote : %d.", "Members with a voting right: %d.", q.Voting),
		say("Présent·es : %d ; présent·es ou représenté·es : %d.", "Present: %d; present or represented: %d.", q.Present, q.Represented),
	}
	if q.Required > 0 {
		if q.Met {
			lines = append(lines, say("Quorum atteint (%d requis).", "Quorum met (%d required).", q.Required))
		} else {
			lines = append(lines, say("Quorum non atteint (%d requis).", "Quorum not met (%d required).", q.Required))
		}
	}
	return a.Title, lines, nil
}

// AssemblyVotes lists an assembly's votes, in the order they were created,
// as parallel lists of ids and titles (a meeting's decision item picks one).
func (s *Service) AssemblyVotes(assemblyID string) (ids, titles []string, err error) {
	if _, err := s.st.assembly(assemblyID); err != nil {
		return nil, nil, fmt.Errorf("assembly %s: %w", assemblyID, err)
	}
	votes, err := s.st.votesOf(assemblyID)
	if err != nil {
		return nil, nil, fmt.Errorf("votes of %s: %w", assemblyID, err)
	}
	for _, v := range votes {
		ids = append(ids, v.ID)
		titles = append(titles, v.Title)
	}
	return ids, titles, nil
}

// Assemblies lists the assemblies, most recent first: ids and titles (the
// meeting's creation form offers them).
func (s *Service) Assemblies() (ids, titles []string, err error) {
	all, err := s.st.assemblies()
	if err != nil {
		return nil, nil, fmt.Errorf("assemblies: %w", err)
	}
	slices.SortFunc(all, func(a, b Assembly) int { return b.Created.Compare(a.Created) })
	for _, a := range all {
		if a.Archived {
			continue
		}
		ids = append(ids, a.ID)
		titles = append(titles, a.Title)
	}
	return ids, titles, nil
}
