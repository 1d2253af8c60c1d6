package ydoc

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
)

// requireNode skips (or, with COOPBOX_REQUIRE_ALL=1, fails) when node or
// the yjs package is not installed.
func requireNode(t testing.TB) {
	t.Helper()
	why := ""
	if _, err := exec.LookPath("node"); err != nil {
		why = "node is not installed"
	} else if _, err := os.Stat(filepath.Join("..", "..", "..", "node_modules", "yjs", "package.json")); err != nil {
		why = "node_modules/yjs is missing: run npm install in the repository root"
	}
	if why == "" {
		return
	}
	if os.Getenv("COOPBOX_REQUIRE_ALL") == "1" {
		t.Fatalf("%s (COOPBOX_REQUIRE_ALL=1)", why)
	}
	t.Skip(why)
}

func runNode(t testing.TB, stdin []byte, script string, args ...string) []byte {
	t.Helper()
	return runNodeWith(t, stdin, nil, script, args...)
}

func runNodeFlags(t testing.TB, flags []string, script string, args ...string) []byte {
	t.Helper()
	return runNodeWith(t, nil, flags, script, args...)
}

func runNodeWith(t testing.TB, stdin []byte, flags []string, script string, args ...string) []byte {
	t.Helper()
	argv := append(append(flags, filepath.Join("testdata", script)), args...)
	cmd := exec.Command("node", argv...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node %s %v: %v\n%s", script, args, err, stderr.String())
	}
	return out
}

// The view below mirrors testdata/content.mjs.

func deltaView(ops []Op) []any {
	out := []any{}
	for _, op := range ops {
		o := map[string]any{"insert": op.Insert}
		if _, ok := op.Insert.(string); !ok {
			o["insert"] = valueView(op.Insert)
		}
		if op.Attributes != nil {
			o["attributes"] = op.Attributes
		}
		out = append(out, o)
	}
	return out
}

func mapView(m *Map) map[string]any {
	out := map[string]any{}
	for k, v := range m.Entries() {
		out[k] = valueView(v)
	}
	return out
}

func valueView(v any) any {
	switch v := v.(type) {
	case []byte:
		return map[string]any{"binary": base64.StdEncoding.EncodeToString(v)}
	case Undefined:
		return map[string]any{"undefined": true}
	case SubDoc:
		return map[string]any{"subdoc": v.GUID}
	case *XMLElement:
		kids := []any{}
		for _, c := range v.Children() {
			kids = append(kids, valueView(c))
		}
		return map[string]any{"element": v.Name(), "attrs": v.Attributes(), "children": kids}
	case *XMLText:
		return map[string]any{"xmltext": deltaView(v.Delta())}
	case *XMLHook:
		return map[string]any{"hook": v.Name(), "entries": mapView(&v.Map)}
	case *XMLFragment:
		kids := []any{}
		for _, c := range v.Children() {
			kids = append(kids, valueView(c))
		}
		return map[string]any{"fragment": kids}
	case *Text:
		return map[string]any{"text": deltaView(v.Delta())}
	case *Map:
		return map[string]any{"map": mapView(v)}
	case *Array:
		vals := []any{}
		for _, x := range v.Values() {
			vals = append(vals, valueView(x))
		}
		return map[string]any{"array": vals}
	}
	return v
}

func contentView(d *Doc) any {
	arr := []any{}
	for _, v := range d.Array("a").Values() {
		arr = append(arr, valueView(v))
	}
	xml := []any{}
	for _, c := range d.XMLFragment("x").Children() {
		xml = append(xml, valueView(c))
	}
	return normalizeJSON(map[string]any{
		"text":  deltaView(d.Text("t").Delta()),
		"map":   mapView(d.Map("m")),
		"array": arr,
		"xml":   xml,
	})
}

// normalizeJSON round-trips v through JSON so that Go and Node views
// compare with reflect.DeepEqual.
func normalizeJSON(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

type randomRun struct {
	Updates []string        `json:"updates"`
	Final   json.RawMessage `json:"final"`
	Partial struct {
		Update string `json:"update"`
		SV     string `json:"sv"`
	} `json:"partial"`
}

type loaded struct {
	Content json.RawMessage `json:"content"`
	Pending bool            `json:"pending"`
}

func unb64(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func jsonAny(t testing.TB, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return v
}

func loadInYjs(t *testing.T, updates ...[]byte) loaded {
	t.Helper()
	var enc []string
	for _, u := range updates {
		enc = append(enc, base64.StdEncoding.EncodeToString(u))
	}
	in, _ := json.Marshal(enc)
	var l loaded
	if err := json.Unmarshal(runNode(t, in, "load.mjs"), &l); err != nil {
		t.Fatal(err)
	}
	return l
}

// TestConcurrentEditsMatchYjs has several yjs documents edit text, maps,
// arrays and XML concurrently, then feeds every update they emitted to a Go
// Doc in shuffled order with duplicates, and checks the Go document against
// yjs both ways.
func TestConcurrentEditsMatchYjs(t *testing.T) {
	requireNode(t)
	seeds := 10
	if testing.Short() {
		seeds = 3
	}
	sawPending := 0
	for seed := 1; seed <= seeds; seed++ {
		t.Run(strconv.Itoa(seed), func(t *testing.T) {
			var run randomRun
			out := runNode(t, nil, "random.mjs", strconv.Itoa(seed), "4", "300")
			if err := json.Unmarshal(out, &run); err != nil {
				t.Fatal(err)
			}
			want := jsonAny(t, run.Final)
			var updates [][]byte
			for _, u := range run.Updates {
				updates = append(updates, unb64(t, u))
			}
			r := rand.New(rand.NewPCG(uint64(seed), 7))
			order := r.Perm(len(updates))
			for i := 0; i < len(updates)/5; i++ { // duplicates
				order = append(order, r.IntN(len(updates)))
			}
			r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })

			d := NewDoc(1)
			for _, i := range order {
				if err := d.ApplyUpdate(updates[i]); err != nil {
					t.Fatalf("apply update %d: %v", i, err)
				}
				if d.HasPending() {
					sawPending++
				}
			}
			if d.HasPending() {
				t.Errorf("Go doc still has pending structs or deletions after every update")
			}
			if got := contentView(d); !reflect.DeepEqual(got, want) {
				g, _ := json.Marshal(got)
				t.Fatalf("Go content differs from yjs\n got: %s\nwant: %s", g, run.Final)
			}

			state := d.EncodeStateAsUpdate(nil)
			l := loadInYjs(t, state)
			if got := jsonAny(t, l.Content); !reflect.DeepEqual(got, want) || l.Pending {
				t.Fatalf("Go state loaded in yjs (pending %v)\n got: %s\nwant: %s", l.Pending, l.Content, run.Final)
			}

			sv, err := DecodeStateVector(unb64(t, run.Partial.SV))
			if err != nil {
				t.Fatal(err)
			}
			diff := d.EncodeStateAsUpdate(sv)
			l = loadInYjs(t, unb64(t, run.Partial.Update), diff)
			if got := jsonAny(t, l.Content); !reflect.DeepEqual(got, want) || l.Pending {
				t.Fatalf("partial yjs state + Go diff (pending %v)\n got: %s\nwant: %s", l.Pending, l.Content, run.Final)
			}
			if len(diff) >= len(state) && len(sv) > 0 {
				t.Errorf("diff against a state vector is %d bytes, the whole state %d", len(diff), len(state))
			}

			d2 := NewDoc(2)
			if err := d2.ApplyUpdate(state); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(d2.EncodeStateAsUpdate(nil), state) {
				t.Errorf("re-encoding a loaded state changed its bytes")
			}
			if !reflect.DeepEqual(contentView(d2), want) {
				t.Errorf("Go doc loaded from Go state differs")
			}
		})
	}
	if sawPending == 0 {
		t.Errorf("shuffled delivery never left anything pending: the test does not exercise pending structs")
	}
}

// TestLegacyJSONContent: yjs no longer writes JSON content (kind 2) but
// still reads it; a Go-made update with it must read the same in both.
func TestLegacyJSONContent(t *testing.T) {
	e := &encoder{}
	e.uvarint(1)
	e.uvarint(1)
	e.uvarint(9)
	e.uvarint(0)
	e.byte1(refJSON)
	e.uvarint(1)
	e.str("a")
	e.uvarint(4)
	for _, s := range []string{`1`, `"x"`, `undefined`, `{"k":[1,null]}`} {
		e.str(s)
	}
	e.uvarint(0)
	d := NewDoc(1)
	if err := d.ApplyUpdate(e.buf); err != nil {
		t.Fatal(err)
	}
	want := []any{float64(1), "x", Undefined{}, map[string]any{"k": []any{float64(1), nil}}}
	if got := d.Array("a").Values(); !reflect.DeepEqual(got, want) {
		t.Fatalf("values %#v", got)
	}
	requireNode(t)
	l := loadInYjs(t, d.EncodeStateAsUpdate(nil))
	if got, want := jsonAny(t, l.Content), contentView(d); !reflect.DeepEqual(got, want) {
		t.Fatalf("yjs reads %s", l.Content)
	}
}
