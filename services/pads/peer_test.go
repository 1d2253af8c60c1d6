package pads

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/coopbox/coopbox/services/person"
)

// TestPeerMarkdown: another service makes a pad from Markdown and reads it
// back through the same export people download.
func TestPeerMarkdown(t *testing.T) {
	s := startService(t, filepath.Join(t.TempDir(), "pads.db"), DefaultLimits)
	who := &person.Person{ID: "m", Name: "Réunion", Role: person.Facilitator}
	md := "# Procès-verbal\n\n## Ordre du jour\n\n1. Rapport moral\n2. Budget\n\n- [x] quorum atteint\n"
	id, err := s.CreateFromMarkdown(who, "PV de l'AG", md)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Markdown(id)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# Procès-verbal", "## Ordre du jour", "1. Rapport moral", "- [x] quorum atteint"} {
		if !strings.Contains(got, want) {
			t.Errorf("the pad reads back without %q:\n%s", want, got)
		}
	}
	m, err := s.st.meta(id)
	if err != nil || m.Title != "PV de l'AG" || m.CreatedBy != "Réunion" {
		t.Errorf("pad meta %+v, %v", m, err)
	}
	if _, err := s.CreateFromMarkdown(who, "  ", md); err == nil {
		t.Error("a pad with an empty title was made")
	}
	if _, err := s.CreateFromMarkdown(who, "deep", strings.Repeat("- ", 200)+"x\n"); err == nil {
		t.Error("a pad nested deeper than the limit was made")
	}
	if _, err := s.Markdown("nope"); err == nil {
		t.Error("an unknown pad was read")
	}
}
