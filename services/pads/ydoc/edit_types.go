package ydoc

import "fmt"

// Local edits of maps, arrays and XML trees, for imports. Like Text.Insert
// each returns the update when called on its own, and nil inside Transact,
// whose update then carries all of them.

// normValue checks that v can be stored as a Yjs "any" value and returns
// it as it will read back: Go integers become float64, as JavaScript
// numbers; maps and slices are copied.
func normValue(v any, depth int) (any, error) {
	if depth > maxAnyDepth {
		return nil, fmt.Errorf("ydoc: value nested too deeply")
	}
	switch v := v.(type) {
	case nil, Undefined, bool, string, BigInt, float64:
		return v, nil
	case []byte:
		return append([]byte{}, v...), nil
	case int:
		return float64(v), nil
	case int64:
		return float64(v), nil
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			y, err := normValue(x, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = y
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			y, err := normValue(x, depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = y
		}
		return out, nil
	}
	return nil, fmt.Errorf("ydoc: cannot store a %T", v)
}

// valueItem makes the content of a stored value: bytes become Binary
// content, anything else Any content.
func valueItem(it *item, v any) {
	if b, ok := v.([]byte); ok {
		it.ref, it.length, it.content = refBinary, 1, &content{buf: b}
		return
	}
	it.ref, it.length, it.content = refAny, 1, &content{anys: []any{v}}
}

// insertValues inserts values into a list type at p, as yjs does: runs of
// plain values share one Any item.
func (d *Doc) insertValues(b *branch, p *textPos, values []any) {
	var run []any
	flush := func() {
		if len(run) == 0 {
			return
		}
		it := d.newLocal(b, p.left, p.right, refAny)
		it.length, it.content = uint64(len(run)), &content{anys: run}
		d.link(it)
		p.left = it
		run = nil
	}
	for _, v := range values {
		if bs, ok := v.([]byte); ok {
			flush()
			it := d.newLocal(b, p.left, p.right, refBinary)
			valueItem(it, bs)
			d.link(it)
			p.left = it
			continue
		}
		run = append(run, v)
	}
	flush()
}

// insertType inserts a new nested type into a list type at index.
func (d *Doc) insertType(b *branch, index int, typeRef uint8, name string) (*branch, []byte, error) {
	nb := &branch{typeRef: typeRef, nodeName: name}
	if d.tooDeep(b) {
		return nil, nil, fmt.Errorf("insert %s: %w (at most %d)", name, ErrTooDeep, d.maxDepth)
	}
	u, err := d.Transact(func() error {
		p, err := d.findPos(b, index)
		if err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		it := d.newLocal(b, p.left, p.right, refType)
		it.length, it.content = 1, &content{typ: nb}
		d.link(it)
		return nil
	})
	if err != nil {
		return nil, u, err
	}
	return nb, u, nil
}

func (d *Doc) deleteRange(b *branch, index, n int) ([]byte, error) {
	if n < 0 || index < 0 || uint64(index+n) > b.length {
		return nil, fmt.Errorf("delete: %w: %d+%d in a list of %d", ErrIndex, index, n, b.length)
	}
	return d.Transact(func() error {
		p, err := d.findPos(b, index)
		if err != nil {
			return fmt.Errorf("delete: %w", err)
		}
		d.deleteRun(p, uint64(n))
		return nil
	})
}

// Insert inserts values at index.
func (a *Array) Insert(index int, values ...any) ([]byte, error) {
	values = append([]any(nil), values...)
	for i, v := range values {
		var err error
		if values[i], err = normValue(v, 0); err != nil {
			return nil, err
		}
	}
	return a.d.Transact(func() error {
		p, err := a.d.findPos(a.b, index)
		if err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		a.d.insertValues(a.b, p, values)
		return nil
	})
}

// Delete removes n elements from index on.
func (a *Array) Delete(index, n int) ([]byte, error) { return a.d.deleteRange(a.b, index, n) }

func (d *Doc) mapSet(b *branch, key string, fill func(*item)) {
	left := b.entries[key]
	it := d.newLocal(b, left, nil, refAny)
	it.parentSub = key
	it.flags |= flagHasSub
	fill(it)
	d.link(it)
}

// Set sets key to value.
func (m *Map) Set(key string, value any) ([]byte, error) {
	value, err := normValue(value, 0)
	if err != nil {
		return nil, err
	}
	return m.d.Transact(func() error {
		m.d.mapSet(m.b, key, func(it *item) { valueItem(it, value) })
		return nil
	})
}

// Delete removes key.
func (m *Map) Delete(key string) ([]byte, error) {
	return m.d.Transact(func() error {
		if it := m.b.entries[key]; it != nil && !it.deleted() {
			m.d.deleteItem(it)
		}
		return nil
	})
}

// InsertElement inserts an element named name at index among the
// fragment's children.
func (f *XMLFragment) InsertElement(index int, name string) (*XMLElement, []byte, error) {
	b, u, err := f.d.insertType(f.b, index, typeXMLElement, name)
	if err != nil {
		return nil, u, err
	}
	return &XMLElement{f.d, b}, u, nil
}

// InsertText inserts an empty text node at index.
func (f *XMLFragment) InsertText(index int) (*XMLText, []byte, error) {
	b, u, err := f.d.insertType(f.b, index, typeXMLText, "")
	if err != nil {
		return nil, u, err
	}
	return &XMLText{Text{f.d, b}}, u, nil
}

// Delete removes n children from index on.
func (f *XMLFragment) Delete(index, n int) ([]byte, error) { return f.d.deleteRange(f.b, index, n) }

// InsertElement inserts a child element named name at index.
func (e *XMLElement) InsertElement(index int, name string) (*XMLElement, []byte, error) {
	return (&XMLFragment{e.d, e.b}).InsertElement(index, name)
}

// InsertText inserts an empty child text node at index.
func (e *XMLElement) InsertText(index int) (*XMLText, []byte, error) {
	return (&XMLFragment{e.d, e.b}).InsertText(index)
}

// Delete removes n children from index on.
func (e *XMLElement) Delete(index, n int) ([]byte, error) { return e.d.deleteRange(e.b, index, n) }

// SetAttribute sets an attribute (y-prosemirror stores node attributes so,
// with their JSON-like values).
func (e *XMLElement) SetAttribute(key string, value any) ([]byte, error) {
	return (&Map{e.d, e.b}).Set(key, value)
}

// RemoveAttribute removes an attribute.
func (e *XMLElement) RemoveAttribute(key string) ([]byte, error) {
	return (&Map{e.d, e.b}).Delete(key)
}
