package decide

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A roll arrives as CSV from a spreadsheet: LibreOffice and Excel write ';'
// in French locales and ',' elsewhere, UTF-8 with or without a byte order
// mark. The first line names the columns, in French or English; a line
// that cannot be read is reported with its number and the import stores
// nothing (importRoll).

// csvMember is one member read from a line of the file.
type csvMember struct {
	Line   int
	Member Member
}

// lineError is a refused line: its number in the file and a message key of
// messages_roll.json with its arguments.
type lineError struct {
	Line int
	Key  string
	Args []any
}

// maxLineErrors bounds the report: past it the file is surely not a roll.
const maxLineErrors = 100

// rollColumns maps folded header names (lower case, no accents, no space or
// punctuation) to the field they fill.
var rollColumns = map[string]string{
	"nom": "name", "name": "name", "nomprenom": "name", "nometprenom": "name", "prenomnom": "name",
	"membre": "name", "member": "name", "fullname": "name", "nomcomplet": "name", "adherent": "name",
	"prenom": "first", "firstname": "first", "givenname": "first",
	"nomdefamille": "last", "lastname": "last", "surname": "last", "familyname": "last",
	"college": "college", "categorie": "college", "category": "college", "groupe": "college", "group": "college",
	"poids": "weight", "weight": "weight", "voix": "weight", "nombredevoix": "weight", "parts": "weight", "shares": "weight", "ponderation": "weight",
	"droitdevote": "voting", "vote": "voting", "votant": "voting", "voting": "voting", "votingright": "voting", "canvote": "voting",
}

// readRollCSV reads a roll. It returns the members of the good lines, the
// refused lines (in file order, at most maxLineErrors), or an error about
// the file as a whole (a *userError).
func readRollCSV(data []byte) ([]csvMember, []lineError, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		return nil, nil, refuse(422, "roll_not_utf8", "roll.csv.notUTF8")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil, refuse(422, "roll_empty", "roll.csv.empty")
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = guessSeparator(data)
	r.FieldsPerRecord = -1
	r.ReuseRecord = true

	header, err := r.Read()
	if err != nil {
		return nil, nil, refuse(422, "roll_header", "roll.csv.header")
	}
	col := map[string]int{}
	for i, h := range header {
		if f, ok := rollColumns[foldHeader(h)]; ok {
			if _, dup := col[f]; !dup {
				col[f] = i
			}
		}
	}
	_, hasName := col["name"]
	_, hasLast := col["last"]
	_, hasFirst := col["first"]
	if !hasName && !hasLast && !hasFirst {
		return nil, nil, refuse(422, "roll_header", "roll.csv.noName")
	}
	field := func(rec []string, f string) string {
		i, ok := col[f]
		if !ok || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}

	var out []csvMember
	var bad []lineError
	seen := map[string]int{} // folded name and college → line
	report := func(e lineError) bool {
		bad = append(bad, e)
		return len(bad) < maxLineErrors
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			if !report(lineError{Line: line, Key: "roll.csv.unreadable"}) {
				break
			}
			continue
		}
		line, _ := r.FieldPos(0)
		if blank(rec) {
			continue // spreadsheets end with empty lines of separators
		}
		if len(out) >= maxRollMembers {
			return nil, nil, refuse(413, "roll_too_long", "roll.csv.tooLong", maxRollMembers)
		}
		name := field(rec, "name")
		if name == "" {
			name = strings.TrimSpace(field(rec, "first") + " " + field(rec, "last"))
		}
		m := Member{Name: name, College: field(rec, "college"), Weight: 1, Voting: true}
		e := lineError{Line: line}
		switch {
		case name == "":
			e.Key = "roll.csv.noNameOnLine"
		case !cleanText(name, maxName):
			e.Key, e.Args = "roll.csv.badName", []any{maxName}
		case !cleanText(m.College, maxName):
			e.Key, e.Args = "roll.csv.badCollege", []any{maxName}
		}
		if w := field(rec, "weight"); e.Key == "" && w != "" {
			n, err := strconv.ParseInt(w, 10, 64)
			if err != nil || n < 1 || n > maxWeight {
				e.Key, e.Args = "roll.csv.badWeight", []any{w, maxWeight}
			}
			m.Weight = n
		}
		if v := field(rec, "voting"); e.Key == "" && v != "" {
			yes, ok := parseYesNo(v)
			if !ok {
				e.Key, e.Args = "roll.csv.badVoting", []any{v}
			}
			m.Voting = yes
		}
		if e.Key == "" {
			k := fold(m.Name) + "\x00" + fold(m.College)
			if first, dup := seen[k]; dup {
				e.Key, e.Args = "roll.csv.duplicate", []any{first}
			} else {
				seen[k] = line
			}
		}
		if e.Key != "" {
			if !report(e) {
				break
			}
			continue
		}
		out = append(out, csvMember{Line: line, Member: m})
	}
	return out, bad, nil
}

// guessSeparator picks ';', ',' or a tab, whichever the header line holds
// most of outside quotes; ',' when it holds none (a single column).
func guessSeparator(data []byte) rune {
	counts := map[rune]int{}
	quoted := false
	for _, c := range string(data) {
		if c == '"' {
			quoted = !quoted
			continue
		}
		if !quoted && (c == '\n' || c == '\r') {
			break
		}
		if !quoted && (c == ';' || c == ',' || c == '\t') {
			counts[c]++
		}
	}
	best := ','
	for _, c := range []rune{';', '\t'} {
		if counts[c] > counts[best] {
			best = c
		}
	}
	return best
}

// foldHeader makes "Droit de vote", "droit_de_vote" and "DROIT-DE-VOTE"
// the same key.
func foldHeader(h string) string {
	var b strings.Builder
	for _, c := range fold(h) {
		if unicode.IsLetter(c) || unicode.IsDigit(c) {
			b.WriteRune(c)
		}
	}
	return b.String()
}

func parseYesNo(v string) (yes, ok bool) {
	switch fold(v) {
	case "oui", "o", "yes", "y", "1", "x", "vrai", "true", "v":
		return true, true
	case "non", "n", "no", "0", "faux", "false", "f", "-":
		return false, true
	}
	return false, false
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// cleanText accepts text of at most max characters and no control
// character.
func cleanText(s string, max int) bool {
	if utf8.RuneCountInString(s) > max {
		return false
	}
	for _, c := range s {
		if unicode.IsControl(c) {
			return false
		}
	}
	return true
}
