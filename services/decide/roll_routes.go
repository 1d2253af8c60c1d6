package decide

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"

	"github.com/coopbox/coopbox/services/decide/liquid"
	"github.com/coopbox/coopbox/services/page"
	bolt "go.etcd.io/bbolt"
)

// rollRoutes registers the routes of assemblies, the roll, the check-in
// desk, proxies, member links and cards (PROTOCOL.md, "Assemblies, roll and
// desk API").
func (s *Service) rollRoutes() {
	s.roll = &rollState{byID: map[string]*assemblyRoll{}}
	fac := func(h http.HandlerFunc) http.Handler { return page.FacilitatorsOnly(h) }
	limit := func(h http.HandlerFunc) http.Handler { return page.FacilitatorsOnly(s.opts.Limit(h)) }

	s.mux.HandleFunc("GET /decide/{$}", s.home)
	s.mux.HandleFunc("GET /decide/a/{id}/{$}", s.assemblyPage)
	s.mux.Handle("GET /decide/a/{id}/roll", fac(s.rollPage))
	s.mux.Handle("GET /decide/a/{id}/desk", fac(s.checkInPage))
	s.mux.Handle("GET /decide/a/{id}/cards", fac(s.cardsForm))
	s.mux.Handle("POST /decide/a/{id}/cards", fac(s.cardsSheet))
	s.mux.HandleFunc("GET /decide/m/{token}", s.linkPage)
	s.mux.Handle("POST /decide/m/{token}", s.opts.Limit(http.HandlerFunc(s.bindLink)))

	// The API; the forms of the pages post to the same handlers, which
	// answer a form with a redirection or the page again with its error.
	s.mux.Handle("POST /api/decide/assemblies", limit(s.createAssembly))
	s.mux.Handle("GET /api/decide/a/{id}", fac(s.getAssembly))
	s.mux.Handle("POST /api/decide/a/{id}/rules", fac(s.putRules))
	s.mux.Handle("GET /api/decide/a/{id}/members", fac(s.listMembers))
	s.mux.Handle("POST /api/decide/a/{id}/members", limit(s.addMember))
	s.mux.Handle("POST /api/decide/a/{id}/members/{mid}", fac(s.editMember))
	s.mux.Handle("DELETE /api/decide/a/{id}/members/{mid}", fac(s.removeMember))
	s.mux.Handle("POST /api/decide/a/{id}/members/{mid}/remove", fac(s.removeMember))
	s.mux.Handle("POST /api/decide/roll-import", limit(s.importRoll))
	s.mux.Handle("GET /api/decide/a/{id}/desk", fac(s.deskState))
	s.mux.Handle("POST /api/decide/a/{id}/presence", fac(s.presence))
	s.mux.Handle("POST /api/decide/a/{id}/scan", fac(s.scan))
	s.mux.Handle("POST /api/decide/a/{id}/proxies", fac(s.proxy))
	s.mux.Handle("POST /api/decide/a/{id}/members/{mid}/link", fac(s.reissueLink))
	s.mux.Handle("GET /api/decide/a/{id}/quorum", page.ParticipantsOnly(http.HandlerFunc(s.quorumAPI)))
}

// rollState keeps, per assembly, the roll as the meeting sees it: members,
// presence and proxies in a liquid.Roll, rebuilt from storage when an
// assembly is first used and after every change of its members or rules.
//
// Locking: mu guards byID only; each assemblyRoll has its own mutex, held
// for the whole of a change (the bbolt transaction included) and for every
// read. Nothing is ever held across two assemblies, and no lock of this
// part is held while calling out of it, so callers hold nothing.
type rollState struct {
	mu   sync.Mutex
	byID map[string]*assemblyRoll
}

// assemblyRoll is one assembly's roll in memory.
type assemblyRoll struct {
	mu       sync.Mutex
	loaded   bool
	assembly Assembly
	members  []Member // in storage order
	index    map[string]int
	// sorted holds the members' indices in French collation order and
	// keys their folded names: computed once per load, as the desk asks
	// for both at every change.
	sorted []int
	keys   []string
	// roll is nil when the roll cannot be counted: err says why (a college
	// with no voting member, weights too large); the desk shows it.
	roll *liquid.Roll
	err  error
	// rev counts the committed changes since loading; the desk refetches
	// when a "quorum" event carries a newer one.
	rev uint64
	// pending is what the change in progress applies once committed.
	pending []func() error
}

// entry returns the assembly's roll, locked and loaded; the caller
// unlocks it.
func (s *Service) entry(id string) (*assemblyRoll, error) {
	s.roll.mu.Lock()
	e := s.roll.byID[id]
	if e == nil {
		e = &assemblyRoll{}
		s.roll.byID[id] = e
	}
	s.roll.mu.Unlock()
	e.mu.Lock()
	if !e.loaded {
		if err := s.load(id, e); err != nil {
			e.mu.Unlock()
			// No entry stays behind for an id that is not an assembly.
			s.roll.mu.Lock()
			if s.roll.byID[id] == e {
				delete(s.roll.byID, id)
			}
			s.roll.mu.Unlock()
			return nil, err
		}
	}
	return e, nil
}

// load rebuilds e from storage: members, then the present checked in, then
// the proxies (checking in a giver revokes their proxy).
func (s *Service) load(id string, e *assemblyRoll) error {
	d, err := s.st.loadRoll(id)
	if err != nil {
		return fmt.Errorf("load roll of %s: %w", id, err)
	}
	e.assembly, e.members, e.roll, e.err = d.assembly, d.members, nil, nil
	e.index = make(map[string]int, len(d.members))
	for i, m := range d.members {
		e.index[m.ID] = i
	}
	e.sorted, e.keys = collationOrder(d.members)
	e.roll, e.err = buildRoll(d.assembly.Rules, d.members, d.present, d.proxies)
	if e.err != nil && !errors.Is(e.err, errNoVoter) {
		s.opts.Log.Warn("roll cannot be counted", "assembly", id, "err", e.err)
	}
	e.loaded = true
	return nil
}

// buildRoll makes a liquid.Roll of members with presence and proxies.
func buildRoll(rules Rules, members []Member, present map[string]bool, proxies [][2]string) (*liquid.Roll, error) {
	lm := make([]liquid.Member, len(members))
	voters := 0
	for i, m := range members {
		lm[i] = m.liquid()
		if m.Voting {
			voters++
		}
	}
	if voters == 0 && len(rules.Colleges) == 0 {
		// liquid weighs no roll without a voter; a roll being typed in
		// starts so, and is no error to show.
		return nil, errNoVoter
	}
	r, err := liquid.NewRoll(lm, rules.liquid())
	if err != nil {
		return nil, err
	}
	for _, m := range members {
		if present[m.ID] {
			if _, err := r.CheckIn(liquid.MemberID(m.ID)); err != nil {
				return nil, err
			}
		}
	}
	for _, p := range proxies {
		// A stored proxy is one the roll accepted; a refusal now means the
		// rules changed under it (a lower cap): it is skipped, not fatal.
		r.GiveProxy(liquid.MemberID(p[0]), liquid.MemberID(p[1]))
	}
	return r, nil
}

// forget drops an assembly's roll from memory: the next use reloads it.
// Called after a change of members or rules, and after a failed commit.
func (e *assemblyRoll) forget() { e.loaded = false }

// change runs a change of assembly id's roll under the assembly's lock:
// fn checks the change against the roll as it is, writes the store in a
// bbolt transaction, and registers with e.then what the in-memory roll
// must do once the transaction is committed; a change of members or rules
// calls e.forget instead, and the roll is rebuilt from storage after the
// commit. An error from fn rolls the transaction back and the roll in
// memory is untouched. So the store always leads: nothing is applied in
// memory, nor published, before it is committed. After a commit the new
// quorum is published ("quorum" event).
func (s *Service) change(id string, fn func(tx *bolt.Tx, a *bolt.Bucket, e *assemblyRoll) error) error {
	e, err := s.entry(id)
	if err != nil {
		return err
	}
	defer e.mu.Unlock()
	e.pending = e.pending[:0]
	err = s.st.db.Update(func(tx *bolt.Tx) error {
		a, _ := assemblyBucket(tx, id, false)
		if a == nil {
			return errNotFound
		}
		return fn(tx, a, e)
	})
	if err != nil {
		e.pending = e.pending[:0]
		return err
	}
	for _, apply := range e.pending {
		if err := apply(); err != nil {
			// The roll refused what its copy accepted: it cannot hold the
			// store's state, so the store is read again.
			s.opts.Log.Error("roll change after commit", "assembly", id, "err", err)
			e.forget()
		}
	}
	e.pending = e.pending[:0]
	e.rev++
	if !e.loaded {
		if err := s.load(id, e); err != nil {
			return err
		}
	}
	s.live.Publish(id, "quorum", e.quorum())
	return nil
}

// then registers what the in-memory roll does once the change in progress
// is committed.
func (e *assemblyRoll) then(apply func() error) { e.pending = append(e.pending, apply) }

// trial returns a copy of the roll, for a change to be tried on before it
// is stored: liquid.Roll says what its rules allow only by doing it.
func (e *assemblyRoll) trial() (*liquid.Roll, error) {
	present := map[string]bool{}
	for _, m := range e.members {
		if e.roll.Present(liquid.MemberID(m.ID)) {
			present[m.ID] = true
		}
	}
	var proxies [][2]string
	for _, p := range e.roll.Proxies() {
		proxies = append(proxies, [2]string{string(p.Giver), string(p.Carrier)})
	}
	return buildRoll(e.assembly.Rules, e.members, present, proxies)
}

// The functions below are what the votes part uses.

// member returns the member bound to this browser for assembly
// assemblyID (the "member" cookie set when a member link was opened), if
// the binding is still current: a re-issued link revokes it.
func (s *Service) member(r *http.Request, assemblyID string) (Member, bool) {
	for _, b := range memberCookies(r) {
		if b.assembly != assemblyID {
			continue
		}
		m, err := s.st.boundMember(assemblyID, b.secret)
		if err == nil {
			return m, true
		}
	}
	return Member{}, false
}

// rollOf returns a copy of assembly assemblyID's live roll (members,
// presence, proxies as committed), loading it if needed. The copy is the
// caller's: changing it changes nothing stored, and it does not follow
// later check-ins. Callers hold nothing; rollOf takes the assembly's lock
// for the time of the copy. An assembly whose roll cannot be counted
// returns that error (see Assembly's rules and liquid.NewRoll).
func (s *Service) rollOf(assemblyID string) (*liquid.Roll, error) {
	e, err := s.entry(assemblyID)
	if err != nil {
		return nil, err
	}
	defer e.mu.Unlock()
	if e.err != nil {
		return nil, e.err
	}
	return e.trial()
}

// withRoll runs fn with assembly assemblyID's live roll under the
// assembly's lock, so that what fn reads (presence, proxies, rights) is not
// changed by the desk meanwhile: for a vote that closes, or rights counted
// at the instant a ballot card is handed out. fn must only read the roll,
// and must not call member, rollOf, membersOf or withRoll (the lock is not
// reentrant). Its error is returned.
func (s *Service) withRoll(assemblyID string, fn func(*liquid.Roll) error) error {
	e, err := s.entry(assemblyID)
	if err != nil {
		return err
	}
	defer e.mu.Unlock()
	if e.err != nil {
		return e.err
	}
	return fn(e.roll)
}

// membersOf returns a copy of assembly assemblyID's members, in storage
// order (sort with sortMembers for people to read). Callers hold nothing.
func (s *Service) membersOf(assemblyID string) ([]Member, error) {
	e, err := s.entry(assemblyID)
	if err != nil {
		return nil, err
	}
	defer e.mu.Unlock()
	return slices.Clone(e.members), nil
}
