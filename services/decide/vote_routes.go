package decide

// voteRoutes registers the routes of votes, ballots, delegations, results,
// live updates and exports.
func (s *Service) voteRoutes() {}
