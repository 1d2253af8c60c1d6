package decide

import (
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"github.com/coopbox/coopbox/services/decide/liquid"
	"github.com/coopbox/coopbox/services/page"
)

// Delegations: a member delegates their vote on open votes globally, for a
// topic or for one question, to another member or to nobody (which blocks
// a wider delegation). liquid.Weigh follows them when a vote closes.

type delegationIn struct {
	To      string `json:"to"` // member id; empty: nobody
	Scope   string `json:"scope"`
	Subject string `json:"subject"` // topic or vote id
	// Hours, when set, ends the delegation that many hours from now.
	Hours  int  `json:"hours"`
	Remove bool `json:"remove"`
}

func (s *Service) apiDelegations(w http.ResponseWriter, r *http.Request) {
	aid := r.PathValue("id")
	m, ok := s.member(r, aid)
	if !ok {
		s.voteErr(w, r, errNotMember)
		return
	}
	all, err := s.st.delegations(aid)
	if err != nil {
		s.voteErr(w, r, err)
		return
	}
	out := all[m.ID]
	if out == nil {
		out = []storedDelegation{}
	}
	page.JSON(w, http.StatusOK, out)
}

func (s *Service) apiDelegate(w http.ResponseWriter, r *http.Request) {
	aid := r.PathValue("id")
	m, ok := s.member(r, aid)
	if !ok {
		s.voteErr(w, r, errNotMember)
		return
	}
	data, err := readBody(r)
	if err != nil {
		s.voteErr(w, r, err)
		return
	}
	var in delegationIn
	if err := decodeStrict(data, &in); err != nil {
		s.voteErr(w, r, invalid("expected {\"to\", \"scope\", \"subject\", \"hours\"}"))
		return
	}
	if err := s.delegate(aid, m, in); err != nil {
		s.voteErr(w, r, err)
		return
	}
	page.JSON(w, http.StatusOK, map[string]bool{"ok": true})
}

func (s *Service) delegate(aid string, m Member, in delegationIn) error {
	switch in.Scope {
	case "global":
		in.Subject = ""
	case "topic", "question":
		if in.Subject == "" || len(in.Subject) > 200 {
			return invalid("a %s delegation names its subject", in.Scope)
		}
	default:
		return invalid("scope is global, topic or question")
	}
	if !m.Voting {
		return errNoRights
	}
	if in.To == m.ID {
		in.To = ""
	}
	if in.To != "" {
		ms, err := s.membersOf(aid)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(ms, func(x Member) bool { return x.ID == in.To })
		if i < 0 || !ms[i].Voting {
			return invalid("delegate to a member of the roll with a voting right")
		}
	}
	if in.Hours < 0 || in.Hours > 24*366 {
		return invalid("hours between 0 and a year")
	}
	now := s.opts.Now()
	d := storedDelegation{To: in.To, Scope: in.Scope, Subject: in.Subject, Created: now}
	if in.Hours > 0 {
		d.Expires = now.Add(time.Duration(in.Hours) * time.Hour)
	}
	return s.st.setDelegation(aid, m.ID, d, in.Remove)
}

// mineView is what a member's page shows of their part in a vote.
type mineView struct {
	Ballots []openBallot `json:"ballots,omitempty"` // open votes: theirs, by set
	// Rights and Issued: a secret vote's ballots they may cast, and have
	// received (cards or signatures).
	Rights int64 `json:"rights,omitempty"`
	Issued int64 `json:"issued,omitempty"`
	// Delegate: where their weight goes if the vote closed now.
	Delegate *delegateView `json:"delegate,omitempty"`
}

// delegateView is what a delegator sees: the chain and how the member at
// its end voted.
type delegateView struct {
	Chain  []string        `json:"chain"`
	CastBy string          `json:"castBy,omitempty"`
	Ballot json.RawMessage `json:"ballot,omitempty"`
	Lost   string          `json:"lost,omitempty"`
}

func (s *Service) mine(v Vote, m Member) (mineView, error) {
	var out mineView
	roll, err := s.rollOf(v.AssemblyID)
	if err != nil {
		return out, err
	}
	if v.Secret {
		out.Rights = rights(roll, m.ID)
		issued, err := s.st.issued(v)
		out.Issued = issued[m.ID]
		return out, err
	}
	var byMember map[string]openBallot
	for _, set := range []string{setMain, setObjection} {
		obs, err := s.st.openBallots(v.ID, set)
		if err != nil {
			return out, err
		}
		if set == setMain {
			byMember = map[string]openBallot{}
			for _, ob := range obs {
				byMember[ob.Member] = ob
			}
		}
		for _, ob := range obs {
			if ob.Member == m.ID {
				out.Ballots = append(out.Ballots, ob)
			}
		}
	}
	if !v.Delegation || !m.Voting {
		return out, nil
	}
	if _, voted := byMember[m.ID]; voted {
		return out, nil
	}
	dels, err := s.st.delegations(v.AssemblyID)
	if err != nil {
		return out, err
	}
	snap := roll.Snapshot()
	for from, ds := range dels {
		for _, d := range ds {
			snap.Delegations = append(snap.Delegations, liquid.Delegation{From: liquid.MemberID(from), To: liquid.MemberID(d.To), Scope: scopeOf(d.Scope), Subject: d.Subject, Created: d.Created, Expires: d.Expires})
		}
	}
	for id := range byMember {
		snap.Voters = append(snap.Voters, liquid.MemberID(id))
	}
	snap.Voters = slices.DeleteFunc(snap.Voters, func(id liquid.MemberID) bool {
		return !slices.ContainsFunc(snap.Members, func(w liquid.Weighted) bool { return w.ID == id && w.Voting })
	})
	snap.Question, snap.Topic, snap.Now = v.ID, v.Topic, s.opts.Now()
	lr, err := liquid.Weigh(snap, liquid.Policy{MaxDelegated: v.Settings.DelegationCap, MaxAge: time.Duration(v.Settings.DelegationMaxAgeHours) * time.Hour})
	if err != nil {
		return out, err
	}
	t, err := lr.Trace(liquid.MemberID(m.ID))
	if err != nil || len(t.Chain) < 2 {
		return out, nil
	}
	members, err := s.membersOf(v.AssemblyID)
	if err != nil {
		return out, err
	}
	names := map[string]string{}
	for _, x := range members {
		names[x.ID] = x.Name
	}
	dv := &delegateView{}
	for _, st := range t.Chain {
		dv.Chain = append(dv.Chain, names[string(st.Member)])
	}
	if t.CastBy != "" {
		dv.CastBy = names[string(t.CastBy)]
		dv.Ballot = byMember[string(t.CastBy)].Ballot
	} else {
		dv.Lost = t.Lost.String()
	}
	out.Delegate = dv
	return out, nil
}
