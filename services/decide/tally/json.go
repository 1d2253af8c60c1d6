package tally

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// JSONFormat is the value of the "format" field of a JSON ballot file
// (FORMATS.md); JSONVersion its "version".
const (
	JSONFormat  = "coopbox-ballots"
	JSONVersion = 1
)

// maxJSONBallot bounds one ballot's JSON text: 64 options pretty-printed
// take well under 2 KiB.
const maxJSONBallot = 16 << 10

// jsonBallot is a ballot as JSON holds it: pointers tell an absent or null
// value from a zero.
type jsonBallot struct {
	Weight   *int64  `json:"weight,omitempty"`
	Ranking  [][]int `json:"ranking,omitempty"`
	Grades   []*int  `json:"grades,omitempty"`
	Approved []int   `json:"approved,omitempty"`
	Points   []int64 `json:"points,omitempty"`
	Choice   *int    `json:"choice,omitempty"`
}

// ReadJSON reads the JSON ballot format of FORMATS.md: an object with an
// optional "format" ("coopbox-ballots") and "version" (1), optional
// "title" and "date", a "vote" and then "ballots". Unknown fields, a
// repeated field, "ballots" before "vote", and any ballot that does not
// fit the vote are refused; errors name the line, and the ballot's index.
func ReadJSON(r io.Reader) (*Election, error) {
	data, err := readAll(r)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	fail := func(err error) error {
		off := dec.InputOffset()
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			off = se.Offset
		case errors.As(err, &te):
			off = te.Offset
		}
		return fmt.Errorf("%w: line %d: %w", ErrFormat, lineOf(data, off), err)
	}
	delim := func(want json.Delim) error {
		t, err := dec.Token()
		if err != nil {
			return fail(err)
		}
		if d, ok := t.(json.Delim); !ok || d != want {
			return fail(fmt.Errorf("expected %v", want))
		}
		return nil
	}
	if err := delim('{'); err != nil {
		return nil, err
	}
	var e Election
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, fail(err)
		}
		key, _ := t.(string)
		if seen[key] {
			return nil, fail(fmt.Errorf("field %q given twice", key))
		}
		seen[key] = true
		switch key {
		case "format":
			var f string
			if err := dec.Decode(&f); err != nil {
				return nil, fail(err)
			}
			if f != JSONFormat {
				return nil, fail(fmt.Errorf("format %q, expected %q", f, JSONFormat))
			}
		case "version":
			var v int
			if err := dec.Decode(&v); err != nil {
				return nil, fail(err)
			}
			if v != JSONVersion {
				return nil, fail(fmt.Errorf("version %d, only %d is read", v, JSONVersion))
			}
		case "title":
			if err := dec.Decode(&e.Title); err != nil {
				return nil, fail(err)
			}
		case "date":
			if err := dec.Decode(&e.Date); err != nil {
				return nil, fail(err)
			}
		case "vote":
			if err := dec.Decode(&e.Vote); err != nil {
				return nil, fail(err)
			}
			if err := e.Vote.Validate(); err != nil {
				return nil, fail(err)
			}
		case "ballots":
			if !seen["vote"] {
				return nil, fail(errors.New(`"ballots" before "vote"`))
			}
			if err := delim('['); err != nil {
				return nil, err
			}
			e.Ballots = []Ballot{}
			var total int64
			for dec.More() {
				i := len(e.Ballots)
				if i >= MaxBallots {
					return nil, fail(fmt.Errorf("more than %d ballots", MaxBallots))
				}
				// Each ballot is decoded on its own from its raw bytes, at
				// most maxJSONBallot of them, so no ballot can make the
				// decoder build a huge slice before CheckBallot sees it.
				var raw json.RawMessage
				if err := dec.Decode(&raw); err != nil {
					return nil, fail(fmt.Errorf("ballot %d: %w", i, err))
				}
				start := dec.InputOffset() - int64(len(raw))
				b, off, err := decodeBallot(&e.Vote, raw)
				if err == nil {
					total += b.Weight
					if total > MaxTotalWeight {
						err = fmt.Errorf("weights add up to more than %d", MaxTotalWeight)
					}
				}
				if err != nil {
					var be *BallotError
					if errors.As(err, &be) {
						be.Ballot = i
					} else {
						err = fmt.Errorf("ballot %d: %w", i, err)
					}
					return nil, fmt.Errorf("%w: line %d: %w", ErrFormat, lineOf(data, start+off), err)
				}
				e.Ballots = append(e.Ballots, b)
			}
			if err := delim(']'); err != nil {
				return nil, err
			}
		default:
			return nil, fail(fmt.Errorf("unknown field %q", key))
		}
	}
	if err := delim('}'); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fail(errors.New("data after the object"))
	}
	if !seen["vote"] || !seen["ballots"] {
		return nil, fmt.Errorf("%w: \"vote\" and \"ballots\" are required", ErrFormat)
	}
	return &e, nil
}

// DecodeBallot decodes one ballot in its JSON form (FORMATS.md: an
// object such as {"weight": 2, "ranking": [[1], [0, 2]]}, at most 16 KiB)
// and checks it against the vote, which must be valid: the decoder for
// ballots that arrive over HTTP. A ballot that does not fit gives a
// *BallotError (errors.Is ErrBallot); text that is not a ballot, an error
// wrapping ErrFormat.
func DecodeBallot(v *Vote, data []byte) (Ballot, error) {
	b, _, err := decodeBallot(v, data)
	var be *BallotError
	if err != nil && !errors.As(err, &be) {
		err = fmt.Errorf("%w: %w", ErrFormat, err)
	}
	return b, err
}

// decodeBallot also returns where in data a JSON error was found; its
// errors other than *BallotError are for the caller to wrap in ErrFormat.
func decodeBallot(v *Vote, data []byte) (Ballot, int64, error) {
	if len(data) > maxJSONBallot {
		return Ballot{}, 0, fmt.Errorf("longer than %d bytes", maxJSONBallot)
	}
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return Ballot{}, 0, errors.New("a ballot is a JSON object")
	}
	var jb jsonBallot
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&jb); err != nil {
		off := dec.InputOffset()
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			off = se.Offset
		case errors.As(err, &te):
			off = te.Offset
		}
		return Ballot{}, off, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return Ballot{}, dec.InputOffset(), errors.New("data after the ballot")
	}
	b, err := jb.ballot(v)
	if err == nil {
		err = v.CheckBallot(&b)
	}
	if err != nil {
		return Ballot{}, 0, err
	}
	return b, 0, nil
}

// EncodeBallot writes a ballot in its JSON form, after checking it
// against the vote: DecodeBallot reads it back the same.
func EncodeBallot(v *Vote, b *Ballot) ([]byte, error) {
	if err := v.CheckBallot(b); err != nil {
		return nil, err
	}
	weight := b.Weight
	jb := jsonBallot{Weight: &weight, Ranking: b.Ranking, Approved: b.Approved, Points: b.Points}
	if b.Grades != nil {
		jb.Grades = make([]*int, len(b.Grades))
		for o := range b.Grades {
			if b.Grades[o] != NoGrade {
				jb.Grades[o] = &b.Grades[o]
			}
		}
	}
	if v.Kind == Single || v.Kind == YesNo {
		choice := b.Choice
		jb.Choice = &choice
	}
	data, err := json.Marshal(jb)
	if err != nil {
		return nil, fmt.Errorf("encode ballot: %w", err)
	}
	return data, nil
}

// ballot converts the JSON ballot: weight defaults to 1, a null grade is
// NoGrade, and the choice is required for single and yes/no votes (-1,
// Blank, for a blank single-choice ballot).
func (jb *jsonBallot) ballot(v *Vote) (Ballot, error) {
	b := Ballot{Weight: 1, Ranking: jb.Ranking, Approved: jb.Approved, Points: jb.Points}
	// An empty list and an absent one are the same ballot: keep one form,
	// so a ballot decodes the same after a round trip.
	if len(b.Ranking) == 0 {
		b.Ranking = nil
	}
	if len(b.Approved) == 0 {
		b.Approved = nil
	}
	if len(b.Points) == 0 {
		b.Points = nil
	}
	if jb.Weight != nil {
		b.Weight = *jb.Weight
	}
	if len(jb.Grades) > 0 {
		b.Grades = make([]int, len(jb.Grades))
		for o, g := range jb.Grades {
			b.Grades[o] = NoGrade
			if g != nil {
				if *g < 0 { // -1 would pass for NoGrade: in JSON that is null
					top := int64(len(v.Grades) - 1)
					if v.Kind == DatePoll {
						top = DateYes
					}
					return b, &BallotError{Ballot: -1, Problem: GradeOutOfRange, Option: o, Value: int64(*g), Limit: top}
				}
				b.Grades[o] = *g
			}
		}
	}
	if jb.Choice != nil {
		b.Choice = *jb.Choice
		if b.Choice == 0 && v.Kind != Single && v.Kind != YesNo {
			return b, &BallotError{Ballot: -1, Problem: FieldOfOtherKind, Option: -1, Value: -1, Limit: -1}
		}
	} else if v.Kind == Single || v.Kind == YesNo {
		return b, errors.New(`"choice" missing`)
	}
	return b, nil
}

// WriteJSON writes e in the JSON ballot format, one ballot per line.
func WriteJSON(w io.Writer, e *Election) error {
	if err := e.Vote.CheckBallots(e.Ballots); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	head := struct {
		Format  string `json:"format"`
		Version int    `json:"version"`
		Title   string `json:"title,omitempty"`
		Date    string `json:"date,omitempty"`
		Vote    Vote   `json:"vote"`
	}{JSONFormat, JSONVersion, e.Title, e.Date, e.Vote}
	hb, err := json.Marshal(head)
	if err != nil {
		return fmt.Errorf("write JSON ballots: %w", err)
	}
	bw.Write(hb[:len(hb)-1]) // reopen the object to append the ballots
	bw.WriteString(",\n\"ballots\": [")
	for i := range e.Ballots {
		line, err := EncodeBallot(&e.Vote, &e.Ballots[i])
		if err != nil {
			return fmt.Errorf("write JSON ballots: %w", err)
		}
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n ")
		bw.Write(line)
	}
	bw.WriteString("\n]}\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write JSON ballots: %w", err)
	}
	return nil
}
