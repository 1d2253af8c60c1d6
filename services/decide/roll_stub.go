package decide

// TEMPORARY: the roll part (branch roll) provides member, rollOf and
// membersOf. These stand-ins let the vote part run and be tested on its
// own. When the roll is merged: delete this file and the stub field of
// voteState (vote_routes.go), and drop the build line of
// vote_roll_glue_test.go, which gives the tests stubAssembly, stubCheckIn,
// stubProxy and stubBind through the roll's own code.

import (
	"net/http"
	"strings"
	"sync"

	"github.com/coopbox/coopbox/services/decide/liquid"
	bolt "go.etcd.io/bbolt"
)

// rollStub holds presence and proxies in memory, per assembly.
type rollStub struct {
	mu      sync.Mutex
	present map[string]map[string]bool   // assembly → member → present
	proxies map[string]map[string]string // assembly → giver → carrier
}

func newRollStub() *rollStub {
	return &rollStub{present: map[string]map[string]bool{}, proxies: map[string]map[string]string{}}
}

// stubMemberCookie binds a browser to a member: "<assembly id>.<member id>".
// The real member cookie holds a secret; this one is for tests only.
const stubMemberCookie = "decide_member"

func (s *Service) member(r *http.Request, assemblyID string) (Member, bool) {
	c, err := r.Cookie(stubMemberCookie)
	if err != nil {
		return Member{}, false
	}
	aid, mid, ok := strings.Cut(c.Value, ".")
	if !ok || aid != assemblyID {
		return Member{}, false
	}
	var m Member
	err = s.st.db.View(func(tx *bolt.Tx) error {
		a, _ := assemblyBucket(tx, assemblyID, false)
		if a == nil {
			return errNotFound
		}
		return getJSON(a.Bucket(bucketMembers), []byte(mid), &m)
	})
	return m, err == nil
}

// stubBind is the cookie of a browser bound to a member (tests).
func (s *Service) stubBind(assemblyID, memberID string) (*http.Cookie, error) {
	return &http.Cookie{Name: stubMemberCookie, Value: assemblyID + "." + memberID}, nil
}

func (s *Service) membersOf(assemblyID string) ([]Member, error) { return s.st.members(assemblyID) }

func (s *Service) rollOf(assemblyID string) (*liquid.Roll, error) {
	ms, err := s.st.members(assemblyID)
	if err != nil {
		return nil, err
	}
	a, err := s.st.assembly(assemblyID)
	if err != nil {
		return nil, err
	}
	lm := make([]liquid.Member, len(ms))
	for i, m := range ms {
		lm[i] = m.liquid()
	}
	var colleges []liquid.College
	for _, c := range a.Rules.Colleges {
		colleges = append(colleges, liquid.College{Name: c.Name, Part: c.Part})
	}
	roll, err := liquid.NewRoll(lm, liquid.Rules{MaxProxies: a.Rules.MaxProxies, Colleges: colleges})
	if err != nil {
		return nil, err
	}
	st := s.votes.stub
	st.mu.Lock()
	defer st.mu.Unlock()
	for id := range st.present[assemblyID] {
		if _, err := roll.CheckIn(liquid.MemberID(id)); err != nil {
			return nil, err
		}
	}
	for g, c := range st.proxies[assemblyID] {
		if err := roll.GiveProxy(liquid.MemberID(g), liquid.MemberID(c)); err != nil {
			return nil, err
		}
	}
	return roll, nil
}

// stubAssembly stores an assembly and its members (tests).
func (s *Service) stubAssembly(a Assembly, members []Member) error {
	return s.st.db.Update(func(tx *bolt.Tx) error {
		if err := putJSON(tx.Bucket(bucketDecide).Bucket(bucketAssemblies), []byte(a.ID), a); err != nil {
			return err
		}
		b, err := assemblyBucket(tx, a.ID, true)
		if err != nil {
			return err
		}
		for _, m := range members {
			if err := putJSON(b.Bucket(bucketMembers), []byte(m.ID), m); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Service) stubCheckIn(assemblyID string, ids ...string) {
	st := s.votes.stub
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.present[assemblyID] == nil {
		st.present[assemblyID] = map[string]bool{}
	}
	for _, id := range ids {
		st.present[assemblyID][id] = true
	}
}

func (s *Service) stubProxy(assemblyID, giver, carrier string) {
	st := s.votes.stub
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.proxies[assemblyID] == nil {
		st.proxies[assemblyID] = map[string]string{}
	}
	st.proxies[assemblyID][giver] = carrier
}
