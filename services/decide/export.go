package decide

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/coopbox/coopbox/services/decide/tally"
	"github.com/coopbox/coopbox/services/page"
)

// Exports of a closed vote: the result as CSV and JSON, its anonymised
// ballots as tally's JSON ballot file, CSV, and PrefLib for ranked and
// graded votes. The ballots are those counted, with their weights, in an
// order that tells nothing of arrival; a recount from any of them gives
// the stored result.

func (s *Service) apiExport(w http.ResponseWriter, r *http.Request) {
	v, err := s.st.vote(r.PathValue("vid"))
	if err == nil && v.State != StateClosed {
		err = errState
	}
	if err != nil {
		s.voteErr(w, r, err)
		return
	}
	res, export, err := s.st.result(v)
	if err != nil {
		s.voteErr(w, r, err)
		return
	}
	file := r.PathValue("file")
	var body []byte
	ctype := "text/plain; charset=utf-8"
	switch file {
	case "result.json":
		ctype = "application/json"
		var buf bytes.Buffer
		page.JSON(&discardHeader{buf: &buf}, 200, res)
		body = buf.Bytes()
	case "result.csv":
		ctype = "text/csv; charset=utf-8"
		body, err = resultCSV(res)
	case "ballots.json":
		ctype, body = "application/json", export
	case "ballots.csv":
		ctype = "text/csv; charset=utf-8"
		body, err = ballotsCSV(export)
	default:
		ext, ok := strings.CutPrefix(file, "ballots.")
		if !ok {
			err = errNotFound
			break
		}
		var e *tally.Election
		if e, err = tally.ReadJSON(bytes.NewReader(export)); err != nil {
			break
		}
		var t string
		if t, err = tally.PrefLibType(e); err != nil {
			err = invalid("%v", err)
			break
		}
		if t != ext {
			err = invalid("this vote's PrefLib file is ballots.%s", t)
			break
		}
		var buf bytes.Buffer
		err = tally.WritePrefLib(&buf, e, file)
		body = buf.Bytes()
	}
	if err != nil {
		s.voteErr(w, r, err)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", v.ID+"-"+file))
	w.Write(body)
}

// discardHeader lets page.JSON write into a buffer.
type discardHeader struct {
	buf *bytes.Buffer
	h   http.Header
}

func (d *discardHeader) Header() http.Header {
	if d.h == nil {
		d.h = http.Header{}
	}
	return d.h
}
func (d *discardHeader) Write(p []byte) (int, error) { return d.buf.Write(p) }
func (d *discardHeader) WriteHeader(int)             {}

// resultCSV: one line per option with its place and its numbers.
func resultCSV(res *storedResult) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"place", "option", "total", "outcome"})
	t := res.Tally
	if t == nil {
		t = res.Objection
	}
	if t != nil {
		for place, group := range t.Ranking {
			for _, o := range group {
				total := ""
				if o < len(t.Totals) {
					total = strconv.FormatInt(t.Totals[o], 10)
				}
				w.Write([]string{strconv.Itoa(place + 1), t.Options[o], total, res.Outcome})
			}
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// ballotsCSV: one line per ballot, its weight then one column per option
// (a rank, grade, score, approval 0/1, or the choice).
func ballotsCSV(export []byte) ([]byte, error) {
	e, err := tally.ReadJSON(bytes.NewReader(export))
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(append([]string{"weight"}, e.Vote.Options...))
	for _, b := range e.Ballots {
		row := []string{strconv.FormatInt(b.Weight, 10)}
		for o := range e.Vote.Options {
			cell := ""
			switch e.Vote.Kind {
			case tally.Ranked:
				for rank, g := range b.Ranking {
					for _, x := range g {
						if x == o {
							cell = strconv.Itoa(rank + 1)
						}
					}
				}
			case tally.Graded, tally.DatePoll:
				if b.Grades[o] != tally.NoGrade {
					cell = strconv.Itoa(b.Grades[o])
				}
			case tally.Approval:
				cell = "0"
				for _, x := range b.Approved {
					if x == o {
						cell = "1"
					}
				}
			case tally.Score, tally.Dots:
				cell = strconv.FormatInt(b.Points[o], 10)
			case tally.Single, tally.YesNo:
				if b.Choice == o {
					cell = "1"
				}
			}
			row = append(row, cell)
		}
		w.Write(row)
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}
