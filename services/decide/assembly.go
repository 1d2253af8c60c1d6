package decide

import (
	"encoding/json"
	"errors"
	"html/template"
	"mime"
	"net/http"
	"strings"

	"github.com/coopbox/coopbox/services/page"
	"github.com/coopbox/coopbox/services/person"
	bolt "go.etcd.io/bbolt"
)

// isForm tells a page's form post from an API call: forms are answered
// with a redirection, or with their page again and the error.
func isForm(r *http.Request) bool {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return ct == "application/x-www-form-urlencoded" || ct == "multipart/form-data"
}

// decodeJSON reads a small JSON body into v.
func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 64<<10))
	if err := dec.Decode(v); err != nil {
		return refuse(http.StatusBadRequest, "bad_request", "roll.err.badRequest")
	}
	return nil
}

// assemblyInput is what creates an assembly.
type assemblyInput struct {
	Title string `json:"title"`
	Date  string `json:"date"`
	Rules Rules  `json:"rules"`
}

func (in assemblyInput) check() error {
	if in.Title == "" || !cleanText(in.Title, maxTitle) || !cleanText(in.Date, 100) {
		return refuse(http.StatusBadRequest, "bad_title", "roll.err.title", maxTitle)
	}
	return in.Rules.check()
}

// createAssembly: POST /api/decide/assemblies (facilitators), JSON or the
// home page's form.
func (s *Service) createAssembly(w http.ResponseWriter, r *http.Request) {
	var in assemblyInput
	if isForm(r) {
		in.Title, in.Date = r.FormValue("title"), r.FormValue("date")
		rules, err := rulesFromForm(r)
		if err != nil {
			s.homeWith(w, r, err)
			return
		}
		in.Rules = rules
	} else if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	in.Title, in.Date = strings.TrimSpace(in.Title), strings.TrimSpace(in.Date)
	if in.Rules.Quorum.Of == "" {
		in.Rules.Quorum.Of = "members"
	}
	if err := in.check(); err != nil {
		if isForm(r) {
			s.homeWith(w, r, err)
			return
		}
		s.fail(w, r, err)
		return
	}
	a := Assembly{ID: page.NewID(9), Title: in.Title, Date: in.Date, Rules: in.Rules,
		Created: s.opts.Now().UTC(), CreatedBy: person.FromContext(r.Context()).ID}
	if err := s.st.createAssembly(a); err != nil {
		s.fail(w, r, err)
		return
	}
	if isForm(r) {
		http.Redirect(w, r, "/decide/a/"+a.ID+"/roll", http.StatusSeeOther)
		return
	}
	page.JSON(w, http.StatusCreated, a)
}

// assemblyView is an assembly with its live quorum, for the API.
type assemblyView struct {
	Assembly
	Members int        `json:"members"`
	Quorum  quorumView `json:"quorum"`
}

// getAssembly: GET /api/decide/a/{id} (facilitators).
func (s *Service) getAssembly(w http.ResponseWriter, r *http.Request) {
	e, err := s.entry(r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := assemblyView{Assembly: e.assembly, Members: len(e.members), Quorum: e.quorum()}
	e.mu.Unlock()
	page.JSON(w, http.StatusOK, v)
}

// putRules: POST /api/decide/a/{id}/rules (facilitators), JSON Rules or the
// roll page's form. Members in a college the rules do not list are
// refused: the roll could not be weighed.
func (s *Service) putRules(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var rules Rules
	var err error
	if isForm(r) {
		rules, err = rulesFromForm(r)
	} else {
		err = decodeJSON(r, &rules)
	}
	if err == nil {
		if rules.Quorum.Of == "" {
			rules.Quorum.Of = "members"
		}
		err = rules.check()
	}
	if err == nil {
		err = s.change(id, func(tx *bolt.Tx, a *bolt.Bucket, e *assemblyRoll) error {
			if len(rules.Colleges) > 0 {
				for _, m := range e.members {
					if !rules.hasCollege(m.College) {
						return refuse(http.StatusConflict, "unknown_college", "roll.err.memberCollege", m.Name, m.College)
					}
				}
			}
			e.forget()
			return putRules(tx, id, rules)
		})
	}
	if isForm(r) {
		if err != nil {
			s.rollPageWith(w, r, err, nil)
			return
		}
		http.Redirect(w, r, "/decide/a/"+id+"/roll#rules", http.StatusSeeOther)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.getAssembly(w, r)
}

// assemblyPage is what the assembly's page receives.
type assemblyPage struct {
	Assembly    Assembly
	Facilitator bool
	Member      *Member // bound to this browser, if any
	Members     int
	Quorum      quorumView
	Problem     string
	// Votes is the votes part of the page, drawn by the votes part
	// (votesFor).
	Votes template.HTML
	// Strings are the messages of the live quorum's script.
	Strings map[string]string
}

// assemblyPage: GET /decide/a/{id}/. Facilitators see the roll's summary,
// the quorum and their tools; a member bound to this browser and
// participants see what is open to them (votesFor). Anyone else is sent to
// pick a display name.
func (s *Service) assemblyPage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	who := person.FromContext(r.Context())
	m, isMember := s.member(r, id)
	if !who.IsParticipant() && !isMember {
		http.Redirect(w, r, page.JoinURL(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	e, err := s.entry(id)
	if err != nil {
		status, _, msg := s.explain(s.printer(r), err)
		http.Error(w, msg, status)
		return
	}
	d := assemblyPage{Assembly: e.assembly, Facilitator: who.IsFacilitator(), Members: len(e.members), Quorum: e.quorum()}
	if e.err != nil && !errors.Is(e.err, errNoVoter) {
		_, _, d.Problem = s.explain(s.printer(r), e.err)
	}
	e.mu.Unlock()
	if isMember {
		d.Member = &m
	}
	d.Votes = s.votesFor(r, id)
	d.Strings = scriptStrings(s.printer(r), deskScriptKeys)
	s.render(w, r, http.StatusOK, "assembly", d)
}

// votesFor is what the votes part draws on an assembly's page for whoever
// asks (a facilitator, the member bound to this browser, a participant):
// the votes they may open, newest first, each a link to its page. A member
// who binds their phone lands on the assembly's page; this list is their
// way to the votes (the votes' own page is for facilitators).
func (s *Service) votesFor(r *http.Request, assemblyID string) template.HTML {
	votes, err := s.st.votesOf(assemblyID)
	if err != nil {
		s.opts.Log.Error("votes of an assembly", "assembly", assemblyID, "err", err)
		return ""
	}
	fac := person.FromContext(r.Context()).IsFacilitator()
	p := s.printer(r)
	type line struct{ ID, Title, Status string }
	var lines []line
	for i := len(votes) - 1; i >= 0; i-- {
		v := votes[i]
		if v.State == StateDraft && !fac {
			continue
		}
		status := p.T("vote.state." + string(v.State))
		if v.Secret {
			status = p.T("vote.secret") + " · " + status
		}
		lines = append(lines, line{v.ID, v.Title, status})
	}
	var b strings.Builder
	err = votesForTemplate.Execute(&b, struct {
		Heading, None string
		Lines         []line
	}{p.T("votes.title"), p.T("votes.none"), lines})
	if err != nil {
		s.opts.Log.Error("draw the votes of an assembly", "err", err)
		return ""
	}
	return template.HTML(b.String())
}

var votesForTemplate = template.Must(template.New("votesFor").Parse(`<section aria-labelledby="votes-h"><h2 id="votes-h">{{.Heading}}</h2>
{{if .Lines}}<ul class="vote-list">{{range .Lines}}<li><a href="/decide/v/{{.ID}}">{{.Title}}</a> <span class="hint">{{.Status}}</span></li>{{end}}</ul>
{{else}}<p>{{.None}}</p>{{end}}</section>`))
