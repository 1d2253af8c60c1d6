package ydoc

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
)

// A root type has no kind on the wire: it is whatever the reader asks for,
// as with Yjs's doc.getText(name), doc.getMap(name) and so on.

// Text is a Y.Text (or the text of a Y.XmlText).
type Text struct {
	d *Doc
	b *branch
}

// Map is a Y.Map.
type Map struct {
	d *Doc
	b *branch
}

// Array is a Y.Array.
type Array struct {
	d *Doc
	b *branch
}

// XMLFragment is a Y.XmlFragment: a list of XML nodes.
type XMLFragment struct {
	d *Doc
	b *branch
}

// XMLElement is a Y.XmlElement: a name, attributes (held as the type's map
// entries) and children.
type XMLElement struct {
	d *Doc
	b *branch
}

// XMLText is a Y.XmlText: rich text inside an XML tree.
type XMLText struct {
	Text
}

// XMLHook is a Y.XmlHook: a named map inside an XML tree.
type XMLHook struct {
	Map
}

// XMLNode is a child of an XML fragment or element: *XMLElement, *XMLText
// or *XMLHook.
type XMLNode interface{ xmlNode() }

func (*XMLElement) xmlNode() {}
func (*XMLText) xmlNode()    {}
func (*XMLHook) xmlNode()    {}

// SubDoc is the content of an item holding a subdocument.
type SubDoc struct {
	GUID string
	Opts any
}

// Op is one run of a rich-text delta: Insert is a string, an embed (a
// decoded JSON value) or a nested type; Attributes are the formatting in
// effect (nil when none).
type Op struct {
	Insert     any
	Attributes map[string]any
}

func (d *Doc) rootOf(name string, ref uint8) *branch {
	b := d.root(name)
	if b.typeRef == typeUnknown {
		b.typeRef = ref
	}
	return b
}

// Text returns the root Y.Text called name.
func (d *Doc) Text(name string) *Text { return &Text{d, d.rootOf(name, typeText)} }

// Map returns the root Y.Map called name.
func (d *Doc) Map(name string) *Map { return &Map{d, d.rootOf(name, typeMap)} }

// Array returns the root Y.Array called name.
func (d *Doc) Array(name string) *Array { return &Array{d, d.rootOf(name, typeArray)} }

// XMLFragment returns the root Y.XmlFragment called name. TipTap and
// y-prosemirror keep their document in the fragment "default" unless
// configured otherwise.
func (d *Doc) XMLFragment(name string) *XMLFragment {
	return &XMLFragment{d, d.rootOf(name, typeXMLFragment)}
}

// RootNames lists the names of the root types the document holds.
func (d *Doc) RootNames() []string {
	return slices.Sorted(maps.Keys(d.roots))
}

// wrap returns the reader for a nested type.
func (d *Doc) wrap(b *branch) any {
	switch b.typeRef {
	case typeArray:
		return &Array{d, b}
	case typeMap:
		return &Map{d, b}
	case typeText:
		return &Text{d, b}
	case typeXMLElement:
		return &XMLElement{d, b}
	case typeXMLFragment:
		return &XMLFragment{d, b}
	case typeXMLHook:
		return &XMLHook{Map{d, b}}
	case typeXMLText:
		return &XMLText{Text{d, b}}
	}
	return nil
}

func parseJSON(s string) any {
	var v any
	if json.Unmarshal([]byte(s), &v) != nil {
		return nil
	}
	return v
}

// values returns an item's elements as Go values.
func (d *Doc) values(it *item) []any {
	switch it.ref {
	case refAny:
		return it.content.anys
	case refJSON:
		out := make([]any, len(it.content.json))
		for i, s := range it.content.json {
			if s == "undefined" {
				out[i] = Undefined{}
			} else {
				out[i] = parseJSON(s)
			}
		}
		return out
	case refBinary:
		return []any{it.content.buf}
	case refEmbed:
		return []any{parseJSON(it.content.embed)}
	case refType:
		return []any{d.wrap(it.content.typ)}
	case refDoc:
		return []any{SubDoc{GUID: it.content.guid, Opts: it.content.opts}}
	case refString:
		out := []any{}
		for _, r := range string(it.str) {
			out = append(out, string(r))
		}
		return out
	}
	return nil
}

// String returns the text without formatting; embeds and nested types are
// left out.
func (t *Text) String() string {
	var sb strings.Builder
	for it := t.b.start; it != nil; it = it.right {
		if !it.deleted() && it.ref == refString {
			sb.Write(it.str)
		}
	}
	return sb.String()
}

// Len is the length of the text in UTF-16 code units, as in JavaScript.
func (t *Text) Len() int { return int(t.b.length) }

// Delta returns the text as Yjs's toDelta() does: runs of text with the
// formatting attributes in effect, embeds and nested types as their own ops.
//
// Each op carries every attribute in effect, so a text that sets many
// attributes and changes one often has a delta far larger than itself;
// a reader that knows which attributes it wants uses DeltaOf.
func (t *Text) Delta() []Op { return t.DeltaOf(nil) }

// DeltaOf is Delta with only the formatting attributes keep accepts (all
// when keep is nil): formats of other keys neither appear nor split runs,
// so the delta stays in proportion to the text and the kept attributes.
func (t *Text) DeltaOf(keep func(key string) bool) []Op {
	var ops []Op
	attrs := map[string]any{}
	var sb strings.Builder
	current := func() map[string]any {
		if len(attrs) == 0 {
			return nil
		}
		return maps.Clone(attrs)
	}
	pack := func() {
		if sb.Len() > 0 {
			ops = append(ops, Op{Insert: sb.String(), Attributes: current()})
			sb.Reset()
		}
	}
	for it := t.b.start; it != nil; it = it.right {
		if it.deleted() {
			continue
		}
		switch it.ref {
		case refString:
			sb.Write(it.str)
		case refEmbed, refType:
			pack()
			ops = append(ops, Op{Insert: t.d.values(it)[0], Attributes: current()})
		case refFormat:
			if keep != nil && !keep(it.content.key) {
				continue
			}
			pack()
			if v := parseJSON(it.content.value); v == nil {
				delete(attrs, it.content.key)
			} else {
				attrs[it.content.key] = v
			}
		}
	}
	pack()
	return ops
}

// Len is the number of keys with a value.
func (m *Map) Len() int { return len(m.Keys()) }

// Keys lists the keys that have a value, sorted.
func (m *Map) Keys() []string {
	var keys []string
	for k, it := range m.b.entries {
		if !it.deleted() {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// Get returns the value of key: a decoded value (nil for null, Undefined,
// bool, float64, string, []any, map[string]any, []byte, BigInt), a nested
// type (*Map, *Array, *Text, *XMLElement, ...) or a SubDoc.
func (m *Map) Get(key string) (any, bool) {
	it := m.b.entries[key]
	if it == nil || it.deleted() {
		return nil, false
	}
	v := m.d.values(it)
	if len(v) == 0 {
		return nil, false
	}
	return v[len(v)-1], true
}

// Entries returns every key with its value.
func (m *Map) Entries() map[string]any {
	out := map[string]any{}
	for _, k := range m.Keys() {
		out[k], _ = m.Get(k)
	}
	return out
}

// Len is the number of elements.
func (a *Array) Len() int { return int(a.b.length) }

// Values returns the elements in order, as Map.Get returns values.
func (a *Array) Values() []any {
	var out []any
	for it := a.b.start; it != nil; it = it.right {
		if !it.deleted() && it.countable() {
			out = append(out, a.d.values(it)...)
		}
	}
	return out
}

func xmlChildren(d *Doc, b *branch) []XMLNode {
	var out []XMLNode
	for it := b.start; it != nil; it = it.right {
		if it.deleted() || it.ref != refType {
			continue
		}
		if n, ok := d.wrap(it.content.typ).(XMLNode); ok {
			out = append(out, n)
		}
	}
	return out
}

// Children returns the fragment's nodes in order.
func (f *XMLFragment) Children() []XMLNode { return xmlChildren(f.d, f.b) }

// Name is the element's node name (a ProseMirror node type such as
// "paragraph" or "heading").
func (e *XMLElement) Name() string { return e.b.nodeName }

// Attributes returns the element's attributes.
func (e *XMLElement) Attributes() map[string]any { return (&Map{e.d, e.b}).Entries() }

// Children returns the element's child nodes in order.
func (e *XMLElement) Children() []XMLNode { return xmlChildren(e.d, e.b) }

// Name is the hook's name.
func (h *XMLHook) Name() string { return h.b.nodeName }

// MarkName returns the ProseMirror mark name of a formatting attribute
// written by y-prosemirror: marks that may overlap themselves (comments,
// for instance) are stored as "name--" followed by an 8-character hash.
func MarkName(attr string) string {
	i := len(attr) - 10
	if i < 1 || attr[i:i+2] != "--" {
		return attr
	}
	for _, c := range attr[i+2:] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=') {
			return attr
		}
	}
	return attr[:i]
}
