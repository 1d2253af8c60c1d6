package decide

import (
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
	"golang.org/x/text/unicode/norm"
)

// fold is the form in which names are searched: lower case, accents and
// other marks removed, ligatures spelt out, spaces collapsed. "Éloïse
// Lœuvre" folds to "eloise loeuvre", so a desk typing "eloise" or "loeu"
// finds her. desk.js folds what is typed the same way (lib/fold.js); the
// desk's API sends each member's folded name.
func fold(s string) string {
	var b strings.Builder
	space := false
	for _, c := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, c):
			continue
		case unicode.IsSpace(c):
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		switch c = unicode.ToLower(c); c {
		case 'œ':
			b.WriteString("oe")
		case 'æ':
			b.WriteString("ae")
		case 'ß':
			b.WriteString("ss")
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// matches says whether a member's folded name holds every word of the
// folded query, in any order: "martin ma" finds "Marie Martin".
func matches(foldedName, foldedQuery string) bool {
	for _, w := range strings.Fields(foldedQuery) {
		if !strings.Contains(foldedName, w) {
			return false
		}
	}
	return true
}

// sortMembers sorts members by name in French collation order (accents
// second, case third: "Émile" between "Eliott" and "Enzo", not after "Zoé"
// as bytes would put it), then by college, then by id for a stable order.
func sortMembers(ms []Member) {
	c := collate.New(language.French)
	var buf collate.Buffer
	keys := make(map[string][]byte, len(ms))
	for _, m := range ms {
		keys[m.ID] = slices.Clone(c.KeyFromString(&buf, m.Name))
		buf.Reset()
	}
	slices.SortStableFunc(ms, func(a, b Member) int {
		if n := compareBytes(keys[a.ID], keys[b.ID]); n != 0 {
			return n
		}
		if n := c.CompareString(a.College, b.College); n != 0 {
			return n
		}
		return strings.Compare(a.ID, b.ID)
	})
}

func compareBytes(a, b []byte) int {
	return strings.Compare(string(a), string(b))
}
