package appliance

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
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
	if _, err := p.ensureClaimCode(); err != nil {
		t.Fatal(err)
	}
	return p
}

// ownerClaim is a valid claim of the box of p, with its claim code.
func ownerClaim(t *testing.T, p *people) claimRequest {
	t.Helper()
	code, err := p.claimCode()
	if err != nil || len(code) != claimCodeDigits {
		t.Fatalf("claim code %q, %v", code, err)
	}
	return claimRequest{Box: "Tiers-lieu", Name: "Camille", Passphrase: "une phrase de passe", Again: "une phrase de passe",
		Code: formatClaimCode(string(code))}
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
	req := ownerClaim(t, p)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = p.claim(req)
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
	p.updatePasswordFile = filepath.Join(t.TempDir(), "gokr-pw.txt")
	good := ownerClaim(t, p)
	good.UpdatePassword = "abcd-efgh-jkmn-pqrs"
	code := good.Code
	tests := []struct {
		name string
		mod  func(*claimRequest)
		want error
	}{
		{"no code", func(r *claimRequest) { r.Code = "" }, errBadClaimCode},
		{"wrong code", func(r *claimRequest) { r.Code = strings.Repeat("0", claimCodeDigits) }, errBadClaimCode},
		{"code one digit short", func(r *claimRequest) { r.Code = code[:len(code)-1] }, errBadClaimCode},
		{"code with a digit more", func(r *claimRequest) { r.Code = code + "0" }, errBadClaimCode},
		{"code with a letter", func(r *claimRequest) { r.Code = "O" + code[1:] }, errBadClaimCode},
		{"huge code", func(r *claimRequest) { r.Code = strings.Repeat(code, 1000) }, errBadClaimCode},
		{"wrong code, other fields bad too", func(r *claimRequest) { r.Code = "1"; r.Box = "" }, errBadClaimCode},
		{"no box name", func(r *claimRequest) { r.Box = "" }, errBadName},
		{"blank name", func(r *claimRequest) { r.Name = "  " }, errBadName},
		{"long name", func(r *claimRequest) { r.Name = strings.Repeat("é", 41) }, errBadName},
		{"short passphrase", func(r *claimRequest) { r.Passphrase, r.Again = "court", "court" }, errShortPassphrase},
		{"passphrases differ", func(r *claimRequest) { r.Again = "une autre phrase" }, errPassphraseMatch},
		{"no update password", func(r *claimRequest) { r.UpdatePassword = "" }, errShortUpdatePassword},
		{"short update password", func(r *claimRequest) { r.UpdatePassword = " court " }, errShortUpdatePassword},
		{"update password with a newline", func(r *claimRequest) { r.UpdatePassword = "abcd-efgh\nijkl" }, errShortUpdatePassword},
		{"update password is the passphrase", func(r *claimRequest) { r.UpdatePassword = r.Passphrase }, errUpdatePasswordReused},
	}
	for _, tt := range tests {
		req := good
		tt.mod(&req)
		if _, err := p.claim(req); !errors.Is(err, tt.want) {
			t.Errorf("%s: claim = %v, want %v", tt.name, err, tt.want)
		}
	}
	if c, _ := p.claimed(); c {
		t.Error("a refused claim claimed the box")
	}
	if _, err := os.Stat(p.updatePasswordFile); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a refused claim wrote the update password file: %v", err)
	}
	if got, _ := p.claimCode(); normalizeClaimCode(code) != string(got) {
		t.Errorf("refused claims changed the claim code from %q to %q", code, got)
	}

	// The right code, typed with dashes instead of spaces: claimed, the
	// code is gone, the update password is in its file, for its owner only.
	good.Code = strings.ReplaceAll(code, " ", "-")
	if _, err := p.claim(good); err != nil {
		t.Fatalf("claim with the right code: %v", err)
	}
	if c, _ := p.claimed(); !c {
		t.Error("the box is not claimed")
	}
	if got, _ := p.claimCode(); got != nil {
		t.Errorf("the claim code %q outlived the claim", got)
	}
	fi, err := os.Stat(p.updatePasswordFile)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("update password file mode %v, want 0600", fi.Mode().Perm())
	}
	if b, _ := os.ReadFile(p.updatePasswordFile); string(b) != "abcd-efgh-jkmn-pqrs\n" {
		t.Errorf("update password file holds %q", b)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(p.updatePasswordFile), ".*")); len(leftovers) != 0 {
		t.Errorf("temporary files left beside it: %v", leftovers)
	}
	if code, err := p.ensureClaimCode(); code != "" || err != nil {
		t.Errorf("a claimed box made a new claim code %q (%v)", code, err)
	}
}

// TestClaimUpdatePasswordUnwritable: when the update password cannot be
// written, the claim fails and the box stays unclaimed, code unchanged.
func TestClaimUpdatePasswordUnwritable(t *testing.T) {
	p := newTestPeople(t)
	p.updatePasswordFile = filepath.Join(t.TempDir(), "missing-folder", "gokr-pw.txt")
	req := ownerClaim(t, p)
	req.UpdatePassword = "abcd-efgh-jkmn-pqrs"
	if _, err := p.claim(req); err == nil {
		t.Fatal("claim succeeded without writing the update password")
	}
	if c, _ := p.claimed(); c {
		t.Error("the box is claimed although its update password was not written")
	}
	if got, _ := p.claimCode(); normalizeClaimCode(req.Code) != string(got) {
		t.Errorf("the claim code changed to %q", got)
	}
}

// TestClaimCodeKeptAcrossRestarts: the code is made once and kept, so the
// one on the screen stays valid after a power cut.
func TestClaimCodeKeptAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	codes := map[string]bool{}
	for range 2 {
		db, err := openDB(dir, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		p, err := newPeople(&store{db: db}, newClock(time.Now, time.Time{}, time.Time{}))
		if err != nil {
			t.Fatal(err)
		}
		code, err := p.ensureClaimCode()
		if err != nil || len(code) != claimCodeDigits || strings.Trim(code, "0123456789") != "" {
			t.Fatalf("claim code %q, %v", code, err)
		}
		codes[code] = true
		db.Close()
	}
	if len(codes) != 1 {
		t.Errorf("a restart made a new claim code: %v", codes)
	}
}

func TestClaimCodeFormat(t *testing.T) {
	seen := map[string]bool{}
	for range 50 {
		c := newClaimCode()
		if len(c) != claimCodeDigits || strings.Trim(c, "0123456789") != "" {
			t.Fatalf("newClaimCode() = %q", c)
		}
		seen[c] = true
		f := formatClaimCode(c)
		if len(f) != claimCodeDigits+2 || normalizeClaimCode(f) != c {
			t.Fatalf("formatClaimCode(%q) = %q", c, f)
		}
	}
	if len(seen) < 50 {
		t.Errorf("50 codes, only %d different", len(seen))
	}
	for typed, want := range map[string]string{"4821 0937 5512": "482109375512", "4821-0937-5512": "482109375512",
		" 4821.0937.5512 ": "482109375512", "4821 O937 5512": "", "٤٨٢١": ""} {
		if got := normalizeClaimCode(typed); got != want {
			t.Errorf("normalizeClaimCode(%q) = %q, want %q", typed, got, want)
		}
	}
}

func FuzzClaimCodeMatches(f *testing.F) {
	want := []byte("482109375512")
	f.Add("4821 0937 5512")
	f.Add("482109375512")
	f.Add("")
	f.Fuzz(func(t *testing.T, typed string) {
		if claimCodeMatches(want, typed) && normalizeClaimCode(typed) != string(want) {
			t.Fatalf("%q matched the code", typed)
		}
	})
}

func TestFacilitatorsInviteAndRevoke(t *testing.T) {
	p := newTestPeople(t)
	owner, err := p.claim(ownerClaim(t, p))
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
	s, err := p.claim(ownerClaim(t, p))
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
