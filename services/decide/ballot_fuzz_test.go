package decide

import (
	"strings"
	"testing"
)

// The ballot decoders take network input: never a panic, and a ballot they
// accept re-decodes to the same canonical bytes.
func FuzzDecodeSecretBallot(f *testing.F) {
	f.Add([]byte(`{"token":"AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AA","ballot":{"ranking":[[1],[0,2]]}}`))
	f.Add([]byte(`{"token":"` + strings.Repeat("A", 86) + `","signature":"` + strings.Repeat("B", 342) + `","ballot":{"ranking":[]}}`))
	f.Add([]byte(`{"token":"x","ballot":null}`))
	f.Add([]byte(`{"ballot":{"ranking":[[0,0]]}} {}`))
	v := Vote{Type: TypeRanked, Options: []string{"A", "B", "C"}, Secret: true}
	f.Fuzz(func(t *testing.T, data []byte) {
		token, sig, ballot, err := decodeSecretBallot(&v, data)
		if err != nil {
			return
		}
		if len(token) != cardTokenLen && len(token) != blindTokenLen {
			t.Fatalf("token of %d bytes accepted", len(token))
		}
		if sig != nil && len(sig) != 256 {
			t.Fatalf("signature of %d bytes accepted", len(sig))
		}
		tv, _ := v.tallyVote()
		again, err := checkTallyBallot(&tv, ballot)
		if err != nil || string(again) != string(ballot) {
			t.Fatalf("canonical ballot %s does not re-decode: %v", ballot, err)
		}
	})
}

func FuzzDecodeOpenBallot(f *testing.F) {
	f.Add([]byte(`{"ballot":{"grades":[1,null,0]},"reason":"ok"}`), uint8(0))
	f.Add([]byte(`{"nominee":"m01","reason":"she knows"}`), uint8(1))
	f.Add([]byte(`{"ballot":{"choice":1}}`), uint8(2))
	votes := []Vote{
		{Type: TypeMJ, Options: []string{"A", "B", "C"}, Settings: VoteSettings{Grades: []string{"bad", "ok", "good"}}},
		{Type: TypeElection, Phase: "nominate"},
		{Type: TypeElection, Phase: "object"},
		{Type: TypeDots, Options: []string{"A", "B"}, Settings: VoteSettings{Points: 3}},
	}
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		v := votes[int(which)%len(votes)]
		set, ob, err := decodeOpenBallot(&v, data, func(id string) bool { return id == "m01" })
		if err != nil {
			return
		}
		if set == "" || (ob.Nominee != "" && ob.Nominee != "m01") || len(ob.Reason) > 2000 {
			t.Fatalf("accepted set %q ballot %+v", set, ob)
		}
	})
}

func FuzzDecodeToken(f *testing.F) {
	f.Add("abcd-efgh-ijkl-mnop-qrst-uvwx-yz")
	f.Add(strings.Repeat("_", 86))
	f.Fuzz(func(t *testing.T, s string) {
		b, err := decodeToken(s)
		if err == nil && len(b) == cardTokenLen {
			if again, err := decodeToken(cardCode(b)); err != nil || string(again) != string(b) {
				t.Fatalf("card code of %x does not read back", b)
			}
		}
	})
}
