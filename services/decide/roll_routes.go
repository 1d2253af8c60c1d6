package decide

// rollRoutes registers the routes of assemblies, the roll, the check-in
// desk, proxies, member links and cards.
func (s *Service) rollRoutes() {
	s.mux.HandleFunc("GET /decide/{$}", s.home)
}

// rollState is what the roll part keeps in memory (presence and proxies).
type rollState struct{}
