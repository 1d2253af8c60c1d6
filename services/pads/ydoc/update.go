package ydoc

import (
	"encoding/json"
	"fmt"
	"slices"
	"unicode/utf8"
)

// span is a run of deleted clocks of one client.
type span struct{ clock, len uint64 }

// deleteSet maps a client to its deleted ranges.
type deleteSet map[uint64][]span

func (ds *deleteSet) add(client, clock, n uint64) {
	if *ds == nil {
		*ds = deleteSet{}
	}
	(*ds)[client] = append((*ds)[client], span{clock, n})
}

// normalize sorts every client's spans and merges touching ones.
func (ds deleteSet) normalize() {
	for c, s := range ds {
		slices.SortFunc(s, func(a, b span) int {
			switch {
			case a.clock < b.clock:
				return -1
			case a.clock > b.clock:
				return 1
			}
			return 0
		})
		out := s[:0]
		for _, x := range s {
			if n := len(out); n > 0 && out[n-1].clock+out[n-1].len >= x.clock {
				out[n-1].len = max(out[n-1].len, x.clock+x.len-out[n-1].clock)
				continue
			}
			out = append(out, x)
		}
		ds[c] = out
	}
}

// clientStructs are the structs of one client in an update, in clock order
// and without gaps (Skip structs fill them).
type clientStructs struct {
	client  uint64
	structs []*item
}

// decodedUpdate is a v1 update read into memory, not yet applied.
type decodedUpdate struct {
	clients []clientStructs
	ds      deleteSet
}

// decodeUpdate reads a whole v1 update. It allocates at most in proportion
// to the input length and fails without side effects.
func decodeUpdate(b []byte) (*decodedUpdate, error) {
	d := &decoder{buf: b}
	u := &decodedUpdate{}
	n, err := d.uvarint()
	if err != nil {
		return nil, fmt.Errorf("client count: %w", err)
	}
	if n > uint64(d.remaining()) {
		return nil, fmt.Errorf("client count %d: %w", n, errEOF)
	}
	u.clients = make([]clientStructs, 0, n)
	for range n {
		cs, err := decodeClientStructs(d)
		if err != nil {
			return nil, err
		}
		u.clients = append(u.clients, cs)
	}
	if u.ds, err = decodeDeleteSet(d); err != nil {
		return nil, err
	}
	return u, nil
}

func decodeClientStructs(d *decoder) (clientStructs, error) {
	var cs clientStructs
	n, err := d.uvarint()
	if err != nil {
		return cs, fmt.Errorf("struct count: %w", err)
	}
	if n > uint64(d.remaining()) { // every struct takes at least two bytes
		return cs, fmt.Errorf("struct count %d: %w", n, errEOF)
	}
	if cs.client, err = d.uvarint(); err != nil {
		return cs, fmt.Errorf("client: %w", err)
	}
	clock, err := d.uvarint()
	if err != nil {
		return cs, fmt.Errorf("clock: %w", err)
	}
	cs.structs = make([]*item, 0, n)
	for i := range n {
		it, err := decodeStruct(d, ID{cs.client, clock})
		if err != nil {
			return cs, fmt.Errorf("client %d struct %d: %w", cs.client, i, err)
		}
		if it.length == 0 {
			return cs, fmt.Errorf("client %d struct %d: %w: empty struct", cs.client, i, ErrMalformed)
		}
		if clock += it.length; clock > maxSafe {
			return cs, fmt.Errorf("client %d struct %d: %w", cs.client, i, errRange)
		}
		cs.structs = append(cs.structs, it)
	}
	return cs, nil
}

func (d *decoder) id() (ID, error) {
	c, err := d.uvarint()
	if err != nil {
		return noID, err
	}
	k, err := d.uvarint()
	if err != nil {
		return noID, err
	}
	return ID{c, k}, nil
}

func (d *decoder) jsonText() (string, error) {
	s, err := d.str()
	if err != nil {
		return "", err
	}
	if !json.Valid([]byte(s)) {
		return "", fmt.Errorf("%w: invalid JSON", ErrMalformed)
	}
	return s, nil
}

func decodeStruct(d *decoder, id ID) (*item, error) {
	info, err := d.byte1()
	if err != nil {
		return nil, err
	}
	it := &item{id: id, origin: noID, rightOrigin: noID, ref: info & 0x1f}
	switch it.ref {
	case refGC, refSkip:
		it.length, err = d.uvarint()
		it.flags = flagDeleted
		return it, err
	case refDeleted, refJSON, refBinary, refString, refEmbed, refFormat, refType, refAny, refDoc:
	default:
		return nil, fmt.Errorf("%w: unknown struct kind %d", ErrMalformed, it.ref)
	}
	if info&0x80 != 0 {
		if it.origin, err = d.id(); err != nil {
			return nil, fmt.Errorf("origin: %w", err)
		}
	}
	if info&0x40 != 0 {
		if it.rightOrigin, err = d.id(); err != nil {
			return nil, fmt.Errorf("right origin: %w", err)
		}
	}
	if info&0xc0 == 0 {
		// Neither origin is known, so the parent is written out.
		w := &wireParent{}
		kind, err := d.uvarint()
		if err != nil {
			return nil, fmt.Errorf("parent info: %w", err)
		}
		if kind == 1 {
			w.byName = true
			if w.name, err = d.str(); err != nil {
				return nil, fmt.Errorf("parent name: %w", err)
			}
		} else if w.id, err = d.id(); err != nil {
			return nil, fmt.Errorf("parent id: %w", err)
		}
		it.wire = w
		if info&0x20 != 0 {
			if it.parentSub, err = d.str(); err != nil {
				return nil, fmt.Errorf("parent sub: %w", err)
			}
			it.flags |= flagHasSub
		}
	}
	if countableRef(it.ref) {
		it.flags |= flagCountable
	}
	if err := decodeContent(d, it); err != nil {
		return nil, fmt.Errorf("content kind %d: %w", it.ref, err)
	}
	return it, nil
}

func decodeContent(d *decoder, it *item) error {
	var err error
	switch it.ref {
	case refDeleted:
		it.length, err = d.uvarint()
		it.flags |= flagDeleted
		return err
	case refString:
		b, err := d.rawBytes()
		if err != nil {
			return err
		}
		if !utf8.Valid(b) {
			return errUTF8
		}
		it.str = append([]byte(nil), b...)
		it.length = utf16Len(b)
		return nil
	case refJSON, refAny:
		n, err := d.uvarint()
		if err != nil {
			return err
		}
		if n > uint64(d.remaining()) {
			return errEOF
		}
		c := &content{}
		for range n {
			if it.ref == refAny {
				v, err := d.any(0)
				if err != nil {
					return err
				}
				c.anys = append(c.anys, v)
				continue
			}
			s, err := d.str()
			if err != nil {
				return err
			}
			if s != "undefined" && !json.Valid([]byte(s)) {
				return fmt.Errorf("%w: invalid JSON", ErrMalformed)
			}
			c.json = append(c.json, s)
		}
		it.content, it.length = c, n
		return nil
	case refBinary:
		b, err := d.rawBytes()
		if err != nil {
			return err
		}
		it.content, it.length = &content{buf: append([]byte{}, b...)}, 1
		return nil
	case refEmbed:
		s, err := d.jsonText()
		it.content, it.length = &content{embed: s}, 1
		return err
	case refFormat:
		k, err := d.str()
		if err != nil {
			return err
		}
		v, err := d.jsonText()
		it.content, it.length = &content{key: k, value: v}, 1
		return err
	case refType:
		t, err := d.uvarint()
		if err != nil {
			return err
		}
		b := &branch{typeRef: uint8(t)}
		switch t {
		case typeXMLElement, typeXMLHook:
			if b.nodeName, err = d.str(); err != nil {
				return err
			}
		case typeArray, typeMap, typeText, typeXMLFragment, typeXMLText:
		default:
			return fmt.Errorf("%w: unknown type ref %d", ErrMalformed, t)
		}
		it.content, it.length = &content{typ: b}, 1
		return nil
	case refDoc:
		g, err := d.str()
		if err != nil {
			return err
		}
		opts, err := d.any(0)
		it.content, it.length = &content{guid: g, opts: opts}, 1
		return err
	}
	return fmt.Errorf("%w: unknown content kind %d", ErrMalformed, it.ref)
}

func decodeDeleteSet(d *decoder) (deleteSet, error) {
	n, err := d.uvarint()
	if err != nil {
		return nil, fmt.Errorf("delete set: %w", err)
	}
	if n > uint64(d.remaining()) {
		return nil, fmt.Errorf("delete set: %w", errEOF)
	}
	var ds deleteSet
	if n > 0 {
		ds = deleteSet{}
	}
	for range n {
		client, err := d.uvarint()
		if err != nil {
			return nil, fmt.Errorf("delete set: %w", err)
		}
		k, err := d.uvarint()
		if err != nil {
			return nil, fmt.Errorf("delete set: %w", err)
		}
		if k > uint64(d.remaining()) {
			return nil, fmt.Errorf("delete set: %w", errEOF)
		}
		for range k {
			clock, err := d.uvarint()
			if err != nil {
				return nil, fmt.Errorf("delete set: %w", err)
			}
			l, err := d.uvarint()
			if err != nil {
				return nil, fmt.Errorf("delete set: %w", err)
			}
			if clock+l > maxSafe {
				return nil, fmt.Errorf("delete set: %w", errRange)
			}
			if l > 0 {
				ds.add(client, clock, l)
			}
		}
	}
	return ds, nil
}

// encodeItem writes one struct starting offset clock units into it, as Yjs
// writes it: a cut item's origin is the unit just before the cut.
func encodeItem(e *encoder, it *item, offset uint64) {
	switch it.ref {
	case refGC:
		e.byte1(refGC)
		e.uvarint(it.length - offset)
		return
	case refSkip:
		e.byte1(refSkip)
		e.uvarint(it.length - offset)
		return
	}
	origin := it.origin
	if offset > 0 {
		origin = ID{it.id.Client, it.id.Clock + offset - 1}
	}
	info := it.ref
	if origin.valid() {
		info |= 0x80
	}
	if it.rightOrigin.valid() {
		info |= 0x40
	}
	if it.hasSub() {
		info |= 0x20
	}
	e.byte1(info)
	if origin.valid() {
		e.uvarint(origin.Client)
		e.uvarint(origin.Clock)
	}
	if it.rightOrigin.valid() {
		e.uvarint(it.rightOrigin.Client)
		e.uvarint(it.rightOrigin.Clock)
	}
	if !origin.valid() && !it.rightOrigin.valid() {
		switch {
		case it.parent != nil && it.parent.item == nil:
			e.uvarint(1)
			e.str(it.parent.name)
		case it.parent != nil:
			e.uvarint(0)
			e.uvarint(it.parent.item.id.Client)
			e.uvarint(it.parent.item.id.Clock)
		case it.wire != nil && it.wire.byName:
			e.uvarint(1)
			e.str(it.wire.name)
		case it.wire != nil:
			e.uvarint(0)
			e.uvarint(it.wire.id.Client)
			e.uvarint(it.wire.id.Clock)
		default:
			e.uvarint(1) // unreachable for integrated items
			e.str("")
		}
		if it.hasSub() {
			e.str(it.parentSub)
		}
	}
	c := it.content
	switch it.ref {
	case refDeleted:
		e.uvarint(it.length - offset)
	case refString:
		e.bytes(sliceUTF16(it.str, it.length, offset))
	case refJSON:
		e.uvarint(uint64(len(c.json)) - offset)
		for _, s := range c.json[offset:] {
			e.str(s)
		}
	case refAny:
		e.uvarint(uint64(len(c.anys)) - offset)
		for _, v := range c.anys[offset:] {
			e.any(v)
		}
	case refBinary:
		e.bytes(c.buf)
	case refEmbed:
		e.str(c.embed)
	case refFormat:
		e.str(c.key)
		e.str(c.value)
	case refType:
		e.uvarint(uint64(c.typ.typeRef))
		if c.typ.typeRef == typeXMLElement || c.typ.typeRef == typeXMLHook {
			e.str(c.typ.nodeName)
		}
	case refDoc:
		e.str(c.guid)
		e.any(c.opts)
	}
}

func encodeDeleteSet(e *encoder, ds deleteSet) {
	clients := make([]uint64, 0, len(ds))
	for c, s := range ds {
		if len(s) > 0 {
			clients = append(clients, c)
		}
	}
	slices.Sort(clients)
	slices.Reverse(clients)
	e.uvarint(uint64(len(clients)))
	for _, c := range clients {
		e.uvarint(c)
		e.uvarint(uint64(len(ds[c])))
		for _, s := range ds[c] {
			e.uvarint(s.clock)
			e.uvarint(s.len)
		}
	}
}
