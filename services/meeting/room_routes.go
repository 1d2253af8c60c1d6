package meeting

import (
	"net/http"

	"github.com/coopbox/coopbox/services/page"
)

// roomRoutes registers the room's tools: questions, pros and cons,
// temperature checks.
func (s *Service) roomRoutes() {}

// roomState is what the room part keeps in memory.
type roomState struct{}

// roomEvents is the room's part of what a new event stream receives first
// (questions, boards, the check shown), as the asker may see it; the
// core's currentState appends it after its own.
func (s *Service) roomEvents(r *http.Request, meetingID string) []page.Event { return nil }
