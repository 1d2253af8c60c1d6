package pads

import (
	"bytes"
	"errors"
	"testing"
)

func TestDecodeMessage(t *testing.T) {
	big := bytes.Repeat([]byte{7}, 300)
	tests := []struct {
		name string
		in   []byte
		want message
		err  bool
	}{
		{"step1", encodeSync(syncStep1, []byte{0}), message{Type: msgSync, SyncType: syncStep1, Payload: []byte{0}}, false},
		{"step2 long", encodeSync(syncStep2, big), message{Type: msgSync, SyncType: syncStep2, Payload: big}, false},
		{"update", encodeSync(syncUpdate, []byte{1, 2}), message{Type: msgSync, SyncType: syncUpdate, Payload: []byte{1, 2}}, false},
		{"awareness", encodeAwarenessMessage([]byte{0}), message{Type: msgAwareness, Payload: []byte{0}}, false},
		{"query awareness", []byte{msgQueryAwareness}, message{Type: msgQueryAwareness}, false},
		{"empty", nil, message{}, true},
		{"unknown type", []byte{9}, message{}, true},
		{"auth from client", encodePermissionDenied("x"), message{}, true},
		{"unknown sync type", []byte{0, 5, 0}, message{}, true},
		{"length past end", []byte{0, 2, 5, 1}, message{}, true},
		{"trailing bytes", append(encodeSync(syncUpdate, []byte{1}), 0), message{}, true},
		{"varint too long", []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, message{}, true},
	}
	for _, tt := range tests {
		got, err := decodeMessage(tt.in)
		if tt.err {
			if err == nil || !errors.Is(err, errMalformed) {
				t.Errorf("%s: err = %v, want errMalformed", tt.name, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got.Type != tt.want.Type || got.SyncType != tt.want.SyncType || !bytes.Equal(got.Payload, tt.want.Payload) {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestAwarenessRoundTrip(t *testing.T) {
	in := []awarenessEntry{
		{ClientID: 1, Clock: 3, State: []byte(`{"user":{"name":"Ana","color":"#b3261e"}}`)},
		{ClientID: 1 << 40, Clock: 0, State: []byte(`null`)},
	}
	out, err := decodeAwareness(encodeAwareness(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || out[1].ClientID != 1<<40 || string(out[0].State) != string(in[0].State) {
		t.Errorf("round trip: %+v", out)
	}
	for name, bad := range map[string][]byte{
		"not json":  encodeAwareness([]awarenessEntry{{1, 1, []byte(`{nope`)}}),
		"too many":  {200, 1},
		"trailing":  append(encodeAwareness(in), 1),
		"too large": encodeAwareness([]awarenessEntry{{1, 1, []byte(`"` + string(bytes.Repeat([]byte("a"), maxAwarenessState)) + `"`)}}),
	} {
		if _, err := decodeAwareness(bad); !errors.Is(err, errMalformed) {
			t.Errorf("%s: err = %v, want errMalformed", name, err)
		}
	}
}

func FuzzDecodeMessage(f *testing.F) {
	f.Add(encodeSync(syncStep1, []byte{0}))
	f.Add(encodeSync(syncUpdate, []byte{1, 1, 5, 0, 4, 1, 4, 't', 'e', 'x', 't', 1, 'a', 0}))
	f.Add(encodeAwarenessMessage(encodeAwareness([]awarenessEntry{{1, 1, []byte(`{"a":1}`)}})))
	f.Add([]byte{msgQueryAwareness})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeMessage(data)
		if err != nil {
			if !errors.Is(err, errMalformed) {
				t.Fatalf("error %v does not wrap errMalformed", err)
			}
			return
		}
		// Whatever decodes re-encodes to a message that decodes the same
		// (lib0 accepts varints with redundant bytes; we write minimal ones).
		var again []byte
		switch m.Type {
		case msgSync:
			again = encodeSync(m.SyncType, m.Payload)
		case msgAwareness:
			again = encodeAwarenessMessage(m.Payload)
			if entries, err := decodeAwareness(m.Payload); err == nil {
				back, err := decodeAwareness(encodeAwareness(entries))
				if err != nil || len(back) != len(entries) {
					t.Fatalf("awareness does not round-trip: %v", err)
				}
				for i := range back {
					if back[i].ClientID != entries[i].ClientID || back[i].Clock != entries[i].Clock || !bytes.Equal(back[i].State, entries[i].State) {
						t.Fatalf("awareness entry %d changed: %+v → %+v", i, entries[i], back[i])
					}
				}
			}
		case msgQueryAwareness:
			again = []byte{msgQueryAwareness}
		}
		m2, err := decodeMessage(again)
		if err != nil || m2.Type != m.Type || m2.SyncType != m.SyncType || !bytes.Equal(m2.Payload, m.Payload) {
			t.Fatalf("decode/encode/decode changed %+v into %+v (%v)", m, m2, err)
		}
	})
}
