package locale

import (
	"net/http/httptest"
	"testing"
	"testing/fstest"
)

func TestLoadAndPrint(t *testing.T) {
	c := New()
	fsys := fstest.MapFS{"m.json": {Data: []byte(`{"people": {"fr": "%d personnes", "en": "%d people"}}`)}}
	if err := c.Load(fsys, "m.json"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ lang, want string }{{"fr", "1\u00a0234 personnes"}, {"en", "1,234 people"}} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept-Language", tt.lang)
		p := c.Printer(Choose(r))
		if got := p.T("people", 1234); got != tt.want {
			t.Errorf("%s: T = %q, want %q", tt.lang, got, tt.want)
		}
	}
}

func TestLoadRejects(t *testing.T) {
	tests := map[string]string{
		"missing en": `{"a": {"fr": "x"}}`,
		"empty fr":   `{"a": {"fr": "", "en": "x"}}`,
		"extra lang": `{"a": {"fr": "x", "en": "y", "de": "z"}}`,
		"not json":   `{"a": `,
	}
	for name, data := range tests {
		c := New()
		if err := c.Load(fstest.MapFS{"m.json": {Data: []byte(data)}}, "m.json"); err == nil {
			t.Errorf("%s: Load succeeded, want an error", name)
		}
	}
	c := New()
	fsys := fstest.MapFS{"m.json": {Data: []byte(`{"a": {"fr": "x", "en": "y"}}`)}}
	if err := c.Load(fsys, "m.json"); err != nil {
		t.Fatal(err)
	}
	if err := c.Load(fsys, "m.json"); err == nil {
		t.Error("loading the same key twice succeeded, want an error")
	}
}

func TestChoose(t *testing.T) {
	tests := []struct{ cookie, accept, want string }{
		{"", "", "fr"},
		{"", "en-GB,en;q=0.9", "en"},
		{"", "de-DE", "fr"},
		{"", "fr-BE,en;q=0.5", "fr"},
		{"fr", "en-US", "fr"},
		{"en", "fr-FR", "en"},
		{"zz-garbage!", "en", "en"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		if tt.cookie != "" {
			r.Header.Set("Cookie", Cookie+"="+tt.cookie)
		}
		if tt.accept != "" {
			r.Header.Set("Accept-Language", tt.accept)
		}
		c := New()
		if got := c.Printer(Choose(r)).Lang(); got != tt.want {
			t.Errorf("cookie %q accept %q: got %s, want %s", tt.cookie, tt.accept, got, tt.want)
		}
	}
}
