package decide

import (
	"strings"
	"testing"
)

// TestPeerSummaries: what another service (the meeting's minutes) reads of
// a vote and of an assembly's presence.
func TestPeerSummaries(t *testing.T) {
	h := newHarness(t, 4)
	v := h.createVote(map[string]any{"title": "Budget 2027", "type": "yesno"}, true)
	title, url, lines, err := h.s.VoteSummary(v.ID, "fr")
	if err != nil || title != "Budget 2027" || url != "/decide/v/"+v.ID || len(lines) != 1 || lines[0] != "Vote non clos." {
		t.Fatalf("an open vote's summary: %q %q %q %v", title, url, lines, err)
	}
	for i, b := range []string{`{"choice":0}`, `{"choice":0}`, `{"choice":1}`} {
		h.must2(h.ballot(v.ID, h.members[i].ID, b))(200)
	}
	h.setState(v.ID, "closed")
	_, _, lines, err = h.s.VoteSummary(v.ID, "fr")
	if err != nil || len(lines) != 2 || !strings.Contains(lines[1], "3 votant·es") {
		t.Fatalf("a closed vote's summary: %q %v", lines, err)
	}
	if !strings.Contains(strings.ToLower(lines[0]), "adopt") {
		t.Errorf("the summary does not say the motion was adopted: %q", lines[0])
	}
	if _, _, en, _ := h.s.VoteSummary(v.ID, "en"); !strings.Contains(en[1], "3 voters") {
		t.Errorf("English summary: %q", en)
	}
	if _, _, _, err := h.s.VoteSummary("nope", "fr"); err == nil {
		t.Error("an unknown vote has a summary")
	}

	if ids, titles, err := h.s.Assemblies(); err != nil || len(ids) != 1 || ids[0] != h.aid || titles[0] != "AG" {
		t.Errorf("Assemblies: %q %q %v", ids, titles, err)
	}

	h.s.stubCheckIn(h.aid, h.members[0].ID, h.members[1].ID)
	h.s.stubProxy(h.aid, h.members[2].ID, h.members[0].ID)
	atitle, lines, err := h.s.AssemblyPresence(h.aid, "fr")
	if err != nil || atitle != "AG" {
		t.Fatalf("presence: %q %v", atitle, err)
	}
	if got := strings.Join(lines, " "); !strings.Contains(got, "droit de vote : 4") || !strings.Contains(got, "Présent·es : 2 ; présent·es ou représenté·es : 3") {
		t.Errorf("presence lines: %q", lines)
	}
}

// TestPeerAssemblyVotes: the list a meeting's decision item chooses from.
func TestPeerAssemblyVotes(t *testing.T) {
	h := newHarness(t, 2)
	if ids, _, err := h.s.AssemblyVotes(h.aid); err != nil || len(ids) != 0 {
		t.Fatalf("an assembly without votes lists %q, %v", ids, err)
	}
	a := h.createVote(map[string]any{"title": "Budget 2027", "type": "yesno"}, true)
	b := h.createVote(map[string]any{"title": "Bureau", "type": "yesno"}, true)
	ids, titles, err := h.s.AssemblyVotes(h.aid)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for i := range ids {
		got[ids[i]] = titles[i]
	}
	if len(ids) != 2 || got[a.ID] != "Budget 2027" || got[b.ID] != "Bureau" {
		t.Errorf("votes listed: %q %q", ids, titles)
	}
	if _, _, err := h.s.AssemblyVotes("nope"); err == nil {
		t.Error("an unknown assembly lists votes")
	}
}
