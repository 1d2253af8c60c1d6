package liquid

import "errors"

// The errors this package returns wrap one of these, so the decide service
// can map them to a message and an HTTP status in one place.
var (
	// ErrInvalid marks a malformed roll, rule or snapshot: an empty or
	// repeated member id, a negative share, a college with no voting member,
	// a delegation with no scope. It is a bug or a bad import, never a state
	// the assembly can reach by its own actions.
	ErrInvalid = errors.New("invalid")
	// ErrUnknownMember marks an id that is not on the roll.
	ErrUnknownMember = errors.New("unknown member")
	// ErrNoVotingRight marks a member without a voting right asked to vote,
	// give or carry a proxy.
	ErrNoVotingRight = errors.New("no voting right")
	// ErrProxyLimit marks a proxy the assembly's rule refuses: the carrier
	// already holds as many as allowed, or the assembly allows none.
	ErrProxyLimit = errors.New("proxy limit")
	// ErrOverflow marks a configuration whose exact integer weights, or
	// their total, would not fit in an int64.
	ErrOverflow = errors.New("weights overflow")
	// ErrSecretDelegation marks delegations handed to a secret vote: a
	// delegate's ballot would show how the delegators' weight went, so
	// delegation applies to open votes only.
	ErrSecretDelegation = errors.New("delegation on a secret vote")
)
