package decide

import (
	"bytes"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/coopbox/coopbox/services/decide/tally"
)

// maxBallotBody bounds a ballot request: tally's JSON ballot (16 KiB at
// most), a reason, a token and a signature.
const maxBallotBody = 24 << 10

// openBallotIn is an open vote's ballot as a member's page sends it
// (PROTOCOL.md, "Votes and ballots API").
type openBallotIn struct {
	Ballot  json.RawMessage `json:"ballot"`
	Nominee string          `json:"nominee"`
	Reason  string          `json:"reason"`
}

// secretBallotIn is a secret vote's ballot: a token (a card's, or a
// blind-signed one with its signature) and the ballot.
type secretBallotIn struct {
	Token     string          `json:"token"`
	Signature string          `json:"signature"`
	Ballot    json.RawMessage `json:"ballot"`
}

// errBallot wraps a ballot that does not fit its vote: the message says
// what is wrong and nothing is stored.
var errBallot = errors.New("ballot does not fit")

func badBallot(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errBallot, fmt.Sprintf(format, args...))
}

// decodeStrict reads one JSON object with no unknown field and nothing
// after it.
func decodeStrict(data []byte, v any) error {
	if len(data) > maxBallotBody {
		return badBallot("request longer than %d bytes", maxBallotBody)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badBallot("not a ballot: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return badBallot("data after the ballot")
	}
	return nil
}

// checkTallyBallot decodes tally's JSON ballot against tv and returns it
// in its canonical form (EncodeBallot), weight 1: a voter never says what
// they weigh, the close does.
func checkTallyBallot(tv *tally.Vote, raw json.RawMessage) ([]byte, error) {
	if len(bytes.TrimSpace(raw)) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil, badBallot("the ballot is missing")
	}
	b, err := tally.DecodeBallot(tv, raw)
	if err != nil {
		var be *tally.BallotError
		if errors.As(err, &be) {
			return nil, fmt.Errorf("%w: %s", errBallot, strings.TrimPrefix(be.Error(), "ballot: "))
		}
		return nil, badBallot("%v", err)
	}
	if b.Weight != 1 {
		return nil, badBallot("a ballot does not give its own weight")
	}
	return tally.EncodeBallot(tv, &b)
}

// decodeOpenBallot checks a member's ballot for an open vote in its
// current phase; members is who may be nominated (an election).
func decodeOpenBallot(v *Vote, data []byte, isMember func(string) bool) (string, openBallot, error) {
	var in openBallotIn
	if err := decodeStrict(data, &in); err != nil {
		return "", openBallot{}, err
	}
	set := ballotSet(v)
	if set == "" {
		return "", openBallot{}, errNoBallots
	}
	if !utf8.ValidString(in.Reason) || len(in.Reason) > 2000 {
		return "", openBallot{}, badBallot("a reason is valid text of at most 2,000 bytes")
	}
	ob := openBallot{Reason: strings.TrimSpace(in.Reason)}
	switch {
	case v.Type == TypeElection && set == setMain:
		if len(in.Ballot) > 0 {
			return "", openBallot{}, badBallot("a nomination names a member, it has no ballot")
		}
		if in.Nominee == "" || !isMember(in.Nominee) {
			return "", openBallot{}, badBallot("a nomination names a member of the roll")
		}
		ob.Nominee = in.Nominee
		return set, ob, nil
	case v.Type == TypeElection:
		ov := objectionVote()
		raw, err := checkTallyBallot(&ov, in.Ballot)
		if err != nil {
			return "", openBallot{}, err
		}
		ob.Ballot = raw
	default:
		if in.Nominee != "" {
			return "", openBallot{}, badBallot("only an election's nominations name a member")
		}
		tv, err := v.tallyVote()
		if err != nil {
			return "", openBallot{}, err
		}
		raw, err := checkTallyBallot(&tv, in.Ballot)
		if err != nil {
			return "", openBallot{}, err
		}
		ob.Ballot = raw
	}
	return set, ob, nil
}

// decodeSecretBallot checks a secret ballot's request: the token (16 bytes
// for a card, 64 for a blind-signed one, which needs its signature) and
// the ballot, canonical.
func decodeSecretBallot(v *Vote, data []byte) (token, sig, ballot []byte, err error) {
	var in secretBallotIn
	if err := decodeStrict(data, &in); err != nil {
		return nil, nil, nil, err
	}
	if token, err = decodeToken(in.Token); err != nil {
		return nil, nil, nil, err
	}
	if in.Signature != "" {
		if sig, err = base64.RawURLEncoding.DecodeString(in.Signature); err != nil || len(sig) != 256 {
			return nil, nil, nil, badBallot("the signature is 256 bytes in base64url")
		}
		if len(token) != blindTokenLen {
			return nil, nil, nil, badBallot("a signed token is %d bytes", blindTokenLen)
		}
	} else if len(token) != cardTokenLen {
		return nil, nil, nil, badBallot("a card's code has 26 characters")
	}
	tv, err := v.tallyVote()
	if err != nil {
		return nil, nil, nil, err
	}
	if ballot, err = checkTallyBallot(&tv, in.Ballot); err != nil {
		return nil, nil, nil, err
	}
	return token, sig, ballot, nil
}

const (
	cardTokenLen  = 16
	blindTokenLen = 64 // RFC 9474's 32-byte random prefix and 32 random bytes
)

// decodeToken reads a card's short code (base32, any case, with or without
// spaces and dashes) or a blind token (base64url).
func decodeToken(s string) ([]byte, error) {
	if len(s) > 200 {
		return nil, badBallot("token too long")
	}
	code := strings.Map(func(r rune) rune {
		switch {
		case r == ' ' || r == '-':
			return -1
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, s)
	if len(code) == 26 {
		if b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(code); err == nil {
			return b, nil
		}
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, badBallot("the token is neither a card's code nor base64url")
	}
	return b, nil
}

// cardCode writes a card's token as its short code, in groups of four or
// five for reading aloud and typing.
func cardCode(token []byte) string {
	s := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(token)
	var parts []string
	for len(s) > 5 {
		parts = append(parts, s[:4])
		s = s[4:]
	}
	return strings.Join(append(parts, s), "-")
}
