package meeting

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func ids(qs []Question) []uint64 {
	out := []uint64{}
	for _, q := range qs {
		out = append(out, q.ID)
	}
	return out
}

func voters(n int) []string {
	var out []string
	for i := range n {
		out = append(out, string(rune('a'+i)))
	}
	return out
}

func TestOrderQuestions(t *testing.T) {
	tests := []struct {
		name string
		qs   []Question
		want []uint64
		top  []uint64 // topOf(…, 2)
	}{
		{"votes first, then older", []Question{{ID: 1}, {ID: 2, Voters: voters(2)}, {ID: 3, Voters: voters(2)}, {ID: 4, Voters: voters(1)}}, []uint64{2, 3, 4, 1}, []uint64{2, 3}},
		{"pinned before all", []Question{{ID: 1, Voters: voters(9)}, {ID: 2, Pinned: true}}, []uint64{2, 1}, []uint64{2, 1}},
		{"answered last, not on top", []Question{{ID: 1, Voters: voters(9), Answered: true}, {ID: 2}, {ID: 3, Voters: voters(1)}}, []uint64{3, 2, 1}, []uint64{3, 2}},
		{"hidden and merged left out", []Question{{ID: 1, Hidden: true, Voters: voters(5)}, {ID: 2, MergedInto: 3}, {ID: 3}}, []uint64{3}, []uint64{3}},
		{"pinned and answered stays on top", []Question{{ID: 1}, {ID: 2, Pinned: true, Answered: true}}, []uint64{2, 1}, []uint64{2, 1}},
		{"ids, not input order", []Question{{ID: 9}, {ID: 3}, {ID: 5}}, []uint64{3, 5, 9}, []uint64{3, 5}},
		{"none", nil, []uint64{}, []uint64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.qs)
			got := orderQuestions(tt.qs)
			if !slices.Equal(ids(got), tt.want) {
				t.Errorf("order %v, want %v", ids(got), tt.want)
			}
			if top := ids(topOf(got, 2)); !slices.Equal(top, tt.top) {
				t.Errorf("top %v, want %v", top, tt.top)
			}
			if !slices.EqualFunc(in, tt.qs, func(a, b Question) bool { return a.ID == b.ID }) {
				t.Errorf("input reordered")
			}
		})
	}
}

func TestMergeQuestions(t *testing.T) {
	tests := []struct {
		name       string
		from, into Question
		err        error
		voters     []string
		merged     []string
	}{
		{"union of voters, once each", Question{ID: 1, Text: "a?", Voters: []string{"x", "y"}}, Question{ID: 2, Text: "b?", Voters: []string{"y", "z"}}, nil, []string{"x", "y", "z"}, []string{"a?"}},
		{"carries what was merged before", Question{ID: 1, Text: "a?", Merged: []string{"c?"}}, Question{ID: 2, Text: "b?"}, nil, nil, []string{"a?", "c?"}},
		{"not into itself", Question{ID: 1}, Question{ID: 1}, errMergeSelf, nil, nil},
		{"not twice", Question{ID: 1, MergedInto: 3}, Question{ID: 2}, errMerged, nil, nil},
		{"not into a merged one", Question{ID: 1}, Question{ID: 2, MergedInto: 3}, errMerged, nil, nil},
		{"not into a hidden one", Question{ID: 1}, Question{ID: 2, Hidden: true}, errMergeHidden, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, into := tt.from, tt.into
			err := mergeQuestions(&from, &into)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			if !slices.Equal(into.Voters, tt.voters) || !slices.Equal(into.Merged, tt.merged) {
				t.Errorf("into has voters %v merged %v, want %v %v", into.Voters, into.Merged, tt.voters, tt.merged)
			}
			if from.MergedInto != into.ID || from.Shown() || len(from.Voters) != 0 || from.Pinned {
				t.Errorf("from after merge: %+v", from)
			}
		})
	}
}

func TestDistribution(t *testing.T) {
	tests := []struct {
		name    string
		kind    string
		answers map[string]int
		counts  []int
		total   int
		mean    int
	}{
		{"thumbs, no mean", CheckThumbs, map[string]int{"a": 2, "b": 2, "c": 0, "d": 1}, []int{1, 1, 2}, 4, 0},
		{"fist, mean in tenths", CheckFist, map[string]int{"a": 5, "b": 4, "c": 4}, []int{0, 0, 0, 0, 2, 1}, 3, 43},
		{"scale, mean rounds half up", CheckScale, map[string]int{"a": 0, "b": 1, "c": 0, "d": 0}, []int{3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 4, 3},
		{"nobody", CheckScale, nil, make([]int, 11), 0, 0},
		{"out of range left out", CheckFist, map[string]int{"a": 6, "b": -1, "c": 3}, []int{0, 0, 0, 1, 0, 0}, 1, 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := distribution(&Check{Kind: tt.kind, Answers: tt.answers})
			if !slices.Equal(d.Counts, tt.counts) || d.Total != tt.total || d.MeanTenths != tt.mean {
				t.Errorf("got %+v, want counts %v total %d mean %d", d, tt.counts, tt.total, tt.mean)
			}
		})
	}
}

func TestAnswerCheck(t *testing.T) {
	c := &Check{Kind: CheckThumbs, Open: true}
	steps := []struct {
		who string
		v   int
		err error
	}{
		{"a", 2, nil}, {"b", 0, nil}, {"a", 1, nil}, {"c", 3, errOutOfRange}, {"c", -1, errOutOfRange},
	}
	for _, s := range steps {
		if err := answerCheck(c, s.who, s.v); !errors.Is(err, s.err) {
			t.Fatalf("answer %s=%d: err %v, want %v", s.who, s.v, err, s.err)
		}
	}
	if d := distribution(c); !slices.Equal(d.Counts, []int{1, 1, 0}) || d.Total != 2 {
		t.Errorf("one answer per person, the last kept: got %+v", d)
	}
	c.Open = false
	if err := answerCheck(c, "b", 2); !errors.Is(err, errClosed) {
		t.Errorf("answer to a closed check: %v", err)
	}
}

func TestOrderArguments(t *testing.T) {
	args := []Argument{
		{ID: 1, Side: SidePro}, {ID: 2, Side: SideCon, Supporters: voters(1)}, {ID: 3, Side: SidePro, Supporters: voters(3)},
		{ID: 4, Side: SidePro, Hidden: true, Supporters: voters(9)}, {ID: 5, Side: SideCon}, {ID: 6, Side: SidePro, Supporters: voters(3)},
	}
	pros, cons := orderArguments(args)
	aid := func(as []Argument) (out []uint64) {
		for _, a := range as {
			out = append(out, a.ID)
		}
		return out
	}
	if got := aid(pros); !slices.Equal(got, []uint64{3, 6, 1}) {
		t.Errorf("pros %v", got)
	}
	if got := aid(cons); !slices.Equal(got, []uint64{2, 5}) {
		t.Errorf("cons %v", got)
	}
}

func TestCleanText(t *testing.T) {
	tests := []struct {
		in       string
		max      int
		required bool
		want     string
		ok       bool
	}{
		{"  hello  ", 10, true, "hello", true},
		{"", 10, true, "", false},
		{"   ", 10, false, "", true},
		{"éééé", 4, true, "éééé", true},
		{"ééééé", 4, true, "", false},
		{"a\nb\tc", 10, true, "a\nb\tc", true},
		{"a\x00b", 10, true, "", false},
		{"a\x1bb", 10, true, "", false},
		{"a\u0085b", 10, true, "", false},
		{"\xff", 10, true, "", false},
		{strings.Repeat("x", 501), maxQuestionRunes, true, "", false},
	}
	for _, tt := range tests {
		got, ok := cleanText(tt.in, tt.max, tt.required)
		if got != tt.want || ok != tt.ok {
			t.Errorf("cleanText(%q, %d) = %q, %v; want %q, %v", tt.in, tt.max, got, ok, tt.want, tt.ok)
		}
	}
}

func TestPersonLimit(t *testing.T) {
	l := newPersonLimit(5, 60e9)
	now := roomEpoch
	for i := range 5 {
		if !l.allow("a", now.Add(timeSec(i))) {
			t.Fatalf("question %d refused", i+1)
		}
	}
	if l.allow("a", now.Add(timeSec(10))) {
		t.Fatal("sixth question within a minute allowed")
	}
	if !l.allow("b", now.Add(timeSec(10))) {
		t.Fatal("another person refused")
	}
	if !l.allow("a", now.Add(timeSec(60))) {
		t.Fatal("a minute after the first, refused")
	}
}
