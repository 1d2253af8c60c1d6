package decide

import "net/http"

// voteRoutes registers the routes of votes, ballots, delegations, results,
// live updates and exports.
func (s *Service) voteRoutes() {}

// voteState is what the vote part keeps in memory.
type voteState struct{}

// currentState is what a new event stream receives first: the assembly's
// state as the asker may see it.
func (s *Service) currentState(r *http.Request, assemblyID string) []event { return nil }
