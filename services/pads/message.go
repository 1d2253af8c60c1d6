package pads

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// The y-websocket protocol (y-protocols' sync, awareness and auth messages).
// Every WebSocket binary message starts with a varuint message type; see
// PROTOCOL.md for the layout of each.
const (
	msgSync           = 0
	msgAwareness      = 1
	msgAuth           = 2
	msgQueryAwareness = 3

	syncStep1  = 0
	syncStep2  = 1
	syncUpdate = 2

	authPermissionDenied = 0
)

// errMalformed is wrapped by every decoding error: the connection that sent
// the message is closed with its text as the reason.
var errMalformed = errors.New("malformed message")

// message is one decoded y-websocket message.
type message struct {
	Type     uint64 // msgSync, msgAwareness, msgQueryAwareness (msgAuth is server → client only)
	SyncType uint64 // for msgSync: syncStep1, syncStep2, syncUpdate
	Payload  []byte // the state vector (step 1), the update (step 2, update) or the awareness update
}

// decodeMessage parses one message from a client. It never panics and keeps
// no reference to data's backing array beyond Payload, a sub-slice.
func decodeMessage(data []byte) (message, error) {
	r := reader{buf: data}
	var m message
	var err error
	if m.Type, err = r.uvarint(); err != nil {
		return m, err
	}
	switch m.Type {
	case msgSync:
		if m.SyncType, err = r.uvarint(); err != nil {
			return m, err
		}
		if m.SyncType > syncUpdate {
			return m, fmt.Errorf("%w: unknown sync message type %d", errMalformed, m.SyncType)
		}
		if m.Payload, err = r.bytes(); err != nil {
			return m, err
		}
	case msgAwareness:
		if m.Payload, err = r.bytes(); err != nil {
			return m, err
		}
	case msgQueryAwareness:
	default:
		return m, fmt.Errorf("%w: unknown message type %d", errMalformed, m.Type)
	}
	if r.pos != len(data) {
		return m, fmt.Errorf("%w: %d trailing bytes", errMalformed, len(data)-r.pos)
	}
	return m, nil
}

// awarenessEntry is one client's presence (caret, name, colour) in an
// awareness update. State is the client's JSON, "null" when it left.
type awarenessEntry struct {
	ClientID uint64
	Clock    uint64
	State    json.RawMessage
}

// maxAwarenessState bounds one client's presence JSON.
const maxAwarenessState = 16 << 10

// decodeAwareness parses an awareness update and checks that every state is
// JSON of bounded size, so that a client cannot feed garbage to the others.
func decodeAwareness(data []byte) ([]awarenessEntry, error) {
	r := reader{buf: data}
	n, err := r.uvarint()
	if err != nil {
		return nil, err
	}
	if n > uint64(len(data)) { // each entry takes at least 3 bytes
		return nil, fmt.Errorf("%w: awareness count %d exceeds the message", errMalformed, n)
	}
	out := make([]awarenessEntry, 0, n)
	for range n {
		var e awarenessEntry
		if e.ClientID, err = r.uvarint(); err != nil {
			return nil, err
		}
		if e.Clock, err = r.uvarint(); err != nil {
			return nil, err
		}
		s, err := r.bytes()
		if err != nil {
			return nil, err
		}
		if len(s) > maxAwarenessState || !utf8.Valid(s) || !json.Valid(s) {
			return nil, fmt.Errorf("%w: awareness state of client %d is not bounded JSON", errMalformed, e.ClientID)
		}
		e.State = json.RawMessage(s)
		out = append(out, e)
	}
	if r.pos != len(data) {
		return nil, fmt.Errorf("%w: %d trailing bytes after awareness", errMalformed, len(data)-r.pos)
	}
	return out, nil
}

func encodeAwareness(entries []awarenessEntry) []byte {
	var w writer
	w.uvarint(uint64(len(entries)))
	for _, e := range entries {
		w.uvarint(e.ClientID)
		w.uvarint(e.Clock)
		w.bytes(e.State)
	}
	return w.buf
}

// Encoders of server → client messages.

func encodeSync(syncType uint64, payload []byte) []byte {
	var w writer
	w.uvarint(msgSync)
	w.uvarint(syncType)
	w.bytes(payload)
	return w.buf
}

func encodeAwarenessMessage(update []byte) []byte {
	var w writer
	w.uvarint(msgAwareness)
	w.bytes(update)
	return w.buf
}

func encodePermissionDenied(reason string) []byte {
	var w writer
	w.uvarint(msgAuth)
	w.uvarint(authPermissionDenied)
	w.bytes([]byte(reason))
	return w.buf
}

// reader decodes lib0's variable-length encoding.
type reader struct {
	buf []byte
	pos int
}

// uvarint reads lib0's varuint: 7 bits a byte, low bits first, at most 53
// bits (JavaScript's safe integers).
func (r *reader) uvarint() (uint64, error) {
	var v uint64
	for shift := uint(0); ; shift += 7 {
		if r.pos >= len(r.buf) {
			return 0, fmt.Errorf("%w: unexpected end", errMalformed)
		}
		if shift > 49 {
			return 0, fmt.Errorf("%w: integer too large", errMalformed)
		}
		b := r.buf[r.pos]
		r.pos++
		v |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return v, nil
		}
	}
}

// bytes reads a varuint length and that many bytes.
func (r *reader) bytes() ([]byte, error) {
	n, err := r.uvarint()
	if err != nil {
		return nil, err
	}
	if n > uint64(len(r.buf)-r.pos) {
		return nil, fmt.Errorf("%w: length %d exceeds the message", errMalformed, n)
	}
	b := r.buf[r.pos : r.pos+int(n)]
	r.pos += int(n)
	return b, nil
}

type writer struct{ buf []byte }

func (w *writer) uvarint(v uint64) {
	for v >= 0x80 {
		w.buf = append(w.buf, byte(v)|0x80)
		v >>= 7
	}
	w.buf = append(w.buf, byte(v))
}

func (w *writer) bytes(b []byte) {
	w.uvarint(uint64(len(b)))
	w.buf = append(w.buf, b...)
}
