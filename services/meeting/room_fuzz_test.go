package meeting

import (
	"errors"
	"testing"
	"unicode/utf8"
)

// The room's decoders take network input: never a panic, and what they
// accept is within bounds.

func FuzzDecodeQuestion(f *testing.F) {
	f.Add([]byte(`{"text":"Who pays?","anonymous":true}`), true)
	f.Add([]byte(`{"text":"","handle":"AAAAAAAAAAAAAAAAAAAAAA"}`), false)
	f.Add([]byte(`{"text":"a\u0000b"}`), true)
	f.Add([]byte(`{"text":"x"}{}`), true)
	f.Fuzz(func(t *testing.T, data []byte, needText bool) {
		q, err := decodeQuestion(data, needText)
		if err != nil {
			var re *roomError
			if !errors.As(err, &re) {
				t.Fatalf("refusal %v is not a room error", err)
			}
			return
		}
		if len(q.Handle) > maxHandle {
			t.Fatalf("handle of %d bytes accepted", len(q.Handle))
		}
		if needText {
			if n := utf8.RuneCountInString(q.Text); n == 0 || n > maxQuestionRunes || !utf8.ValidString(q.Text) {
				t.Fatalf("text of %d characters accepted: %q", n, q.Text)
			}
		}
	})
}

func FuzzDecodeArgument(f *testing.F) {
	f.Add([]byte(`{"side":"pro","text":"cheaper"}`))
	f.Add([]byte(`{"side":"con","text":"   "}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := decodeArgument(data)
		if err != nil {
			return
		}
		if (a.Side != SidePro && a.Side != SideCon) || a.Text == "" || utf8.RuneCountInString(a.Text) > maxArgumentRunes {
			t.Fatalf("accepted %+v", a)
		}
	})
}

func FuzzDecodeCheck(f *testing.F) {
	f.Add([]byte(`{"kind":"fist","prompt":"Ready?","item":"i1"}`))
	f.Add([]byte(`{"kind":"scale"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := decodeCheck(data)
		if err != nil {
			return
		}
		if _, ok := checkRange(c.Kind); !ok || !c.Open || len(c.Item) > maxItemID || utf8.RuneCountInString(c.Prompt) > maxPromptRunes {
			t.Fatalf("accepted %+v", c)
		}
	})
}

func FuzzDecodeSmall(f *testing.F) {
	f.Add([]byte(`{"up":true}`))
	f.Add([]byte(`{"value":3}`))
	f.Add([]byte(`{"action":"merge","into":4}`))
	f.Add([]byte(`{"title":"Van","item":"x"}`))
	f.Add([]byte(`{"anonymousQuestions":true,"board":2}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		decodeUp(data)
		if v, err := decodeAnswer(data); err == nil {
			c := &Check{Kind: CheckScale, Open: true}
			if answerCheck(c, "p", v) == nil && (v < 0 || v > 10) {
				t.Fatalf("answer %d accepted on a 0–10 scale", v)
			}
		}
		for _, arg := range []bool{false, true} {
			if m, err := decodeModerate(data, arg); err == nil {
				if m.Action == "merge" && (arg || m.Into == 0) || m.Action != "merge" && (m.Into != 0 || !questionActions[m.Action]) {
					t.Fatalf("moderation %+v accepted (argument %v)", m, arg)
				}
			}
		}
		if p, err := decodeProposal(data); err == nil && (p.Title == "" || len(p.Item) > maxItemID) {
			t.Fatalf("proposal %+v accepted", p)
		}
		decodeSettings(data)
	})
}
