package mdns

import (
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// testLink is an interface holding 192.168.4.1/24, as the Wi-Fi of a box.
func testLink() *link {
	return newLink(net.Interface{Index: 3, Name: "wlan0"}, []netip.Prefix{netip.MustParsePrefix("192.168.4.1/24")}, "coopbox", 443)
}

var (
	phone      = netip.MustParseAddrPort("192.168.4.20:5353")
	legacyDig  = netip.MustParseAddrPort("192.168.4.20:40000")
	boxAddr    = netip.MustParseAddr("192.168.4.1")
	groupIP    = group.Addr()
	testMoment = time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
)

func query(id uint16, questions ...dns.Question) []byte {
	msg := &dns.Msg{MsgHdr: dns.MsgHdr{Id: id}, Question: questions}
	buf, err := msg.Pack()
	if err != nil {
		panic(err)
	}
	return buf
}

func q(name string, qtype, class uint16) dns.Question {
	return dns.Question{Name: name, Qtype: qtype, Qclass: class}
}

// sent is a reply as the test reads it back.
type sent struct {
	to  netip.AddrPort
	msg dns.Msg
}

func respondT(t *testing.T, l *link, pkt []byte, src netip.AddrPort, dst netip.Addr, now time.Time) []sent {
	t.Helper()
	packets, err := l.respond(pkt, src, dst, now)
	if err != nil {
		t.Fatalf("respond: %v", err)
	}
	var out []sent
	for _, p := range packets {
		var s sent
		s.to = p.to
		if err := s.msg.Unpack(p.buf); err != nil {
			t.Fatalf("reply does not unpack: %v", err)
		}
		out = append(out, s)
	}
	return out
}

func TestRespond(t *testing.T) {
	const (
		a     = "coopbox.local.\t120\tCLASS32769\tA\t192.168.4.1"
		ptr   = "_https._tcp.local.\t4500\tIN\tPTR\tcoopbox._https._tcp.local."
		srv   = "coopbox._https._tcp.local.\t120\tCLASS32769\tSRV\t0 0 443 coopbox.local."
		txt   = "coopbox._https._tcp.local.\t4500\tCLASS32769\tTXT\t\"path=/\""
		leg   = "coopbox.local.\t10\tIN\tA\t192.168.4.1"
		qm    = dns.ClassINET
		quBit = dns.ClassINET | unicastQuestion
	)
	type reply struct {
		to            netip.AddrPort
		id            uint16
		questions     []string
		answers, more []string
	}
	tests := []struct {
		name string
		pkt  []byte
		src  netip.AddrPort
		dst  netip.Addr
		want []reply
	}{
		{"multicast question", query(0, q("CoopBox.local.", dns.TypeA, qm)), phone, groupIP,
			[]reply{{to: group, answers: []string{a}}}},
		{"unicast-response question", query(0, q("coopbox.local.", dns.TypeA, quBit)), phone, groupIP,
			[]reply{{to: phone, answers: []string{a}}}},
		{"both kinds in one query", query(0, q("coopbox.local.", dns.TypeA, quBit), q("_https._tcp.local.", dns.TypePTR, qm)), phone, groupIP,
			[]reply{{to: group, answers: []string{ptr}, more: []string{srv, txt, a}}, {to: phone, answers: []string{a}}}},
		{"legacy resolver", query(4660, q("coopbox.LOCAL.", dns.TypeA, qm), q("other.local.", dns.TypeA, qm), q("coopbox.LOCAL.", dns.TypeA, qm)), legacyDig, groupIP,
			[]reply{{to: legacyDig, id: 4660, questions: []string{";coopbox.LOCAL.\tIN\t A"}, answers: []string{leg}}}},
		{"legacy resolver, service", query(7, q("_https._tcp.local.", dns.TypePTR, qm)), legacyDig, groupIP,
			[]reply{{to: legacyDig, id: 7, questions: []string{";_https._tcp.local.\tIN\t PTR"},
				answers: []string{"_https._tcp.local.\t10\tIN\tPTR\tcoopbox._https._tcp.local."},
				more:    []string{"coopbox._https._tcp.local.\t10\tIN\tSRV\t0 0 443 coopbox.local.", "coopbox._https._tcp.local.\t10\tIN\tTXT\t\"path=/\"", leg}}}},
		{"asked straight, from the link", query(0, q("coopbox.local.", dns.TypeA, qm)), phone, boxAddr,
			[]reply{{to: phone, answers: []string{a}}}},
		{"asked straight, from elsewhere", query(0, q("coopbox.local.", dns.TypeA, qm)), netip.MustParseAddrPort("10.1.2.3:5353"), boxAddr, nil},
		{"the same question a hundred times", query(0, slices.Repeat([]dns.Question{q("coopbox.local.", dns.TypeA, qm)}, 100)...), phone, groupIP,
			[]reply{{to: group, answers: []string{a}}}},
		{"extra asked for too", query(0, q("_https._tcp.local.", dns.TypePTR, qm), q("coopbox._https._tcp.local.", dns.TypeSRV, qm)), phone, groupIP,
			[]reply{{to: group, answers: []string{ptr, srv}, more: []string{txt, a}}}},
		{"nothing the box knows", query(0, q("printer.local.", dns.TypeA, qm), q("coopbox.local.", dns.TypeAAAA, qm)), phone, groupIP, nil},
		{"no question", query(0), phone, groupIP, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := respondT(t, testLink(), tt.pkt, tt.src, tt.dst, testMoment)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d replies, want %d: %v", len(got), len(tt.want), got)
			}
			for i, w := range tt.want {
				g := got[i]
				if g.to != w.to {
					t.Errorf("reply %d to %s, want %s", i, g.to, w.to)
				}
				if !g.msg.Response || !g.msg.Authoritative || g.msg.Id != w.id {
					t.Errorf("reply %d: header %+v, want an authoritative response with ID %d", i, g.msg.MsgHdr, w.id)
				}
				var qs []string
				for _, q := range g.msg.Question {
					qs = append(qs, q.String())
				}
				if !slices.Equal(qs, w.questions) {
					t.Errorf("reply %d: questions %q, want %q", i, qs, w.questions)
				}
				if got := presentation(g.msg.Answer); !slices.Equal(got, sorted(w.answers)) {
					t.Errorf("reply %d: answers %q, want %q", i, got, sorted(w.answers))
				}
				if got := presentation(g.msg.Extra); !slices.Equal(got, sorted(w.more)) {
					t.Errorf("reply %d: additional %q, want %q", i, got, sorted(w.more))
				}
			}
		})
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// TestRespondIgnores checks that what is not a question gets no reply and
// that what is not a message is an error.
func TestRespondIgnores(t *testing.T) {
	askA := func(mod func(*dns.Msg)) []byte {
		msg := &dns.Msg{Question: []dns.Question{q("coopbox.local.", dns.TypeA, dns.ClassINET)}}
		mod(msg)
		buf, err := msg.Pack()
		if err != nil {
			t.Fatal(err)
		}
		return buf
	}
	for name, pkt := range map[string][]byte{
		"a response":        askA(func(m *dns.Msg) { m.Response = true }),
		"another opcode":    askA(func(m *dns.Msg) { m.Opcode = dns.OpcodeUpdate }),
		"a non-zero rcode":  askA(func(m *dns.Msg) { m.Rcode = dns.RcodeNameError }),
		"another responder": askA(func(m *dns.Msg) { m.Response, m.Answer = true, testLink().zone.aRecords() }),
	} {
		if got, err := testLink().respond(pkt, phone, groupIP, testMoment); err != nil || got != nil {
			t.Errorf("%s: got %d replies, %v; want none and no error", name, len(got), err)
		}
	}
	valid := query(0, q("coopbox.local.", dns.TypeA, dns.ClassINET))
	for name, pkt := range map[string][]byte{
		"empty":     nil,
		"truncated": valid[:len(valid)-3],
		"too big":   append(slices.Clone(valid), make([]byte, maxPacket)...),
	} {
		if got, err := testLink().respond(pkt, phone, groupIP, testMoment); err == nil || got != nil {
			t.Errorf("%s: got %d replies, %v; want none and an error", name, len(got), err)
		}
	}
	// A truncated query (more known answers follow) is still a question.
	tc := askA(func(m *dns.Msg) { m.Truncated = true })
	if got := respondT(t, testLink(), tc, phone, groupIP, testMoment); len(got) != 1 {
		t.Errorf("query with TC: got %d replies, want 1", len(got))
	}
}

// TestRespondMulticastOncePerSecond checks RFC 6762 §6: a record is
// multicast on an interface at most once a second, however many ask; a
// unicast reply is not held back.
func TestRespondMulticastOncePerSecond(t *testing.T) {
	l := testLink()
	askA := query(0, q("coopbox.local.", dns.TypeA, dns.ClassINET))
	askPTR := query(0, q("_https._tcp.local.", dns.TypePTR, dns.ClassINET))
	for _, step := range []struct {
		after   time.Duration
		pkt     []byte
		src     netip.AddrPort
		answers int // records in the reply, 0 for no reply
	}{
		{0, askA, phone, 1},
		{500 * time.Millisecond, askA, phone, 0},
		{500 * time.Millisecond, query(0, q("coopbox.local.", dns.TypeA, dns.ClassINET|unicastQuestion)), phone, 1},
		{500 * time.Millisecond, askPTR, phone, 1}, // another record, now
		{999 * time.Millisecond, askA, phone, 0},
		{time.Second, askA, phone, 1},
		{1400 * time.Millisecond, askPTR, phone, 0},
	} {
		got := respondT(t, l, step.pkt, step.src, groupIP, testMoment.Add(step.after))
		n := 0
		if len(got) > 0 {
			n = len(got[0].msg.Answer)
		}
		if n != step.answers {
			t.Errorf("at +%v: got %d answers, want %d", step.after, n, step.answers)
		}
	}
}

// FuzzRespond feeds the responder what anyone on the link may send: it must
// not panic, and whatever it sends is a well-formed response of at most
// maxPacket bytes, to the group or to the sender only, holding the link's
// own addresses only.
func FuzzRespond(f *testing.F) {
	f.Add(query(0, q("coopbox.local.", dns.TypeA, dns.ClassINET)), uint16(5353), false)
	f.Add(query(1, q("CoopBox.local.", dns.TypeANY, dns.ClassANY|unicastQuestion)), uint16(5353), true)
	f.Add(query(9, q("_https._tcp.local.", dns.TypePTR, dns.ClassINET), q("coopbox._https._tcp.local.", dns.TypeANY, dns.ClassINET)), uint16(4000), false)
	f.Add(query(0, q("_services._dns-sd._udp.local.", dns.TypePTR, dns.ClassINET)), uint16(5353), false)
	f.Add([]byte{0, 0, 0x84, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12}, uint16(5353), false)
	f.Fuzz(func(t *testing.T, pkt []byte, port uint16, direct bool) {
		l := newLink(net.Interface{Index: 2, Name: "eth0"},
			[]netip.Prefix{netip.MustParsePrefix("10.0.0.7/8"), netip.MustParsePrefix("192.168.4.1/24")}, "coopbox", 443)
		src := netip.AddrPortFrom(netip.MustParseAddr("192.168.4.20"), port)
		dst := groupIP
		if direct {
			dst = boxAddr
		}
		packets, err := l.respond(pkt, src, dst, testMoment)
		if err != nil && packets != nil {
			t.Fatalf("replies along with an error: %v", err)
		}
		if len(packets) > 2 {
			t.Fatalf("%d replies to one packet", len(packets))
		}
		for _, p := range packets {
			if p.to != group && p.to != src || direct && p.to != src {
				t.Fatalf("reply sent to %s", p.to)
			}
			if len(p.buf) > maxPacket {
				t.Fatalf("reply of %d bytes", len(p.buf))
			}
			var msg dns.Msg
			if err := msg.Unpack(p.buf); err != nil {
				t.Fatalf("reply does not unpack: %v", err)
			}
			if !msg.Response || len(msg.Answer) == 0 {
				t.Fatalf("reply is not a response with answers: %v", &msg)
			}
			for _, rr := range append(msg.Answer, msg.Extra...) {
				if a, ok := rr.(*dns.A); ok && !a.A.Equal(net.IPv4(10, 0, 0, 7)) && !a.A.Equal(net.IPv4(192, 168, 4, 1)) {
					t.Fatalf("reply holds an address of another link: %v", rr)
				}
			}
		}
	})
}
