package meeting

// roomRoutes registers the room's tools: questions, pros and cons,
// temperature checks.
func (s *Service) roomRoutes() {}

// roomState is what the room part keeps in memory.
type roomState struct{}
