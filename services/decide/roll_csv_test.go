package decide

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestReadRollCSV(t *testing.T) {
	good, err := os.ReadFile("testdata/roll_good.csv")
	if err != nil {
		t.Fatal(err)
	}
	ms, bad, err := readRollCSV(good)
	if err != nil || len(bad) != 0 {
		t.Fatalf("good file (';', BOM, CRLF, French headers): err %v, refused %v", err, bad)
	}
	var got []string
	for _, m := range ms {
		got = append(got, m.Member.Name+"|"+m.Member.College+"|"+rollItoa(m.Member.Weight)+"|"+yesNo(m.Member.Voting))
	}
	want := []string{"Éloïse Lœuvre|Salariés|1|y", "Zoé Martin|Usagers|2|y", "Emile Durand|Usagers|1|n",
		"Bernard, Anne|Salariés|1|y", "Émile Zola|Usagers|3|y", "Agnès Petit|Salariés|1|y"}
	if !slices.Equal(got, want) {
		t.Errorf("good file read as\n%q\nwant\n%q", got, want)
	}
	if ms[0].Line != 2 || ms[5].Line != 7 {
		t.Errorf("line numbers %d and %d, want 2 and 7", ms[0].Line, ms[5].Line)
	}

	broken, _ := os.ReadFile("testdata/roll_broken.csv")
	ms, bad, err = readRollCSV(broken)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, b := range bad {
		lines = append(lines, rollItoa(int64(b.Line))+":"+b.Key)
	}
	wantLines := []string{"3:roll.csv.noNameOnLine", "4:roll.csv.badWeight", "5:roll.csv.badVoting",
		"6:roll.csv.duplicate", "8:roll.csv.unreadable"}
	if !slices.Equal(lines, wantLines) {
		t.Errorf("broken file (',' and English headers): refused %q, want %q", lines, wantLines)
	}
	if len(ms) != 2 || ms[0].Member.Name != "Alice" || ms[1].Member.Name != "Dan" {
		t.Errorf("good lines of the broken file: %+v", ms)
	}

	for _, tc := range []struct {
		name, in string
		code     string // whole-file refusal
		members  []string
	}{
		{"first and last name columns, tab", "Prénom\tNom de famille\nAnne\tBernard\n", "", []string{"Anne Bernard"}},
		{"one column, no separator", "name\nAlice\nBob\n", "", []string{"Alice", "Bob"}},
		{"defaults: weight 1, voting yes", "Nom;Catégorie\nAlice;\n", "", []string{"Alice"}},
		{"no name column", "email;poids\na@b;1\n", "roll_header", nil},
		{"empty", "\n\n", "roll_empty", nil},
		{"latin-1", "Nom\n\xc9lo\xefse\n", "roll_not_utf8", nil},
		{"header only", "Nom;Poids\n", "", nil},
		{"quoted separators and newlines", "nom,note\n\"Martin; Marie\",\"a\nb\"\nBob,x\n", "", []string{"Martin; Marie", "Bob"}},
	} {
		ms, bad, err := readRollCSV([]byte(tc.in))
		var ue *userError
		switch {
		case tc.code != "":
			if !errors.As(err, &ue) || ue.code != tc.code {
				t.Errorf("%s: err %v, want %s", tc.name, err, tc.code)
			}
			continue
		case err != nil || len(bad) != 0:
			t.Errorf("%s: err %v, refused %v", tc.name, err, bad)
			continue
		}
		var names []string
		for _, m := range ms {
			names = append(names, m.Member.Name)
			if m.Member.Weight != 1 || !m.Member.Voting {
				t.Errorf("%s: %+v, want weight 1 and a voting right by default", tc.name, m.Member)
			}
		}
		if !slices.Equal(names, tc.members) {
			t.Errorf("%s: members %q, want %q", tc.name, names, tc.members)
		}
	}

	// Too many members: the file as a whole is refused.
	var b strings.Builder
	b.WriteString("nom\n")
	for i := range maxRollMembers + 1 {
		b.WriteString("m" + rollItoa(int64(i)) + "\n")
	}
	if _, _, err := readRollCSV([]byte(b.String())); err == nil {
		t.Errorf("a roll of %d members was accepted", maxRollMembers+1)
	}
}

func rollItoa(n int64) string { return strconv.FormatInt(n, 10) }

func yesNo(b bool) string {
	if b {
		return "y"
	}
	return "n"
}

// FuzzReadRollCSV: whatever the bytes, the reader returns in bounded time
// without panicking, and what it accepts is a member the roll can hold;
// refused lines are numbered within the file, at most maxLineErrors.
func FuzzReadRollCSV(f *testing.F) {
	for _, name := range []string{"testdata/roll_good.csv", "testdata/roll_broken.csv"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("Prénom\tNom\n\"a\"\"b\"\tc\n"))
	f.Add([]byte("name;weight;vote\nx;99999999999999999999;oui\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ms, bad, err := readRollCSV(data)
		if err != nil {
			var ue *userError
			if !errors.As(err, &ue) {
				t.Fatalf("a whole-file error that is no userError: %v", err)
			}
			return
		}
		if len(bad) > maxLineErrors {
			t.Fatalf("%d refused lines reported", len(bad))
		}
		nLines := bytes.Count(data, []byte("\n")) + 1
		for _, b := range bad {
			if b.Line < 1 || b.Line > nLines {
				t.Fatalf("refused line %d in a file of %d lines", b.Line, nLines)
			}
		}
		for _, m := range ms {
			mb := m.Member
			if mb.Name == "" || mb.Name != strings.TrimSpace(mb.Name) || !utf8.ValidString(mb.Name) ||
				!cleanText(mb.Name, maxName) || !cleanText(mb.College, maxName) {
				t.Fatalf("accepted a bad name or college: %+v", mb)
			}
			if mb.Weight < 1 || mb.Weight > maxWeight {
				t.Fatalf("accepted weight %d", mb.Weight)
			}
		}
	})
}
