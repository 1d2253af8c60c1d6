package appliance

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func newTestPeople(t *testing.T) *people {
	t.Helper()
	db, err := openDB(t.TempDir(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c := newClock(time.Now, time.Time{}, time.Time{})
	p, err := newPeople(&store{db: db}, c)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSessionCookieRoundTrip(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	id := randomID(18)
	v := encodeSessionCookie(key, id)
	got, err := decodeSessionCookie(key, v)
	if err != nil || got != id {
		t.Fatalf("decode(encode(%q)) = %q, %v", id, got, err)
	}
	bad := []string{
		"", "v1", "v1.", "v2." + id + ".x", v + ".", v[:len(v)-1], strings.Replace(v, "v1.", "v1..", 1),
		encodeSessionCookie([]byte("another key"), id), "v1.AAAA." + cookieMAC(key, "AAAA"),
		strings.Repeat("a", 200),
	}
	for _, b := range bad {
		if _, err := decodeSessionCookie(key, b); err == nil {
			t.Errorf("decode(%q) accepted a bad cookie", b)
		}
	}
}

func FuzzDecodeSessionCookie(f *testing.F) {
	key := []byte("0123456789abcdef0123456789abcdef")
	f.Add(encodeSessionCookie(key, randomID(18)))
	f.Add("v1..")
	f.Add("v1.AAAAAAAAAAAAAAAAAAAAAAAA.")
	f.Fuzz(func(t *testing.T, v string) {
		id, err := decodeSessionCookie(key, v)
		if err != nil {
			return
		}
		// Whatever is accepted must be exactly what we would have issued.
		if encodeSessionCookie(key, id) != v {
			t.Fatalf("accepted %q, which is not the canonical cookie for id %q", v, id)
		}
	})
}

func TestClaimOnlyOnce(t *testing.T) {
	p := newTestPeople(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = p.claim("Tiers-lieu", "Camille", "une phrase de passe", "une phrase de passe")
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if !errors.Is(err, errAlreadyClaimed) {
			t.Errorf("claim: %v", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d concurrent claims succeeded, want exactly 1", ok)
	}
}

func TestClaimValidation(t *testing.T) {
	p := newTestPeople(t)
	tests := []struct {
		box, name, pass, again string
		want                   error
	}{
		{"", "Camille", "une phrase de passe", "une phrase de passe", errBadName},
		{"Box", "  ", "une phrase de passe", "une phrase de passe", errBadName},
		{"Box", strings.Repeat("é", 41), "une phrase de passe", "une phrase de passe", errBadName},
		{"Box", "Camille", "court", "court", errShortPassphrase},
		{"Box", "Camille", "une phrase de passe", "une autre phrase", errPassphraseMatch},
	}
	for _, tt := range tests {
		if _, err := p.claim(tt.box, tt.name, tt.pass, tt.again); !errors.Is(err, tt.want) {
			t.Errorf("claim(%q, %q, %q) = %v, want %v", tt.box, tt.name, tt.pass, err, tt.want)
		}
	}
	if c, _ := p.claimed(); c {
		t.Error("a refused claim claimed the box")
	}
}

func TestFacilitatorsInviteAndRevoke(t *testing.T) {
	p := newTestPeople(t)
	owner, err := p.claim("Tiers-lieu", "Camille", "une phrase de passe", "une phrase de passe")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.signIn(nil, "camille", "mauvaise phrase"); !errors.Is(err, errBadCredentials) {
		t.Fatalf("sign in with a wrong passphrase: %v", err)
	}
	if _, err := p.signIn(nil, "Dominique", "une phrase de passe"); !errors.Is(err, errBadCredentials) {
		t.Fatalf("sign in with an unknown name: %v", err)
	}
	if _, err := p.signIn(nil, " CAMILLE ", "une phrase de passe"); err != nil {
		t.Fatalf("sign in (name in another case): %v", err)
	}

	token, _, err := p.newInvite(owner)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.redeemInvite(token, "camille", "dix caractères", "dix caractères"); !errors.Is(err, errNameTaken) {
		t.Errorf("redeem with the owner's name: %v, want errNameTaken", err)
	}
	co, err := p.redeemInvite(token, "Dominique", "dix caractères", "dix caractères")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.redeemInvite(token, "Sacha", "dix caractères", "dix caractères"); !errors.Is(err, errBadInvite) {
		t.Errorf("second use of an invitation: %v, want errBadInvite", err)
	}
	cookie := encodeSessionCookie(p.cookieKey, co.ID)
	if s, err := p.lookup(cookie); err != nil || s.Role != "facilitator" {
		t.Fatalf("co-facilitator session: %+v, %v", s, err)
	}
	if err := p.revoke(owner.AccountID); !errors.Is(err, errForbidden) {
		t.Errorf("revoking the owner: %v, want errForbidden", err)
	}
	if err := p.revoke(co.AccountID); err != nil {
		t.Fatal(err)
	}
	if _, err := p.lookup(cookie); err == nil {
		t.Error("a revoked facilitator's session still works")
	}
	if _, err := p.signIn(nil, "Dominique", "dix caractères"); !errors.Is(err, errBadCredentials) {
		t.Errorf("a revoked facilitator signed in: %v", err)
	}
}

func TestParticipantJoinAndRename(t *testing.T) {
	p := newTestPeople(t)
	s, err := p.join(nil, "  Ana   Lúcia ")
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "Ana Lúcia" || s.Role != "participant" || !strings.HasPrefix(s.Color, "#") {
		t.Errorf("join: %+v", s)
	}
	r, err := p.join(s, "Ana")
	if err != nil {
		t.Fatal(err)
	}
	if r.ID != s.ID || r.PersonID != s.PersonID || r.Name != "Ana" {
		t.Errorf("rename changed identity: %+v → %+v", s, r)
	}
	got, err := p.lookup(encodeSessionCookie(p.cookieKey, s.ID))
	if err != nil || got.Name != "Ana" {
		t.Errorf("lookup after rename: %+v, %v", got, err)
	}
}

func TestChangePassphrase(t *testing.T) {
	p := newTestPeople(t)
	s, err := p.claim("Box", "Camille", "une phrase de passe", "une phrase de passe")
	if err != nil {
		t.Fatal(err)
	}
	other, err := p.signIn(nil, "Camille", "une phrase de passe")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.changePassphrase(s, "mauvaise phrase", "nouvelle phrase!", "nouvelle phrase!"); !errors.Is(err, errBadCredentials) {
		t.Errorf("wrong current passphrase: %v", err)
	}
	if err := p.changePassphrase(s, "une phrase de passe", "nouvelle phrase!", "autre phrase!!"); !errors.Is(err, errPassphraseMatch) {
		t.Errorf("mismatched new passphrases: %v", err)
	}
	participant, _ := p.join(nil, "Ana")
	if err := p.changePassphrase(participant, "x", "nouvelle phrase!", "nouvelle phrase!"); !errors.Is(err, errForbidden) {
		t.Errorf("participant changing a passphrase: %v", err)
	}
	if err := p.changePassphrase(s, "une phrase de passe", "nouvelle phrase!", "nouvelle phrase!"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.lookup(encodeSessionCookie(p.cookieKey, s.ID)); err != nil {
		t.Errorf("the session that changed the passphrase ended: %v", err)
	}
	if _, err := p.lookup(encodeSessionCookie(p.cookieKey, other.ID)); err == nil {
		t.Error("another session of the account survived the change")
	}
	if _, err := p.signIn(nil, "Camille", "une phrase de passe"); !errors.Is(err, errBadCredentials) {
		t.Errorf("old passphrase still works: %v", err)
	}
	if _, err := p.signIn(nil, "Camille", "nouvelle phrase!"); err != nil {
		t.Errorf("new passphrase refused: %v", err)
	}
}

func TestDummyHashIsValid(t *testing.T) {
	// A dummy hash that failed to parse would make a wrong name answer
	// faster than a wrong passphrase.
	if !checkPassphrase(dummyHash, "coopbox dummy passphrase") {
		t.Fatal("dummyHash does not verify: sign-in timing would reveal unknown names")
	}
}
