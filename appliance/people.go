package appliance

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/coopbox/coopbox/appliance/atomicfile"
	"github.com/coopbox/coopbox/services/person"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/crypto/argon2"
)

// People on the box. A participant has no account: a display name and a colour
// in a server-side session. A facilitator has an account (name and passphrase,
// stored as an argon2id hash); the first one is the owner, who claimed the box,
// and facilitators invite and revoke co-facilitators.
//
// The session cookie only names a session: "v1.<id>.<mac>", the MAC an
// HMAC-SHA256 of the id under a key kept in the database. The session itself
// (who, role, expiry) lives in bbolt, so it can be revoked.

const (
	sessionCookie       = "__Host-coopbox"
	participantLifetime = 30 * 24 * time.Hour
	facilitatorLifetime = 7 * 24 * time.Hour
	inviteLifetime      = 48 * time.Hour
	minPassphraseLen    = 10
	maxNameLen          = 40
)

// Errors people see; mapped to messages in one place (errorKey).
var (
	errBadName         = errors.New("display name must have 1 to 40 characters")
	errNameTaken       = errors.New("a facilitator already has this name")
	errShortPassphrase = errors.New("passphrase too short")
	errPassphraseMatch = errors.New("passphrases differ")
	errBadCredentials  = errors.New("wrong name or passphrase")
	errAlreadyClaimed  = errors.New("box already claimed")
	errBadInvite       = errors.New("invitation unknown, used or expired")
	errBadCookie       = errors.New("malformed session cookie")
	errForbidden       = errors.New("not allowed")
)

// account is a facilitator's.
type account struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Hash      string    `json:"hash"`
	Owner     bool      `json:"owner,omitempty"`
	InvitedBy string    `json:"invitedBy,omitempty"`
	Created   time.Time `json:"created"`
	Revoked   bool      `json:"revoked,omitempty"`
}

// session is what a cookie stands for.
type session struct {
	ID        string    `json:"id"`
	PersonID  string    `json:"personId"`
	Name      string    `json:"name"`
	Color     string    `json:"color"`
	Role      string    `json:"role"` // "participant" or "facilitator"
	AccountID string    `json:"accountId,omitempty"`
	Created   time.Time `json:"created"`
	Expires   time.Time `json:"expires"`
}

// invite is a one-time link to become a co-facilitator. Only a hash of its
// token is stored.
type invite struct {
	ID        string    `json:"id"`
	CreatedBy string    `json:"createdBy"`
	Created   time.Time `json:"created"`
	Expires   time.Time `json:"expires"`
}

// palette holds caret and avatar colours, each readable as text on white
// (contrast ≥ 4.5:1) so names drawn in them pass WCAG AA.
var palette = []string{
	"#b3261e", "#1a5fb4", "#2b7a0b", "#8f3f97", "#a14a00", "#00707a",
	"#c01c6b", "#4a5bc4", "#6b6b00", "#7a4e2d", "#0b6e4f", "#9c27b0",
}

func randomID(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never returns an error (crypto/rand, Go ≥ 1.24)
	return base64.RawURLEncoding.EncodeToString(b)
}

func colorFor(id string) string {
	h := sha256.Sum256([]byte(id))
	return palette[int(h[0])%len(palette)]
}

// cleanName trims a display name and checks it: 1 to 40 characters, no
// control characters.
func cleanName(s string) (string, error) {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" || utf8.RuneCountInString(s) > maxNameLen || !utf8.ValidString(s) {
		return "", errBadName
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return "", errBadName
		}
	}
	return s, nil
}

// Passphrases are hashed with argon2id, with the parameters OWASP recommends
// for low memory (19 MiB, 2 passes): a Pi 3 with 1 GB copes with a few
// sign-ins at once, and the sign-in rate limit bounds how many.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

func hashPassphrase(pass string) string {
	salt := make([]byte, 16)
	rand.Read(salt)
	key := argon2.IDKey([]byte(pass), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// dummyHash is checked against when no account matches, so that a wrong name
// costs as much time as a wrong passphrase. It is written out rather than
// computed at start-up, which would cost 19 MiB and 20 ms for nothing.
const dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$1T+E44BQr5mUXvrSu2k5ew$L+22EgEyNS9J7stI1TAtHmgq8kf8lAKRJX6VeOzqjhM"

func checkPassphrase(encoded, pass string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	var mem uint32
	var t uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &t, &threads); err != nil {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(pass), salt, t, mem, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

func checkNewPassphrase(pass, again string) error {
	if utf8.RuneCountInString(pass) < minPassphraseLen {
		return errShortPassphrase
	}
	if pass != again {
		return errPassphraseMatch
	}
	return nil
}

// encodeSessionCookie returns the cookie value naming session id.
func encodeSessionCookie(key []byte, id string) string {
	return "v1." + id + "." + cookieMAC(key, id)
}

func cookieMAC(key []byte, id string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("v1." + id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// decodeSessionCookie returns the session id of a cookie value, checking its
// format and MAC. The value comes from the network: it is fuzzed.
func decodeSessionCookie(key []byte, value string) (string, error) {
	if len(value) > 128 {
		return "", errBadCookie
	}
	version, rest, ok := strings.Cut(value, ".")
	if !ok || version != "v1" {
		return "", errBadCookie
	}
	id, mac, ok := strings.Cut(rest, ".")
	if !ok || id == "" || strings.Contains(mac, ".") {
		return "", errBadCookie
	}
	if raw, err := base64.RawURLEncoding.DecodeString(id); err != nil || len(raw) != 18 {
		return "", errBadCookie
	}
	if !hmac.Equal([]byte(mac), []byte(cookieMAC(key, id))) {
		return "", errBadCookie
	}
	return id, nil
}

// people is the appliance's register of accounts, sessions and invitations.
type people struct {
	st        *store
	clock     *clock
	cookieKey []byte
	// updatePasswordFile is where the claim writes gokrazy's update
	// password (-gokrazy-password-file); "" on a laptop.
	updatePasswordFile string

	mu   sync.Mutex
	seen map[string]time.Time // session id → last request, for "people connected"
}

func newPeople(st *store, c *clock) (*people, error) {
	key, err := st.settingOrCreate("cookie-key", func() ([]byte, error) {
		k := make([]byte, 32)
		rand.Read(k)
		return k, nil
	})
	if err != nil {
		return nil, fmt.Errorf("cookie key: %w", err)
	}
	return &people{st: st, clock: c, cookieKey: key, seen: map[string]time.Time{}}, nil
}

// claimed reports whether the box has an owner.
func (p *people) claimed() (bool, error) {
	v, err := p.st.setting("owner")
	return v != nil, err
}

// claimRequest is what the claim form sends.
type claimRequest struct {
	Box, Name, Passphrase, Again string
	// Code is the claim code as typed (see claim.go).
	Code string
	// UpdatePassword is gokrazy's new update password, asked for only when
	// the box writes one (people.updatePasswordFile).
	UpdatePassword string
}

// claimCode returns the code that claiming the box needs, nil once claimed.
func (p *people) claimCode() ([]byte, error) {
	return p.st.setting("claim-code")
}

// ensureClaimCode makes the claim code of an unclaimed box if it has none
// yet, and returns it; "" once the box is claimed.
func (p *people) ensureClaimCode() (string, error) {
	var code []byte
	err := p.st.db.Update(func(tx *bolt.Tx) error {
		settings := p.st.box(tx, bucketSettings)
		if settings.Get([]byte("owner")) != nil {
			return nil
		}
		if code = settings.Get([]byte("claim-code")); code != nil {
			code = append([]byte(nil), code...)
			return nil
		}
		code = []byte(newClaimCode())
		return settings.Put([]byte("claim-code"), code)
	})
	if err != nil {
		return "", fmt.Errorf("claim code: %w", err)
	}
	return string(code), nil
}

// claim makes the first facilitator, the owner, and names the box, for
// whoever typed the claim code; on the appliance it also writes gokrazy's
// update password. It fails with errAlreadyClaimed once somebody did, even
// if two claims race, and changes nothing when anything is wrong.
func (p *people) claim(req claimRequest) (*session, error) {
	// The code first: without it, nothing else is looked at (nor a
	// passphrase hashed, which costs 19 MiB).
	code, err := p.claimCode()
	if err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	if ok, err := p.claimed(); err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	} else if ok {
		return nil, errAlreadyClaimed
	}
	if !claimCodeMatches(code, req.Code) {
		return nil, errBadClaimCode
	}
	boxName := strings.TrimSpace(req.Box)
	if boxName == "" || utf8.RuneCountInString(boxName) > 80 {
		return nil, errBadName
	}
	name, err := cleanName(req.Name)
	if err != nil {
		return nil, err
	}
	if err := checkNewPassphrase(req.Passphrase, req.Again); err != nil {
		return nil, err
	}
	var updatePassword string
	if p.updatePasswordFile != "" {
		if updatePassword, err = checkUpdatePassword(req.UpdatePassword, req.Passphrase); err != nil {
			return nil, err
		}
	}
	now := p.clock.Now()
	acct := account{ID: randomID(12), Name: name, Hash: hashPassphrase(req.Passphrase), Owner: true, Created: now}
	var s *session
	err = p.st.db.Update(func(tx *bolt.Tx) error {
		settings := p.st.box(tx, bucketSettings)
		if settings.Get([]byte("owner")) != nil {
			return errAlreadyClaimed
		}
		if !claimCodeMatches(settings.Get([]byte("claim-code")), req.Code) {
			return errBadClaimCode
		}
		if err := settings.Put([]byte("owner"), []byte(acct.ID)); err != nil {
			return err
		}
		if err := settings.Put([]byte("name"), []byte(boxName)); err != nil {
			return err
		}
		if err := settings.Delete([]byte("claim-code")); err != nil {
			return err
		}
		if err := putJSON(p.st.box(tx, bucketAccounts), []byte(acct.ID), acct); err != nil {
			return err
		}
		if s, err = p.newSessionTx(tx, acct.ID, acct.Name, "facilitator", acct.ID); err != nil {
			return err
		}
		// Last, inside the transaction: bbolt runs one writer at a time, so
		// only the winner of racing claims writes the file, and a failed
		// write leaves the box unclaimed. (A commit failing after the write
		// leaves an unclaimed box whose next claim writes the file again.)
		if updatePassword != "" {
			if err := atomicfile.Write(p.updatePasswordFile, []byte(updatePassword+"\n"), 0o600); err != nil {
				return fmt.Errorf("write the update password: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	return s, nil
}

// newSessionTx stores a new session for a person.
func (p *people) newSessionTx(tx *bolt.Tx, personID, name, role, accountID string) (*session, error) {
	now := p.clock.Now()
	life := participantLifetime
	if role == "facilitator" {
		life = facilitatorLifetime
	}
	s := &session{ID: randomID(18), PersonID: personID, Name: name, Color: colorFor(personID),
		Role: role, AccountID: accountID, Created: now, Expires: now.Add(life)}
	return s, putJSON(p.st.box(tx, bucketSessions), []byte(s.ID), s)
}

// join starts (or renames, when old is a participant session) a participant session.
func (p *people) join(old *session, name string) (*session, error) {
	name, err := cleanName(name)
	if err != nil {
		return nil, err
	}
	var s *session
	err = p.st.db.Update(func(tx *bolt.Tx) error {
		if old != nil {
			renamed := *old
			renamed.Name = name
			s = &renamed
			return putJSON(p.st.box(tx, bucketSessions), []byte(s.ID), s)
		}
		var err error
		s, err = p.newSessionTx(tx, randomID(12), name, "participant", "")
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("join: %w", err)
	}
	return s, nil
}

// signIn checks a facilitator's name and passphrase and starts a session,
// ending old (a participant session being upgraded) so its id cannot be reused.
func (p *people) signIn(old *session, name, pass string) (*session, error) {
	accts, err := list[account](p.st, bucketAccounts)
	if err != nil {
		return nil, err
	}
	var found *account
	for i := range accts {
		if !accts[i].Revoked && strings.EqualFold(accts[i].Name, strings.Join(strings.Fields(name), " ")) {
			found = &accts[i]
		}
	}
	if found == nil {
		checkPassphrase(dummyHash, pass)
		return nil, errBadCredentials
	}
	if !checkPassphrase(found.Hash, pass) {
		return nil, errBadCredentials
	}
	var s *session
	err = p.st.db.Update(func(tx *bolt.Tx) error {
		if old != nil {
			if err := p.st.box(tx, bucketSessions).Delete([]byte(old.ID)); err != nil {
				return err
			}
		}
		var err error
		s, err = p.newSessionTx(tx, found.ID, found.Name, "facilitator", found.ID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sign in: %w", err)
	}
	return s, nil
}

// changePassphrase replaces the passphrase of the account of session s after
// checking the current one, and ends the account's other sessions (a
// passphrase is changed because it may have leaked).
func (p *people) changePassphrase(s *session, current, pass, again string) error {
	if s == nil || s.AccountID == "" {
		return errForbidden
	}
	if err := checkNewPassphrase(pass, again); err != nil {
		return err
	}
	var acct account
	err := p.st.db.View(func(tx *bolt.Tx) error {
		var err error
		acct, err = getJSON[account](p.st.box(tx, bucketAccounts), []byte(s.AccountID))
		return err
	})
	if err != nil {
		return err
	}
	if !checkPassphrase(acct.Hash, current) {
		return errBadCredentials
	}
	hash := hashPassphrase(pass)
	return p.st.db.Update(func(tx *bolt.Tx) error {
		accounts := p.st.box(tx, bucketAccounts)
		a, err := getJSON[account](accounts, []byte(s.AccountID))
		if err != nil {
			return err
		}
		if a.Revoked {
			return errForbidden
		}
		a.Hash = hash
		if err := putJSON(accounts, []byte(a.ID), a); err != nil {
			return err
		}
		return p.endSessionsTx(tx, a.ID, s.ID)
	})
}

// checkOwnPassphrase checks the passphrase of the account of session s,
// which confirms a sensitive change.
func (p *people) checkOwnPassphrase(s *session, pass string) error {
	if s == nil || s.AccountID == "" {
		return errForbidden
	}
	var acct account
	err := p.st.db.View(func(tx *bolt.Tx) error {
		var err error
		acct, err = getJSON[account](p.st.box(tx, bucketAccounts), []byte(s.AccountID))
		return err
	})
	if err != nil {
		return err
	}
	if acct.Revoked || !checkPassphrase(acct.Hash, pass) {
		return errBadCredentials
	}
	return nil
}

// endSessionsTx deletes every session of an account but keep (may be "").
func (p *people) endSessionsTx(tx *bolt.Tx, accountID, keep string) error {
	sessions := p.st.box(tx, bucketSessions)
	var ended [][]byte
	c := sessions.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if s, err := getJSON[session](sessions, k); err == nil && s.AccountID == accountID && s.ID != keep {
			ended = append(ended, append([]byte(nil), k...))
		}
	}
	for _, k := range ended {
		if err := sessions.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// signOut ends a session.
func (p *people) signOut(s *session) error {
	return p.st.db.Update(func(tx *bolt.Tx) error {
		return p.st.box(tx, bucketSessions).Delete([]byte(s.ID))
	})
}

// lookup returns the live session a cookie value names.
func (p *people) lookup(cookie string) (*session, error) {
	id, err := decodeSessionCookie(p.cookieKey, cookie)
	if err != nil {
		return nil, err
	}
	var s session
	err = p.st.db.View(func(tx *bolt.Tx) error {
		var err error
		s, err = getJSON[session](p.st.box(tx, bucketSessions), []byte(id))
		return err
	})
	if err != nil {
		return nil, err
	}
	if !p.clock.Now().Before(s.Expires) {
		return nil, errNotFound
	}
	p.mu.Lock()
	p.seen[s.ID] = time.Now()
	p.mu.Unlock()
	return &s, nil
}

// connected counts the sessions that made a request in the last five minutes.
func (p *people) connected() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for id, t := range p.seen {
		if time.Since(t) < 5*time.Minute {
			n++
		} else {
			delete(p.seen, id)
		}
	}
	return n
}

// newInvite creates a one-time invitation by facilitator by and returns its
// secret token, which goes into the link and is not stored.
func (p *people) newInvite(by *session) (token string, inv invite, err error) {
	token = randomID(24)
	now := p.clock.Now()
	inv = invite{ID: randomID(9), CreatedBy: by.Name, Created: now, Expires: now.Add(inviteLifetime)}
	err = p.st.db.Update(func(tx *bolt.Tx) error {
		return putJSON(p.st.box(tx, bucketInvites), inviteKey(token), inv)
	})
	return token, inv, err
}

func inviteKey(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return []byte(hex.EncodeToString(h[:]))
}

// checkInvite reports whether token is a live invitation.
func (p *people) checkInvite(token string) error {
	return p.st.db.View(func(tx *bolt.Tx) error {
		inv, err := getJSON[invite](p.st.box(tx, bucketInvites), inviteKey(token))
		if err != nil || !p.clock.Now().Before(inv.Expires) {
			return errBadInvite
		}
		return nil
	})
}

// redeemInvite uses an invitation once: it makes a co-facilitator account
// and signs it in.
func (p *people) redeemInvite(token, name, pass, again string) (*session, error) {
	name, err := cleanName(name)
	if err != nil {
		return nil, err
	}
	if err := checkNewPassphrase(pass, again); err != nil {
		return nil, err
	}
	hash := hashPassphrase(pass) // slow: outside the write transaction
	var s *session
	err = p.st.db.Update(func(tx *bolt.Tx) error {
		invites := p.st.box(tx, bucketInvites)
		inv, err := getJSON[invite](invites, inviteKey(token))
		if err != nil || !p.clock.Now().Before(inv.Expires) {
			return errBadInvite
		}
		accounts := p.st.box(tx, bucketAccounts)
		taken := false
		c := accounts.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			a, err := getJSON[account](accounts, k)
			if err == nil && !a.Revoked && strings.EqualFold(a.Name, name) {
				taken = true
			}
		}
		if taken {
			return errNameTaken
		}
		acct := account{ID: randomID(12), Name: name, Hash: hash, InvitedBy: inv.CreatedBy, Created: p.clock.Now()}
		if err := putJSON(accounts, []byte(acct.ID), acct); err != nil {
			return err
		}
		if err := invites.Delete(inviteKey(token)); err != nil {
			return err
		}
		s, err = p.newSessionTx(tx, acct.ID, acct.Name, "facilitator", acct.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// cancelInvite deletes a pending invitation by its public id.
func (p *people) cancelInvite(id string) error {
	return p.st.db.Update(func(tx *bolt.Tx) error {
		invites := p.st.box(tx, bucketInvites)
		c := invites.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if inv, err := getJSON[invite](invites, k); err == nil && inv.ID == id {
				return invites.Delete(k)
			}
		}
		return errNotFound
	})
}

// revoke disables a co-facilitator's account and ends its sessions at once.
// The owner cannot be revoked.
func (p *people) revoke(accountID string) error {
	return p.st.db.Update(func(tx *bolt.Tx) error {
		accounts := p.st.box(tx, bucketAccounts)
		a, err := getJSON[account](accounts, []byte(accountID))
		if err != nil {
			return err
		}
		if a.Owner {
			return errForbidden
		}
		a.Revoked = true
		if err := putJSON(accounts, []byte(a.ID), a); err != nil {
			return err
		}
		return p.endSessionsTx(tx, accountID, "")
	})
}

// purgeExpired deletes expired sessions and invitations.
func (p *people) purgeExpired() error {
	now := p.clock.Now()
	return p.st.db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketSessions, bucketInvites} {
			b := p.st.box(tx, name)
			var dead [][]byte
			c := b.Cursor()
			for k, v := c.First(); k != nil; k, v = c.Next() {
				var rec struct {
					Expires time.Time `json:"expires"`
				}
				if err := json.Unmarshal(v, &rec); err != nil || !now.Before(rec.Expires) {
					dead = append(dead, append([]byte(nil), k...))
				}
			}
			for _, k := range dead {
				if err := b.Delete(k); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// middleware puts the person asking into every request's context.
func (p *people) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pr := &person.Person{Role: person.Anonymous}
		if c, err := r.Cookie(sessionCookie); err == nil {
			if s, err := p.lookup(c.Value); err == nil {
				pr = s.person()
				r = r.WithContext(withSession(r.Context(), s))
			}
		}
		next.ServeHTTP(w, r.WithContext(person.NewContext(r.Context(), pr)))
	})
}

func (s *session) person() *person.Person {
	role := person.Participant
	if s.Role == "facilitator" {
		role = person.Facilitator
	}
	return &person.Person{ID: s.PersonID, Name: s.Name, Color: s.Color, Role: role}
}

type sessionKey struct{}

func withSession(ctx context.Context, s *session) context.Context {
	return context.WithValue(ctx, sessionKey{}, s)
}

// sessionFrom returns the session of a request, nil for an anonymous one.
func sessionFrom(r *http.Request) *session {
	s, _ := r.Context().Value(sessionKey{}).(*session)
	return s
}

// setSessionCookie hands s to the browser: Secure, HttpOnly, SameSite=Lax,
// host-only (the __Host- prefix enforces it).
func (p *people) setSessionCookie(w http.ResponseWriter, s *session) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: encodeSessionCookie(p.cookieKey, s.ID), Path: "/",
		MaxAge: int(s.Expires.Sub(p.clock.Now()).Seconds()), // not Expires: the box's clock may be off
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
}

func clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}
