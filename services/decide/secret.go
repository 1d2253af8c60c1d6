package decide

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/cloudflare/circl/blindsign/blindrsa"
	"github.com/coopbox/coopbox/services/decide/liquid"
	bolt "go.etcd.io/bbolt"
)

// A secret vote's rights and tokens (PROTOCOL.md, "The secrecy model").

// blindVariant is RFC 9474's RSABSSA-SHA384-PSS-Randomized, the variant
// @cloudflare/blindrsa-ts offers the browser under the same name.
const blindVariant = blindrsa.SHA384PSSRandomized

// makeSigningKey makes a secret vote's key pair and stores the private key
// in the transaction that opens it.
func makeSigningKey(a *bolt.Bucket, v *Vote) error {
	if len(v.PublicKey) > 0 {
		return nil
	}
	sk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("signing key: %w", err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&sk.PublicKey)
	if err != nil {
		return err
	}
	b, err := a.CreateBucketIfNotExists(bucketVKeys)
	if err != nil {
		return err
	}
	v.PublicKey = pub
	return b.Put([]byte(v.ID), x509.MarshalPKCS1PrivateKey(sk))
}

// rights is how many ballots a member may cast in a secret vote: their own
// weight and the weight of each counting proxy they carry, while present.
// Secret votes are refused in assemblies with colleges, so weights are
// whole ballots.
func rights(roll *liquid.Roll, memberID string) int64 {
	return allRights(roll)[memberID]
}

// allRights is rights for every member at once, in one pass.
func allRights(roll *liquid.Roll) map[string]int64 {
	snap := roll.Snapshot()
	weights := map[liquid.MemberID]int64{}
	out := map[string]int64{}
	for _, m := range snap.Members {
		weights[m.ID] = m.Weight
		if roll.Present(m.ID) {
			out[string(m.ID)] = m.Weight
		}
	}
	for _, p := range snap.Proxies {
		if roll.Present(p.Carrier) {
			out[string(p.Carrier)] += weights[p.Giver]
		}
	}
	return out
}

// blindSign signs blinded tokens for a member after recording that they
// obtained that many: the box keeps the count, never the blinded values.
func (s *Service) blindSign(v Vote, memberID string, blinded [][]byte) ([][]byte, int64, error) {
	roll, err := s.rollOf(v.AssemblyID)
	if err != nil {
		return nil, 0, err
	}
	max := rights(roll, memberID)
	der, err := s.st.signingKey(v)
	if err != nil {
		return nil, 0, err
	}
	sk, err := x509.ParsePKCS1PrivateKey(der)
	if err != nil {
		return nil, 0, fmt.Errorf("signing key of %s: %w", v.ID, err)
	}
	for _, b := range blinded {
		if len(b) != sk.Size() {
			return nil, 0, badBallot("a blinded token is %d bytes", sk.Size())
		}
	}
	total, err := s.st.issue(v, memberID, int64(len(blinded)), max)
	if err != nil {
		return nil, 0, err
	}
	signer := blindrsa.NewSigner(sk)
	out := make([][]byte, len(blinded))
	for i, b := range blinded {
		if out[i], err = signer.BlindSign(b); err != nil {
			// The rights are spent for nothing: a value that does not
			// sign was made on purpose, not by the page.
			return nil, 0, badBallot("a blinded token does not sign: %v", err)
		}
	}
	return out, total, nil
}

// verifyToken checks a blind-signed token against the vote's public key.
func verifyToken(v Vote, token, sig []byte) error {
	pk, err := x509.ParsePKIXPublicKey(v.PublicKey)
	if err != nil {
		return fmt.Errorf("public key of %s: %w", v.ID, err)
	}
	rpk, ok := pk.(*rsa.PublicKey)
	if !ok {
		return errors.New("public key is not RSA")
	}
	ver, err := blindrsa.NewVerifier(blindVariant, rpk)
	if err != nil {
		return err
	}
	if err := ver.Verify(token, sig); err != nil {
		return errBadToken
	}
	return nil
}

// castSecretBallot verifies a secret ballot's token and stores it; it
// returns the receipt code.
func (s *Service) castSecretBallot(v Vote, token, sig, ballot []byte) (string, error) {
	card := sig == nil
	if !card {
		if err := verifyToken(v, token, sig); err != nil {
			return "", err
		}
	}
	h := sha256.Sum256(token)
	for {
		key := make([]byte, 16)
		rand.Read(key)
		err := s.st.castSecret(v.ID, h[:], card, ballot, key)
		if errors.Is(err, errConflict) {
			continue
		}
		if err != nil {
			return "", err
		}
		return receiptCode(leafHash(v.ID, base64.RawURLEncoding.EncodeToString(key), ballot)), nil
	}
}

// newCards makes n card tokens for a secret vote and stores their hashes;
// the tokens themselves exist only on the page printed from them.
func (s *Service) newCards(v Vote, n int) ([][]byte, error) {
	tokens := make([][]byte, n)
	hashes := make([][]byte, n)
	for i := range tokens {
		tokens[i] = make([]byte, cardTokenLen)
		rand.Read(tokens[i])
		h := sha256.Sum256(tokens[i])
		hashes[i] = h[:]
	}
	if err := s.st.addCards(v.ID, hashes); err != nil {
		return nil, err
	}
	return tokens, nil
}
