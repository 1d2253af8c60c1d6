package decide

import (
	"bytes"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/coopbox/coopbox/services/decide/tally"
	"github.com/coopbox/coopbox/services/locale"
	"github.com/coopbox/coopbox/services/person"
)

// The vote part's pages. Ballot forms are drawn here and sent by
// web/src/vote.js; results are drawn here as SVG and need no script.

// chart is one SVG chart of a results page.
type chart struct {
	Title string
	SVG   template.HTML
}

// votePageData is what vote.html, result.html, projector.html and the
// sheet receive.
type votePageData struct {
	Vote    Vote
	Member  *Member
	Members []Member // an election's nominees to choose from
	Form    ballotForm
	Ballots int
	Result  *storedResult
	Why     string
	Charts  []chart
	Notes   []note
	Receipt *receiptStatus
	Card    bool // the page of a printed card
	CanSee  bool
	Fac     bool
	Issued  map[string]int64
	Rights  map[string]int64
	Cards   []cardView
	Total   int64
	Votes   []voteView
	Mine    *mineView
	Phases  map[string][]string
	// DelegateBallot says how the member's delegate voted, in words.
	DelegateBallot string
	AssemblyID     string
	// PrefLib names a closed vote's PrefLib export (ballots.soc…), when
	// its kind has one, for the results page to link.
	PrefLib string
	// BallotWords: the results sheet's published ballots in words, in the
	// order of Result.Published.
	BallotWords []string
}

// ballotForm says which inputs the ballot form has.
type ballotForm struct {
	Kind    string // tally's kind, or "nominate"
	Options []formOption
	Grades  []string
	Max     int64
	Set     string
}

type formOption struct {
	Index int
	Name  string
}

func (s *Service) pageVote(w http.ResponseWriter, r *http.Request) (Vote, bool) {
	v, err := s.st.vote(r.PathValue("vid"))
	if err == nil && v.State == StateDraft && !person.FromContext(r.Context()).IsFacilitator() {
		err = errNotFound
	}
	if err != nil {
		s.voteErr(w, r, err)
		return v, false
	}
	return v, true
}

func (s *Service) formOf(v Vote) ballotForm {
	set := ballotSet(&v)
	f := ballotForm{Set: set}
	if set == "" {
		return f
	}
	if v.Type == TypeElection && set == setMain {
		f.Kind = "nominate"
		return f
	}
	tv, err := v.tallyVote()
	if v.Type == TypeElection {
		tv, err = objectionVote(), nil
	}
	if err != nil {
		return f
	}
	f.Kind = string(tv.Kind)
	if v.Type == TypeConsent || v.Type == TypeElection {
		f.Kind = "consent"
	}
	for i, o := range tv.Options {
		f.Options = append(f.Options, formOption{i, o})
	}
	f.Grades = tv.Grades
	f.Max = tv.MaxScore
	if tv.Kind == tally.Dots {
		f.Max = tv.Points
	}
	return f
}

func (s *Service) votePage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.pageVote(w, r)
	if !ok {
		return
	}
	d := votePageData{Vote: v, Form: s.formOf(v)}
	if m, ok := s.member(r, v.AssemblyID); ok {
		d.Member = &m
	}
	d.Ballots, _ = s.st.countBallots(v)
	if v.Type == TypeElection || (v.Delegation && d.Member != nil) {
		d.Members, _ = s.membersOf(v.AssemblyID)
		sortMembers(d.Members) // the delegate and nominee lists, by name
	}
	if d.Member != nil && v.Delegation && !v.Secret {
		if mine, err := s.mine(v, *d.Member); err == nil {
			d.Mine = &mine
			if mine.Delegate != nil && mine.Delegate.Ballot != nil {
				d.DelegateBallot = describeBallot(v, mine.Delegate.Ballot, s.lang(r))
			}
		}
	}
	d.Notes, _ = s.st.notes(v.ID)
	s.render(w, r, http.StatusOK, "vote", d)
}

// cardVotePage is where a printed card's QR code leads: the token is in the
// URL's fragment, which the browser never sends.
func (s *Service) cardVotePage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.pageVote(w, r)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "vote", votePageData{Vote: v, Form: s.formOf(v), Card: true})
}

// resultData fills a page's result: the stored one once closed, a running
// count when the asker may see it.
func (s *Service) resultData(r *http.Request, v Vote) votePageData {
	fac := person.FromContext(r.Context()).IsFacilitator()
	d := votePageData{Vote: v, Fac: fac}
	d.Ballots, _ = s.st.countBallots(v)
	var res *storedResult
	var err error
	switch {
	case v.State == StateClosed:
		res, _, err = s.st.result(v)
	case visible(v, fac) && v.State != StateDraft:
		res, err = s.interim(v)
	}
	if err != nil || res == nil {
		return d
	}
	d.CanSee, d.Result = true, res
	d.Why = why(res, s.lang(r))
	d.Charts = charts(v, res, s.lang(r))
	return d
}

func (s *Service) lang(r *http.Request) string {
	return s.opts.Catalog.Printer(locale.Choose(r)).Lang()
}

func charts(v Vote, res *storedResult, lang string) []chart {
	fr := lang == "fr"
	t := func(f, e string) string {
		if fr {
			return f
		}
		return e
	}
	var out []chart
	// Each chart's accessible name (the SVG's aria-label and title) is its
	// caption, in the page's language; so are the names of yes/no and
	// consent answers, which tally keeps in English.
	add := func(title string, draw func(label string) template.HTML) {
		out = append(out, chart{title, draw(title)})
	}
	answers := func(names []string) []string {
		out := make([]string, len(names))
		for i, n := range names {
			out[i] = answerWord(n, fr)
		}
		return out
	}
	r := res.Tally
	if r != nil {
		switch r.Method {
		case tally.Schulze:
			add(t("Duels : poids préférant la ligne à la colonne", "Head to head: weight preferring the row to the column"), func(l string) template.HTML { return matrixSVG(l, r.Options, r.Pairwise) })
			add(t("Chemins les plus forts", "Strongest paths"), func(l string) template.HTML { return matrixSVG(l, r.Options, r.Paths) })
		case tally.RankedPairs:
			add(t("Duels", "Head to head"), func(l string) template.HTML { return matrixSVG(l, r.Options, r.Pairwise) })
		case tally.IRV:
			add(t("Tours de scrutin", "Rounds"), func(l string) template.HTML { return roundsSVG(l, r) })
		case tally.MajorityJudgment:
			add(t("Profil de mérite", "Merit profile"), func(l string) template.HTML { return meritSVG(l, r, v.Settings.Grades) })
		default:
			if len(r.Totals) == len(r.Options) {
				order := flat(r.Ranking)
				names := r.Options
				if r.Method == tally.YesNoCount {
					order, names = []int{0, 1, 2}, answers(r.Options)
				}
				add(t("Résultats", "Results"), func(l string) template.HTML { return barsSVG(l, names, r.Totals, order) })
			}
		}
	}
	if o := res.Objection; o != nil && len(o.Totals) == 3 {
		add(t("Consentements et objections", "Consents and objections"), func(l string) template.HTML { return barsSVG(l, answers(o.Options), o.Totals, []int{0, 1, 2}) })
	}
	if g := graphSVG(t("Délégations", "Delegations"), res.Weights); g != "" {
		out = append(out, chart{t("Délégations", "Delegations"), g})
	}
	return out
}

func (s *Service) resultPage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.pageVote(w, r)
	if !ok {
		return
	}
	d := s.resultData(r, v)
	if v.State == StateClosed && d.CanSee {
		if _, export, err := s.st.result(v); err == nil {
			if e, err := tally.ReadJSON(bytes.NewReader(export)); err == nil {
				if t, err := tally.PrefLibType(e); err == nil {
					d.PrefLib = "ballots." + t
				}
			}
		}
	}
	s.render(w, r, http.StatusOK, "result", d)
}

func (s *Service) projectorPage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.pageVote(w, r)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "projector", s.resultData(r, v))
}

// sheetPage is the printable results sheet of a closed vote.
func (s *Service) sheetPage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.pageVote(w, r)
	if !ok {
		return
	}
	if v.State != StateClosed {
		s.voteErr(w, r, errState)
		return
	}
	d := s.resultData(r, v)
	if d.Result != nil {
		for _, p := range d.Result.Published {
			d.BallotWords = append(d.BallotWords, describeBallot(v, p.Ballot, s.lang(r)))
		}
	}
	s.render(w, r, http.StatusOK, "result_sheet", d)
}

func (s *Service) chartSVG(w http.ResponseWriter, r *http.Request) {
	v, ok := s.pageVote(w, r)
	if !ok {
		return
	}
	d := s.resultData(r, v)
	i, _ := strconv.Atoi(r.URL.Query().Get("n"))
	if !d.CanSee || i < 0 || i >= len(d.Charts) {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte(d.Charts[i].SVG))
}

func (s *Service) receiptPage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.pageVote(w, r)
	if !ok {
		return
	}
	d := votePageData{Vote: v}
	if code := r.URL.Query().Get("code"); code != "" {
		st, err := s.checkReceipt(v, code)
		if err != nil {
			s.voteErr(w, r, err)
			return
		}
		d.Receipt = &st
	}
	s.render(w, r, http.StatusOK, "receipt", d)
}

// votesPage is the facilitators' list of an assembly's votes: create,
// open, pause, close, phases, cards.
func (s *Service) votesPage(w http.ResponseWriter, r *http.Request) {
	aid := r.PathValue("id")
	if _, err := s.st.assembly(aid); err != nil {
		s.voteErr(w, r, err)
		return
	}
	votes, err := s.st.votesOf(aid)
	if err != nil {
		s.voteErr(w, r, err)
		return
	}
	d := votePageData{AssemblyID: aid, Fac: true, Phases: phases}
	for _, v := range votes {
		vv := voteView{Vote: v}
		vv.Ballots, _ = s.st.countBallots(v)
		d.Votes = append(d.Votes, vv)
	}
	d.Members, _ = s.membersOf(aid)
	sortMembers(d.Members)
	s.render(w, r, http.StatusOK, "votes", d)
}

// deskPage: for a secret vote, each present member's rights and the cards
// they received; a tap records that a member received their cards.
func (s *Service) deskPage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.pageVote(w, r)
	if !ok {
		return
	}
	roll, err := s.rollOf(v.AssemblyID)
	if err != nil {
		s.voteErr(w, r, err)
		return
	}
	d := votePageData{Vote: v, Rights: allRights(roll)}
	members, _ := s.membersOf(v.AssemblyID)
	d.Issued, _ = s.st.issued(v)
	// The desk looks a member up by name among those with a right here
	// (present, or carrying proxies) or who already received cards.
	for _, m := range members {
		if d.Rights[m.ID] > 0 || d.Issued[m.ID] > 0 {
			d.Members = append(d.Members, m)
		}
	}
	sortMembers(d.Members)
	for _, r := range d.Rights {
		d.Total += r
	}
	s.render(w, r, http.StatusOK, "ballotcards_desk", d)
}

// cardView is one printed ballot card.
type cardView struct {
	QR   template.HTML
	Code string
}

// cardsPage makes n new cards for a secret vote and shows them as an A4
// sheet to print and cut. The tokens are on this page only.
func (s *Service) cardsPage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.pageVote(w, r)
	if !ok {
		return
	}
	n, err := strconv.Atoi(r.FormValue("count"))
	if err != nil || n < 1 || n > 1000 || !v.Secret || v.State == StateClosed {
		s.voteErr(w, r, invalid("cards: 1 to 1,000, for a secret vote not closed"))
		return
	}
	tokens, err := s.newCards(v, n)
	if err != nil {
		s.voteErr(w, r, err)
		return
	}
	d := votePageData{Vote: v}
	for _, t := range tokens {
		code := cardCode(t)
		qr, err := drawCardQR(boxURL(r, "/decide/v/"+v.ID+"/c#"+code))
		if err != nil {
			s.voteErr(w, r, err)
			return
		}
		d.Cards = append(d.Cards, cardView{QR: qr, Code: code})
	}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, http.StatusOK, "ballotcards", d)
}

// answerWord is a yes/no or consent answer, which tally names in English,
// in the page's language; any other option name as it is.
func answerWord(name string, fr bool) string {
	words := map[string][2]string{"yes": {"Pour", "Yes"}, "no": {"Contre", "No"}, "abstain": {"Abstention", "Abstain"},
		"consent": {"Consentement", "Consent"}, "objection": {"Objection", "Objection"}, "stand aside": {"À l'écart", "Stand aside"}}
	w, ok := words[name]
	switch {
	case !ok:
		return name
	case fr:
		return w[0]
	}
	return w[1]
}

// describeBallot writes a stored ballot in words, in the page's language
// (the delegate's vote a delegator sees, the published ballots of the
// results sheet); as its JSON when it cannot be read.
func describeBallot(v Vote, raw []byte, lang string) string {
	fr := lang == "fr"
	t := func(f, e string) string {
		if fr {
			return f
		}
		return e
	}
	tv, err := v.tallyVote()
	if v.Type == TypeElection {
		tv, err = objectionVote(), nil
	}
	if err != nil {
		return string(raw)
	}
	b, err := tally.DecodeBallot(&tv, raw)
	if err != nil {
		return string(raw)
	}
	name := func(i int) string {
		if i >= 0 && i < len(tv.Options) {
			return answerWord(tv.Options[i], fr)
		}
		return "?"
	}
	var parts []string
	switch tv.Kind {
	case tally.YesNo, tally.Single:
		if b.Choice >= 0 && b.Choice < len(tv.Options) {
			return name(b.Choice)
		}
		return t("vote blanc", "blank")
	case tally.Approval:
		if len(b.Approved) == 0 {
			return t("aucune option approuvée", "no option approved")
		}
		for _, o := range b.Approved {
			parts = append(parts, name(o))
		}
		return t("approuve : ", "approves: ") + strings.Join(parts, ", ")
	case tally.Ranked:
		for i, g := range b.Ranking {
			var names []string
			for _, o := range g {
				names = append(names, name(o))
			}
			parts = append(parts, strconv.Itoa(i+1)+". "+strings.Join(names, " = "))
		}
		return strings.Join(parts, " ; ")
	case tally.Score, tally.Dots:
		for o, p := range b.Points {
			parts = append(parts, name(o)+t(" : ", ": ")+strconv.FormatInt(p, 10))
		}
		return strings.Join(parts, " ; ")
	case tally.Graded, tally.DatePoll:
		dates := []string{t("non", "no"), t("si besoin", "if need be"), t("oui", "yes")}
		for o, g := range b.Grades {
			word := "—"
			switch {
			case tv.Kind == tally.DatePoll && g >= 0 && g < len(dates):
				word = dates[g]
			case tv.Kind == tally.Graded && g >= 0 && g < len(tv.Grades):
				word = tv.Grades[g]
			}
			parts = append(parts, name(o)+t(" : ", ": ")+word)
		}
		return strings.Join(parts, " ; ")
	}
	return string(raw)
}
