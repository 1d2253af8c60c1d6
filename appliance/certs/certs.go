// Package certs is the box's own certificate authority and the server
// certificate (the leaf) it signs.
//
// Browsers give the camera, the microphone and WebCrypto only to secure
// contexts, so the box serves HTTPS although it never sees the internet: no
// public CA can vouch for coopbox.local or 192.168.x.y. The box is its own
// certificate authority. The CA is made once, at first start, and kept for
// the life of the data folder, because organisers install it in their
// browsers; the leaf it signs is cheap and is re-issued whenever the box's
// addresses change.
package certs

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coopbox/coopbox/appliance/atomicfile"
	"github.com/coopbox/coopbox/config"
)

// File names inside the TLS folder (<data>/tls).
const (
	caCertFile   = "ca.crt"
	caKeyFile    = "ca.key"
	leafCertFile = "leaf.crt"
	leafKeyFile  = "leaf.key"
)

// Validity. A Pi has no battery clock and may boot believing it is 1970;
// certificates made then must still look valid to clients whose clock is
// right, so no certificate starts before certEpoch minus a day (see
// certNotBefore).
var certEpoch = time.Date(2025, time.January, 1, 0, 0, 0, 0, time.UTC)

const (
	// certBackdate absorbs small clock differences between box and client.
	certBackdate = 24 * time.Hour
	// certLeafLifetime stays one day under the 825 days Apple platforms
	// accept for any TLS server certificate, private CAs included, so that no
	// way of counting the days puts it over.
	certLeafLifetime = 824 * 24 * time.Hour
	// certRenewBefore: Refresh replaces a leaf this close to its end.
	certRenewBefore = 30 * 24 * time.Hour
	// certCAYears: the CA outlives any box; replacing it means every
	// organiser installs it again.
	certCAYears = 20
)

// certPermittedDNS and certPermittedIPs are the CA's name constraints. Who
// installs the CA trusts it only for these names and the private, loopback
// and link-local address ranges, so a copy of ca.key (a stolen SD card, a
// backup left behind) cannot be used to impersonate other sites to them.
// The bare hostname is added per box. A constraint without a leading dot
// covers the name and every name under it ("local" covers any .local name).
var (
	certPermittedDNS = []string{"local", "localhost"}
	certPermittedIPs = []string{
		"127.0.0.0/8", "::1/128", // loopback
		"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", // RFC 1918
		"169.254.0.0/16", "fe80::/10", // link-local
		"100.64.0.0/10", // carrier-grade NAT, as some venue routers use
		"fc00::/7",      // IPv6 unique local
	}
)

// errNoLeaf means Refresh has not issued a leaf yet.
var errNoLeaf = errors.New("no TLS certificate issued yet")

// Authority holds the box's CA and current leaf; safe for concurrent use.
//
// The CA never changes once opened; the leaf is swapped atomically by
// Refresh, so handshakes in flight keep the leaf they started with.
type Authority struct {
	dir      string
	hostname string

	ca          *x509.Certificate
	caKey       crypto.Signer
	caPEM       []byte
	fingerprint string

	mu   sync.Mutex // serialises Refresh: one issuer, one writer of the leaf files
	leaf atomic.Pointer[tls.Certificate]
}

// Open loads dir/ca.crt + dir/ca.key, creating them (key file 0600, dir 0700) when absent,
// and loads dir/leaf.crt + dir/leaf.key if present. dir is <data>/tls. It does not issue a leaf; Refresh does.
//
// ca.key is the CA's commit point: it is written last, so a crash while
// creating the CA leaves no ca.key and the next start simply creates it
// again. Once ca.key exists, the CA may be installed in people's browsers:
// if ca.crt is then missing, unreadable or not the key's certificate,
// Open fails rather than quietly replace a CA people trust.
//
// A leaf that is missing, damaged or mismatched is only a cache: Open
// ignores it and Refresh issues a new one.
func Open(dir, hostname string, now time.Time) (*Authority, error) {
	if err := config.CheckHostname(hostname); err != nil {
		return nil, fmt.Errorf("open certificates: hostname %q: %w", hostname, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open certificates: %w", err)
	}
	if fi, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("open certificates: %w", err)
	} else if fi.Mode().Perm() != 0o700 {
		// The folder holds private keys; tighten one made by hand or by umask.
		if err := os.Chmod(dir, 0o700); err != nil {
			return nil, fmt.Errorf("open certificates: %w", err)
		}
	}
	c := &Authority{dir: dir, hostname: hostname}

	keyPEM, err := os.ReadFile(filepath.Join(dir, caKeyFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := c.createCA(now); err != nil {
			return nil, fmt.Errorf("create certificate authority in %s: %w", dir, err)
		}
	case err != nil:
		return nil, fmt.Errorf("open certificate authority: %w", err)
	default:
		if err := c.loadCA(keyPEM); err != nil {
			return nil, fmt.Errorf("open certificate authority in %s (not replacing it: browsers may trust it): %w", dir, err)
		}
	}
	c.fingerprint = fingerprintOf(c.ca.Raw)

	if err := c.loadLeaf(); err != nil {
		return nil, fmt.Errorf("open certificates: %w", err)
	}
	return c, nil
}

// createCA makes a new CA and writes ca.crt, then ca.key.
func (c *Authority) createCA(now time.Time) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, err := randomSerial()
	if err != nil {
		return err
	}
	var ipRanges []*net.IPNet
	for _, s := range certPermittedIPs {
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			return fmt.Errorf("name constraint %s: %w", s, err)
		}
		ipRanges = append(ipRanges, n)
	}
	dnsDomains := append(slices.Clone(certPermittedDNS), c.hostname)
	slices.Sort(dnsDomains)
	dnsDomains = slices.Compact(dnsDomains)

	notBefore := certNotBefore(now)
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			// Shown by certificate viewers and trust-store lists: say what it is.
			CommonName:   "coopbox " + c.hostname + " — autorité locale",
			Organization: []string{"coopbox"},
		},
		NotBefore:             notBefore,
		NotAfter:              notBefore.AddDate(certCAYears, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            0,
		MaxPathLenZero:        true, // signs leaves only, never another CA
		// RFC 5280 says CAs MUST mark name constraints critical. Go's
		// verifier implements them (the tests check it), and so has
		// Chrome's built-in verifier since it replaced the platform ones;
		// it enforces them on locally installed roots since Chrome 112 and
		// always since 126. A client that does not understand a critical
		// extension must reject the certificate rather than ignore the
		// constraints, which is the failure we prefer.
		PermittedDNSDomainsCritical: true,
		PermittedDNSDomains:         dnsDomains,
		PermittedIPRanges:           ipRanges,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return err
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	c.ca, c.caKey = ca, key
	c.caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := atomicfile.Write(filepath.Join(c.dir, caCertFile), c.caPEM, 0o644); err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(c.dir, caKeyFile),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
}

// loadCA reads ca.crt and checks it against ca.key.
func (c *Authority) loadCA(keyPEM []byte) error {
	certPEM, err := os.ReadFile(filepath.Join(c.dir, caCertFile))
	if err != nil {
		return fmt.Errorf("ca.key exists but ca.crt cannot be read: %w", err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM) // checks that they belong together
	if err != nil {
		return fmt.Errorf("ca.crt and ca.key: %w", err)
	}
	signer, ok := pair.PrivateKey.(crypto.Signer)
	if !ok {
		return errors.New("ca.key cannot sign")
	}
	if !pair.Leaf.IsCA || pair.Leaf.KeyUsage&x509.KeyUsageCertSign == 0 {
		return errors.New("ca.crt is not a certificate authority")
	}
	c.ca, c.caKey = pair.Leaf, signer
	c.caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: pair.Leaf.Raw})
	return nil
}

// loadLeaf reads leaf.crt and leaf.key if both are there and match.
func (c *Authority) loadLeaf() error {
	certPEM, err := os.ReadFile(filepath.Join(c.dir, leafCertFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	keyPEM, err := os.ReadFile(filepath.Join(c.dir, leafKeyFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		// Damaged or half-written (a crash between the two files): Refresh
		// will replace it.
		return nil
	}
	c.leaf.Store(c.withChain(&pair))
	return nil
}

// withChain puts the CA after the leaf: a client that has the CA does not
// need it, but one that is shown the certificate (a browser's warning page,
// openssl s_client) sees which authority to install.
func (c *Authority) withChain(pair *tls.Certificate) *tls.Certificate {
	pair.Certificate = append(pair.Certificate[:1:1], c.ca.Raw)
	return pair
}

// Refresh issues (and writes atomically: temp file + fsync + rename) a new leaf when there is none,
// when its names or IPs differ from what they should be for ips, when it expires within 30 days
// of now, or when it was not signed by the current CA. Reports whether it issued one.
//
// The leaf names <hostname>.local, <hostname> and localhost, and the
// addresses ips plus 127.0.0.1 and ::1. Names and addresses outside the CA's
// name constraints (a global IPv6 address, typically, or a bare hostname the
// CA was not made for) are left out: a single one would make every client
// that enforces the constraints reject the whole certificate.
//
// If the new leaf cannot be written, Refresh returns the error and keeps
// serving the previous one.
func (c *Authority) Refresh(ips []net.IP, now time.Time) (issued bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()

	names, addrs := c.leafNames(), c.leafAddrs(ips)
	if cur := c.leaf.Load(); cur != nil && !c.leafStale(cur.Leaf, names, addrs, now) {
		return false, nil
	}
	leaf, err := c.issueLeaf(names, addrs, now)
	if err != nil {
		return false, fmt.Errorf("issue TLS certificate: %w", err)
	}
	c.leaf.Store(leaf)
	return true, nil
}

// leafStale reports whether leaf must be replaced.
func (c *Authority) leafStale(leaf *x509.Certificate, names []string, addrs []netip.Addr, now time.Time) bool {
	if leaf == nil || leaf.CheckSignatureFrom(c.ca) != nil {
		return true
	}
	if !now.Add(certRenewBefore).Before(leaf.NotAfter) {
		return true
	}
	// A leaf from the future (the clock was once set too far ahead, then
	// corrected) would be refused by clients that agree with the box.
	// Before certEpoch the box's clock is known to be unset, and every leaf
	// starts in the future by design.
	if !now.Before(certEpoch) && now.Before(leaf.NotBefore) {
		return true
	}
	have := slices.Clone(leaf.DNSNames)
	slices.Sort(have)
	if !slices.Equal(have, names) {
		return true
	}
	return !slices.Equal(SortedAddrs(leaf.IPAddresses), addrs)
}

// leafNames is the sorted list of DNS names the leaf should carry.
func (c *Authority) leafNames() []string {
	var names []string
	for _, n := range []string{c.hostname + ".local", c.hostname, "localhost"} {
		if c.permitsName(n) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// leafAddrs is the sorted, deduplicated list of addresses the leaf should
// carry for the machine addresses ips.
func (c *Authority) leafAddrs(ips []net.IP) []netip.Addr {
	all := append(slices.Clone(ips), net.IPv4(127, 0, 0, 1), net.IPv6loopback)
	var addrs []netip.Addr
	for _, a := range SortedAddrs(all) {
		if !a.IsUnspecified() && !a.IsMulticast() && c.permitsAddr(a) {
			addrs = append(addrs, a)
		}
	}
	return addrs
}

// permitsName reports whether the CA's DNS name constraints allow name.
func (c *Authority) permitsName(name string) bool {
	if len(c.ca.PermittedDNSDomains) == 0 {
		return true
	}
	for _, d := range c.ca.PermittedDNSDomains {
		if strings.HasPrefix(d, ".") {
			if strings.HasSuffix(name, d) {
				return true
			}
		} else if name == d || strings.HasSuffix(name, "."+d) {
			return true
		}
	}
	return false
}

// permitsAddr reports whether the CA's IP name constraints allow a.
func (c *Authority) permitsAddr(a netip.Addr) bool {
	if len(c.ca.PermittedIPRanges) == 0 {
		return true
	}
	for _, n := range c.ca.PermittedIPRanges {
		ip, ok := netip.AddrFromSlice(n.IP)
		ones, bits := n.Mask.Size()
		if !ok || bits == 0 || ip.BitLen() != bits {
			continue
		}
		if netip.PrefixFrom(ip, ones).Contains(a) {
			return true
		}
	}
	return false
}

// issueLeaf signs a new leaf and writes it, key first: a crash between the
// two renames leaves a pair that does not match, which Open ignores.
func (c *Authority) issueLeaf(names []string, addrs []netip.Addr, now time.Time) (*tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	ips := make([]net.IP, len(addrs))
	for i, a := range addrs {
		ips[i] = net.IP(a.AsSlice())
	}
	notBefore := certNotBefore(now)
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: c.hostname + ".local", Organization: []string{"coopbox"}},
		NotBefore:             notBefore,
		NotAfter:              notBefore.Add(certLeafLifetime),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              names,
		IPAddresses:           ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.ca, key.Public(), c.caKey)
	if err != nil {
		return nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	err = atomicfile.Write(filepath.Join(c.dir, leafKeyFile),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
	if err != nil {
		return nil, err
	}
	err = atomicfile.Write(filepath.Join(c.dir, leafCertFile),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	if err != nil {
		return nil, err
	}
	return c.withChain(&tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}), nil
}

// GetCertificate returns the current leaf, with the CA in the chain. It is
// meant for tls.Config.GetCertificate, so that a Refresh takes effect on
// the next handshake without restarting the server. The same leaf answers
// every server name: clients reaching the box by IP send none.
func (c *Authority) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	if leaf := c.leaf.Load(); leaf != nil {
		return leaf, nil
	}
	return nil, errNoLeaf
}

// CACertPEM returns the CA certificate in PEM, as desktop browsers and
// Android import it.
func (c *Authority) CACertPEM() []byte { return slices.Clone(c.caPEM) }

// CACertDER returns the CA certificate in DER, the .cer/.crt form some
// systems prefer.
func (c *Authority) CACertDER() []byte { return slices.Clone(c.ca.Raw) }

// Fingerprint is the SHA-256 of the CA's DER, uppercase hex pairs joined by ':' (as browsers show it),
// so that the welcome page, the printed card and the browser's certificate viewer
// can be compared by eye.
func (c *Authority) Fingerprint() string { return c.fingerprint }

func fingerprintOf(der []byte) string {
	sum := sha256.Sum256(der)
	pairs := make([]string, len(sum))
	for i, b := range sum {
		pairs[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(pairs, ":")
}

// MobileConfig returns an Apple configuration profile (plist XML, unsigned)
// with one com.apple.security.root payload holding the CA, for iPhones,
// iPads and Macs, which install a CA most easily that way (served as
// application/x-apple-aspen-config). On iOS the user must still turn on full
// trust in Settings › General › About › Certificate Trust Settings.
//
// The UUIDs and identifiers are derived from the CA's fingerprint, so the
// same CA always gives the same profile and installing it twice replaces
// rather than duplicates it.
func (c *Authority) MobileConfig(displayName string) []byte {
	sum := sha256.Sum256(c.ca.Raw)
	id := "local.coopbox.ca." + hex.EncodeToString(sum[:8])

	var b bytes.Buffer
	str := func(key, value string) {
		b.WriteString("\t<key>" + key + "</key>\n\t<string>")
		xml.EscapeText(&b, []byte(value)) // cannot fail on a bytes.Buffer
		b.WriteString("</string>\n")
	}
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>PayloadContent</key>
	<array>
	<dict>
`)
	str("PayloadCertificateFileName", "coopbox-"+c.hostname+"-ca.cer")
	b.WriteString("\t<key>PayloadContent</key>\n\t<data>")
	b.WriteString(base64.StdEncoding.EncodeToString(c.ca.Raw))
	b.WriteString("</data>\n")
	// Language-neutral: the profile is built outside the locale catalog;
	// the fingerprint lets the user compare it with the welcome page.
	str("PayloadDescription", "SHA-256 "+c.fingerprint)
	str("PayloadDisplayName", c.ca.Subject.CommonName)
	str("PayloadIdentifier", id+".root")
	str("PayloadType", "com.apple.security.root")
	str("PayloadUUID", derivedUUID(sum[:], "root payload"))
	b.WriteString("\t<key>PayloadVersion</key>\n\t<integer>1</integer>\n\t</dict>\n\t</array>\n")
	str("PayloadDisplayName", displayName)
	str("PayloadIdentifier", id)
	b.WriteString("\t<key>PayloadRemovalDisallowed</key>\n\t<false/>\n")
	str("PayloadType", "Configuration")
	str("PayloadUUID", derivedUUID(sum[:], "profile"))
	b.WriteString("\t<key>PayloadVersion</key>\n\t<integer>1</integer>\n</dict>\n</plist>\n")
	return b.Bytes()
}

// derivedUUID makes a stable UUID from seed and label: SHA-256 truncated to
// 128 bits, marked as an RFC 9562 version 8 (custom) UUID.
func derivedUUID(seed []byte, label string) string {
	h := sha256.New()
	h.Write(seed)
	h.Write([]byte(label))
	u := h.Sum(nil)[:16]
	u[6] = u[6]&0x0f | 0x80 // version 8
	u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant
	s := strings.ToUpper(hex.EncodeToString(u))
	return s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:32]
}

// SortedAddrs converts ips to netip form (IPv4-mapped IPv6 as IPv4),
// sorted (IPv4 first) and deduplicated, dropping invalid entries.
func SortedAddrs(ips []net.IP) []netip.Addr {
	addrs := make([]netip.Addr, 0, len(ips))
	for _, ip := range ips {
		if a, ok := netip.AddrFromSlice(ip); ok {
			addrs = append(addrs, a.Unmap())
		}
	}
	slices.SortFunc(addrs, netip.Addr.Compare)
	return slices.Compact(addrs)
}

// certNotBefore is a day before now, or a day before certEpoch when now is
// earlier than that: the box's clock is then unset (a Pi boots in 1970), and
// a certificate starting in 1970 would expire long before any client's today.
func certNotBefore(now time.Time) time.Time {
	if now.Before(certEpoch) {
		now = certEpoch
	}
	return now.Add(-certBackdate).UTC().Truncate(time.Second)
}

// randomSerial returns a random, positive serial number of up to 128 bits.
func randomSerial() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, err
	}
	return n.Add(n, big.NewInt(1)), nil // never zero; RFC 5280 wants positive
}
