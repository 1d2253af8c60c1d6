package ydoc

import "unicode/utf8"

// Yjs measures text in UTF-16 code units (JavaScript string length). We keep
// text as UTF-8 and convert positions at the edges.

const replacementUTF8 = "\uFFFD"

// utf16Len is the length of the UTF-8 text b in UTF-16 code units.
func utf16Len(b []byte) uint64 {
	n := uint64(0)
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c < 0x80:
			i++
			n++
			continue
		case c < 0xe0:
			i += 2
			n++
		case c < 0xf0:
			i += 3
			n++
		default:
			i += 4
			n += 2
		}
	}
	return n
}

// utf16Offset finds the byte offset in valid UTF-8 b of UTF-16 offset off.
// mid reports that off falls between the two halves of a surrogate pair; the
// byte offset is then that of the four-byte sequence holding the pair.
func utf16Offset(b []byte, units, off uint64) (byteOff int, mid bool) {
	if uint64(len(b)) == units { // all ASCII
		return int(off), false
	}
	n := uint64(0)
	for i := 0; i < len(b); {
		if n == off {
			return i, false
		}
		_, size := utf8.DecodeRune(b[i:])
		if size == 4 {
			if n+1 == off {
				return i, true
			}
			n += 2
		} else {
			n++
		}
		i += size
	}
	return len(b), false
}

// splitUTF16 splits b at UTF-16 offset off the way Yjs splits a string: a
// surrogate pair cut in two becomes U+FFFD on each side, so both halves keep
// their length in code units.
func splitUTF16(b []byte, units, off uint64) (left, right []byte) {
	i, mid := utf16Offset(b, units, off)
	if !mid {
		return b[:i:i], b[i:]
	}
	left = append(append(make([]byte, 0, i+3), b[:i]...), replacementUTF8...)
	right = append(append(make([]byte, 0, len(b)-i-1), replacementUTF8...), b[i+4:]...)
	return left, right
}

// sliceUTF16 is b from UTF-16 offset off to the end as Yjs encodes it: a
// leading lone low surrogate is written as U+FFFD by the UTF-8 encoder.
func sliceUTF16(b []byte, units, off uint64) []byte {
	if off == 0 {
		return b
	}
	i, mid := utf16Offset(b, units, off)
	if !mid {
		return b[i:]
	}
	return append([]byte(replacementUTF8), b[i+4:]...)
}
