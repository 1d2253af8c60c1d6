// Package person says who is asking. The appliance's session middleware puts
// a *Person into every request's context; services read it with FromContext
// and decide what that person may do. Services never trust the browser for
// this: the person comes from a server-side session.
package person

import "context"

// Role is what a person may do on the box.
type Role int

const (
	// Anonymous has not picked a name yet: only public pages.
	Anonymous Role = iota
	// Participant picked a display name: pads, calls, joining votes.
	Participant
	// Facilitator signed in with a passphrase: creates and closes spaces,
	// moderates, runs votes, backs up.
	Facilitator
)

func (r Role) String() string {
	switch r {
	case Participant:
		return "participant"
	case Facilitator:
		return "facilitator"
	}
	return "anonymous"
}

// Person is the one asking, as the server knows them.
type Person struct {
	// ID is stable for the life of the session (a participant) or of the
	// account (a facilitator).
	ID string
	// Name is the display name they chose.
	Name string
	// Color is a CSS colour (#rrggbb) for carets and avatars.
	Color string
	Role  Role
}

// IsFacilitator reports whether p may run the box.
func (p *Person) IsFacilitator() bool { return p != nil && p.Role == Facilitator }

// IsParticipant reports whether p has at least joined (named themselves).
func (p *Person) IsParticipant() bool { return p != nil && p.Role >= Participant }

type ctxKey struct{}

// NewContext returns ctx carrying p.
func NewContext(ctx context.Context, p *Person) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the person of ctx, or an anonymous one.
func FromContext(ctx context.Context) *Person {
	if p, ok := ctx.Value(ctxKey{}).(*Person); ok && p != nil {
		return p
	}
	return &Person{Role: Anonymous}
}
