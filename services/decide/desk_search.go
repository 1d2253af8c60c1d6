package decide

import (
	"bytes"
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
// second, case third: "Émile" among the E's, not after "Zoé" as bytes
// would put it), then by college, then by id for a stable order.
func sortMembers(ms []Member) {
	order, _ := collationOrder(ms)
	sorted := make([]Member, len(ms))
	for k, i := range order {
		sorted[k] = ms[i]
	}
	copy(ms, sorted)
}

// collationOrder returns the indices of ms in sortMembers's order, and
// every member's folded name.
func collationOrder(ms []Member) (order []int, keys []string) {
	c := collate.New(language.French)
	var buf collate.Buffer
	sortKeys := make([][]byte, len(ms))
	keys = make([]string, len(ms))
	order = make([]int, len(ms))
	for i, m := range ms {
		sortKeys[i] = slices.Clone(c.KeyFromString(&buf, m.Name))
		buf.Reset()
		keys[i] = fold(m.Name)
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		if n := bytes.Compare(sortKeys[a], sortKeys[b]); n != 0 {
			return n
		}
		if n := c.CompareString(ms[a].College, ms[b].College); n != 0 {
			return n
		}
		return strings.Compare(ms[a].ID, ms[b].ID)
	})
	return order, keys
}
