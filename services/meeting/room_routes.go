package meeting

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/coopbox/coopbox/services/locale"
	"github.com/coopbox/coopbox/services/page"
	"github.com/coopbox/coopbox/services/person"
)

// roomRoutes registers the room's tools: questions, pros and cons,
// temperature checks (PROTOCOL.md, "The room"). Their pages are parts of
// the core's pages (web/room_panels.html); here is their API. Every write
// goes through the box's per-address limit, and questions and arguments
// also through a per-person one.
func (s *Service) roomRoutes() {
	s.room = &roomState{
		questions: newPersonLimit(5, time.Minute),
		arguments: newPersonLimit(10, time.Minute),
	}
	join := func(h http.HandlerFunc) http.Handler { return page.ParticipantsOnly(h) }
	write := func(h http.HandlerFunc) http.Handler { return page.ParticipantsOnly(s.opts.Limit(h)) }
	fac := func(h http.HandlerFunc) http.Handler { return page.FacilitatorsOnly(s.opts.Limit(h)) }
	const m = "/api/meeting/m/{id}"
	s.mux.Handle("GET "+m+"/room", join(s.apiRoom))
	s.mux.Handle("POST "+m+"/room/settings", fac(s.apiRoomSettings))
	s.mux.Handle("POST "+m+"/questions", write(s.apiAsk))
	s.mux.Handle("POST "+m+"/questions/{qid}/text", write(s.apiEditQuestion))
	s.mux.Handle("POST "+m+"/questions/{qid}/withdraw", write(s.apiWithdrawQuestion))
	s.mux.Handle("POST "+m+"/questions/{qid}/vote", write(s.apiVoteQuestion))
	s.mux.Handle("POST "+m+"/questions/{qid}/moderate", fac(s.apiModerateQuestion))
	s.mux.Handle("POST "+m+"/proposals", fac(s.apiPropose))
	s.mux.Handle("POST "+m+"/proposals/{pid}/arguments", write(s.apiArgue))
	s.mux.Handle("POST "+m+"/arguments/{aid}/support", write(s.apiSupport))
	s.mux.Handle("POST "+m+"/arguments/{aid}/withdraw", write(s.apiWithdrawArgument))
	s.mux.Handle("POST "+m+"/arguments/{aid}/moderate", fac(s.apiModerateArgument))
	s.mux.Handle("POST "+m+"/checks", fac(s.apiOpenCheck))
	s.mux.Handle("POST "+m+"/checks/{cid}/close", fac(s.apiCloseCheck))
	s.mux.Handle("POST "+m+"/checks/{cid}/answer", write(s.apiAnswer))
}

// roomState is what the room part keeps in memory: the per-person limits,
// and one lock held from the start of a change's transaction until its
// events are published, so that streams receive changes in the order they
// were committed (bbolt runs one write transaction at a time anyway).
type roomState struct {
	mu        sync.Mutex
	questions *personLimit
	arguments *personLimit
}

// roomEvents is the room's part of what a new event stream receives first
// (questions, boards, the check shown), as the asker may see it; the
// core's currentState appends it after its own.
//
// Hook for the core: this adds a "room" event to the first ones, so a
// reader of the stream that wants "state" events must skip other names
// (core_test.go's TestEventStreamFirstState and core_load_test.go read the
// next event whatever its name, and fail once this returns one).
func (s *Service) roomEvents(r *http.Request, meetingID string) []page.Event {
	d, err := s.st.loadRoom(meetingID)
	if err != nil {
		s.opts.Log.Error("room state", "meeting", meetingID, "err", err)
		return nil
	}
	ev, err := page.NewEvent("room", roomViewOf(&d, person.FromContext(r.Context())))
	if err != nil {
		return nil
	}
	return []page.Event{ev}
}

// change runs fn on meeting id's room in one transaction, under the room's
// lock, then publishes what fn queued (after the commit, and only then).
func (s *Service) roomChange(id string, fn func(rt *roomTx, publish func(name string, v any)) error) error {
	s.room.mu.Lock()
	defer s.room.mu.Unlock()
	type queued struct {
		name string
		v    any
	}
	var out []queued
	err := s.st.updateRoom(id, func(rt *roomTx) error {
		out = out[:0]
		return fn(rt, func(name string, v any) { out = append(out, queued{name, v}) })
	})
	if err != nil {
		return err
	}
	for _, e := range out {
		s.live.Publish(id, e.name, e.v)
	}
	return nil
}

// pathID reads a record id of the path.
func pathID(r *http.Request, name string) (uint64, error) {
	id, err := strconv.ParseUint(r.PathValue(name), 10, 64)
	if err != nil || id == 0 {
		return 0, errNotFound
	}
	return id, nil
}

// roomWrite is the frame of every write: read the body, decode it, run the
// change, answer status with the reply, or the error.
func (s *Service) roomWrite(w http.ResponseWriter, r *http.Request, status int, fn func(body []byte, me *person.Person) (any, error)) {
	body, err := readRoomBody(r)
	if err == nil {
		var reply any
		if reply, err = fn(body, person.FromContext(r.Context())); err == nil {
			page.JSON(w, status, reply)
			return
		}
	}
	s.roomFail(w, r, err)
}

func (s *Service) apiRoom(w http.ResponseWriter, r *http.Request) {
	d, err := s.st.loadRoom(r.PathValue("id"))
	if err != nil {
		s.roomFail(w, r, err)
		return
	}
	page.JSON(w, http.StatusOK, roomViewOf(&d, person.FromContext(r.Context())))
}

func (s *Service) apiRoomSettings(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.roomWrite(w, r, http.StatusOK, func(body []byte, _ *person.Person) (any, error) {
		set, err := decodeSettings(body)
		if err != nil {
			return nil, err
		}
		return set, s.roomChange(id, func(rt *roomTx, publish func(string, any)) error {
			if set.Board != 0 {
				if _, err := roomGet[Proposal](rt.proposals, set.Board); err != nil {
					return err
				}
			}
			publish("room.settings", set)
			return putJSON(rt.room, keySettings, set)
		})
	})
}

// handleOf returns a new handle and its hash.
func handleOf() (string, []byte) {
	h := page.NewID(16)
	sum := sha256.Sum256([]byte(h))
	return h, sum[:]
}

// mayEdit reports whether me, showing handle, wrote q.
func mayEdit(q *Question, me *person.Person, handle string) bool {
	if q.Anonymous {
		sum := sha256.Sum256([]byte(handle))
		return handle != "" && subtle.ConstantTimeCompare(sum[:], q.Handle) == 1
	}
	return q.AuthorID == me.ID
}

func (s *Service) apiAsk(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.roomWrite(w, r, http.StatusCreated, func(body []byte, me *person.Person) (any, error) {
		in, err := decodeQuestion(body, true)
		if err != nil {
			return nil, err
		}
		if !s.room.questions.allow(me.ID, s.opts.Now()) {
			return nil, roomRefuse(http.StatusTooManyRequests, "slow_down", "room.err.slowQuestions", 5)
		}
		var reply struct {
			Question questionView `json:"question"`
			// Handle, for an anonymous question, is what lets its
			// author edit or withdraw it: given once, never stored.
			Handle string `json:"handle,omitempty"`
		}
		err = s.roomChange(id, func(rt *roomTx, publish func(string, any)) error {
			set, err := rt.settings()
			if err != nil {
				return err
			}
			if in.Anonymous && !set.AnonymousQuestions {
				return roomRefuse(http.StatusForbidden, "no_anonymous", "room.err.noAnonymous")
			}
			if roomCount(rt.questions) >= maxQuestions {
				return roomRefuse(http.StatusConflict, "too_many", "room.err.tooManyQuestions", maxQuestions)
			}
			q := Question{Text: in.Text, Anonymous: in.Anonymous}
			if q.ID, err = rt.next(); err != nil {
				return err
			}
			if in.Anonymous {
				reply.Handle, q.Handle = handleOf()
			} else {
				q.AuthorID, q.AuthorName = me.ID, me.Name
			}
			reply.Question = viewQuestion(&q, true)
			reply.Question.Mine = !q.Anonymous
			publish("question", viewQuestion(&q, false))
			return roomPut(rt.questions, q.ID, q)
		})
		return reply, err
	})
}

// questionChange runs fn on question qid of the request's meeting and
// publishes the question as it ends up.
func (s *Service) questionChange(w http.ResponseWriter, r *http.Request, fn func(q *Question, body []byte, me *person.Person, rt *roomTx) error) {
	id := r.PathValue("id")
	s.roomWrite(w, r, http.StatusOK, func(body []byte, me *person.Person) (any, error) {
		qid, err := pathID(r, "qid")
		if err != nil {
			return nil, err
		}
		var out questionView
		err = s.roomChange(id, func(rt *roomTx, publish func(string, any)) error {
			q, err := roomGet[Question](rt.questions, qid)
			if err != nil {
				return err
			}
			if err := fn(&q, body, me, rt); err != nil {
				return err
			}
			out = viewQuestion(&q, me.IsFacilitator())
			out.Voted = hasIn(q.Voters, me.ID)
			publish("question", viewQuestion(&q, false))
			return roomPut(rt.questions, q.ID, q)
		})
		return out, err
	})
}

func (s *Service) apiEditQuestion(w http.ResponseWriter, r *http.Request) {
	s.questionChange(w, r, func(q *Question, body []byte, me *person.Person, _ *roomTx) error {
		in, err := decodeQuestion(body, true)
		if err != nil {
			return err
		}
		if !mayEdit(q, me, in.Handle) {
			return roomRefuse(http.StatusForbidden, "not_yours", "room.err.notYours")
		}
		if q.MergedInto != 0 || q.Answered {
			return roomRefuse(http.StatusConflict, "frozen", "room.err.frozen")
		}
		q.Text, q.Edited = in.Text, true
		return nil
	})
}

func (s *Service) apiWithdrawQuestion(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.roomWrite(w, r, http.StatusOK, func(body []byte, me *person.Person) (any, error) {
		in, err := decodeQuestion(body, false)
		if err != nil {
			return nil, err
		}
		qid, err := pathID(r, "qid")
		if err != nil {
			return nil, err
		}
		err = s.roomChange(id, func(rt *roomTx, publish func(string, any)) error {
			q, err := roomGet[Question](rt.questions, qid)
			if err != nil {
				return err
			}
			if !mayEdit(&q, me, in.Handle) {
				return roomRefuse(http.StatusForbidden, "not_yours", "room.err.notYours")
			}
			if q.MergedInto != 0 {
				return roomRefuse(http.StatusConflict, "frozen", "room.err.frozen")
			}
			publish("question.gone", map[string]uint64{"id": qid})
			return rt.questions.Delete(roomKey(qid))
		})
		return map[string]uint64{"id": qid}, err
	})
}

func (s *Service) apiVoteQuestion(w http.ResponseWriter, r *http.Request) {
	s.questionChange(w, r, func(q *Question, body []byte, me *person.Person, _ *roomTx) error {
		up, err := decodeUp(body)
		if err != nil {
			return err
		}
		if !q.Shown() {
			return roomRefuse(http.StatusConflict, "not_shown", "room.err.notShown")
		}
		if up {
			q.Voters = addTo(q.Voters, me.ID)
		} else {
			q.Voters = removeFrom(q.Voters, me.ID)
		}
		return nil
	})
}

func (s *Service) apiModerateQuestion(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.roomWrite(w, r, http.StatusOK, func(body []byte, me *person.Person) (any, error) {
		in, err := decodeModerate(body, false)
		if err != nil {
			return nil, err
		}
		qid, err := pathID(r, "qid")
		if err != nil {
			return nil, err
		}
		var out questionView
		err = s.roomChange(id, func(rt *roomTx, publish func(string, any)) error {
			q, err := roomGet[Question](rt.questions, qid)
			if err != nil {
				return err
			}
			if q.MergedInto != 0 {
				return roomRefuse(http.StatusConflict, "frozen", "room.err.frozen")
			}
			switch in.Action {
			case "merge":
				into, err := roomGet[Question](rt.questions, in.Into)
				if err != nil {
					return err
				}
				if err := mergeQuestions(&q, &into); err != nil {
					return err
				}
				publish("question", viewQuestion(&into, false))
				if err := roomPut(rt.questions, into.ID, into); err != nil {
					return err
				}
			case "hide", "show":
				q.Hidden = in.Action == "hide"
			case "answered", "unanswered":
				q.Answered = in.Action == "answered"
			case "pin", "unpin":
				q.Pinned = in.Action == "pin"
			}
			out = viewQuestion(&q, true)
			publish("question", viewQuestion(&q, false))
			return roomPut(rt.questions, q.ID, q)
		})
		return out, err
	})
}

func (s *Service) apiPropose(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.roomWrite(w, r, http.StatusCreated, func(body []byte, _ *person.Person) (any, error) {
		p, err := decodeProposal(body)
		if err != nil {
			return nil, err
		}
		err = s.roomChange(id, func(rt *roomTx, publish func(string, any)) error {
			if roomCount(rt.proposals) >= maxProposals {
				return roomRefuse(http.StatusConflict, "too_many", "room.err.tooManyProposals", maxProposals)
			}
			var err error
			if p.ID, err = rt.next(); err != nil {
				return err
			}
			publish("proposal", p)
			return roomPut(rt.proposals, p.ID, p)
		})
		return p, err
	})
}

func (s *Service) apiArgue(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.roomWrite(w, r, http.StatusCreated, func(body []byte, me *person.Person) (any, error) {
		a, err := decodeArgument(body)
		if err != nil {
			return nil, err
		}
		if a.Proposal, err = pathID(r, "pid"); err != nil {
			return nil, err
		}
		if !s.room.arguments.allow(me.ID, s.opts.Now()) {
			return nil, roomRefuse(http.StatusTooManyRequests, "slow_down", "room.err.slowArguments", 10)
		}
		a.AuthorID, a.AuthorName = me.ID, me.Name
		var out argumentView
		err = s.roomChange(id, func(rt *roomTx, publish func(string, any)) error {
			if _, err := roomGet[Proposal](rt.proposals, a.Proposal); err != nil {
				return err
			}
			n, err := argumentsOf(rt, a.Proposal)
			if err != nil {
				return err
			}
			if n >= maxArguments || roomCount(rt.arguments) >= maxArguments*maxProposals {
				return roomRefuse(http.StatusConflict, "too_many", "room.err.tooManyArguments", maxArguments)
			}
			if a.ID, err = rt.next(); err != nil {
				return err
			}
			out = viewArgument(&a, me)
			publish("argument", viewArgument(&a, nil))
			return roomPut(rt.arguments, a.ID, a)
		})
		return out, err
	})
}

// argumentsOf counts the arguments of a proposal.
func argumentsOf(rt *roomTx, proposal uint64) (int, error) {
	args, err := roomAll[Argument](rt.arguments)
	n := 0
	for _, a := range args {
		if a.Proposal == proposal {
			n++
		}
	}
	return n, err
}

// argumentChange runs fn on argument aid and publishes it as it ends up
// (or its removal when fn returns gone).
func (s *Service) argumentChange(w http.ResponseWriter, r *http.Request, fn func(a *Argument, body []byte, me *person.Person) (gone bool, err error)) {
	id := r.PathValue("id")
	s.roomWrite(w, r, http.StatusOK, func(body []byte, me *person.Person) (any, error) {
		aid, err := pathID(r, "aid")
		if err != nil {
			return nil, err
		}
		var out argumentView
		err = s.roomChange(id, func(rt *roomTx, publish func(string, any)) error {
			a, err := roomGet[Argument](rt.arguments, aid)
			if err != nil {
				return err
			}
			gone, err := fn(&a, body, me)
			if err != nil {
				return err
			}
			out = viewArgument(&a, me)
			if gone {
				publish("argument.gone", map[string]uint64{"id": aid, "proposal": a.Proposal})
				return rt.arguments.Delete(roomKey(aid))
			}
			publish("argument", viewArgument(&a, nil))
			return roomPut(rt.arguments, a.ID, a)
		})
		return out, err
	})
}

func (s *Service) apiSupport(w http.ResponseWriter, r *http.Request) {
	s.argumentChange(w, r, func(a *Argument, body []byte, me *person.Person) (bool, error) {
		up, err := decodeUp(body)
		if err != nil {
			return false, err
		}
		if a.Hidden {
			return false, roomRefuse(http.StatusConflict, "not_shown", "room.err.notShown")
		}
		if up {
			a.Supporters = addTo(a.Supporters, me.ID)
		} else {
			a.Supporters = removeFrom(a.Supporters, me.ID)
		}
		return false, nil
	})
}

func (s *Service) apiWithdrawArgument(w http.ResponseWriter, r *http.Request) {
	s.argumentChange(w, r, func(a *Argument, body []byte, me *person.Person) (bool, error) {
		if err := decodeStrict(body, &struct{}{}); err != nil && len(body) > 0 {
			return false, err
		}
		if a.AuthorID != me.ID {
			return false, roomRefuse(http.StatusForbidden, "not_yours", "room.err.notYours")
		}
		return true, nil
	})
}

func (s *Service) apiModerateArgument(w http.ResponseWriter, r *http.Request) {
	s.argumentChange(w, r, func(a *Argument, body []byte, _ *person.Person) (bool, error) {
		in, err := decodeModerate(body, true)
		if err != nil {
			return false, err
		}
		a.Hidden = in.Action == "hide"
		return false, nil
	})
}

func (s *Service) apiOpenCheck(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.roomWrite(w, r, http.StatusCreated, func(body []byte, _ *person.Person) (any, error) {
		c, err := decodeCheck(body)
		if err != nil {
			return nil, err
		}
		var out checkView
		err = s.roomChange(id, func(rt *roomTx, publish func(string, any)) error {
			checks, err := roomAll[Check](rt.checks)
			if err != nil {
				return err
			}
			if len(checks) >= maxChecks {
				return roomRefuse(http.StatusConflict, "too_many", "room.err.tooManyChecks", maxChecks)
			}
			for _, o := range checks {
				if o.Open {
					return roomRefuse(http.StatusConflict, "check_open", "room.err.checkOpen")
				}
			}
			if c.ID, err = rt.next(); err != nil {
				return err
			}
			out = viewCheck(&c, nil)
			publish("check", out)
			return roomPut(rt.checks, c.ID, c)
		})
		return out, err
	})
}

// checkChange runs fn on check cid and publishes its distribution.
func (s *Service) checkChange(w http.ResponseWriter, r *http.Request, fn func(c *Check, body []byte, me *person.Person) error) {
	id := r.PathValue("id")
	s.roomWrite(w, r, http.StatusOK, func(body []byte, me *person.Person) (any, error) {
		cid, err := pathID(r, "cid")
		if err != nil {
			return nil, err
		}
		var out checkView
		err = s.roomChange(id, func(rt *roomTx, publish func(string, any)) error {
			c, err := roomGet[Check](rt.checks, cid)
			if err != nil {
				return err
			}
			if err := fn(&c, body, me); err != nil {
				return err
			}
			out = viewCheck(&c, me)
			publish("check", viewCheck(&c, nil))
			return roomPut(rt.checks, c.ID, c)
		})
		return out, err
	})
}

func (s *Service) apiCloseCheck(w http.ResponseWriter, r *http.Request) {
	s.checkChange(w, r, func(c *Check, body []byte, _ *person.Person) error {
		if err := decodeStrict(body, &struct{}{}); err != nil && len(body) > 0 {
			return err
		}
		c.Open = false
		return nil
	})
}

func (s *Service) apiAnswer(w http.ResponseWriter, r *http.Request) {
	s.checkChange(w, r, func(c *Check, body []byte, me *person.Person) error {
		v, err := decodeAnswer(body)
		if err != nil {
			return err
		}
		return answerCheck(c, me.ID, v)
	})
}

// personLimit allows each person n actions per window, in memory (a
// restart forgets it: it only slows spam down). Old entries are dropped as
// the map grows, so it holds at most the people active in one window.
type personLimit struct {
	n      int
	window time.Duration
	mu     sync.Mutex
	hits   map[string][]time.Time
}

func newPersonLimit(n int, window time.Duration) *personLimit {
	return &personLimit{n: n, window: window, hits: map[string][]time.Time{}}
}

// allow records an action of who at now, unless who already had n in the
// window before now.
func (l *personLimit) allow(who string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.hits) > 4096 {
		for k, h := range l.hits {
			if len(h) == 0 || now.Sub(h[len(h)-1]) >= l.window {
				delete(l.hits, k)
			}
		}
	}
	h := l.hits[who]
	for len(h) > 0 && now.Sub(h[0]) >= l.window {
		h = h[1:]
	}
	if len(h) >= l.n {
		l.hits[who] = h
		return false
	}
	l.hits[who] = append(h, now)
	return true
}

// roomError is a refusal a person can act on: a status, a machine code and
// a message key of messages_room.json with its arguments.
type roomError struct {
	status int
	code   string
	key    string
	args   []any
}

func (e *roomError) Error() string { return e.code }

func roomRefuse(status int, code, key string, args ...any) *roomError {
	return &roomError{status: status, code: code, key: key, args: args}
}

// roomFail answers err: the one place where the room's errors become HTTP
// statuses. Anything unexpected is logged, and the client gets a plain
// "internal error".
func (s *Service) roomFail(w http.ResponseWriter, r *http.Request, err error) {
	p := s.opts.Catalog.Printer(locale.Choose(r))
	var re *roomError
	status, code, key, args := http.StatusInternalServerError, "internal", "room.err.internal", []any(nil)
	switch {
	case errors.As(err, &re):
		status, code, key, args = re.status, re.code, re.key, re.args
	case errors.Is(err, errNotFound):
		status, code, key = http.StatusNotFound, "not_found", "room.err.notFound"
	case errors.Is(err, errRoomEnded):
		status, code, key = http.StatusConflict, "ended", "room.err.ended"
	case errors.Is(err, errMergeSelf), errors.Is(err, errMerged), errors.Is(err, errMergeHidden):
		status, code, key = http.StatusConflict, "no_merge", "room.err.merge"
	case errors.Is(err, errClosed):
		status, code, key = http.StatusConflict, "check_closed", "room.err.checkClosed"
	case errors.Is(err, errOutOfRange):
		status, code, key = http.StatusUnprocessableEntity, "bad_answer", "room.err.answer"
	default:
		s.opts.Log.Error("meeting room", "err", err)
	}
	page.JSONError(w, status, code, p.T(key, args...))
}
