package decide

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/coopbox/coopbox/services/decide/tally"
	"github.com/coopbox/coopbox/services/page"
	"github.com/coopbox/coopbox/services/person"
	bolt "go.etcd.io/bbolt"
)

// voteRoutes registers the routes of votes, ballots, delegations, results,
// live updates and exports (PROTOCOL.md, "Votes and ballots API"). The
// ballot and signing routes log neither addresses nor paths.
func (s *Service) voteRoutes() {
	s.votes = newVoteState()
	fac := func(h http.HandlerFunc) http.Handler { return page.FacilitatorsOnly(h) }
	s.mux.Handle("POST /api/decide/a/{id}/votes", fac(s.apiCreateVote))
	s.mux.Handle("PUT /api/decide/votes/{vid}", fac(s.apiEditVote))
	s.mux.Handle("POST /api/decide/votes/{vid}/state", fac(s.apiVoteState))
	s.mux.Handle("POST /api/decide/votes/{vid}/phase", fac(s.apiVotePhase))
	s.mux.Handle("POST /api/decide/votes/{vid}/handed", fac(s.apiHanded))
	s.mux.Handle("GET /decide/v/{vid}/desk", fac(s.deskPage))
	s.mux.Handle("POST /decide/v/{vid}/cards", fac(s.cardsPage))
	s.mux.Handle("GET /decide/a/{id}/votes", fac(s.votesPage))

	s.mux.HandleFunc("GET /api/decide/a/{id}/votes", s.apiListVotes)
	s.mux.HandleFunc("GET /api/decide/votes/{vid}", s.apiGetVote)
	s.mux.HandleFunc("GET /api/decide/votes/{vid}/mine", s.apiMine)
	s.mux.HandleFunc("POST /api/decide/votes/{vid}/ballot", s.apiBallot)
	s.mux.HandleFunc("POST /api/decide/votes/{vid}/notes", s.apiNote)
	s.mux.HandleFunc("POST /api/decide/votes/{vid}/sign", s.apiSign)
	s.mux.HandleFunc("POST /api/decide/votes/{vid}/cast", s.apiCast)
	s.mux.HandleFunc("GET /api/decide/votes/{vid}/receipts/{code}", s.apiReceipt)
	s.mux.HandleFunc("GET /api/decide/votes/{vid}/export/{file}", s.apiExport)
	s.mux.HandleFunc("GET /api/decide/a/{id}/delegations", s.apiDelegations)
	s.mux.HandleFunc("POST /api/decide/a/{id}/delegations", s.apiDelegate)

	s.mux.HandleFunc("GET /decide/v/{vid}", s.votePage)
	s.mux.HandleFunc("GET /decide/v/{vid}/c", s.cardVotePage)
	s.mux.HandleFunc("GET /decide/v/{vid}/result", s.resultPage)
	s.mux.HandleFunc("GET /decide/v/{vid}/projector", s.projectorPage)
	s.mux.HandleFunc("GET /decide/v/{vid}/sheet", s.sheetPage)
	s.mux.HandleFunc("GET /decide/v/{vid}/receipt", s.receiptPage)
	s.mux.HandleFunc("GET /decide/v/{vid}/chart.svg", s.chartSVG)
}

// voteState is what the vote part keeps in memory.
type voteState struct{}

func newVoteState() *voteState { return &voteState{} }

// voteView is a vote as the API shows it: the result only when the asker
// may see it.
type voteView struct {
	Vote
	Ballots int           `json:"ballots"`
	Result  *storedResult `json:"result,omitempty"`
	// Interim is a running count of an open vote whose results are not
	// hidden.
	Interim *storedResult `json:"interim,omitempty"`
}

func (s *Service) view(v Vote, facilitator bool) (voteView, error) {
	vv := voteView{Vote: v}
	var err error
	if vv.Ballots, err = s.st.countBallots(v); err != nil {
		return vv, err
	}
	switch {
	case v.State == StateClosed:
		vv.Result, _, err = s.st.result(v)
	case visible(v, facilitator) && v.State != StateDraft:
		vv.Interim, err = s.interim(v)
	}
	return vv, err
}

// interim counts an open vote as if it closed now, without storing.
func (s *Service) interim(v Vote) (*storedResult, error) {
	roll, err := s.rollOf(v.AssemblyID)
	if err != nil {
		return nil, err
	}
	members, err := s.membersOf(v.AssemblyID)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, m := range members {
		names[m.ID] = m.Name
	}
	var dels map[string][]storedDelegation
	if v.Delegation {
		if dels, err = s.st.delegations(v.AssemblyID); err != nil {
			return nil, err
		}
	}
	var res *storedResult
	err = s.st.db.View(func(tx *bolt.Tx) error {
		a, _ := assemblyBucket(tx, v.AssemblyID, false)
		var err error
		res, _, err = countOpen(a, &v, roll.Snapshot(), roll.Total(), dels, names, s.opts.Now())
		return err
	})
	if res != nil {
		res.Published = nil // receipts are checked once closed
	}
	return res, err
}

// voteErr answers an error of the vote part: the one place errors become
// statuses. The client gets a safe message; unexpected errors are logged
// without address or path.
func (s *Service) voteErr(w http.ResponseWriter, r *http.Request, err error) {
	var be *tally.BallotError
	switch {
	case errors.Is(err, errNotFound):
		page.Error(w, r, http.StatusNotFound, "not_found", "no such vote or assembly")
	case errors.Is(err, errBallot), errors.As(err, &be):
		page.Error(w, r, http.StatusBadRequest, "bad_ballot", err.Error())
	case errors.Is(err, errInvalid):
		page.Error(w, r, http.StatusBadRequest, "invalid", err.Error())
	case errors.Is(err, errState):
		page.Error(w, r, http.StatusConflict, "not_open", "the vote is not open for this")
	case errors.Is(err, errNoBallots):
		page.Error(w, r, http.StatusConflict, "no_ballot_now", "this phase takes no ballot")
	case errors.Is(err, errSpent):
		page.Error(w, r, http.StatusConflict, "token_used", "this ballot token was already used")
	case errors.Is(err, errBadToken):
		page.Error(w, r, http.StatusForbidden, "bad_token", "this ballot token is not valid for this vote")
	case errors.Is(err, errNoRights):
		page.Error(w, r, http.StatusForbidden, "no_rights", "no voting right left for this vote")
	case errors.Is(err, errNotMember):
		page.Error(w, r, http.StatusForbidden, "not_member", "open your member link first")
	case errors.Is(err, errSecretOnly):
		page.Error(w, r, http.StatusConflict, "secret_vote", "this vote is secret: ballots go with a token")
	default:
		s.opts.Log.Error("decide vote", "err", err)
		page.Error(w, r, http.StatusInternalServerError, "internal", "internal error")
	}
}

var (
	errNotMember  = errors.New("not a member")
	errSecretOnly = errors.New("secret vote")
)

// readBody reads a bounded request body.
func readBody(r *http.Request) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBallotBody+1))
	if err != nil {
		return nil, badBallot("cannot read the request")
	}
	if len(data) > maxBallotBody {
		return nil, badBallot("request longer than %d bytes", maxBallotBody)
	}
	return data, nil
}

func (s *Service) apiCreateVote(w http.ResponseWriter, r *http.Request) {
	a, err := s.st.assembly(r.PathValue("id"))
	if err != nil {
		s.voteErr(w, r, err)
		return
	}
	data, err := readBody(r)
	if err != nil {
		s.voteErr(w, r, err)
		return
	}
	var v Vote
	if err := json.Unmarshal(data, &v); err != nil {
		s.voteErr(w, r, invalid("not a vote: %v", err))
		return
	}
	v.ID, v.AssemblyID, v.State, v.Created, v.PublicKey, v.Proposal = page.NewID(9), a.ID, StateDraft, s.opts.Now(), nil, ""
	v.Closed = time.Time{}
	v.Phase = ""
	if err := v.check(len(a.Rules.Colleges) > 0); err != nil {
		s.voteErr(w, r, err)
		return
	}
	if v.Type == TypeYesNo {
		if _, err := v.majority(0); err != nil {
			s.voteErr(w, r, err)
			return
		}
	}
	if err := s.st.createVote(&v); err != nil {
		s.voteErr(w, r, err)
		return
	}
	s.publishVote(v)
	page.JSON(w, http.StatusCreated, v)
}

// apiEditVote changes a draft; once open, only a consent round's text in
// its "amend" phase (the amended proposal).
func (s *Service) apiEditVote(w http.ResponseWriter, r *http.Request) {
	data, err := readBody(r)
	if err != nil {
		s.voteErr(w, r, err)
		return
	}
	var in Vote
	if err := json.Unmarshal(data, &in); err != nil {
		s.voteErr(w, r, invalid("not a vote: %v", err))
		return
	}
	cur, err := s.st.vote(r.PathValue("vid"))
	if err != nil {
		s.voteErr(w, r, err)
		return
	}
	a, err := s.st.assembly(cur.AssemblyID)
	if err != nil {
		s.voteErr(w, r, err)
		return
	}
	v, err := s.st.updateVote(cur.ID, func(_ *bolt.Tx, _ *bolt.Bucket, v *Vote) error {
		switch {
		case v.State == StateDraft:
			in.ID, in.AssemblyID, in.State, in.Seq, in.Created, in.PublicKey, in.Phase, in.Proposal = v.ID, v.AssemblyID, v.State, v.Seq, v.Created, nil, "", ""
			if err := in.check(len(a.Rules.Colleges) > 0); err != nil {
				return err
			}
			*v = in
		case v.Type == TypeConsent && v.Phase == "amend" && v.State != StateClosed:
			if len(in.Text) > 20000 {
				return invalid("the text is longer than 20,000 bytes")
			}
			v.Text = in.Text
		default:
			return errState
		}
		return nil
	})
	if err != nil {
		s.voteErr(w, r, err)
		return
	}
	s.publishVote(v)
	page.JSON(w, http.StatusOK, v)
}

func (s *Service) apiVoteState(w http.ResponseWriter, r *http.Request) {
	var in struct {
		State string `json:"state"`
	}
	data, err := readBody(r)
	if err == nil {
		err = json.Unmarshal(data, &in)
	}
	if err != nil {
		s.voteErr(w, r, invalid("expected {\"state\": …}"))
		return
	}
	v, err := s.setState(r.PathValue("vid"), in.State)
	if err != nil {
		s.voteErr(w, r, err)
		return
	}
	vv, err := s.view(v, true)
	if err != nil {
		s.voteErr(w, r, err)
		return
	}
	page.JSON(w, http.StatusOK, vv)
}

// setState moves a vote along draft → open ⇄ paused → closed.
func (s *Service) setState(id, to string) (Vote, error) {
	cur, err := s.st.vote(id)
	if err != nil {
		return cur, err
	}
	if !nextState(cur.State, to) {
		return cur, invalid("a %s vote cannot become %q", cur.State, to)
	}
	var v Vote
	if to == StateClosed {
		v, err = s.closeVote(id)
	} else {
		v, err = s.st.updateVote(id, func(_ *bolt.Tx, a *bolt.Bucket, v *Vote) error {
			if !nextState(v.State, to) {
				return errState
			}
			if to == StateOpen && v.Secret {
				if err := makeSigningKey(a, v); err != nil {
					return err
				}
			}
			v.State = to
			return nil
		})
	}
	if err != nil {
		return v, err
	}
	s.publishVote(v)
	return v, nil
}

// apiVotePhase moves a consent round or an election to another phase; an
// election's "propose" names the proposed member.
func (s *Service) apiVotePhase(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Phase    string `json:"phase"`
		Proposal string `json:"proposal"`
	}
	data, err := readBody(r)
	if err == nil {
		err = json.Unmarshal(data, &in)
	}
	if err != nil {
		s.voteErr(w, r, invalid("expected {\"phase\": …}"))
		return
	}
	cur, err := s.st.vote(r.PathValue("vid"))
	if err != nil {
		s.voteErr(w, r, err)
		return
	}
	if in.Proposal != "" {
		ms, err := s.membersOf(cur.AssemblyID)
		if err != nil || !slices.ContainsFunc(ms, func(m Member) bool { return m.ID == in.Proposal }) {
			s.voteErr(w, r, invalid("the proposal names a member of the roll"))
			return
		}
	}
	v, err := s.st.updateVote(cur.ID, func(_ *bolt.Tx, _ *bolt.Bucket, v *Vote) error {
		ps := phases[v.Type]
		if ps == nil || v.State == StateClosed {
			return errState
		}
		if !slices.Contains(ps, in.Phase) {
			return invalid("phase %q is not one of %s", in.Phase, strings.Join(ps, ", "))
		}
		if v.Type == TypeElection && in.Phase == "object" && in.Proposal == "" && v.Proposal == "" {
			return invalid("propose someone before the objection round")
		}
		v.Phase = in.Phase
		if in.Proposal != "" {
			v.Proposal = in.Proposal
		}
		return nil
	})
	if err != nil {
		s.voteErr(w, r, err)
		return
	}
	s.publishVote(v)
	page.JSON(w, http.StatusOK, v)
}

func (s *Service) apiListVotes(w http.ResponseWriter, r *http.Request) {
	votes, err := s.st.votesOf(r.PathValue("id"))
	if err != nil {
		s.voteErr(w, r, err)
		return
	}
	fac := person.FromContext(r.Context()).IsFacilitator()
	out := []voteView{}
	for _, v := range votes {
		if v.State == StateDraft && !fac {
			continue
		}
		vv := voteView{Vote: v}
		vv.Ballots, _ = s.st.countBallots(v)
		out = append(out, vv)
	}
	page.JSON(w, http.StatusOK, out)
}

func (s *Service) apiGetVote(w http.ResponseWriter, r *http.Request) {
	v, err := s.st.vote(r.PathValue("vid"))
	fac := person.FromContext(r.Context()).IsFacilitator()
	if err == nil && v.State == StateDraft && !fac {
		err = errNotFound
	}
	if err != nil {
		s.voteErr(w, r, err)
		return
	}
	vv, err := s.view(v, fac)
	if err != nil {
		s.voteErr(w, r, err)
		return
	}
	page.JSON(w, http.StatusOK, vv)
}

// memberOf is the member bound to this browser in the vote's assembly.
func (s *Service) memberOf(r *http.Request, v Vote) (Member, error) {
	m, ok := s.member(r, v.AssemblyID)
	if !ok {
		return m, errNotMember
	}
	return m, nil
}

// apiBallot takes an open vote's ballot from a member's page.
func (s *Service) apiBallot(w http.ResponseWriter, r *http.Request) {
	v, err := s.st.vote(r.PathValue("vid"))
	if err != nil {
		s.voteErr(w, r, err)
		return
	}
	if v.Secret {
		s.voteErr(w, r, errSecretOnly)
		return
	}
	m, err := s.memberOf(r, v)
	if err == nil && !m.Voting {
		err = errNoRights
	}
	if err != nil {
		s.voteErr(w, r, err)
		return
	}
	data, err := readBody(r)
	if err != nil {
		s.voteErr(w, r, err)
		return
	}
	if v.State != StateOpen {
		s.voteErr(w, r, errState)
		return
	}
	var roll []Member
	set, ob, err := decodeOpenBallot(&v, data, func(id string) bool {
		if roll == nil {
			roll, _ = s.membersOf(v.AssemblyID)
		}
		return slices.ContainsFunc(roll, func(m Member) bool { return m.ID == id })
	})
	if err != nil {
		s.voteErr(w, r, err)
		return
	}
	receipt, err := s.st.castOpen(v.ID, m.ID, set, ob)
	if err != nil {
		s.voteErr(w, r, err)
		return
	}
	s.publishParticipation(v)
	page.JSON(w, http.StatusOK, map[string]string{"receipt": receipt})
}

// apiCast takes a secret vote's ballot: a token and a ballot, sent without
// cookies. Nothing of the request is logged.
func (s *Service) apiCast(w http.ResponseWriter, r *http.Request) {
	v, err := s.st.vote(r.PathValue("vid"))
	if err == nil && !v.Secret {
		err = invalid("this vote is open: vote from your member page")
	}
	if err != nil {
		s.voteErr(w, r, err)
		return
	}
	data, err := readBody(r)
	if err != nil {
		s.voteErr(w, r, err)
		return
	}
	token, sig, ballot, err := decodeSecretBallot(&v, data)
	if err != nil {
		s.voteErr(w, r, err)
		return
	}
	receipt, err := s.castSecretBallot(v, token, sig, ballot)
	if err != nil {
		s.voteErr(w, r, err)
		return
	}
	s.publishParticipation(v)
	page.JSON(w, http.StatusOK, map[string]string{"receipt": receipt})
}

// apiSign blind-signs tokens for a member of a secret vote.
func (s *Service) apiSign(w http.ResponseWriter, r *http.Request) {
	v, err := s.st.vote(r.PathValue("vid"))
	if err == nil && (!v.Secret || len(v.PublicKey) == 0) {
		err = errState
	}
	if err != nil {
		s.voteErr(w, r, err)
		return
	}
	m, err := s.memberOf(r, v)
	if err != nil {
		s.voteErr(w, r, err)
		return
	}
	var in struct {
		Blinded []string `json:"blinded"`
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err == nil {
		err = json.Unmarshal(data, &in)
	}
	if err != nil || len(in.Blinded) == 0 || len(in.Blinded) > 100 {
		s.voteErr(w, r, badBallot("expected {\"blinded\": [1 to 100 base64url values]}"))
		return
	}
	blinded := make([][]byte, len(in.Blinded))
	for i, b := range in.Blinded {
		if blinded[i], err = base64.RawURLEncoding.DecodeString(b); err != nil {
			s.voteErr(w, r, badBallot("blinded value %d is not base64url", i))
			return
		}
	}
	sigs, total, err := s.blindSign(v, m.ID, blinded)
	if err != nil {
		s.voteErr(w, r, err)
		return
	}
	out := make([]string, len(sigs))
	for i, sg := range sigs {
		out[i] = base64.RawURLEncoding.EncodeToString(sg)
	}
	page.JSON(w, http.StatusOK, map[string]any{"signatures": out, "issued": total})
}

// apiMine tells a member their ballot, their rights on a secret vote, and
// on an open vote with delegation where their weight goes now: their
// delegate's ballot.
func (s *Service) apiMine(w http.ResponseWriter, r *http.Request) {
	v, m, ok := s.memberVote(w, r)
	if !ok {
		return
	}
	mine, err := s.mine(v, m)
	if err != nil {
		s.voteErr(w, r, err)
		return
	}
	page.JSON(w, http.StatusOK, mine)
}

func (s *Service) apiNote(w http.ResponseWriter, r *http.Request) {
	v, m, ok := s.memberVote(w, r)
	if !ok {
		return
	}
	var in struct {
		Text string `json:"text"`
	}
	data, err := readBody(r)
	if err == nil {
		err = json.Unmarshal(data, &in)
	}
	in.Text = strings.TrimSpace(in.Text)
	if err != nil || in.Text == "" || len(in.Text) > 2000 {
		s.voteErr(w, r, invalid("a note is text of 1 to 2,000 bytes"))
		return
	}
	if err := s.st.addNote(v.ID, note{Member: m.ID, Name: m.Name, Text: in.Text, Time: s.opts.Now()}); err != nil {
		s.voteErr(w, r, err)
		return
	}
	s.publishVote(v)
	page.JSON(w, http.StatusCreated, map[string]bool{"ok": true})
}

// apiHanded records at the desk that a member received cards.
func (s *Service) apiHanded(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Member string `json:"member"`
		Count  int64  `json:"count"`
	}
	data, err := readBody(r)
	if err == nil {
		err = json.Unmarshal(data, &in)
	}
	if err != nil || in.Count < 1 || in.Count > 100 {
		s.voteErr(w, r, invalid("expected {\"member\": id, \"count\": 1 to 100}"))
		return
	}
	v, err := s.st.vote(r.PathValue("vid"))
	if err == nil && !v.Secret {
		err = invalid("cards are for secret votes")
	}
	if err != nil {
		s.voteErr(w, r, err)
		return
	}
	total, err := s.handCards(v, in.Member, in.Count)
	if err != nil {
		s.voteErr(w, r, err)
		return
	}
	page.JSON(w, http.StatusOK, map[string]int64{"issued": total})
}

func (s *Service) handCards(v Vote, memberID string, n int64) (int64, error) {
	roll, err := s.rollOf(v.AssemblyID)
	if err != nil {
		return 0, err
	}
	return s.st.issue(v, memberID, n, rights(roll, memberID))
}

// publishVote tells an assembly's pages that a vote changed.
func (s *Service) publishVote(v Vote) {
	vv, err := s.view(v, false)
	if err != nil {
		return
	}
	vv.Interim = nil // pages fetch the running count, throttled
	s.live.Publish(v.AssemblyID, "vote", vv)
}

// publishParticipation sends the live count of ballots.
func (s *Service) publishParticipation(v Vote) {
	n, err := s.st.countBallots(v)
	if err != nil {
		return
	}
	s.live.Publish(v.AssemblyID, "ballots", map[string]any{"vote": v.ID, "ballots": n})
}

// currentState is what a new event stream receives first: the assembly's
// votes as the asker may see them.
func (s *Service) currentState(r *http.Request, assemblyID string) []page.Event {
	votes, err := s.st.votesOf(assemblyID)
	if err != nil {
		return nil
	}
	fac := person.FromContext(r.Context()).IsFacilitator()
	out := []voteView{}
	for _, v := range votes {
		if v.State == StateDraft && !fac {
			continue
		}
		vv := voteView{Vote: v}
		vv.Ballots, _ = s.st.countBallots(v)
		out = append(out, vv)
	}
	data, err := json.Marshal(out)
	if err != nil {
		return nil
	}
	return []page.Event{{Name: "votes", Data: data}}
}

// memberVote loads the vote of the path and the member asking, bound to its
// assembly; it answers the error itself and returns false when either fails.
func (s *Service) memberVote(w http.ResponseWriter, r *http.Request) (Vote, Member, bool) {
	v, err := s.st.vote(r.PathValue("vid"))
	if err != nil {
		s.voteErr(w, r, err)
		return Vote{}, Member{}, false
	}
	m, err := s.memberOf(r, v)
	if err != nil {
		s.voteErr(w, r, err)
		return Vote{}, Member{}, false
	}
	return v, m, true
}
