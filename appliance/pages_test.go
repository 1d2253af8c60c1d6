package appliance

import (
	"io/fs"
	"os"
	"regexp"
	"testing"

	"github.com/coopbox/coopbox/appliance/backup"
	"github.com/coopbox/coopbox/services/locale"
	pagekit "github.com/coopbox/coopbox/services/page"
)

// TestEveryMessageExists checks that each key a template asks for is in the
// catalog, in both languages (Load refuses a key missing a language).
func TestEveryMessageExists(t *testing.T) {
	cat := locale.New()
	if err := cat.Load(webFS, "web/messages.json"); err != nil {
		t.Fatal(err)
	}
	if err := pagekit.LoadMessages(cat); err != nil {
		t.Fatal(err)
	}
	for _, m := range mounts() {
		if err := m.Messages(cat); err != nil {
			t.Fatal(err)
		}
	}
	keyRe := regexp.MustCompile(`\.T "([a-z0-9_.]+)"`)
	check := func(name string, src []byte) {
		for _, m := range keyRe.FindAllSubmatch(src, -1) {
			if !cat.Has(string(m[1])) {
				t.Errorf("%s asks for message %q, which is not in the catalog", name, m[1])
			}
		}
	}
	files, _ := fs.Glob(webFS, "web/*.html")
	for _, f := range files {
		src, _ := fs.ReadFile(webFS, f)
		check(f, src)
	}
	layout, err := os.ReadFile("../services/page/layout.html")
	if err != nil {
		t.Fatal(err)
	}
	check("layout.html", layout)
	// Keys built with printf in landing.html: each service's card.
	for _, m := range mounts() {
		for _, k := range []string{"space." + m.Name, "space." + m.Name + ".desc"} {
			if !cat.Has(k) {
				t.Errorf("the landing card of %q lacks message %q", m.Name, k)
			}
		}
	}
	// Keys errorKey may return.
	for _, err := range []error{errBadName, errNameTaken, errShortPassphrase, errPassphraseMatch, errBadCredentials,
		errAlreadyClaimed, errBadInvite, errForbidden, errNotFound, backup.ErrInvalid, backup.ErrPending, os.ErrClosed} {
		if key, _ := errorKey(err); !cat.Has(key) {
			t.Errorf("errorKey(%v) = %q, not in the catalog", err, key)
		}
	}
}
