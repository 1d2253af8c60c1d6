package decide

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/coopbox/coopbox/services/decide/tally"
)

// Each decision type end to end on a small assembly: create, open, vote
// from members' browsers, close, read the stored result.
func TestDecisionTypes(t *testing.T) {
	cases := []struct {
		name    string
		vote    map[string]any
		ballots []string // one per member, "" for none
		outcome string
		winners []string
	}{
		{"yes/no simple", map[string]any{"title": "Budget", "type": "yesno"},
			[]string{`{"choice":0}`, `{"choice":0}`, `{"choice":1}`, `{"choice":2}`, ``}, "adopted", nil},
		{"yes/no two thirds of members", map[string]any{"title": "Statutes", "type": "yesno", "settings": map[string]any{"majority": "two_thirds", "base": "members"}},
			[]string{`{"choice":0}`, `{"choice":0}`, `{"choice":0}`, `{"choice":1}`, ``}, "rejected", nil},
		{"single", map[string]any{"title": "Venue", "type": "single", "options": []string{"Lyon", "Nantes", "Lille"}},
			[]string{`{"choice":1}`, `{"choice":1}`, `{"choice":0}`, `{"choice":-1}`, `{"choice":2}`}, "winner", []string{"Nantes"}},
		{"approval with none of these", map[string]any{"title": "Logos", "type": "approval", "options": []string{"A", "B"}, "settings": map[string]any{"noneOfThese": true, "minApprovals": 1}},
			[]string{`{"approved":[0,1]}`, `{"approved":[1]}`, `{"approved":[2]}`, `{"approved":[2]}`, `{"approved":[2]}`}, "winner", []string{"none of these"}},
		{"score", map[string]any{"title": "Projects", "type": "score", "options": []string{"P1", "P2"}, "settings": map[string]any{"maxScore": 5}},
			[]string{`{"points":[5,1]}`, `{"points":[4,2]}`, `{"points":[0,5]}`, ``, ``}, "winner", []string{"P1"}},
		{"dots", map[string]any{"title": "Priorities", "type": "dots", "options": []string{"X", "Y", "Z"}, "settings": map[string]any{"points": 3}},
			[]string{`{"points":[0,3,0]}`, `{"points":[1,1,1]}`, `{"points":[2,0,1]}`, ``, ``}, "winner", []string{"Y"}},
		{"schulze with status quo", map[string]any{"title": "Charter", "type": "ranked", "options": []string{"Text A", "Text B"}, "settings": map[string]any{"statusQuo": "keep the old charter"}},
			[]string{`{"ranking":[[0],[1],[2]]}`, `{"ranking":[[0],[2]]}`, `{"ranking":[[2],[0]]}`, `{"ranking":[[1],[0]]}`, ``}, "winner", []string{"Text A"}},
		{"ranked pairs", map[string]any{"title": "Name", "type": "ranked", "options": []string{"N1", "N2", "N3"}, "settings": map[string]any{"method": "rankedpairs"}},
			[]string{`{"ranking":[[2],[1],[0]]}`, `{"ranking":[[2],[0]]}`, `{"ranking":[[1],[2]]}`, ``, ``}, "winner", []string{"N3"}},
		{"instant runoff", map[string]any{"title": "Delegate", "type": "ranked", "options": []string{"Ana", "Bo", "Cy"}, "settings": map[string]any{"method": "irv"}},
			[]string{`{"ranking":[[0],[1]]}`, `{"ranking":[[0]]}`, `{"ranking":[[1],[0]]}`, `{"ranking":[[2],[1]]}`, `{"ranking":[[2],[1]]}`}, "winner", []string{"Ana"}},
		{"majority judgment", map[string]any{"title": "Plans", "type": "mj", "options": []string{"Plan 1", "Plan 2"}, "settings": map[string]any{"grades": []string{"bad", "fair", "good"}}},
			[]string{`{"grades":[2,0]}`, `{"grades":[1,1]}`, `{"grades":[2,2]}`, `{"grades":[0,2]}`, `{"grades":[1,0]}`}, "winner", []string{"Plan 1"}},
		{"date poll", map[string]any{"title": "Next AG", "type": "dates", "options": []string{"12 March", "19 March"}},
			[]string{`{"grades":[2,0]}`, `{"grades":[1,2]}`, `{"grades":[2,null]}`, ``, ``}, "winner", []string{"12 March"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, len(c.ballots))
			v := h.createVote(c.vote, true)
			for i, b := range c.ballots {
				if b != "" {
					h.must2(h.ballot(v.ID, h.members[i].ID, b))(200)
				}
			}
			h.setState(v.ID, "closed")
			res := h.result(v.ID)
			if res.Outcome != c.outcome {
				t.Errorf("outcome %q, want %q (why: %s)", res.Outcome, c.outcome, why(res, "en"))
			}
			if !slices.Equal(res.Winners, c.winners) {
				t.Errorf("winners %q, want %q", res.Winners, c.winners)
			}
			if why(res, "fr") == "" || why(res, "en") == "" {
				t.Errorf("no why sentence for %s", res.Outcome)
			}
			// The results page draws its charts without any script.
			body := string(h.must2(h.do("participant", "", "GET", "/decide/v/"+v.ID+"/result", nil))(200))
			if !strings.Contains(body, "<svg") {
				t.Errorf("results page has no SVG chart")
			}
			sheet := string(h.must2(h.do("participant", "", "GET", "/decide/v/"+v.ID+"/sheet", nil))(200))
			if len(res.Published) > 0 && !strings.Contains(sheet, res.Published[0].Receipt) {
				t.Errorf("the printable sheet lacks the published receipts")
			}
			for n := range 2 {
				h.do("participant", "", "GET", fmt.Sprintf("/decide/v/%s/chart.svg?n=%d", v.ID, n), nil)
			}
		})
	}
}

func TestConsentRound(t *testing.T) {
	h := newHarness(t, 4)
	v := h.createVote(map[string]any{"title": "Charter", "text": "First text", "type": "consent"}, true)
	if v.Phase != "questions" {
		t.Fatalf("phase %q", v.Phase)
	}
	h.must2(h.do("", "m01", "POST", "/api/decide/votes/"+v.ID+"/notes", map[string]string{"text": "What about article 3?"}))(201)
	// No ballot while questions are asked.
	if st, _ := h.ballot(v.ID, "m00", `{"choice":0}`); st != 409 {
		t.Errorf("ballot in the questions phase: %d, want 409", st)
	}
	for _, p := range []string{"reactions", "objections"} {
		h.must2(h.do("facilitator", "", "POST", "/api/decide/votes/"+v.ID+"/phase", map[string]string{"phase": p}))(200)
	}
	h.must2(h.do("", "m02", "POST", "/api/decide/votes/"+v.ID+"/notes", map[string]string{"text": "Article 3 excludes newcomers"}))(201)
	h.must2(h.do("facilitator", "", "POST", "/api/decide/votes/"+v.ID+"/phase", map[string]string{"phase": "amend"}))(200)
	h.must2(h.do("facilitator", "", "PUT", "/api/decide/votes/"+v.ID, map[string]string{"text": "Amended text"}))(200)
	h.must2(h.do("facilitator", "", "POST", "/api/decide/votes/"+v.ID+"/phase", map[string]string{"phase": "consent"}))(200)
	for _, m := range []string{"m00", "m01", "m02"} {
		h.must2(h.ballot(v.ID, m, `{"choice":0}`))(200)
	}
	h.must2(h.ballot(v.ID, "m03", `{"choice":2}`))(200)
	h.setState(v.ID, "closed")
	res := h.result(v.ID)
	if res.Outcome != "consent" {
		t.Errorf("outcome %q, want consent", res.Outcome)
	}
	got, _ := h.s.st.vote(v.ID)
	notes, _ := h.s.st.notes(v.ID)
	if got.Text != "Amended text" || len(notes) != 2 || notes[1].Phase != "objections" {
		t.Errorf("text %q, notes %+v", got.Text, notes)
	}
}

// The seed's case: choosing a delegate with no candidates.
func TestElectionWithoutCandidates(t *testing.T) {
	h := newHarness(t, 5)
	v := h.createVote(map[string]any{"title": "Delegate to the network", "type": "election"}, true)
	nominate := func(m, who, reason string) {
		h.must2(h.do("", m, "POST", "/api/decide/votes/"+v.ID+"/ballot", map[string]string{"nominee": who, "reason": reason}))(200)
	}
	nominate("m00", "m02", "knows the network")
	nominate("m01", "m02", "available")
	nominate("m02", "m03", "")
	nominate("m03", "m04", "")
	h.must2(h.do("facilitator", "", "POST", "/api/decide/votes/"+v.ID+"/phase", map[string]string{"phase": "change"}))(200)
	nominate("m03", "m02", "changed my mind: the reasons convinced me")
	// A nomination of someone not on the roll is refused.
	if st, body := h.do("", "m04", "POST", "/api/decide/votes/"+v.ID+"/ballot", map[string]string{"nominee": "nobody"}); st != 400 {
		t.Errorf("nominating a stranger: %d %s", st, body)
	}
	h.must2(h.do("facilitator", "", "POST", "/api/decide/votes/"+v.ID+"/phase", map[string]string{"phase": "propose", "proposal": "m02"}))(200)
	h.must2(h.do("facilitator", "", "POST", "/api/decide/votes/"+v.ID+"/phase", map[string]string{"phase": "object"}))(200)
	for _, m := range []string{"m00", "m01", "m02", "m03", "m04"} {
		h.must2(h.ballot(v.ID, m, `{"choice":0}`))(200)
	}
	h.setState(v.ID, "closed")
	res := h.result(v.ID)
	if res.Outcome != "elected" || res.Proposal != "Member 2" {
		t.Fatalf("outcome %q proposal %q", res.Outcome, res.Proposal)
	}
	if len(res.Nominations) == 0 || res.Nominations[0].Name != "Member 2" || res.Nominations[0].Weight != 3 || len(res.Nominations[0].Reasons) != 3 {
		t.Errorf("nominations %+v", res.Nominations)
	}
}

// A ballot that does not fit is refused with a clear message and changes
// nothing; a ballot may be changed while the vote is open.
func TestBadBallotChangesNothing(t *testing.T) {
	h := newHarness(t, 3)
	v := h.createVote(map[string]any{"title": "Pick", "type": "approval", "options": []string{"A", "B", "C"}, "settings": map[string]any{"maxApprovals": 2}}, true)
	h.must2(h.ballot(v.ID, "m00", `{"approved":[0]}`))(200)
	before, _ := h.s.st.openBallots(v.ID, setMain)
	for _, bad := range []string{`{"approved":[0,1,2]}`, `{"approved":[7]}`, `{"approved":[0,0]}`, `{"choice":1}`, `{"approved":[0],"weight":50}`, `[1]`, `"x"`, `{"approved":[0]} trailing`} {
		st, body := h.ballot(v.ID, "m00", bad)
		if st != 400 || !strings.Contains(string(body), "error") {
			t.Errorf("ballot %s: %d %s, want 400 with a message", bad, st, body)
		}
	}
	after, _ := h.s.st.openBallots(v.ID, setMain)
	if fmt.Sprint(before) != fmt.Sprint(after) {
		t.Errorf("refused ballots changed the stored ballots:\n%v\n%v", before, after)
	}
	h.must2(h.ballot(v.ID, "m00", `{"approved":[1,2]}`))(200)
	// Not a member: refused.
	if st, _ := h.do("participant", "", "POST", "/api/decide/votes/"+v.ID+"/ballot", `{"ballot":{"approved":[0]}}`); st != 403 {
		t.Errorf("ballot without member link: %d", st)
	}
	h.setState(v.ID, "paused")
	if st, _ := h.ballot(v.ID, "m01", `{"approved":[0]}`); st != 409 {
		t.Errorf("ballot while paused: %d", st)
	}
	h.setState(v.ID, "open")
	h.setState(v.ID, "closed")
	res := h.result(v.ID)
	if !slices.Equal(res.Tally.Totals, []int64{0, 1, 1}) {
		t.Errorf("totals %v: the changed ballot must replace the first", res.Tally.Totals)
	}
	if st, _ := h.ballot(v.ID, "m01", `{"approved":[0]}`); st != 409 {
		t.Errorf("ballot after close: %d", st)
	}
	// Receipts: the first ballot is published as replaced, the second counted.
	if len(res.Published) != 2 || res.Published[0].Counted || !res.Published[1].Counted {
		t.Fatalf("published %+v", res.Published)
	}
	var rs receiptStatus
	json.Unmarshal(h.must2(h.do("", "", "GET", "/api/decide/votes/"+v.ID+"/receipts/"+res.Published[1].Receipt, nil))(200), &rs)
	if rs.Status != "counted" {
		t.Errorf("receipt status %q", rs.Status)
	}
	page := string(h.must2(h.do("", "", "GET", "/decide/v/"+v.ID+"/receipt?code="+res.Published[0].Receipt, nil))(200))
	if !strings.Contains(page, "receipt-replaced") {
		t.Errorf("the receipt page does not say the first ballot was replaced")
	}
	json.Unmarshal(h.must2(h.do("", "", "GET", "/api/decide/votes/"+v.ID+"/receipts/AAAAAAAAAA", nil))(200), &rs)
	if rs.Status != "unknown" {
		t.Errorf("made-up receipt: %q", rs.Status)
	}
}

// Delegation through the service: scope precedence, a direct vote
// overriding one's delegation, a block by a delegation to nobody, a lost
// chain, and the delegator seeing how their delegate voted.
func TestDelegationWiring(t *testing.T) {
	h := newHarness(t, 7)
	v := h.createVote(map[string]any{"title": "Budget", "type": "yesno", "delegation": true, "topic": "money"}, true)
	del := func(from, to, scope, subject string) {
		h.must2(h.do("", from, "POST", "/api/decide/a/"+h.aid+"/delegations", map[string]any{"to": to, "scope": scope, "subject": subject}))(200)
	}
	// m01: global to m02 but topic "money" to m03: the topic wins → m03.
	del("m01", "m02", "global", "")
	del("m01", "m03", "topic", "money")
	// m04: global to m02 but to nobody for this question: blocked, lost.
	del("m04", "m02", "global", "")
	del("m04", "", "question", v.ID)
	// m05 → m06, who does not vote: a lost chain.
	del("m05", "m06", "global", "")
	// m00 delegates to m02 but votes: the direct vote overrides.
	del("m00", "m02", "global", "")
	h.must2(h.ballot(v.ID, "m00", `{"choice":1}`))(200)
	h.must2(h.ballot(v.ID, "m02", `{"choice":1}`))(200)
	h.must2(h.ballot(v.ID, "m03", `{"choice":0}`))(200)

	var mine mineView
	json.Unmarshal(h.must2(h.do("", "m01", "GET", "/api/decide/votes/"+v.ID+"/mine", nil))(200), &mine)
	if mine.Delegate == nil || mine.Delegate.CastBy != "Member 3" || !bytes.Contains(mine.Delegate.Ballot, []byte(`"choice":0`)) {
		t.Errorf("m01 sees %+v, want Member 3's yes", mine.Delegate)
	}

	h.setState(v.ID, "closed")
	res := h.result(v.ID)
	d := res.Tally.Decision
	// yes: m03 + m01 = 2; no: m00, m02 = 2 → a tie rejects.
	if d.Yes != 2 || d.No != 2 {
		t.Errorf("yes %d no %d, want 2 and 2", d.Yes, d.No)
	}
	w := res.Weights
	if w.Total != 7 || w.Cast != 4 || w.Lost.Sum() != 3 {
		t.Errorf("weights total %d cast %d lost %+v", w.Total, w.Cast, w.Lost)
	}
	lost := map[string]string{}
	for _, l := range w.Losses {
		lost[l.Member] = l.Reason
	}
	if lost["Member 5"] != "chain ended at a non-voter" || lost["Member 4"] != "did not vote" {
		t.Errorf("losses %v", lost)
	}
	foundChain := false
	for _, c := range w.Chains {
		if strings.Join(c.Chain, ">") == "Member 1>Member 3" && c.CastBy == "Member 3" {
			foundChain = true
		}
	}
	if !foundChain {
		t.Errorf("chains %+v lack Member 1 → Member 3", w.Chains)
	}
	body := string(h.must2(h.do("participant", "", "GET", "/decide/v/"+v.ID+"/result", nil))(200))
	if !strings.Contains(body, "Member 1 → Member 3") {
		t.Errorf("results page does not show the chain")
	}
}

// A recount from each export gives the stored result.
func TestRecountFromExport(t *testing.T) {
	h := newHarness(t, 6)
	h.s.stubCheckIn(h.aid, "m00", "m01", "m02", "m03", "m04")
	h.s.stubProxy(h.aid, "m05", "m00")
	v := h.createVote(map[string]any{"title": "Order", "type": "ranked", "options": []string{"A", "B", "C"}}, true)
	for i, b := range []string{`{"ranking":[[0],[1],[2]]}`, `{"ranking":[[1],[0]]}`, `{"ranking":[[2],[1],[0]]}`, `{"ranking":[[1],[2]]}`, `{"ranking":[[0],[2],[1]]}`} {
		h.must2(h.ballot(v.ID, h.members[i].ID, b))(200)
	}
	h.setState(v.ID, "closed")
	res := h.result(v.ID)
	if res.Tally.Weight != 6 {
		t.Errorf("weight %d, want 6 (a proxy)", res.Tally.Weight)
	}
	for _, file := range []string{"ballots.json", "ballots.soi"} {
		body := h.must2(h.do("participant", "", "GET", "/api/decide/votes/"+v.ID+"/export/"+file, nil))(200)
		e, err := tally.Read(bytes.NewReader(body), file)
		if err != nil {
			t.Fatalf("%s: %v\n%s", file, err, body)
		}
		r, err := tally.Count(e.Vote, e.Ballots, res.Method, tally.Config{})
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(r.Ranking, r.Pairwise, r.Paths) != fmt.Sprint(res.Tally.Ranking, res.Tally.Pairwise, res.Tally.Paths) {
			t.Errorf("%s: recount %v %v, stored %v %v", file, r.Ranking, r.Pairwise, res.Tally.Ranking, res.Tally.Pairwise)
		}
	}
	for _, file := range []string{"result.csv", "ballots.csv", "result.json"} {
		h.must2(h.do("participant", "", "GET", "/api/decide/votes/"+v.ID+"/export/"+file, nil))(200)
	}
	if st, _ := h.do("participant", "", "GET", "/api/decide/votes/"+v.ID+"/export/ballots.cat", nil); st != 400 {
		t.Errorf("wrong PrefLib type: %d", st)
	}
}

// The delegator's page says how their delegate voted.
func TestDelegatorSeesDelegateVote(t *testing.T) {
	h := newHarness(t, 3)
	v := h.createVote(map[string]any{"title": "Budget", "type": "yesno", "delegation": true}, true)
	h.must2(h.do("", "m00", "POST", "/api/decide/a/"+h.aid+"/delegations", map[string]any{"to": "m01", "scope": "question", "subject": v.ID}))(200)
	h.must2(h.ballot(v.ID, "m01", `{"choice":1}`))(200)
	body := string(h.must2(h.do("", "m00", "GET", "/decide/v/"+v.ID, nil))(200))
	if !strings.Contains(body, "Member 0 → Member 1") || !strings.Contains(body, "<strong>Contre</strong>") {
		t.Errorf("the delegator's page does not say, in French, that Member 1 voted no (Contre):\n%s", body)
	}
}

// Results hidden until closing are hidden from everyone, facilitators
// included; otherwise an open vote shows a running count.
func TestHiddenResults(t *testing.T) {
	h := newHarness(t, 2)
	hidden := h.createVote(map[string]any{"title": "Hidden", "type": "yesno", "hideResult": true}, true)
	shown := h.createVote(map[string]any{"title": "Shown", "type": "yesno"}, true)
	for _, v := range []Vote{hidden, shown} {
		h.must2(h.ballot(v.ID, "m00", `{"choice":0}`))(200)
	}
	for _, role := range []string{"facilitator", "participant"} {
		var vv voteView
		json.Unmarshal(h.must2(h.do(role, "", "GET", "/api/decide/votes/"+hidden.ID, nil))(200), &vv)
		if vv.Interim != nil || vv.Ballots != 1 {
			t.Errorf("%s sees a hidden vote's count %+v (ballots %d)", role, vv.Interim, vv.Ballots)
		}
		page := string(h.must2(h.do(role, "", "GET", "/decide/v/"+hidden.ID+"/projector", nil))(200))
		if strings.Contains(page, `class="chart"`) {
			t.Errorf("%s's projector draws a hidden vote's chart", role)
		}
		json.Unmarshal(h.must2(h.do(role, "", "GET", "/api/decide/votes/"+shown.ID, nil))(200), &vv)
		if vv.Interim == nil || vv.Interim.Tally.Decision.Yes != 1 {
			t.Errorf("%s does not see the running count of a vote that shows it", role)
		}
	}
}

// The facilitators' votes page offers an election's steps and proposal.
func TestVotesPage(t *testing.T) {
	h := newHarness(t, 2)
	v := h.createVote(map[string]any{"title": "Delegate", "type": "election"}, true)
	page := string(h.must2(h.do("facilitator", "", "GET", "/decide/a/"+h.aid+"/votes", nil))(200))
	for _, want := range []string{`data-vote="` + v.ID + `"`, `data-phase="object"`, `class="proposal"`, `data-state="closed"`} {
		if !strings.Contains(page, want) {
			t.Errorf("votes page lacks %s", want)
		}
	}
	if st, _ := h.do("participant", "", "GET", "/api/decide/votes/"+v.ID+"/handed", nil); st == 200 {
		t.Errorf("a participant reached a facilitators' route")
	}
	if st, _ := h.do("participant", "", "POST", "/api/decide/votes/"+v.ID+"/state", `{"state":"closed"}`); st != 403 {
		t.Errorf("a participant closing a vote: %d, want 403", st)
	}
}
