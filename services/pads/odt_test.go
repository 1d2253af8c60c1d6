package pads

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestODTOpensInLibreOffice converts the ODT export of a pad made by the
// editor to plain text with LibreOffice (Debian's libreoffice-writer-nogui)
// and checks every line of the pad is there, in order.
func TestODTOpensInLibreOffice(t *testing.T) {
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		if os.Getenv("COOPBOX_REQUIRE_ALL") == "1" {
			t.Fatalf("LibreOffice is needed (apt-get install libreoffice-writer-nogui): %v", err)
		}
		t.Skipf("LibreOffice is needed (apt-get install libreoffice-writer-nogui): %v", err)
	}
	blocks := readPad(tiptapDoc(t))
	odt, err := exportODT("Compte rendu", blocks, time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC), maxExport)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "pad.odt")
	os.WriteFile(in, odt, 0o600)
	cmd := exec.Command(soffice, "--headless", "--norestore", "-env:UserInstallation=file://"+filepath.Join(dir, "profile"),
		"--convert-to", "txt:Text (encoded):UTF8", "--outdir", dir, in)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "pad.txt"))
	if err != nil {
		t.Fatalf("LibreOffice wrote no text: %v", err)
	}
	got := strings.TrimPrefix(string(raw), "\ufeff")
	rest := got
	for _, want := range []string{"Compte rendu de l'AG", "Présents : Ana, Bo et la Fabrique.", "Décisions",
		"1. Budget adopté", "2. Charte amendée", "◦ article 3", "◦ article *7*", "☑ Envoyer le compte rendu", "☐ Réserver la salle",
		"Les communs sont à nous.", "coopbox backup", "exit 0", "Ligne 1", "Ligne 2 avec code & <balises>"} {
		i := strings.Index(rest, want)
		if i < 0 {
			t.Fatalf("LibreOffice's text lacks %q (in order); it read:\n%s", want, got)
		}
		rest = rest[i+len(want):]
	}
}
