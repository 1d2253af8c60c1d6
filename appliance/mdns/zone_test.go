package mdns

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/miekg/dns"
)

func TestZone(t *testing.T) {
	z := newZone("coopbox", 8443, []netip.Addr{netip.MustParseAddr("192.168.4.1")})
	const (
		a   = "coopbox.local.\t120\tCLASS32769\tA\t192.168.4.1"
		ptr = "_https._tcp.local.\t4500\tIN\tPTR\tcoopbox._https._tcp.local."
		srv = "coopbox._https._tcp.local.\t120\tCLASS32769\tSRV\t0 0 8443 coopbox.local."
		txt = "coopbox._https._tcp.local.\t4500\tCLASS32769\tTXT\t\"path=/\""
		enu = "_services._dns-sd._udp.local.\t4500\tIN\tPTR\t_https._tcp.local."
	)
	tests := []struct {
		name        string
		qtype       uint16
		class       uint16
		want, extra []string // records in presentation format, sorted
	}{
		{"coopbox.local.", dns.TypeA, dns.ClassINET, []string{a}, nil},
		{"COOPBOX.LOCAL.", dns.TypeA, dns.ClassINET, []string{a}, nil},
		{"CoopBox.Local.", dns.TypeA, dns.ClassINET, []string{a}, nil},
		{"coopbox.local", dns.TypeA, dns.ClassINET, []string{a}, nil},
		{"coopbox.local.", dns.TypeA, dns.ClassINET | unicastQuestion, []string{a}, nil},
		{"coopbox.local.", dns.TypeA, dns.ClassANY, []string{a}, nil},
		{"coopbox.local.", dns.TypeA, dns.ClassCHAOS, nil, nil},
		{"coopbox.local.", dns.TypeAAAA, dns.ClassINET, nil, nil},
		{"other.local.", dns.TypeA, dns.ClassINET, nil, nil},
		{"coopbox.lan.", dns.TypeA, dns.ClassINET, nil, nil},
		{"coopbox.local.", dns.TypeANY, dns.ClassINET, []string{a}, nil},
		{"_https._tcp.local.", dns.TypePTR, dns.ClassINET, []string{ptr}, []string{srv, txt, a}},
		{"_HTTPS._TCP.local.", dns.TypePTR, dns.ClassINET | unicastQuestion, []string{ptr}, []string{srv, txt, a}},
		{"_http._tcp.local.", dns.TypePTR, dns.ClassINET, nil, nil},
		{"_https._tcp.local.", dns.TypeA, dns.ClassINET, nil, nil},
		{"coopbox._https._tcp.local.", dns.TypeSRV, dns.ClassINET, []string{srv}, []string{a}},
		{"CoopBox._Https._Tcp.Local.", dns.TypeTXT, dns.ClassINET, []string{txt}, nil},
		{"coopbox._https._tcp.local.", dns.TypeANY, dns.ClassINET, []string{srv, txt}, []string{a}},
		{"coopbox._https._tcp.local.", dns.TypeA, dns.ClassINET, nil, nil},
		{"other._https._tcp.local.", dns.TypeSRV, dns.ClassINET, nil, nil},
		{"_services._dns-sd._udp.local.", dns.TypePTR, dns.ClassINET, []string{enu}, nil},
		{"_SERVICES._dns-sd._udp.local.", dns.TypeANY, dns.ClassINET, []string{enu}, nil},
	}
	for _, tt := range tests {
		q := dns.Question{Name: tt.name, Qtype: tt.qtype, Qclass: tt.class}
		answers, extra := z.answer(q)
		if got := presentation(answers); !slices.Equal(got, tt.want) {
			t.Errorf("answer(%s %s class %d) = %q, want %q", tt.name, dns.TypeToString[tt.qtype], tt.class, got, tt.want)
		}
		if got := presentation(extra); !slices.Equal(got, tt.extra) {
			t.Errorf("answer(%s %s class %d) extra = %q, want %q", tt.name, dns.TypeToString[tt.qtype], tt.class, got, tt.extra)
		}
	}
}

// presentation returns rrs in presentation format, sorted.
func presentation(rrs []dns.RR) []string {
	var s []string
	for _, rr := range rrs {
		s = append(s, rr.String())
	}
	slices.Sort(s)
	return s
}

// TestZonePacks checks that the announcement survives the wire.
func TestZonePacks(t *testing.T) {
	z := newZone("coopbox", 443, []netip.Addr{netip.MustParseAddr("10.0.0.7"), netip.MustParseAddr("192.168.4.1")})
	msg := &dns.Msg{MsgHdr: dns.MsgHdr{Response: true, Authoritative: true}, Compress: true, Answer: z.announcement()}
	buf, err := msg.Pack()
	if err != nil {
		t.Fatalf("Pack: %v", err)
	}
	var back dns.Msg
	if err := back.Unpack(buf); err != nil {
		t.Fatalf("Unpack: %v", err)
	}
	if got, want := presentation(back.Answer), presentation(z.announcement()); !slices.Equal(got, want) {
		t.Errorf("after a round trip: got %q, want %q", got, want)
	}
}
