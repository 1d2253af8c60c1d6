package pads

import (
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"
)

// The pages render in both languages, link the bundle by its hash, and the
// bundle is served gzipped and cacheable for a year at that address.
func TestPagesAndAssets(t *testing.T) {
	s, srv := startPeopleService(t)
	if !s.assets.built() {
		skipOrFail(t, "the pads' bundle was not built (run: make bundle) before compiling this test")
	}
	get := func(path string, hdr map[string]string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		tr := &http.Transport{DisableCompression: true}
		res, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body io.Reader = res.Body
		if res.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(res.Body)
			if err != nil {
				t.Fatal(err)
			}
			body = zr
		}
		b, _ := io.ReadAll(body)
		return res, string(b)
	}

	res, body := get("/pads/", map[string]string{"Accept-Language": "en"})
	if res.StatusCode != 200 || !strings.Contains(body, "Create and open") || !strings.Contains(body, `lang="en"`) {
		t.Errorf("English list page: %d\n%s", res.StatusCode, body)
	}
	res, body = get("/pads/", nil)
	if !strings.Contains(body, "Créer et ouvrir") {
		t.Errorf("French list page: %d", res.StatusCode)
	}
	js := s.assets.url("list.js")
	if !strings.Contains(body, js) {
		t.Errorf("the list page does not link %s", js)
	}
	res, gz := get(js, map[string]string{"Accept-Encoding": "gzip"})
	if res.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("bundle headers: %v", res.Header)
	}
	if ct := res.Header.Get("Content-Type"); !strings.Contains(ct, "javascript") {
		t.Errorf("bundle content type %q", ct)
	}
	res, plain := get(strings.Split(js, "?")[0], nil)
	if res.Header.Get("Content-Encoding") != "" || res.Header.Get("Cache-Control") != "no-cache" || plain != gz {
		t.Errorf("unversioned, uncompressed bundle: %v, same body %v", res.Header, plain == gz)
	}

	// The editor page, in English, with its English toolbar.
	var pad padView
	asPerson(t, srv.URL, "p-ana|Ana|#c01c28|participant", "POST", "/api/pads", `{"title":"Minutes"}`, &pad)
	res, body = get("/pads/"+pad.ID, map[string]string{"Accept-Language": "en-GB"})
	for _, want := range []string{"<title>Minutes · coopbox</title>", `aria-hidden="true">B</b>`, "Bold", "Who wrote what", s.assets.url("pad.js")} {
		if !strings.Contains(body, want) {
			t.Errorf("English editor page (%d) lacks %q", res.StatusCode, want)
		}
	}
	res, body = get("/pads/r/"+pad.ReadID, nil)
	if res.StatusCode != 200 || !strings.Contains(body, `data-readonly="true"`) || strings.Contains(body, pad.ID) {
		t.Errorf("read-only page (%d) is not read-only or shows the pad's write id", res.StatusCode)
	}

	res, _ = get("/pads/nope", nil)
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown pad: %d", res.StatusCode)
	}
	res, _ = get("/pads/static/README.txt", nil)
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("README served: %d", res.StatusCode)
	}
}
