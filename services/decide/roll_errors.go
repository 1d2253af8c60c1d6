package decide

import (
	"errors"
	"net/http"

	"github.com/coopbox/coopbox/services/decide/liquid"
	"github.com/coopbox/coopbox/services/locale"
	"github.com/coopbox/coopbox/services/page"
)

var (
	errLinkUsed = errors.New("link already used")
	// errNoVoter: the roll has no member with a voting right yet.
	errNoVoter = errors.New("no member with a voting right")
)

// userError is a refusal a person can act on: an HTTP status, a machine
// code and a message key of messages_roll.json with its arguments.
type userError struct {
	status int
	code   string
	key    string
	args   []any
}

func (e *userError) Error() string { return e.code }

func refuse(status int, code, key string, args ...any) *userError {
	return &userError{status: status, code: code, key: key, args: args}
}

// explain maps an error of the roll part to what the client is told: the
// one place where errors become HTTP statuses. Anything unexpected is
// logged, and the client gets a plain "internal error".
func (s *Service) explain(p *locale.Printer, err error) (status int, code, msg string) {
	var ue *userError
	switch {
	case errors.As(err, &ue):
		return ue.status, ue.code, p.T(ue.key, ue.args...)
	case errors.Is(err, errNotFound):
		return http.StatusNotFound, "not_found", p.T("roll.err.notFound")
	case errors.Is(err, errLinkUsed):
		return http.StatusGone, "link_used", p.T("roll.err.linkUsed")
	case errors.Is(err, errNoVoter):
		return http.StatusConflict, "no_voter", p.T("roll.err.noVoter")
	case errors.Is(err, liquid.ErrProxyLimit):
		return http.StatusConflict, "proxy_limit", p.T("roll.err.proxyLimit")
	case errors.Is(err, liquid.ErrNoVotingRight):
		return http.StatusConflict, "no_voting_right", p.T("roll.err.noVotingRight")
	case errors.Is(err, liquid.ErrUnknownMember):
		return http.StatusNotFound, "not_found", p.T("roll.err.notFound")
	case errors.Is(err, liquid.ErrOverflow):
		return http.StatusUnprocessableEntity, "weights_overflow", p.T("roll.err.overflow")
	case errors.Is(err, liquid.ErrInvalid):
		return http.StatusConflict, "roll_invalid", p.T("roll.err.invalid", err.Error())
	}
	s.opts.Log.Error("decide roll", "err", err)
	return http.StatusInternalServerError, "internal", p.T("roll.err.internal")
}

// fail answers err as JSON.
func (s *Service) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, code, msg := s.explain(s.printer(r), err)
	page.JSONError(w, status, code, msg)
}

func (s *Service) printer(r *http.Request) *locale.Printer {
	return s.opts.Catalog.Printer(locale.Choose(r))
}
