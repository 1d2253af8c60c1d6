package decide

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// rollCSV5000 is a roll of 5,000 members, the most an import takes.
func rollCSV5000() string {
	var b strings.Builder
	b.WriteString("Nom;Collège;Poids;Droit de vote\n")
	for i := range maxRollMembers {
		b.WriteString("Élodie Membre-" + rollItoa(int64(i)) + ";Usagers;1;oui\n")
	}
	return b.String()
}

// BenchmarkReadRollCSV: reading and checking a 5,000-member roll.
func BenchmarkReadRollCSV(b *testing.B) {
	data := []byte(rollCSV5000())
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if ms, bad, err := readRollCSV(data); err != nil || len(bad) != 0 || len(ms) != maxRollMembers {
			b.Fatal(err, bad)
		}
	}
}

// BenchmarkDeskState: the desk's whole state for 5,000 members (what a
// phone loads, in French collation order), and a search in it.
func BenchmarkDeskState(b *testing.B) {
	ts := startRollService(b, filepath.Join(b.TempDir(), "decide.db"))
	a := ts.createAssembly(Rules{})
	ts.must(http.StatusOK, "POST", "/api/decide/roll-import?assembly="+a.ID, rollCSV5000(), nil)
	b.Run("all", func(b *testing.B) {
		for b.Loop() {
			if v, err := ts.desk(a.ID, ""); err != nil || len(v.Members) != maxRollMembers {
				b.Fatal(err)
			}
		}
	})
	b.Run("search", func(b *testing.B) {
		for b.Loop() {
			if v, err := ts.desk(a.ID, "elodie 4999"); err != nil || len(v.Members) != 1 {
				b.Fatal(err, len(v.Members))
			}
		}
	})
}

// BenchmarkProxyTrial: the copy of a 5,000-member roll on which a proxy is
// tried before it is stored.
func BenchmarkProxyTrial(b *testing.B) {
	ts := startRollService(b, filepath.Join(b.TempDir(), "decide.db"))
	a := ts.createAssembly(Rules{})
	ts.must(http.StatusOK, "POST", "/api/decide/roll-import?assembly="+a.ID, rollCSV5000(), nil)
	e, err := ts.entry(a.ID)
	if err != nil {
		b.Fatal(err)
	}
	defer e.mu.Unlock()
	for b.Loop() {
		if _, err := e.trial(); err != nil {
			b.Fatal(err)
		}
	}
}
