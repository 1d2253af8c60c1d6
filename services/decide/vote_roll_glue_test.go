// The tests' hold on the roll: members
// keep the ids the tests give them; presence, proxies and member links go
// through the roll's own routes, as the desk would.
package decide

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/coopbox/coopbox/services/person"
	bolt "go.etcd.io/bbolt"
)

// glueDo serves one request to the service as a facilitator, or as
// nobody when anon is set.
func (s *Service) glueDo(anon bool, method, path string, body any, form bool) (int, []byte, http.Header) {
	var req *http.Request
	if form {
		req = httptest.NewRequest(method, path, strings.NewReader(url.Values{}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		raw, _ := json.Marshal(body)
		req = httptest.NewRequest(method, path, bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
	}
	p := &person.Person{ID: "glue", Name: "Desk", Role: person.Facilitator}
	if anon {
		p = &person.Person{Role: person.Anonymous}
	}
	req = req.WithContext(person.NewContext(req.Context(), p))
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	return w.Code, w.Body.Bytes(), w.Header()
}

func (s *Service) stubAssembly(a Assembly, members []Member) error {
	if err := s.st.createAssembly(a); err != nil {
		return err
	}
	return s.st.db.Update(func(tx *bolt.Tx) error {
		b, err := assemblyBucket(tx, a.ID, false)
		if err != nil || b == nil {
			return fmt.Errorf("assembly %s: %v", a.ID, err)
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
	for _, id := range ids {
		if st, body, _ := s.glueDo(false, "POST", "/api/decide/a/"+assemblyID+"/presence", map[string]any{"member": id, "present": true}, false); st != http.StatusOK {
			panic(fmt.Sprintf("check in %s: %d %s", id, st, body))
		}
	}
}

func (s *Service) stubProxy(assemblyID, giver, carrier string) {
	if st, body, _ := s.glueDo(false, "POST", "/api/decide/a/"+assemblyID+"/proxies", map[string]any{"giver": giver, "carrier": carrier}, false); st != http.StatusOK {
		panic(fmt.Sprintf("proxy %s → %s: %d %s", giver, carrier, st, body))
	}
}

// stubBind issues the member's link and opens it, as their phone would.
func (s *Service) stubBind(assemblyID, memberID string) (*http.Cookie, error) {
	st, body, _ := s.glueDo(false, "POST", "/api/decide/a/"+assemblyID+"/members/"+memberID+"/link", nil, false)
	var link linkAnswer
	if err := json.Unmarshal(body, &link); err != nil || st != http.StatusOK {
		return nil, fmt.Errorf("issue link: %d %s", st, body)
	}
	token := link.URL[strings.LastIndex(link.URL, "/")+1:]
	st, body, hdr := s.glueDo(true, "POST", "/decide/m/"+token, nil, true)
	for _, c := range (&http.Response{Header: hdr}).Cookies() {
		if c.Name == memberCookie {
			return &http.Cookie{Name: c.Name, Value: c.Value}, nil
		}
	}
	return nil, fmt.Errorf("bind: %d %s: no member cookie", st, body)
}
