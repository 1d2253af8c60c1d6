package decide

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/coopbox/coopbox/services/decide/liquid"
	"github.com/coopbox/coopbox/services/page"
	bolt "go.etcd.io/bbolt"
)

// quorumView is the live quorum as the desk, the assembly page and the
// "quorum" event show it. Heads always; weights too, which is what the
// rule counts when Basis is "weight". Counted says whether the rule counts
// the present only or the present and the represented (proxies).
type quorumView struct {
	Rev               uint64 `json:"rev"`
	Basis             string `json:"basis"`   // "members" or "weight"
	Counted           string `json:"counted"` // "present" or "represented"
	Members           int    `json:"members"` // on the roll, with or without a voting right
	Voting            int    `json:"voting"`
	Weight            int64  `json:"weight"`
	Present           int    `json:"present"`
	PresentWeight     int64  `json:"presentWeight"`
	Represented       int    `json:"represented"` // present + counting proxies
	RepresentedWeight int64  `json:"representedWeight"`
	Required          int64  `json:"required"` // heads, or weight; 0: no quorum
	Have              int64  `json:"have"`     // what the rule counts now
	Met               bool   `json:"met"`
	Problem           string `json:"problem,omitempty"` // "roll_invalid": the roll cannot be counted
}

// quorum computes the view; the caller holds e.mu.
func (e *assemblyRoll) quorum() quorumView {
	rules := e.assembly.Rules
	q := quorumView{Rev: e.rev, Members: len(e.members), Basis: "members", Counted: "present"}
	if rules.Quorum.Of == "weight" {
		q.Basis = "weight"
	}
	if rules.Quorum.Represented {
		q.Counted = "represented"
	}
	if errors.Is(e.err, errNoVoter) {
		return q
	}
	if e.roll == nil {
		q.Problem = "roll_invalid"
		return q
	}
	st := e.roll.Quorum()
	q.Voting, q.Weight = st.Voting, st.Weight
	q.Present, q.PresentWeight = st.Present, st.PresentWeight
	q.Represented, q.RepresentedWeight = st.Represented, st.RepresentedWeight
	q.Required = st.Required
	switch {
	case q.Basis == "weight" && rules.Quorum.Represented:
		q.Have = st.RepresentedWeight
	case q.Basis == "weight":
		q.Have = st.PresentWeight
	case rules.Quorum.Represented:
		q.Have = int64(st.Represented)
	default:
		q.Have = int64(st.Present)
	}
	q.Met = q.Have >= q.Required
	return q
}

// rollEvents is what a new event stream of the assembly receives first
// from the roll part: the quorum. The votes part's currentState may add it.
func (s *Service) rollEvents(assemblyID string) []page.Event {
	e, err := s.entry(assemblyID)
	if err != nil {
		return nil
	}
	q := e.quorum()
	e.mu.Unlock()
	ev, err := page.NewEvent("quorum", q)
	if err != nil {
		return nil
	}
	return []page.Event{ev}
}

// deskMember is one line of the desk.
type deskMember struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Key      string   `json:"key"` // the folded name, for search as you type
	College  string   `json:"college,omitempty"`
	Weight   int64    `json:"weight"`
	Voting   bool     `json:"voting"`
	Present  bool     `json:"present"`
	ProxyTo  string   `json:"proxyTo,omitempty"` // the carrier of the proxy the member gave
	Counts   bool     `json:"counts,omitempty"`  // that proxy counts now
	Carrying []string `json:"carrying,omitempty"`
	Link     string   `json:"link"`            // "none", "issued" or "bound"
	Bound    int      `json:"bound,omitempty"` // browsers bound through the link
}

// deskView is the desk's state.
type deskView struct {
	Quorum     quorumView   `json:"quorum"`
	MaxProxies int          `json:"maxProxies"`
	Members    []deskMember `json:"members"`
}

// deskState: GET /api/decide/a/{id}/desk[?q=words] (facilitators): the
// quorum and the members in French collation order, those whose name holds
// every word of q if given (accents and case ignored).
func (s *Service) deskState(w http.ResponseWriter, r *http.Request) {
	v, err := s.desk(r.PathValue("id"), r.URL.Query().Get("q"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page.JSON(w, http.StatusOK, v)
}

func (s *Service) desk(id, q string) (deskView, error) {
	issued, bound, err := s.st.linkStates(id)
	if err != nil {
		return deskView{}, err
	}
	e, err := s.entry(id)
	if err != nil {
		return deskView{}, err
	}
	defer e.mu.Unlock()
	fq := fold(q)
	v := deskView{Quorum: e.quorum(), MaxProxies: e.assembly.Rules.proxyCap(), Members: []deskMember{}}
	for _, i := range e.sorted {
		m, key := e.members[i], e.keys[i]
		if fq != "" && !matches(key, fq) {
			continue
		}
		d := deskMember{ID: m.ID, Name: m.Name, Key: key, College: m.College, Weight: m.Weight, Voting: m.Voting, Link: "none", Bound: bound[m.ID]}
		if issued[m.ID] {
			d.Link = "issued"
		}
		if d.Bound > 0 {
			d.Link = "bound"
		}
		if e.roll != nil {
			mid := liquid.MemberID(m.ID)
			d.Present = e.roll.Present(mid)
			if c, ok := e.roll.ProxyOf(mid); ok {
				d.ProxyTo = string(c)
				d.Counts = !d.Present && e.roll.Present(c)
			}
			for _, g := range e.roll.Carrying(mid) {
				d.Carrying = append(d.Carrying, string(g))
			}
		}
		v.Members = append(v.Members, d)
	}
	return v, nil
}

// changeAnswer is what a change at the desk answers: the new quorum, the
// member changed, every member whose line changed with it (the carriers
// and givers of their proxies, before and after), and the proxy a
// check-in revoked, if any. The desk updates these lines instead of
// reloading the whole roll.
type changeAnswer struct {
	Quorum  quorumView    `json:"quorum"`
	Member  *deskMember   `json:"member,omitempty"`
	Members []deskMember  `json:"members"`
	Revoked *liquid.Proxy `json:"revoked,omitempty"`

	touched []string
}

// touch notes the members whose desk line a change of mid may change: mid,
// the carrier of their proxy and the givers of those they carry. Called
// before the change and, by deskAnswer, after it.
func (ans *changeAnswer) touch(r *liquid.Roll, mid string) {
	ans.touched = append(ans.touched, mid)
	if r == nil {
		return
	}
	if c, ok := r.ProxyOf(liquid.MemberID(mid)); ok {
		ans.touched = append(ans.touched, string(c))
	}
	for _, g := range r.Carrying(liquid.MemberID(mid)) {
		ans.touched = append(ans.touched, string(g))
	}
}

// checkIn stores member mid in or out and, once committed, moves them in
// the roll; the caller runs it inside change. Checking in a member who gave
// a proxy revokes it (liquid.Roll.CheckIn: arriving takes one's vote
// back): the proxy is deleted in the same transaction and returned.
func checkIn(a *bolt.Bucket, e *assemblyRoll, mid string, present bool) (*liquid.Proxy, error) {
	if e.roll == nil {
		return nil, rollProblem(e.err)
	}
	if _, ok := e.index[mid]; !ok {
		return nil, errNotFound
	}
	id := liquid.MemberID(mid)
	if err := setPresent(a, mid, present); err != nil {
		return nil, err
	}
	if !present {
		e.then(func() error { return e.roll.CheckOut(id) })
		return nil, nil
	}
	var revoked *liquid.Proxy
	if c, ok := e.roll.ProxyOf(id); ok && !e.roll.Present(id) {
		revoked = &liquid.Proxy{Giver: id, Carrier: c}
		if err := setProxy(a, mid, ""); err != nil {
			return nil, err
		}
	}
	e.then(func() error {
		_, err := e.roll.CheckIn(id)
		return err
	})
	return revoked, nil
}

// presence: POST /api/decide/a/{id}/presence {"member", "present"}
// (facilitators): tick a member present or not.
func (s *Service) presence(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var in struct {
		Member  string `json:"member"`
		Present bool   `json:"present"`
	}
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	var ans changeAnswer
	err := s.change(id, func(tx *bolt.Tx, a *bolt.Bucket, e *assemblyRoll) error {
		var err error
		ans.touch(e.roll, in.Member)
		ans.Revoked, err = checkIn(a, e, in.Member, in.Present)
		return err
	})
	s.deskAnswer(w, r, id, in.Member, err, &ans)
}

// deskAnswer answers a desk change with the quorum after it and the lines
// it changed.
func (s *Service) deskAnswer(w http.ResponseWriter, r *http.Request, id, mid string, err error, ans *changeAnswer) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.desk(id, "")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ans.Quorum = v.Quorum
	for i := range v.Members {
		if m := &v.Members[i]; m.ID == mid {
			ans.Member = m
			ans.touched = append(append(ans.touched, m.ProxyTo), m.Carrying...)
		}
	}
	ans.Members = []deskMember{}
	for _, m := range v.Members {
		if slices.Contains(ans.touched, m.ID) {
			ans.Members = append(ans.Members, m)
		}
	}
	page.JSON(w, http.StatusOK, ans)
}

// scan: POST /api/decide/a/{id}/scan {"token"} (facilitators): the desk
// read a member's card (the link's QR code, or the address typed): the
// member is checked in. A card whose owner has already bound their phone
// still checks them in; a revoked one does not.
func (s *Service) scan(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var in struct {
		Token string `json:"token"`
	}
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	token := in.Token
	if i := strings.LastIndex(token, "/decide/m/"); i >= 0 {
		token = token[i+len("/decide/m/"):]
	}
	token = strings.TrimSpace(strings.TrimSuffix(token, "/"))
	var ans changeAnswer
	var mid string
	err := s.change(id, func(tx *bolt.Tx, a *bolt.Bucket, e *assemblyRoll) error {
		l, m, err := lookupLink(tx, token)
		if err != nil || l.Assembly != id {
			return refuse(http.StatusNotFound, "unknown_card", "roll.err.unknownCard")
		}
		mid = m.ID
		ans.touch(e.roll, mid)
		ans.Revoked, err = checkIn(a, e, m.ID, true)
		return err
	})
	s.deskAnswer(w, r, id, mid, err, &ans)
}

// proxy: POST /api/decide/a/{id}/proxies {"giver", "carrier"}
// (facilitators): the giver gives their proxy to the carrier, replacing
// any earlier one; an empty carrier withdraws it. The roll applies the
// assembly's cap; the proxy counts while the carrier is present and the
// giver absent.
func (s *Service) proxy(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var in struct {
		Giver   string `json:"giver"`
		Carrier string `json:"carrier"`
	}
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	var ans changeAnswer
	err := s.change(id, func(tx *bolt.Tx, a *bolt.Bucket, e *assemblyRoll) error {
		if e.roll == nil {
			return rollProblem(e.err)
		}
		if _, ok := e.index[in.Giver]; !ok {
			return errNotFound
		}
		ans.touch(e.roll, in.Giver)
		giver, carrier := liquid.MemberID(in.Giver), liquid.MemberID(in.Carrier)
		if in.Carrier == "" {
			e.then(func() error { return e.roll.WithdrawProxy(giver) })
			return setProxy(a, in.Giver, "")
		}
		if _, ok := e.index[in.Carrier]; !ok {
			return errNotFound
		}
		// The roll's rules (the cap, voting rights) decide, on a copy.
		trial, err := e.trial()
		if err != nil {
			return err
		}
		if err := trial.GiveProxy(giver, carrier); err != nil {
			return err
		}
		e.then(func() error { return e.roll.GiveProxy(giver, carrier) })
		return setProxy(a, in.Giver, in.Carrier)
	})
	s.deskAnswer(w, r, id, in.Giver, err, &ans)
}

// rollProblem is the refusal of a change on a roll that cannot be
// counted.
func rollProblem(err error) error {
	if errors.Is(err, errNoVoter) {
		return err
	}
	return refuse(http.StatusConflict, "roll_invalid", "roll.err.cannotCount", err.Error())
}

// quorumAPI: GET /api/decide/a/{id}/quorum (participants): the live
// quorum, numbers only.
func (s *Service) quorumAPI(w http.ResponseWriter, r *http.Request) {
	e, err := s.entry(r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := e.quorum()
	e.mu.Unlock()
	page.JSON(w, http.StatusOK, q)
}

// checkInPage: GET /decide/a/{id}/desk (facilitators): the check-in desk,
// drawn by desk.js from the desk's API.
func (s *Service) checkInPage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	a, err := s.st.assembly(id)
	if err != nil {
		status, _, msg := s.explain(s.printer(r), err)
		http.Error(w, msg, status)
		return
	}
	p := s.printer(r)
	s.render(w, r, http.StatusOK, "desk", struct {
		Assembly Assembly
		Strings  map[string]string
	}{a, scriptStrings(p, deskScriptKeys)})
}
