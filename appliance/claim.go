package appliance

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"strings"
	"syscall"
	"unicode"
	"unicode/utf8"

	"github.com/coopbox/coopbox/appliance/atomicfile"
)

// The first boot. Until somebody claims the box, claiming it needs the claim
// code, which the box shows only where a person in the room (or at the
// laptop) sees it: the HDMI screen, the serial console and the log. Without
// it, whoever reaches the box first over the network (a neighbour on the
// venue's Wi-Fi) could make themselves its owner.
//
// The code is twelve digits, shown in groups of four ("4821 0937 5512"):
// digits read aloud the same in French and English and bring up a phone's
// number pad. Twelve digits are 10^12 codes, about 40 bits. Every attempt
// goes through the sign-in rate limiter (five at once, then one every 20 s
// per address): one address guesses about 4,300 codes a day. An attacker
// with countless addresses (an IPv6 prefix) is still held by the box's own
// speed: a laptop core refuses a wrong code in 0.2 ms without TLS
// (BenchmarkWrongClaimCode), so even 10,000 codes a second, more than a Pi
// serves over TLS, take 1.6 years on average to find the code, while a box
// waits for its owner minutes or days.
//
// The code is kept in the database ("claim-code" in the settings), made
// when an unclaimed box opens its database and deleted by the claim itself,
// in the same transaction. It survives a restart on purpose: a power cut
// between reading the code off the screen and typing it leaves the code
// the person wrote down valid, and the screen, console and log show that
// same code again.

const claimCodeDigits = 12

// Errors people see at claim.
var (
	errBadClaimCode         = errors.New("wrong claim code")
	errShortUpdatePassword  = errors.New("update password must have 10 to 128 characters")
	errUpdatePasswordReused = errors.New("update password is the passphrase")
)

// newClaimCode returns claimCodeDigits random digits.
func newClaimCode() string {
	n, err := rand.Int(rand.Reader, new(big.Int).Exp(big.NewInt(10), big.NewInt(claimCodeDigits), nil))
	if err != nil {
		panic(err) // crypto/rand never fails on Linux ≥ 3.17 (Go ≥ 1.24 crashes first)
	}
	return fmt.Sprintf("%0*d", claimCodeDigits, n)
}

// formatClaimCode writes a code as it is shown: groups of four digits.
func formatClaimCode(code string) string {
	var b strings.Builder
	for i, r := range code {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// normalizeClaimCode keeps the digits of what a person typed: spaces,
// dashes and dots between the groups do not matter. It comes from the
// network: anything longer than a code with generous separators is refused
// before it is walked.
func normalizeClaimCode(typed string) string {
	if len(typed) > 4*claimCodeDigits {
		return ""
	}
	var b strings.Builder
	for _, r := range typed {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '\u00a0' || r == '\u202f':
		default:
			return "" // a letter is a typo the person should see as wrong
		}
	}
	return b.String()
}

// claimCodeMatches compares a typed code with the box's in constant time,
// so that response times tell nothing about how many digits were right.
func claimCodeMatches(want []byte, typed string) bool {
	got := normalizeClaimCode(typed)
	return len(want) == claimCodeDigits && subtle.ConstantTimeCompare(want, []byte(got)) == 1
}

// Update passwords. On the appliance, gokrazy's interface accepts a new
// system (make update) only with the update password, which the image's
// builder chose (/etc/coopbox/update-password.txt in the image). At claim
// the owner chooses the box's own: coopbox writes it to /perm/gokr-pw.txt
// (-gokrazy-password-file), which the box's init reads before the builder's
// at each request (package appliance/image/aside), so that from the claim
// on whoever built the image cannot update a box that is now someone
// else's. Basic auth sends the password in clear, so the file holds it in
// clear: it must never be the owner's passphrase.

// newUpdatePassword proposes an update password: four groups of four
// letters and digits with none that read alike (0/o, 1/l/i), about 79 bits.
func newUpdatePassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
	var b strings.Builder
	for i := range 16 {
		if i > 0 && i%4 == 0 {
			b.WriteByte('-')
		}
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			panic(err)
		}
		b.WriteByte(alphabet[n.Int64()])
	}
	return b.String()
}

// checkUpdatePassword trims an update password as gokrazy will read it and
// checks it: 10 to 128 characters, no control characters, not the
// passphrase (the file keeps it in clear).
func checkUpdatePassword(pw, passphrase string) (string, error) {
	pw = strings.TrimSpace(pw)
	if n := utf8.RuneCountInString(pw); n < minPassphraseLen || n > 128 || !utf8.ValidString(pw) {
		return "", errShortUpdatePassword
	}
	for _, r := range pw {
		if unicode.IsControl(r) {
			return "", errShortUpdatePassword
		}
	}
	if pw == strings.TrimSpace(passphrase) {
		return "", errUpdatePasswordReused
	}
	return pw, nil
}

// ClaimCode returns the claim code as the screen and the log show it
// ("4821 0937 5512"), or "" once the box is claimed. In-process tests read
// it here, as a person reads it off the screen.
func (b *Box) ClaimCode() string {
	b.gate.RLock()
	defer b.gate.RUnlock()
	code, err := b.people.claimCode()
	if err != nil || len(code) == 0 {
		return ""
	}
	return formatClaimCode(string(code))
}

// announce says where to open the box and, until it is claimed, its claim
// code: in the log (the terminal of make run) and on the console
// (-console /dev/console: the appliance's serial console, which the log
// does not reach there).
func (b *Box) announce() {
	addrs := b.addresses()
	code := b.ClaimCode()
	for _, a := range addrs {
		b.log.Info("open the box", "url", a.URL)
	}
	if code != "" {
		b.log.Info("not claimed yet: the claim page asks for this code", "claim_code", code)
	}
	if b.cfg.Console == "" {
		return
	}
	var msg strings.Builder
	for _, a := range addrs {
		fmt.Fprintf(&msg, "coopbox: open %s\n", a.URL)
	}
	if code != "" {
		fmt.Fprintf(&msg, "coopbox: claim code %s\n", code)
	}
	f, err := os.OpenFile(b.cfg.Console, os.O_WRONLY|syscall.O_NOCTTY, 0)
	if err != nil {
		b.log.Warn("console", "err", err)
		return
	}
	defer f.Close()
	if _, err := f.WriteString(msg.String()); err != nil {
		b.log.Warn("console", "err", err)
	}
}

// changeUpdatePassword sets a new update password from the administration
// page (the one chosen at claim was lost, or has been given to someone who
// should no longer have it), confirmed by the facilitator's passphrase.
func (b *Box) changeUpdatePassword(w http.ResponseWriter, r *http.Request) {
	st := b.adminStatus()
	if b.cfg.GokrazyPasswordFile == "" {
		b.fail(w, r, "admin", errNotFound, st)
		return
	}
	current := r.PostFormValue("current")
	pw, err := checkUpdatePassword(r.PostFormValue("update_password"), current)
	if err == nil {
		err = b.people.checkOwnPassphrase(sessionFrom(r), current)
	}
	if err == nil {
		if err = atomicfile.Write(b.cfg.GokrazyPasswordFile, []byte(pw+"\n"), 0o600); err != nil {
			err = fmt.Errorf("write the update password: %w", err)
		}
	}
	if err != nil {
		b.fail(w, r, "admin", err, st)
		return
	}
	b.log.Info("update password changed", "by", sessionFrom(r).Name)
	st.UpdatePasswordSaved = true
	b.render(w, r, http.StatusOK, "admin", page{Data: st})
}
