package ydoc

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"unicode/utf8"
)

// ErrIndex is returned by local edits given a position outside the text.
var ErrIndex = errors.New("ydoc: index out of range")

// Local edits are made as the document's own client: each call is one
// transaction and returns the v1 update that carries it to other peers.
// Indexes and lengths are in UTF-16 code units, as in Yjs; UTF16Len and
// UTF16Index convert from Go strings.

// UTF16Len is the length of s in UTF-16 code units.
func UTF16Len(s string) int { return int(utf16Len([]byte(s))) }

// UTF16Index converts an index in code points into s to UTF-16 units.
func UTF16Index(s string, runes int) int {
	n := 0
	for _, r := range s {
		if runes == 0 {
			break
		}
		runes--
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// textPos is a place in a text: between left and right, with the
// formatting in effect there.
type textPos struct {
	left, right *item
	attrs       map[string]any
}

func (p *textPos) forward() {
	p.left, p.right = p.right, p.right.right
}

// find walks to UTF-16 index in the text, splitting an item if the index
// falls inside it, and collects the formatting met on the way.
func (t *Text) find(index int) (*textPos, error) { return t.d.findPos(t.b, index) }

// findPos walks to index in a list type (text, array, XML children).
func (d *Doc) findPos(b *branch, index int) (*textPos, error) {
	if index < 0 || uint64(index) > b.length {
		return nil, fmt.Errorf("%w: %d in a list of %d", ErrIndex, index, b.length)
	}
	p := &textPos{right: b.start, attrs: map[string]any{}}
	count := uint64(index)
	for p.right != nil && count > 0 {
		it := p.right
		if !it.deleted() {
			if it.ref == refFormat {
				setAttr(p.attrs, it.content)
			} else if it.countable() {
				if count < it.length {
					d.cleanStart(ID{it.id.Client, it.id.Clock + count})
				}
				count -= it.length
			}
		}
		p.forward()
	}
	return p, nil
}

func setAttr(attrs map[string]any, c *content) {
	if v := parseJSON(c.value); v == nil {
		delete(attrs, c.key)
	} else {
		attrs[c.key] = v
	}
}

// newLocal makes an item of the local client between left and right.
func (d *Doc) newLocal(parent *branch, left, right *item, ref uint8) *item {
	it := &item{
		id:          ID{d.clientID, d.store.state(d.clientID)},
		origin:      noID,
		rightOrigin: noID,
		left:        left,
		right:       right,
		parent:      parent,
		ref:         ref,
	}
	if left != nil {
		it.origin = left.lastID()
	}
	if right != nil {
		it.rightOrigin = right.id
	}
	if countableRef(ref) {
		it.flags |= flagCountable
	}
	return it
}

func (t *Text) newLocal(p *textPos, ref uint8) *item {
	return t.d.newLocal(t.b, p.left, p.right, ref)
}

// Transact runs fn as one local transaction: the edits it makes through
// this document's types (Text.Insert, Map.Set, ...) are returned as one
// update. Edits made before an error fn returns are kept and included.
func (d *Doc) Transact(fn func() error) ([]byte, error) {
	if d.inTx {
		return nil, fn()
	}
	d.begin()
	d.inTx = true
	err := fn()
	d.inTx = false
	return d.commitLocal(), err
}

func (t *Text) insertFormat(p *textPos, key string, value any) {
	b, err := json.Marshal(value)
	if err != nil {
		b = []byte("null")
	}
	it := t.newLocal(p, refFormat)
	it.length = 1
	it.content = &content{key: key, value: string(b)}
	t.d.link(it)
	p.left = it
	p.right = it.right
	if value == nil {
		delete(p.attrs, key)
	} else {
		p.attrs[key] = value
	}
}

// Insert inserts s at UTF-16 index. With attrs nil the text takes the
// formatting in effect at the index, as in Yjs; otherwise it gets exactly
// attrs (a nil value removes an attribute) and the formatting after it is
// left as it was. It returns the update to send to other peers.
func (t *Text) Insert(index int, s string, attrs map[string]any) ([]byte, error) {
	if !utf8.ValidString(s) {
		return nil, fmt.Errorf("insert: %w", errUTF8)
	}
	if s == "" {
		return nil, nil
	}
	if attrs != nil {
		v, err := normValue(map[string]any(attrs), 0)
		if err != nil {
			return nil, fmt.Errorf("insert: %w", err)
		}
		attrs = v.(map[string]any)
	}
	return t.d.Transact(func() error { return t.insert(index, s, attrs) })
}

func (t *Text) insert(index int, s string, attrs map[string]any) error {
	d := t.d
	p, err := t.find(index)
	if err != nil {
		return fmt.Errorf("insert: %w", err)
	}
	if attrs == nil {
		attrs = maps.Clone(p.attrs)
	}
	// Step over deleted items and marks that already say what we want.
	for p.right != nil && (p.right.deleted() || (p.right.ref == refFormat &&
		reflect.DeepEqual(attrs[p.right.content.key], parseJSON(p.right.content.value)))) {
		if !p.right.deleted() {
			setAttr(p.attrs, p.right.content)
		}
		p.forward()
	}
	// Open the attributes that differ, remembering how to close them.
	negated := map[string]any{}
	for _, k := range slices.Sorted(maps.Keys(attrs)) {
		v, cur := attrs[k], p.attrs[k]
		if reflect.DeepEqual(v, cur) {
			continue
		}
		negated[k] = cur
		t.insertFormat(p, k, v)
	}
	it := t.newLocal(p, refString)
	it.str = []byte(s)
	it.length = utf16Len(it.str)
	d.link(it)
	p.left, p.right = it, it.right
	// Close them again, unless the text after already does.
	for p.right != nil && (p.right.deleted() || (p.right.ref == refFormat &&
		reflect.DeepEqual(negated[p.right.content.key], parseJSON(p.right.content.value)))) {
		if !p.right.deleted() {
			delete(negated, p.right.content.key)
		}
		p.forward()
	}
	for _, k := range slices.Sorted(maps.Keys(negated)) {
		t.insertFormat(p, k, negated[k])
	}
	return nil
}

// Delete removes n UTF-16 units of text starting at index and returns the
// update to send to other peers. Unlike Yjs it leaves formatting marks that
// became redundant in place; they do not change the text or its delta.
func (t *Text) Delete(index, n int) ([]byte, error) {
	if n < 0 || index+n > t.Len() {
		return nil, fmt.Errorf("delete: %w: %d+%d in a text of %d", ErrIndex, index, n, t.Len())
	}
	if n == 0 {
		return nil, nil
	}
	return t.d.Transact(func() error {
		p, err := t.find(index)
		if err != nil {
			return fmt.Errorf("delete: %w", err)
		}
		t.d.deleteRun(p, uint64(n))
		return nil
	})
}

// deleteRun deletes n countable units to the right of p.
func (d *Doc) deleteRun(p *textPos, n uint64) {
	left := n
	for left > 0 && p.right != nil {
		it := p.right
		if !it.deleted() && it.countable() {
			if left < it.length {
				d.cleanStart(ID{it.id.Client, it.id.Clock + left})
			}
			left -= it.length
			d.deleteItem(it)
		}
		p.forward()
	}
}

// commitLocal ends a local transaction and encodes it as Yjs does: the
// structs it added, then the ranges it deleted.
func (d *Doc) commitLocal() []byte {
	d.cleanup()
	if len(d.tx.before) == 0 && len(d.tx.ds) == 0 {
		return nil
	}
	e := &encoder{}
	e.uvarint(uint64(len(d.tx.before)))
	for _, b := range d.tx.before {
		d.encodeStructs(e, b.client, b.clock)
	}
	ds := deleteSet{}
	for _, x := range d.tx.ds {
		ds.add(x.client, x.clock, x.len)
	}
	encodeDeleteSet(e, ds)
	return e.buf
}
