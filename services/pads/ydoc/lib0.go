package ydoc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"unicode/utf8"
)

// Errors returned by the decoder. Every decoding failure wraps ErrMalformed.
var (
	ErrMalformed = errors.New("ydoc: malformed update")
	errEOF       = fmt.Errorf("%w: unexpected end of data", ErrMalformed)
	errRange     = fmt.Errorf("%w: integer out of range", ErrMalformed)
	errUTF8      = fmt.Errorf("%w: string is not valid UTF-8", ErrMalformed)
	errDepth     = fmt.Errorf("%w: value nested too deeply", ErrMalformed)
)

// maxSafe is JavaScript's Number.MAX_SAFE_INTEGER: lib0 refuses larger
// variable-length integers, and so do we.
const maxSafe = 1<<53 - 1

// maxAnyDepth bounds the nesting of arrays and objects in an Any value so
// that hostile input cannot exhaust the stack.
const maxAnyDepth = 256

// Undefined is JavaScript's undefined, distinct from null (nil).
type Undefined struct{}

// BigInt is a JavaScript BigInt, which lib0 encodes as a signed 64-bit integer.
type BigInt int64

// encoder appends lib0 encodings to a byte slice.
type encoder struct{ buf []byte }

func (e *encoder) byte1(b byte) { e.buf = append(e.buf, b) }

func (e *encoder) uvarint(n uint64) {
	for n > 0x7f {
		e.buf = append(e.buf, byte(n)|0x80)
		n >>= 7
	}
	e.buf = append(e.buf, byte(n))
}

// varint writes lib0's signed variable-length integer: the first byte holds
// a continuation bit, a sign bit and six bits of the magnitude.
func (e *encoder) varint(n int64, negative bool) {
	var mag uint64
	if n < 0 {
		mag = uint64(-n)
		negative = true
	} else {
		mag = uint64(n)
	}
	b := byte(mag & 0x3f)
	if negative {
		b |= 0x40
	}
	if mag > 0x3f {
		b |= 0x80
	}
	e.buf = append(e.buf, b)
	mag >>= 6
	for mag > 0 {
		b := byte(mag & 0x7f)
		if mag > 0x7f {
			b |= 0x80
		}
		e.buf = append(e.buf, b)
		mag >>= 7
	}
}

func (e *encoder) bytes(b []byte) {
	e.uvarint(uint64(len(b)))
	e.buf = append(e.buf, b...)
}

func (e *encoder) str(s string) {
	e.uvarint(uint64(len(s)))
	e.buf = append(e.buf, s...)
}

// any writes a value in lib0's "any" encoding. Numbers follow JavaScript:
// an integer of magnitude below 2^31 is a varint, a value exactly
// representable as float32 is a float32, anything else a float64.
func (e *encoder) any(v any) {
	switch v := v.(type) {
	case nil:
		e.byte1(126)
	case Undefined:
		e.byte1(127)
	case bool:
		if v {
			e.byte1(120)
		} else {
			e.byte1(121)
		}
	case string:
		e.byte1(119)
		e.str(v)
	case int:
		e.number(float64(v))
	case int64:
		e.number(float64(v))
	case float64:
		e.number(v)
	case BigInt:
		e.byte1(122)
		e.buf = binary.BigEndian.AppendUint64(e.buf, uint64(v))
	case []byte:
		e.byte1(116)
		e.bytes(v)
	case []any:
		e.byte1(117)
		e.uvarint(uint64(len(v)))
		for _, x := range v {
			e.any(x)
		}
	case map[string]any:
		e.byte1(118)
		e.uvarint(uint64(len(v)))
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			e.str(k)
			e.any(v[k])
		}
	default:
		e.byte1(127) // not representable: JavaScript would see undefined
	}
}

func (e *encoder) number(f float64) {
	switch {
	case f == math.Trunc(f) && math.Abs(f) <= math.MaxInt32:
		e.byte1(125)
		e.varint(int64(f), math.Signbit(f))
	case float64(float32(f)) == f: // NaN fails this test, as in lib0
		e.byte1(124)
		e.buf = binary.BigEndian.AppendUint32(e.buf, math.Float32bits(float32(f)))
	default:
		e.byte1(123)
		e.buf = binary.BigEndian.AppendUint64(e.buf, math.Float64bits(f))
	}
}

// decoder reads lib0 encodings from a byte slice; it never reads past the
// end and reports every problem as an error wrapping ErrMalformed.
type decoder struct {
	buf []byte
	pos int
}

func (d *decoder) remaining() int { return len(d.buf) - d.pos }

func (d *decoder) byte1() (byte, error) {
	if d.pos >= len(d.buf) {
		return 0, errEOF
	}
	b := d.buf[d.pos]
	d.pos++
	return b, nil
}

func (d *decoder) uvarint() (uint64, error) {
	var n uint64
	for shift := uint(0); ; shift += 7 {
		if d.pos >= len(d.buf) {
			return 0, errEOF
		}
		b := d.buf[d.pos]
		d.pos++
		if shift >= 56 {
			return 0, errRange
		}
		n |= uint64(b&0x7f) << shift
		if b < 0x80 {
			if n > maxSafe {
				return 0, errRange
			}
			return n, nil
		}
	}
}

// varint returns the magnitude as a float64 so that -0 survives.
func (d *decoder) varint() (float64, error) {
	b, err := d.byte1()
	if err != nil {
		return 0, err
	}
	n := uint64(b & 0x3f)
	neg := b&0x40 != 0
	for shift := uint(6); b&0x80 != 0; shift += 7 {
		if b, err = d.byte1(); err != nil {
			return 0, err
		}
		if shift >= 56 {
			return 0, errRange
		}
		n |= uint64(b&0x7f) << shift
	}
	if n > maxSafe {
		return 0, errRange
	}
	f := float64(n)
	if neg {
		f = -f
	}
	return f, nil
}

func (d *decoder) rawBytes() ([]byte, error) {
	n, err := d.uvarint()
	if err != nil {
		return nil, err
	}
	if n > uint64(d.remaining()) {
		return nil, errEOF
	}
	b := d.buf[d.pos : d.pos+int(n)]
	d.pos += int(n)
	return b, nil
}

// str reads a length-prefixed UTF-8 string. Like lib0 (a fatal TextDecoder)
// it refuses invalid UTF-8.
func (d *decoder) str() (string, error) {
	b, err := d.rawBytes()
	if err != nil {
		return "", err
	}
	if !utf8.Valid(b) {
		return "", errUTF8
	}
	return string(b), nil
}

func (d *decoder) any(depth int) (any, error) {
	if depth > maxAnyDepth {
		return nil, errDepth
	}
	tag, err := d.byte1()
	if err != nil {
		return nil, err
	}
	switch tag {
	case 127:
		return Undefined{}, nil
	case 126:
		return nil, nil
	case 125:
		return d.varint()
	case 124:
		if d.remaining() < 4 {
			return nil, errEOF
		}
		f := math.Float32frombits(binary.BigEndian.Uint32(d.buf[d.pos:]))
		d.pos += 4
		return float64(f), nil
	case 123:
		if d.remaining() < 8 {
			return nil, errEOF
		}
		f := math.Float64frombits(binary.BigEndian.Uint64(d.buf[d.pos:]))
		d.pos += 8
		return f, nil
	case 122:
		if d.remaining() < 8 {
			return nil, errEOF
		}
		n := int64(binary.BigEndian.Uint64(d.buf[d.pos:]))
		d.pos += 8
		return BigInt(n), nil
	case 121:
		return false, nil
	case 120:
		return true, nil
	case 119:
		return d.str()
	case 118:
		n, err := d.uvarint()
		if err != nil {
			return nil, err
		}
		if n > uint64(d.remaining()) { // each entry takes at least two bytes
			return nil, errEOF
		}
		m := make(map[string]any, n)
		for range n {
			k, err := d.str()
			if err != nil {
				return nil, err
			}
			v, err := d.any(depth + 1)
			if err != nil {
				return nil, err
			}
			m[k] = v
		}
		return m, nil
	case 117:
		n, err := d.uvarint()
		if err != nil {
			return nil, err
		}
		if n > uint64(d.remaining()) {
			return nil, errEOF
		}
		a := make([]any, 0, n)
		for range n {
			v, err := d.any(depth + 1)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		return a, nil
	case 116:
		b, err := d.rawBytes()
		if err != nil {
			return nil, err
		}
		return slices.Clone(b), nil
	default:
		return nil, fmt.Errorf("%w: unknown value tag %d", ErrMalformed, tag)
	}
}
