package meeting

import "time"

// Meeting is one debate or assembly run from the box. The core part adds
// what it needs (agenda state, minutes pad); the room part its settings.
type Meeting struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Place     string    `json:"place,omitempty"`
	Date      string    `json:"date,omitempty"` // as typed: the box's clock may be off
	Lang      string    `json:"lang"`           // the minutes' language: "fr" or "en"
	Created   time.Time `json:"created"`
	CreatedBy string    `json:"createdBy"`
	// AssemblyID links the meeting to an assembly of decide (presence and
	// quorum in the minutes); empty for a debate.
	AssemblyID string `json:"assemblyId,omitempty"`
	Ended      bool   `json:"ended,omitempty"`
	// MinutesPad is the pad the minutes were written into at the end.
	MinutesPad string `json:"minutesPad,omitempty"`
}
