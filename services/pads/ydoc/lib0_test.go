package ydoc

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"testing"
)

func TestVarUint(t *testing.T) {
	for _, tc := range []struct {
		n    uint64
		want []byte
	}{
		{0, []byte{0}},
		{127, []byte{0x7f}},
		{128, []byte{0x80, 0x01}},
		{300, []byte{0xac, 0x02}},
		{maxSafe, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f}},
	} {
		e := &encoder{}
		e.uvarint(tc.n)
		if !bytes.Equal(e.buf, tc.want) {
			t.Errorf("uvarint(%d) = %x, want %x", tc.n, e.buf, tc.want)
		}
		got, err := (&decoder{buf: tc.want}).uvarint()
		if err != nil || got != tc.n {
			t.Errorf("decode %x = %d, %v; want %d", tc.want, got, err, tc.n)
		}
	}
	for _, bad := range [][]byte{{}, {0x80}, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x10}, bytes.Repeat([]byte{0xff}, 20)} {
		if _, err := (&decoder{buf: bad}).uvarint(); !errors.Is(err, ErrMalformed) {
			t.Errorf("decode %x: err = %v, want ErrMalformed", bad, err)
		}
	}
}

// Values from lib0's writeVarInt: six bits in the first byte, then the sign
// bit (0x40) and the continuation bit (0x80).
func TestVarInt(t *testing.T) {
	for _, tc := range []struct {
		n    float64
		want []byte
	}{
		{0, []byte{0}},
		{63, []byte{0x3f}},
		{64, []byte{0x80, 0x01}},
		{-1, []byte{0x41}},
		{-64, []byte{0xc0, 0x01}},
		{math.Copysign(0, -1), []byte{0x40}},
	} {
		e := &encoder{}
		e.varint(int64(tc.n), math.Signbit(tc.n))
		if !bytes.Equal(e.buf, tc.want) {
			t.Errorf("varint(%v) = %x, want %x", tc.n, e.buf, tc.want)
		}
		got, err := (&decoder{buf: tc.want}).varint()
		if err != nil || got != tc.n || math.Signbit(got) != math.Signbit(tc.n) {
			t.Errorf("decode %x = %v, %v; want %v", tc.want, got, err, tc.n)
		}
	}
}

func TestAnyRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want []byte // nil: only round-trip
	}{
		{nil, []byte{126}},
		{Undefined{}, []byte{127}},
		{true, []byte{120}},
		{false, []byte{121}},
		{"hé", []byte{119, 3, 'h', 0xc3, 0xa9}},
		{float64(5), []byte{125, 5}},
		{float64(-5), []byte{125, 0x45}},
		{2.5, []byte{124, 0x40, 0x20, 0, 0}},
		{0.1, []byte{123, 0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a}},
		{float64(1 << 40), nil}, // beyond int32: float32 exactly
		{BigInt(-2), []byte{122, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe}},
		{[]byte{1, 2}, []byte{116, 2, 1, 2}},
		{[]any{float64(1), "a"}, []byte{117, 2, 125, 1, 119, 1, 'a'}},
		{map[string]any{"b": true, "a": nil}, []byte{118, 2, 1, 'a', 126, 1, 'b', 120}},
	} {
		e := &encoder{}
		e.any(tc.v)
		if tc.want != nil && !bytes.Equal(e.buf, tc.want) {
			t.Errorf("any(%#v) = %x, want %x", tc.v, e.buf, tc.want)
		}
		got, err := (&decoder{buf: e.buf}).any(0)
		if err != nil || !reflect.DeepEqual(got, tc.v) {
			t.Errorf("decode any(%#v) = %#v, %v", tc.v, got, err)
		}
	}
}

func TestAnyRejectsHostileInput(t *testing.T) {
	deep := bytes.Repeat([]byte{117, 1}, maxAnyDepth+10)
	for name, b := range map[string][]byte{
		"too deep":       deep,
		"huge array":     {117, 0xff, 0xff, 0xff, 0x7f},
		"huge string":    {119, 0xff, 0xff, 0x7f, 'a'},
		"bad utf8":       {119, 1, 0xff},
		"unknown tag":    {50},
		"short float64":  {123, 1, 2},
		"object no vals": {118, 1, 1, 'a'},
	} {
		if _, err := (&decoder{buf: b}).any(0); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
	}
}

func TestUTF16(t *testing.T) {
	s := []byte("a😀é")
	if n := utf16Len(s); n != 4 {
		t.Fatalf("utf16Len = %d, want 4", n)
	}
	l, r := splitUTF16(s, 4, 2) // between the halves of 😀
	if string(l) != "a\uFFFD" || string(r) != "\uFFFDé" {
		t.Errorf("split in a surrogate pair = %q, %q", l, r)
	}
	if utf16Len(l)+utf16Len(r) != 4 {
		t.Errorf("split changed the length in UTF-16 units")
	}
	l, r = splitUTF16(s, 4, 3)
	if string(l) != "a😀" || string(r) != "é" {
		t.Errorf("split after a pair = %q, %q", l, r)
	}
	if got := string(sliceUTF16(s, 4, 2)); got != "\uFFFDé" {
		t.Errorf("slice in a pair = %q", got)
	}
}
