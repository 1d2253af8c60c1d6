// Package locale is the message catalog every page goes through. French is the
// box's first language, English the second. Each package keeps its messages
// in a JSON file of its own, {"key": {"fr": "…", "en": "…"}}, so that the two
// languages of a message sit side by side and a missing translation is an
// error at start-up, not a blank on a phone.
//
// Messages are fmt formats rendered by golang.org/x/text/message, so numbers
// come out localised ("1 234,5" in French).
package locale

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"sort"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"
)

// Languages are the languages of the box, the first one the default.
var Languages = []language.Tag{language.French, language.English}

// Cookie is the name of the cookie that remembers a person's language choice.
const Cookie = "lang"

var matcher = language.NewMatcher(Languages)

// Catalog holds the messages of every package that added its file.
type Catalog struct {
	b    *catalog.Builder
	keys map[string]bool
}

// New returns an empty catalog.
func New() *Catalog {
	return &Catalog{b: catalog.NewBuilder(catalog.Fallback(language.French)), keys: map[string]bool{}}
}

// Load adds the messages of the JSON file name in fsys. Every message must
// exist in every language of the box, and a key may be defined only once.
func (c *Catalog) Load(fsys fs.FS, name string) error {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return fmt.Errorf("read messages: %w", err)
	}
	var msgs map[string]map[string]string
	if err := json.Unmarshal(data, &msgs); err != nil {
		return fmt.Errorf("messages %s: %w", name, err)
	}
	keys := make([]string, 0, len(msgs))
	for k := range msgs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		if c.keys[key] {
			return fmt.Errorf("messages %s: key %q defined twice", name, key)
		}
		c.keys[key] = true
		tr := msgs[key]
		if len(tr) != len(Languages) {
			return fmt.Errorf("messages %s: key %q has %d translations, want %d (fr, en)", name, key, len(tr), len(Languages))
		}
		for _, tag := range Languages {
			base, _ := tag.Base()
			text, ok := tr[base.String()]
			if !ok || text == "" {
				return fmt.Errorf("messages %s: key %q has no %s text", name, key, base)
			}
			if err := c.b.SetString(tag, key, text); err != nil {
				return fmt.Errorf("messages %s: key %q: %w", name, key, err)
			}
		}
	}
	return nil
}

// Has reports whether key was loaded.
func (c *Catalog) Has(key string) bool { return c.keys[key] }

// Keys returns every loaded key, sorted.
func (c *Catalog) Keys() []string {
	out := make([]string, 0, len(c.keys))
	for k := range c.keys {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Printer renders the messages of one language.
type Printer struct {
	Tag language.Tag
	p   *message.Printer
}

// Printer returns a printer for tag.
func (c *Catalog) Printer(tag language.Tag) *Printer {
	return &Printer{Tag: tag, p: message.NewPrinter(tag, message.Catalog(c.b))}
}

// T renders the message key with args.
func (p *Printer) T(key string, args ...any) string { return p.p.Sprintf(key, args...) }

// Lang is the two-letter code of the printer's language, for <html lang>.
func (p *Printer) Lang() string {
	base, _ := p.Tag.Base()
	return base.String()
}

// Choose picks the language of a request: the lang cookie if set, else the
// browser's Accept-Language, else French.
func Choose(r *http.Request) language.Tag {
	var prefs []language.Tag
	if c, err := r.Cookie(Cookie); err == nil {
		if t, err := language.Parse(c.Value); err == nil {
			prefs = append(prefs, t)
		}
	}
	if al, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language")); err == nil {
		prefs = append(prefs, al...)
	}
	if len(prefs) == 0 {
		return Languages[0]
	}
	_, i, conf := matcher.Match(prefs...)
	if conf == language.No {
		return Languages[0]
	}
	return Languages[i]
}
