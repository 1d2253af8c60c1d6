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
		sv[c] = l[len(l)-1].end()
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
		if clock := sv[c]; l[len(l)-1].end() > clock {
			starts = append(starts, start{c, clock})
		}
	}
	e.uvarint(uint64(len(starts)))
	for _, s := range starts {
		l := d.store.clients[s.client]
		clock := max(s.clock, l[0].id.Clock)
		i := findIndex(l, clock)
		e.uvarint(uint64(len(l) - i))
		e.uvarint(s.client)
		e.uvarint(clock)
		encodeItem(e, l[i], clock-l[i].id.Clock)
		for _, it := range l[i+1:] {
			encodeItem(e, it, 0)
		}
	}
	encodeDeleteSet(e, d.deleteSet())
	return e.buf
}

// deleteSet lists every deleted clock range of the store.
func (d *Doc) deleteSet() deleteSet {
	ds := deleteSet{}
	for c, l := range d.store.clients {
		for i := 0; i < len(l); i++ {
			if !l[i].deleted() {
				continue
			}
			clock, n := l[i].id.Clock, l[i].length
			for i+1 < len(l) && l[i+1].deleted() {
				i++
				n += l[i].length
			}
			ds.add(c, clock, n)
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
