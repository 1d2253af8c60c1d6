package certs

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var testIPs = []net.IP{net.ParseIP("192.168.1.20"), net.ParseIP("fd00::20")}

// newTestCerts opens certificates in a fresh folder and issues a leaf for
// testIPs at now.
func newTestCerts(t *testing.T, now time.Time) (*Authority, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "tls")
	c, err := Open(dir, "coopbox", now)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if issued, err := c.Refresh(testIPs, now); err != nil || !issued {
		t.Fatalf("first Refresh = %v, %v; want true, nil", issued, err)
	}
	return c, dir
}

func currentLeaf(t *testing.T, c *Authority) *x509.Certificate {
	t.Helper()
	cert, err := c.GetCertificate(nil)
	if err != nil {
		t.Fatalf("GetCertificate: %v", err)
	}
	return cert.Leaf
}

func caPool(c *Authority) *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(c.CACertPEM())
	return pool
}

func TestOpenCertsFileModes(t *testing.T) {
	_, dir := newTestCerts(t, time.Now())
	tests := []struct {
		name string
		want os.FileMode
	}{
		{".", 0o700 | os.ModeDir},
		{caCertFile, 0o644},
		{caKeyFile, 0o600},
		{leafCertFile, 0o644},
		{leafKeyFile, 0o600},
	}
	for _, tt := range tests {
		fi, err := os.Stat(filepath.Join(dir, tt.name))
		if err != nil {
			t.Errorf("stat %s: %v", tt.name, err)
			continue
		}
		if got := fi.Mode(); got != tt.want {
			t.Errorf("mode of %s = %v, want %v", tt.name, got, tt.want)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 4 {
		t.Errorf("tls folder holds %d entries, want 4 (temporary files left behind?)", len(entries))
	}
}

func TestOpenCertsReloads(t *testing.T) {
	now := time.Now()
	c1, dir := newTestCerts(t, now)
	leaf1 := currentLeaf(t, c1)

	c2, err := Open(dir, "coopbox", now.Add(time.Hour))
	if err != nil {
		t.Fatalf("second Open: %v", err)
	}
	if got, want := c2.Fingerprint(), c1.Fingerprint(); got != want {
		t.Errorf("CA fingerprint after reopening = %s, want %s", got, want)
	}
	if leaf2 := currentLeaf(t, c2); !bytes.Equal(leaf2.Raw, leaf1.Raw) {
		t.Errorf("reopened leaf has serial %v, want %v", leaf2.SerialNumber, leaf1.SerialNumber)
	}
	// The same addresses in another order, with duplicates, change nothing.
	ips := []net.IP{testIPs[1], testIPs[0], net.ParseIP("127.0.0.1"), testIPs[0].To4()}
	if issued, err := c2.Refresh(ips, now.Add(time.Hour)); err != nil || issued {
		t.Errorf("Refresh after reopening = %v, %v; want false, nil", issued, err)
	}
}

func TestRefresh(t *testing.T) {
	now := time.Date(2026, time.March, 14, 10, 0, 0, 0, time.UTC)
	lifetimeLeft := certLeafLifetime - certBackdate // from now
	tests := []struct {
		name       string
		ips        []net.IP
		at         time.Time
		wantIssued bool
	}{
		{"same addresses", testIPs, now, false},
		{"a day later", testIPs, now.Add(24 * time.Hour), false},
		{"31 days before the end", testIPs, now.Add(lifetimeLeft - 31*24*time.Hour), false},
		{"29 days before the end", testIPs, now.Add(lifetimeLeft - 29*24*time.Hour), true},
		{"after the end", testIPs, now.Add(lifetimeLeft + time.Hour), true},
		{"new address", append(slices.Clone(testIPs), net.ParseIP("10.0.0.7")), now, true},
		{"address gone", testIPs[:1], now, true},
		{"address changed", []net.IP{net.ParseIP("192.168.1.21"), testIPs[1]}, now, true},
		{"no addresses", nil, now, true},
		// Outside the CA's constraints, so never in the leaf: no change.
		{"global IPv6 added", append(slices.Clone(testIPs), net.ParseIP("2001:db8::1")), now, false},
		{"public IPv4 added", append(slices.Clone(testIPs), net.ParseIP("203.0.113.9")), now, false},
		{"IPv4-mapped form", []net.IP{net.ParseIP("::ffff:192.168.1.20"), testIPs[1]}, now, false},
		{"unspecified added", append(slices.Clone(testIPs), net.IPv4zero), now, false},
		{"clock set back before the leaf", testIPs, now.Add(-48 * time.Hour), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newTestCerts(t, now)
			before := currentLeaf(t, c)
			issued, err := c.Refresh(tt.ips, tt.at)
			if err != nil {
				t.Fatalf("Refresh: %v", err)
			}
			if issued != tt.wantIssued {
				t.Errorf("Refresh issued = %v, want %v", issued, tt.wantIssued)
			}
			after := currentLeaf(t, c)
			if changed := !bytes.Equal(before.Raw, after.Raw); changed != tt.wantIssued {
				t.Errorf("leaf changed = %v, want %v", changed, tt.wantIssued)
			}
			if !tt.wantIssued {
				return
			}
			if issued, err := c.Refresh(tt.ips, tt.at); err != nil || issued {
				t.Errorf("second Refresh = %v, %v; want false, nil", issued, err)
			}
			reopened, err := Open(c.dir, "coopbox", tt.at)
			if err != nil {
				t.Fatalf("reopen: %v", err)
			}
			if got := currentLeaf(t, reopened); !bytes.Equal(got.Raw, after.Raw) {
				t.Errorf("the new leaf was not saved")
			}
		})
	}
}

func TestRefreshLeafSANs(t *testing.T) {
	c, _ := newTestCerts(t, time.Now())
	leaf := currentLeaf(t, c)
	if got, want := leaf.DNSNames, []string{"coopbox", "coopbox.local", "localhost"}; !slices.Equal(got, want) {
		t.Errorf("DNS names = %q, want %q", got, want)
	}
	var got []string
	for _, ip := range leaf.IPAddresses {
		got = append(got, ip.String())
	}
	if want := []string{"127.0.0.1", "192.168.1.20", "::1", "fd00::20"}; !slices.Equal(got, want) {
		t.Errorf("IP addresses = %q, want %q", got, want)
	}
	if leaf.NotAfter.Sub(leaf.NotBefore) > 825*24*time.Hour {
		t.Errorf("leaf valid for %v, longer than Apple's 825 days", leaf.NotAfter.Sub(leaf.NotBefore))
	}
	if !slices.Equal(leaf.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) || leaf.KeyUsage != x509.KeyUsageDigitalSignature || leaf.IsCA {
		t.Errorf("leaf usages: ext %v, key %v, CA %v", leaf.ExtKeyUsage, leaf.KeyUsage, leaf.IsCA)
	}
	if leaf.SerialNumber.BitLen() < 64 {
		t.Errorf("leaf serial %v looks too short to be random", leaf.SerialNumber)
	}
}

func TestRefreshReplacesLeafOfAnotherCA(t *testing.T) {
	now := time.Now()
	_, dir := newTestCerts(t, now)
	_, otherDir := newTestCerts(t, now)
	for _, name := range []string{leafCertFile, leafKeyFile} {
		data, err := os.ReadFile(filepath.Join(otherDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c, err := Open(dir, "coopbox", now)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if issued, err := c.Refresh(testIPs, now); err != nil || !issued {
		t.Fatalf("Refresh with a leaf of another CA = %v, %v; want true, nil", issued, err)
	}
	if err := currentLeaf(t, c).CheckSignatureFrom(c.ca); err != nil {
		t.Errorf("new leaf not signed by the box's CA: %v", err)
	}
}

func TestOpenCertsIgnoresDamagedLeaf(t *testing.T) {
	tests := []struct {
		name   string
		damage func(dir string) error
	}{
		{"leaf.key missing", func(dir string) error { return os.Remove(filepath.Join(dir, leafKeyFile)) }},
		{"leaf.crt garbage", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, leafCertFile), []byte("not a certificate"), 0o644)
		}},
		{"leaf.key from another leaf", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, leafKeyFile), readCertFile(dir, caKeyFile), 0o600)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := time.Now()
			_, dir := newTestCerts(t, now)
			if err := tt.damage(dir); err != nil {
				t.Fatal(err)
			}
			c, err := Open(dir, "coopbox", now)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if _, err := c.GetCertificate(nil); !errors.Is(err, errNoLeaf) {
				t.Errorf("GetCertificate with a damaged leaf: err = %v, want errNoLeaf", err)
			}
			if issued, err := c.Refresh(testIPs, now); err != nil || !issued {
				t.Errorf("Refresh = %v, %v; want true, nil", issued, err)
			}
		})
	}
}

func readCertFile(dir, name string) []byte {
	data, _ := os.ReadFile(filepath.Join(dir, name))
	return data
}

func TestOpenCertsRefusesBrokenCA(t *testing.T) {
	tests := []struct {
		name   string
		damage func(dir, otherDir string) error
	}{
		{"ca.crt of another CA", func(dir, otherDir string) error {
			return os.WriteFile(filepath.Join(dir, caCertFile), readCertFile(otherDir, caCertFile), 0o644)
		}},
		{"ca.key of another CA", func(dir, otherDir string) error {
			return os.WriteFile(filepath.Join(dir, caKeyFile), readCertFile(otherDir, caKeyFile), 0o600)
		}},
		{"ca.crt missing", func(dir, _ string) error { return os.Remove(filepath.Join(dir, caCertFile)) }},
		{"ca.crt garbage", func(dir, _ string) error {
			return os.WriteFile(filepath.Join(dir, caCertFile), []byte("-----BEGIN CERTIFICATE-----\nAAAA\n"), 0o644)
		}},
		{"ca.crt is the leaf", func(dir, _ string) error {
			if err := os.WriteFile(filepath.Join(dir, caCertFile), readCertFile(dir, leafCertFile), 0o644); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dir, caKeyFile), readCertFile(dir, leafKeyFile), 0o600)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := time.Now()
			_, dir := newTestCerts(t, now)
			_, otherDir := newTestCerts(t, now)
			if err := tt.damage(dir, otherDir); err != nil {
				t.Fatal(err)
			}
			keyBefore := readCertFile(dir, caKeyFile)
			if _, err := Open(dir, "coopbox", now); err == nil {
				t.Fatalf("Open succeeded, want an error")
			}
			if !bytes.Equal(readCertFile(dir, caKeyFile), keyBefore) {
				t.Errorf("Open replaced ca.key")
			}
		})
	}
}

func TestOpenCertsCreatesCAWithoutKey(t *testing.T) {
	// ca.key is written last: a ca.crt alone is what a crash during the
	// first start leaves, and was never served. It is replaced.
	now := time.Now()
	c1, dir := newTestCerts(t, now)
	if err := os.Remove(filepath.Join(dir, caKeyFile)); err != nil {
		t.Fatal(err)
	}
	c2, err := Open(dir, "coopbox", now)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if c2.Fingerprint() == c1.Fingerprint() {
		t.Errorf("Open kept a CA it has no key for")
	}
	if issued, err := c2.Refresh(testIPs, now); err != nil || !issued {
		t.Errorf("Refresh with a leaf of the old CA = %v, %v; want true, nil", issued, err)
	}
}

func TestOpenCertsBadHostname(t *testing.T) {
	for _, h := range []string{"", "Coopbox", "coop.box", "coop box"} {
		if _, err := Open(t.TempDir(), h, time.Now()); err == nil {
			t.Errorf("Open with hostname %q succeeded, want an error", h)
		}
	}
}

func TestCAProperties(t *testing.T) {
	c, _ := newTestCerts(t, time.Now())
	ca := c.ca
	if !ca.IsCA || ca.MaxPathLen != 0 || !ca.MaxPathLenZero {
		t.Errorf("CA: IsCA %v, MaxPathLen %d, MaxPathLenZero %v", ca.IsCA, ca.MaxPathLen, ca.MaxPathLenZero)
	}
	if want := x509.KeyUsageCertSign | x509.KeyUsageCRLSign; ca.KeyUsage != want {
		t.Errorf("CA key usage = %v, want %v", ca.KeyUsage, want)
	}
	if !ca.PermittedDNSDomainsCritical {
		t.Errorf("name constraints not critical")
	}
	if want := []string{"coopbox", "local", "localhost"}; !slices.Equal(ca.PermittedDNSDomains, want) {
		t.Errorf("permitted DNS domains = %q, want %q", ca.PermittedDNSDomains, want)
	}
	if got, want := len(ca.PermittedIPRanges), len(certPermittedIPs); got != want {
		t.Errorf("%d permitted IP ranges, want %d", got, want)
	}
	if !strings.Contains(ca.Subject.CommonName, "coopbox") || !slices.Equal(ca.Subject.Organization, []string{"coopbox"}) {
		t.Errorf("CA subject = %v", ca.Subject)
	}
	if _, ok := ca.PublicKey.(*ecdsa.PublicKey); !ok {
		t.Errorf("CA key is %T, want ECDSA", ca.PublicKey)
	}
	if got := ca.NotAfter.Year() - ca.NotBefore.Year(); got != 20 {
		t.Errorf("CA valid for %d years, want 20", got)
	}
}

// startTLSServer serves c's certificates on 127.0.0.1 until the test ends.
func startTLSServer(t *testing.T, c *Authority) string {
	t.Helper()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := tls.NewListener(inner, &tls.Config{GetCertificate: c.GetCertificate})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return // the listener was closed
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(5 * time.Second))
				if conn.(*tls.Conn).Handshake() == nil {
					io.WriteString(conn, "ok")
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return ln.Addr().String()
}

func TestTLSHandshake(t *testing.T) {
	c, _ := newTestCerts(t, time.Now())
	addr := startTLSServer(t, c)
	tests := []struct {
		serverName string // "" dials by IP
		wantOK     bool
	}{
		{"coopbox.local", true},
		{"localhost", true},
		{"coopbox", true},
		{"", true},
		{"example.com", false},
		{"other.local", false},
	}
	for _, tt := range tests {
		t.Run("name="+tt.serverName, func(t *testing.T) {
			cfg := &tls.Config{RootCAs: caPool(c), ServerName: tt.serverName}
			conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
			if !tt.wantOK {
				var hostErr x509.HostnameError
				if !errors.As(err, &hostErr) {
					t.Errorf("dial: err = %v, want a hostname verification error", err)
				}
				if conn != nil {
					conn.Close()
				}
				return
			}
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			defer conn.Close()
			got, err := io.ReadAll(conn)
			if err != nil || string(got) != "ok" {
				t.Errorf("read = %q, %v; want ok", got, err)
			}
			if chain := conn.ConnectionState().PeerCertificates; len(chain) != 2 || !bytes.Equal(chain[1].Raw, c.CACertDER()) {
				t.Errorf("server sent %d certificates, want the leaf and the CA", len(chain))
			}
		})
	}
}

func TestTLSHandshakeFollowsRefresh(t *testing.T) {
	now := time.Now()
	c, _ := newTestCerts(t, now)
	addr := startTLSServer(t, c)
	if _, err := c.Refresh([]net.IP{net.ParseIP("10.1.2.3")}, now); err != nil {
		t.Fatal(err)
	}
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: caPool(c)})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	leaf := conn.ConnectionState().PeerCertificates[0]
	if err := leaf.VerifyHostname("10.1.2.3"); err != nil {
		t.Errorf("the server still sends the old leaf: %v", err)
	}
}

// TestNameConstraints signs leaves the box would never issue with the box's
// CA key, as a thief of ca.key would, and checks that a client trusting the
// CA rejects them.
func TestNameConstraints(t *testing.T) {
	now := time.Now()
	c, _ := newTestCerts(t, now)
	tests := []struct {
		name   string
		dns    []string
		ips    []string
		verify string
		wantOK bool
	}{
		{"control: coopbox.local", []string{"coopbox.local"}, nil, "coopbox.local", true},
		{"control: other .local", []string{"printer.local"}, nil, "printer.local", true},
		{"control: private IP", nil, []string{"192.168.0.1"}, "192.168.0.1", true},
		{"control: ULA", nil, []string{"fd12::1"}, "fd12::1", true},
		{"example.com", []string{"example.com"}, nil, "example.com", false},
		{"bank under a permitted label", []string{"coopbox.bank.example"}, nil, "coopbox.bank.example", false},
		{"suffix trick", []string{"evillocal"}, nil, "evillocal", false},
		{"public IPv4", nil, []string{"8.8.8.8"}, "8.8.8.8", false},
		{"global IPv6", nil, []string{"2001:4860::8888"}, "2001:4860::8888", false},
		{"one bad name among good", []string{"coopbox.local", "example.com"}, nil, "coopbox.local", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			tmpl := &x509.Certificate{
				SerialNumber: big.NewInt(42),
				Subject:      pkix.Name{CommonName: "forged"},
				NotBefore:    now.Add(-time.Hour),
				NotAfter:     now.Add(time.Hour),
				KeyUsage:     x509.KeyUsageDigitalSignature,
				ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
				DNSNames:     tt.dns,
			}
			for _, s := range tt.ips {
				tmpl.IPAddresses = append(tmpl.IPAddresses, net.ParseIP(s))
			}
			der, err := x509.CreateCertificate(rand.Reader, tmpl, c.ca, key.Public(), c.caKey)
			if err != nil {
				t.Fatal(err)
			}
			forged, err := x509.ParseCertificate(der)
			if err != nil {
				t.Fatal(err)
			}
			_, err = forged.Verify(x509.VerifyOptions{Roots: caPool(c), DNSName: tt.verify})
			if tt.wantOK {
				if err != nil {
					t.Errorf("Verify: %v", err)
				}
				return
			}
			var invalid x509.CertificateInvalidError
			if !errors.As(err, &invalid) || invalid.Reason != x509.CANotAuthorizedForThisName {
				t.Errorf("Verify: err = %v, want CANotAuthorizedForThisName", err)
			}
		})
	}
}

func TestUnsetClock(t *testing.T) {
	epoch := time.Unix(0, 0).UTC()
	c, _ := newTestCerts(t, epoch)
	leaf := currentLeaf(t, c)
	wantNotBefore := time.Date(2024, time.December, 31, 0, 0, 0, 0, time.UTC)
	if !leaf.NotBefore.Equal(wantNotBefore) {
		t.Errorf("leaf NotBefore = %v, want %v", leaf.NotBefore, wantNotBefore)
	}
	if want := wantNotBefore.Add(certLeafLifetime); !leaf.NotAfter.Equal(want) {
		t.Errorf("leaf NotAfter = %v, want %v", leaf.NotAfter, want)
	}
	if !c.ca.NotBefore.Equal(wantNotBefore) || !c.ca.NotAfter.Equal(wantNotBefore.AddDate(20, 0, 0)) {
		t.Errorf("CA valid %v to %v, want from %v for 20 years", c.ca.NotBefore, c.ca.NotAfter, wantNotBefore)
	}
	for _, at := range []time.Time{
		time.Date(2025, time.February, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, time.June, 1, 12, 0, 0, 0, time.UTC),
	} {
		_, err := leaf.Verify(x509.VerifyOptions{Roots: caPool(c), DNSName: "coopbox.local", CurrentTime: at})
		if err != nil {
			t.Errorf("verify at %v: %v", at, err)
		}
	}
	// Still in 1970 an hour later: the leaf is kept, not reissued at every check.
	if issued, err := c.Refresh(testIPs, epoch.Add(time.Hour)); err != nil || issued {
		t.Errorf("Refresh in 1970 = %v, %v; want false, nil", issued, err)
	}
}

func TestNormalClockValidity(t *testing.T) {
	now := time.Date(2026, time.March, 14, 10, 30, 15, 0, time.UTC)
	c, _ := newTestCerts(t, now)
	leaf := currentLeaf(t, c)
	if want := now.Add(-24 * time.Hour); !leaf.NotBefore.Equal(want) {
		t.Errorf("leaf NotBefore = %v, want %v", leaf.NotBefore, want)
	}
	if got := leaf.NotAfter.Sub(leaf.NotBefore); got != certLeafLifetime {
		t.Errorf("leaf lifetime = %v, want %v", got, certLeafLifetime)
	}
}

func TestFingerprint(t *testing.T) {
	c, _ := newTestCerts(t, time.Now())
	fp := c.Fingerprint()
	if !regexp.MustCompile(`^[0-9A-F]{2}(:[0-9A-F]{2}){31}$`).MatchString(fp) {
		t.Errorf("Fingerprint = %q, want 32 uppercase hex pairs joined by ':'", fp)
	}
	sum := sha256.Sum256(c.CACertDER())
	if got := strings.ReplaceAll(fp, ":", ""); !strings.EqualFold(got, hex.EncodeToString(sum[:])) {
		t.Errorf("Fingerprint = %s, want the SHA-256 of the CA's DER", fp)
	}
}

func TestMobileConfig(t *testing.T) {
	c, dir := newTestCerts(t, time.Now())
	name := `Salle <Verte> & "amis"`
	profile := c.MobileConfig(name)

	dec := xml.NewDecoder(bytes.NewReader(profile))
	var texts []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("profile is not well-formed XML: %v\n%s", err, profile)
		}
		if cd, ok := tok.(xml.CharData); ok {
			texts = append(texts, strings.TrimSpace(string(cd)))
		}
	}
	for _, want := range []string{
		base64.StdEncoding.EncodeToString(c.CACertDER()),
		"com.apple.security.root",
		"Configuration",
		name,
	} {
		if !slices.Contains(texts, want) {
			t.Errorf("profile lacks the text %q", want)
		}
	}
	uuids := regexp.MustCompile(`[0-9A-F]{8}-[0-9A-F]{4}-8[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}`).FindAll(profile, -1)
	if len(uuids) != 2 || bytes.Equal(uuids[0], uuids[1]) {
		t.Errorf("profile UUIDs = %s, want two distinct ones", uuids)
	}

	reopened, err := Open(dir, "coopbox", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(reopened.MobileConfig(name), profile) {
		t.Errorf("the profile changed when the same CA was reopened")
	}
	other, _ := newTestCerts(t, time.Now())
	if otherUUIDs := regexp.MustCompile(`[0-9A-F]{8}-[0-9A-F-]{27}`).FindAll(other.MobileConfig(name), -1); len(otherUUIDs) == 2 && bytes.Equal(otherUUIDs[0], uuids[0]) {
		t.Errorf("two CAs give the same profile UUID")
	}
}

func TestGetCertificateBeforeRefresh(t *testing.T) {
	c, err := Open(t.TempDir(), "coopbox", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if cert, err := c.GetCertificate(nil); cert != nil || !errors.Is(err, errNoLeaf) {
		t.Errorf("GetCertificate = %v, %v; want nil, errNoLeaf", cert, err)
	}
}

func TestRefreshConcurrentWithHandshakes(t *testing.T) {
	now := time.Now()
	c, _ := newTestCerts(t, now)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			ip := net.IPv4(10, 0, 0, byte(i))
			if _, err := c.Refresh([]net.IP{ip}, now); err != nil {
				t.Errorf("Refresh: %v", err)
			}
		})
		wg.Go(func() {
			for range 50 {
				if cert, err := c.GetCertificate(nil); err != nil || cert.Leaf == nil {
					t.Errorf("GetCertificate = %v, %v", cert, err)
					return
				}
			}
		})
	}
	wg.Wait()
}
