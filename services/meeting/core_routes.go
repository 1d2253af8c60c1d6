package meeting

import (
	"net/http"

	"github.com/coopbox/coopbox/services/page"
)

// coreRoutes registers the facilitators' tools: meetings, the agenda, the
// speakers' queue, the projector and the minutes.
func (s *Service) coreRoutes() {}

// coreState is what the core part keeps in memory.
type coreState struct{}

// currentState is what a new event stream receives first: the meeting's
// state as the asker may see it (the core's, then the room's).
func (s *Service) currentState(r *http.Request, meetingID string) []page.Event {
	var out []page.Event
	return append(out, s.roomEvents(r, meetingID)...)
}
