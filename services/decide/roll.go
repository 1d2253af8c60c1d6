package decide

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/coopbox/coopbox/services/decide/liquid"
	"github.com/coopbox/coopbox/services/page"
	bolt "go.etcd.io/bbolt"
)

// memberInput is a member as typed on the roll page or sent to the API.
type memberInput struct {
	Name    string `json:"name"`
	College string `json:"college"`
	Weight  int64  `json:"weight"`
	Voting  *bool  `json:"voting"` // absent: true
}

func memberFromForm(r *http.Request) (memberInput, error) {
	in := memberInput{Name: r.FormValue("name"), College: r.FormValue("college"), Weight: 1}
	if w := strings.TrimSpace(r.FormValue("weight")); w != "" {
		n, err := strconv.ParseInt(w, 10, 64)
		if err != nil {
			return in, refuse(http.StatusBadRequest, "bad_member", "roll.csv.badWeight", w, maxWeight)
		}
		in.Weight = n
	}
	v := r.FormValue("voting") != ""
	in.Voting = &v
	return in, nil
}

// member checks the input against the rules and makes it a Member.
func (in memberInput) member(rules Rules) (Member, error) {
	m := Member{Name: strings.TrimSpace(in.Name), College: strings.TrimSpace(in.College), Weight: in.Weight, Voting: in.Voting == nil || *in.Voting}
	if m.Weight == 0 {
		m.Weight = 1
	}
	switch {
	case m.Name == "" || !cleanText(m.Name, maxName):
		return m, refuse(http.StatusBadRequest, "bad_member", "roll.err.name", maxName)
	case !cleanText(m.College, maxName):
		return m, refuse(http.StatusBadRequest, "bad_member", "roll.csv.badCollege", maxName)
	case m.Weight < 1 || m.Weight > maxWeight:
		return m, refuse(http.StatusBadRequest, "bad_member", "roll.csv.badWeight", strconv.FormatInt(m.Weight, 10), maxWeight)
	case len(rules.Colleges) > 0 && !rules.hasCollege(m.College):
		return m, refuse(http.StatusBadRequest, "unknown_college", "roll.err.memberCollege", m.Name, m.College)
	}
	return m, nil
}

// readMember decodes a member from a form or JSON.
func readMember(r *http.Request) (memberInput, error) {
	if isForm(r) {
		return memberFromForm(r)
	}
	var in memberInput
	return in, decodeJSON(r, &in)
}

// checkWeights refuses a roll whose exact weights would overflow; other
// refusals of liquid (a college with nobody in it yet) are states the
// desk shows while the roll is being built.
func checkWeights(rules Rules, members []Member) error {
	lm := make([]liquid.Member, len(members))
	for i, m := range members {
		lm[i] = m.liquid()
	}
	if _, _, err := liquid.Weights(lm, rules.liquid().Colleges); errors.Is(err, liquid.ErrOverflow) {
		return err
	}
	return nil
}

// addMember: POST /api/decide/a/{id}/members (facilitators).
func (s *Service) addMember(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	in, err := readMember(r)
	var m Member
	if err == nil {
		err = s.change(id, func(tx *bolt.Tx, a *bolt.Bucket, e *assemblyRoll) error {
			var err error
			if m, err = in.member(e.assembly.Rules); err != nil {
				return err
			}
			if len(e.members) >= maxRollMembers {
				return refuse(http.StatusConflict, "roll_too_long", "roll.csv.tooLong", maxRollMembers)
			}
			if err := checkWeights(e.assembly.Rules, append(e.members[:len(e.members):len(e.members)], m)); err != nil {
				return err
			}
			m.ID = page.NewID(9)
			e.forget()
			return putJSON(a.Bucket(bucketMembers), []byte(m.ID), m)
		})
	}
	s.answer(w, r, err, http.StatusCreated, m, "/decide/a/"+id+"/roll#add")
}

// editMember: POST /api/decide/a/{id}/members/{mid} (facilitators). A
// member who loses their voting right loses the proxies they gave or
// carried: liquid would refuse them.
func (s *Service) editMember(w http.ResponseWriter, r *http.Request) {
	id, mid := r.PathValue("id"), r.PathValue("mid")
	in, err := readMember(r)
	var m Member
	if err == nil {
		err = s.change(id, func(tx *bolt.Tx, a *bolt.Bucket, e *assemblyRoll) error {
			i, ok := e.index[mid]
			if !ok {
				return errNotFound
			}
			var err error
			if m, err = in.member(e.assembly.Rules); err != nil {
				return err
			}
			old := e.members[i]
			m.ID, m.LinkGen = old.ID, old.LinkGen
			all := append([]Member(nil), e.members...)
			all[i] = m
			if err := checkWeights(e.assembly.Rules, all); err != nil {
				return err
			}
			if !m.Voting && e.roll != nil {
				if _, gave := e.roll.ProxyOf(liquid.MemberID(mid)); gave {
					setProxy(a, mid, "")
				}
				for _, g := range e.roll.Carrying(liquid.MemberID(mid)) {
					setProxy(a, string(g), "")
				}
			}
			e.forget()
			return putJSON(a.Bucket(bucketMembers), []byte(mid), m)
		})
	}
	s.answer(w, r, err, http.StatusOK, m, "/decide/a/"+id+"/roll")
}

// removeMember: DELETE /api/decide/a/{id}/members/{mid}, or POST …/remove
// from the roll page (facilitators). Their presence, proxies, link and
// bound browsers go with them.
func (s *Service) removeMember(w http.ResponseWriter, r *http.Request) {
	id, mid := r.PathValue("id"), r.PathValue("mid")
	err := s.change(id, func(tx *bolt.Tx, a *bolt.Bucket, e *assemblyRoll) error {
		e.forget()
		return deleteMember(tx, a, mid)
	})
	if err == nil && !isForm(r) {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	s.answer(w, r, err, http.StatusNoContent, nil, "/decide/a/"+id+"/roll")
}

// answer ends a change: JSON v (or the error) for the API; for a form, a
// redirection to back, or the roll page again with the error.
func (s *Service) answer(w http.ResponseWriter, r *http.Request, err error, status int, v any, back string) {
	if isForm(r) {
		if err != nil {
			s.rollPageWith(w, r, err, nil)
			return
		}
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page.JSON(w, status, v)
}

// listMembers: GET /api/decide/a/{id}/members (facilitators), sorted by
// name as people read them.
func (s *Service) listMembers(w http.ResponseWriter, r *http.Request) {
	ms, err := s.membersOf(r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sortMembers(ms)
	if ms == nil {
		ms = []Member{}
	}
	page.JSON(w, http.StatusOK, ms)
}

// importReport is the answer to an import: how many members were added, or
// the refused lines and nothing added.
type importReport struct {
	Imported int          `json:"imported"`
	Lines    []lineReport `json:"lines,omitempty"`
}

type lineReport struct {
	Line  int    `json:"line"`
	Error string `json:"error"`
}

// importRoll: POST /api/decide/roll-import?assembly={id} (facilitators).
// The body is the CSV file itself (text/csv, answered in JSON) or the roll
// page's multipart form with a "file" field (answered with the page). The
// path is fixed so that the box's body limit for it (Mount's BodyLimits)
// applies. All or nothing: one refused line and nothing is stored; the
// answer lists every refused line with its number and why.
func (s *Service) importRoll(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("assembly")
	r.SetPathValue("id", id)
	rep, err := s.doImport(r, id)
	if isForm(r) {
		if err != nil || len(rep.Lines) > 0 {
			s.rollPageWith(w, r, err, &rep)
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/decide/a/%s/roll?imported=%d", id, rep.Imported), http.StatusSeeOther)
		return
	}
	switch {
	case err != nil:
		s.fail(w, r, err)
	case len(rep.Lines) > 0:
		p := s.printer(r)
		page.JSON(w, http.StatusUnprocessableEntity, map[string]any{
			"error": p.T("roll.csv.refused", len(rep.Lines)), "code": "roll_refused", "lines": rep.Lines})
	default:
		page.JSON(w, http.StatusOK, rep)
	}
}

func (s *Service) doImport(r *http.Request, id string) (importReport, error) {
	var rep importReport
	var body io.Reader = r.Body
	if isForm(r) {
		f, _, err := r.FormFile("file")
		if err != nil {
			if strings.Contains(err.Error(), "too large") {
				return rep, refuse(http.StatusRequestEntityTooLarge, "roll_too_big", "roll.csv.tooBig", maxRollCSV>>10)
			}
			return rep, refuse(http.StatusBadRequest, "no_file", "roll.csv.noFile")
		}
		defer f.Close()
		body = f
	}
	data, err := io.ReadAll(io.LimitReader(body, maxRollCSV+1))
	if err != nil || len(data) > maxRollCSV {
		return rep, refuse(http.StatusRequestEntityTooLarge, "roll_too_big", "roll.csv.tooBig", maxRollCSV>>10)
	}
	read, bad, err := readRollCSV(data)
	if err != nil {
		return rep, err
	}
	p := s.printer(r)
	err = s.change(id, func(tx *bolt.Tx, a *bolt.Bucket, e *assemblyRoll) error {
		onRoll := map[string]bool{}
		for _, m := range e.members {
			onRoll[fold(m.Name)+"\x00"+fold(m.College)] = true
		}
		rules := e.assembly.Rules
		for _, cm := range read {
			m := cm.Member
			switch {
			case onRoll[fold(m.Name)+"\x00"+fold(m.College)]:
				bad = append(bad, lineError{Line: cm.Line, Key: "roll.csv.onRoll", Args: []any{m.Name}})
			case len(rules.Colleges) > 0 && !rules.hasCollege(m.College):
				bad = append(bad, lineError{Line: cm.Line, Key: "roll.err.memberCollege", Args: []any{m.Name, m.College}})
			}
		}
		if len(bad) > 0 {
			for _, b := range sortLines(bad) {
				rep.Lines = append(rep.Lines, lineReport{Line: b.Line, Error: p.T(b.Key, b.Args...)})
			}
			return refusedImport
		}
		if len(e.members)+len(read) > maxRollMembers {
			return refuse(http.StatusRequestEntityTooLarge, "roll_too_long", "roll.csv.tooLong", maxRollMembers)
		}
		all := append([]Member(nil), e.members...)
		for _, cm := range read {
			all = append(all, cm.Member)
		}
		if err := checkWeights(rules, all); err != nil {
			return err
		}
		b := a.Bucket(bucketMembers)
		for _, cm := range read {
			m := cm.Member
			m.ID = page.NewID(9)
			if err := putJSON(b, []byte(m.ID), m); err != nil {
				return err
			}
		}
		e.forget()
		rep.Imported = len(read)
		return nil
	})
	if errors.Is(err, refusedImport) {
		return rep, nil
	}
	return rep, err
}

// refusedImport rolls the import's transaction back; the report says why.
var refusedImport = refuse(http.StatusUnprocessableEntity, "roll_refused", "roll.csv.refusedShort")

// sortLines orders refused lines by line number (the file's checks come
// first, the roll's after) and keeps the first maxLineErrors.
func sortLines(ls []lineError) []lineError {
	out := slices.Clone(ls)
	slices.SortStableFunc(out, func(a, b lineError) int { return a.Line - b.Line })
	if len(out) > maxLineErrors {
		out = out[:maxLineErrors]
	}
	return out
}
