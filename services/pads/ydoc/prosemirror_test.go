package ydoc

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestReadProseMirrorTree reads the XML tree a TipTap editor writes, as an
// exporter will: node names, attributes, text runs with marks.
func TestReadProseMirrorTree(t *testing.T) {
	requireNode(t)
	d := NewDoc(1)
	if err := d.ApplyUpdate(unb64(t, string(runNode(t, nil, "prosemirror.mjs")))); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	var walk func(n XMLNode, depth int)
	walk = func(n XMLNode, depth int) {
		ind := strings.Repeat("  ", depth)
		switch n := n.(type) {
		case *XMLElement:
			out.WriteString(ind + n.Name())
			for _, k := range sortedKeys(n.Attributes()) {
				out.WriteString(" " + k + "=" + jsonString(n.Attributes()[k]))
			}
			out.WriteString("\n")
			for _, c := range n.Children() {
				walk(c, depth+1)
			}
		case *XMLText:
			for _, op := range n.Delta() {
				out.WriteString(ind + jsonString(op.Insert))
				for _, k := range sortedKeys(op.Attributes) {
					out.WriteString(" " + MarkName(k) + "=" + jsonString(op.Attributes[k]))
				}
				out.WriteString("\n")
			}
		}
	}
	for _, n := range d.XMLFragment("default").Children() {
		walk(n, 0)
	}
	want := `heading level=2
  "Minutes 😀"
paragraph
  "Present: "
  "Ana" bold={}
  ", "
  "Bo" italic={} link={"href":"https://coop.example","target":"_blank"}
  " and "
  "Cy." comment={"id":7}
bulletList
  listItem
    paragraph
      "second"
taskList
  taskItem checked=true
    paragraph
      "done"
`
	if got := out.String(); got != want {
		t.Errorf("tree:\n%s\nwant:\n%s", got, want)
	}
	if got := d.RootNames(); !reflect.DeepEqual(got, []string{"default"}) {
		t.Errorf("roots = %v", got)
	}
}

func sortedKeys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestMarkName(t *testing.T) {
	for in, want := range map[string]string{
		"bold":                "bold",
		"comment--a1B2c3D4":   "comment",
		"x--abc":              "x--abc",
		"--a1B2c3D4":          "--a1B2c3D4",
		"link--a1B2c3D!":      "link--a1B2c3D!",
		"highlight--+/=AAAAA": "highlight",
	} {
		if got := MarkName(in); got != want {
			t.Errorf("MarkName(%q) = %q, want %q", in, got, want)
		}
	}
}
