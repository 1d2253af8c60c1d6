package ydoc

import (
	"fmt"
	"slices"
)

// StateVector maps each client to the number of clock units of it that the
// document holds (the next clock expected from that client).
type StateVector map[uint64]uint64

// StateVector returns the document's state: integrated structs only, not
// pending ones.
func (d *Doc) StateVector() StateVector {
	sv := make(StateVector, len(d.store.clients))
	for c, l := range d.store.clients {
		sv[c] = l.last().end()
	}
	return sv
}

// EncodeStateVector writes sv as Yjs does (sync step 1): a count, then
// client and clock pairs, highest client first.
func EncodeStateVector(sv StateVector) []byte {
	e := &encoder{}
	clients := sortedClients(sv)
	e.uvarint(uint64(len(clients)))
	for _, c := range clients {
		e.uvarint(c)
		e.uvarint(sv[c])
	}
	return e.buf
}

// DecodeStateVector reads an encoded state vector.
func DecodeStateVector(b []byte) (StateVector, error) {
	d := &decoder{buf: b}
	n, err := d.uvarint()
	if err != nil {
		return nil, fmt.Errorf("decode state vector: %w", err)
	}
	if n > uint64(d.remaining()) {
		return nil, fmt.Errorf("decode state vector: %w", errEOF)
	}
	sv := make(StateVector, n)
	for range n {
		c, err := d.uvarint()
		if err != nil {
			return nil, fmt.Errorf("decode state vector: %w", err)
		}
		k, err := d.uvarint()
		if err != nil {
			return nil, fmt.Errorf("decode state vector: %w", err)
		}
		sv[c] = k
	}
	return sv, nil
}

func sortedClients[V any](m map[uint64]V) []uint64 {
	cs := make([]uint64, 0, len(m))
	for c := range m {
		cs = append(cs, c)
	}
	slices.Sort(cs)
	slices.Reverse(cs)
	return cs
}

// EncodeStateAsUpdate returns, as a v1 update, every struct the document
// has beyond sv (nil: everything) and the document's whole delete set: the
// answer to sync step 1.
func (d *Doc) EncodeStateAsUpdate(sv StateVector) []byte {
	e := &encoder{}
	type start struct{ client, clock uint64 }
	var starts []start
	for _, c := range sortedClients(d.store.clients) {
		l := d.store.clients[c]
		if clock := sv[c]; l.last().end() > clock {
			starts = append(starts, start{c, clock})
		}
	}
	e.uvarint(uint64(len(starts)))
	for _, s := range starts {
		d.encodeStructs(e, s.client, s.clock)
	}
	encodeDeleteSet(e, d.deleteSet())
	return e.buf
}

// encodeStructs writes a client's structs from clock on.
func (d *Doc) encodeStructs(e *encoder, client, clock uint64) {
	l := d.store.clients[client]
	p, _ := l.find(clock)
	first := l.at(p)
	e.uvarint(uint64(l.countFrom(p)))
	e.uvarint(client)
	e.uvarint(clock)
	encodeItem(e, first, clock-first.id.Clock)
	for q, ok := l.next(p); ok; q, ok = l.next(q) {
		encodeItem(e, l.at(q), 0)
	}
}

// deleteSet lists every deleted clock range of the store.
func (d *Doc) deleteSet() deleteSet {
	ds := deleteSet{}
	for c, l := range d.store.clients {
		var run *span
		for _, b := range l.blocks {
			for _, it := range b {
				switch {
				case !it.deleted():
					run = nil
				case run != nil:
					run.len += it.length
				default:
					ds.add(c, it.id.Clock, it.length)
					run = &ds[c][len(ds[c])-1]
				}
			}
		}
	}
	return ds
}

// DiffUpdate is EncodeStateAsUpdate for an encoded state vector, as sync
// step 1 carries it.
func (d *Doc) DiffUpdate(encodedSV []byte) ([]byte, error) {
	sv, err := DecodeStateVector(encodedSV)
	if err != nil {
		return nil, err
	}
	return d.EncodeStateAsUpdate(sv), nil
}

// UpdateSince returns one update that brings a document at state vector sv
// to this document's structs, with the deletions of the given updates (not
// the whole delete set, as EncodeStateAsUpdate has): the merge of a batch of
// updates just applied after sv, to relay as one message instead of many.
// Structs of those updates still pending are left out; they are relayed once
// a later update lets them in. An update that does not decode is an error.
func (d *Doc) UpdateSince(sv StateVector, applied [][]byte) ([]byte, error) {
	ds := deleteSet{}
	for _, u := range applied {
		dec, err := decodeUpdate(u)
		if err != nil {
			return nil, err
		}
		for c, spans := range dec.ds {
			ds[c] = append(ds[c], spans...)
		}
	}
	ds.normalize()
	e := &encoder{}
	type start struct{ client, clock uint64 }
	var starts []start
	for _, c := range sortedClients(d.store.clients) {
		if clock := sv[c]; d.store.clients[c].last().end() > clock {
			starts = append(starts, start{c, clock})
		}
	}
	e.uvarint(uint64(len(starts)))
	for _, s := range starts {
		d.encodeStructs(e, s.client, s.clock)
	}
	encodeDeleteSet(e, ds)
	return e.buf, nil
}

// Adds reports whether applying update would change the document: a struct
// beyond its state vector, or a deletion of something it holds undeleted (or
// does not hold yet). A read-only client's sync answer carries the document's
// whole delete set and nothing new; this tells it from a real edit without
// applying anything.
func (d *Doc) Adds(update []byte) (bool, error) {
	u, err := decodeUpdate(update)
	if err != nil {
		return false, err
	}
	for _, cs := range u.clients {
		var have uint64
		if l := d.store.clients[cs.client]; l != nil && len(l.blocks) > 0 {
			have = l.last().end()
		}
		if n := len(cs.structs); n > 0 && cs.structs[n-1].end() > have {
			return true, nil
		}
	}
	for c, spans := range u.ds {
		l := d.store.clients[c]
		for _, s := range spans {
			for clock := s.clock; clock < s.clock+s.len; {
				p, ok := l.find(clock)
				if !ok {
					return true, nil // not here yet: the deletion would wait
				}
				it := l.at(p)
				if !it.deleted() {
					return true, nil
				}
				clock = it.end()
			}
		}
	}
	return false, nil
}
