package mdns

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
)

const (
	// mdnsPort is where multicast DNS queriers and responders listen; a
	// query from any other port is a legacy unicast query (RFC 6762 §6.7).
	mdnsPort = 5353

	// maxPacket bounds what the box reads and sends: RFC 6762 §17 caps a
	// multicast DNS message at 9000 bytes.
	maxPacket = 9000

	// legacyTTL caps the TTLs of answers to legacy unicast queries (RFC 6762
	// §6.7): such a resolver does not see the box's later announcements.
	legacyTTL = 10

	// multicastGap is how long a record waits before it is multicast again
	// on the same interface (RFC 6762 §6): every querier on the link saw the
	// previous one. It also bounds what a flood of queries can make the box
	// send.
	multicastGap = time.Second
)

// group is the IPv4 multicast DNS group and port.
var group = netip.AddrPortFrom(netip.AddrFrom4([4]byte{224, 0, 0, 251}), mdnsPort)

// link is an interface the announcer serves and the zone it answers there,
// made of that interface's own addresses only.
type link struct {
	ifi      net.Interface
	prefixes []netip.Prefix // the interface's IPv4 addresses and their subnets, sorted
	zone     *zone

	// multicast holds when each record was last multicast here, by its
	// presentation form. Only the goroutine that reads the socket uses it;
	// it holds at most the zone's few records.
	multicast map[string]time.Time
	// stopAnnouncing ends this link's unsolicited announcements, when its
	// interface goes or changes.
	stopAnnouncing context.CancelFunc
}

func newLink(ifi net.Interface, prefixes []netip.Prefix, hostname string, port int) *link {
	addrs := make([]netip.Addr, len(prefixes))
	for i, p := range prefixes {
		addrs[i] = p.Addr()
	}
	return &link{
		ifi:            ifi,
		prefixes:       prefixes,
		zone:           newZone(hostname, port, addrs),
		multicast:      map[string]time.Time{},
		stopAnnouncing: func() {},
	}
}

// packet is a message to send out of a link's interface.
type packet struct {
	to  netip.AddrPort
	buf []byte
}

// respond returns the replies to pkt, a message that arrived on l's
// interface from src for dst (the group, or the box's own address): none
// when it asks nothing the box knows, a multicast and a unicast reply at
// most. The message comes from anyone on the link and is checked as such;
// an error says why it is not a message at all.
func (l *link) respond(pkt []byte, src netip.AddrPort, dst netip.Addr, now time.Time) ([]packet, error) {
	if len(pkt) > maxPacket {
		return nil, fmt.Errorf("query from %s: %d bytes, more than %d", src, len(pkt), maxPacket)
	}
	var q dns.Msg
	if err := q.Unpack(pkt); err != nil {
		return nil, fmt.Errorf("query from %s: %w", src, err)
	}
	// Responses (other responders' answers and announcements), other
	// opcodes and non-zero response codes are silently ignored (RFC 6762
	// §18.2, §18.3, §18.11). A truncated query (TC: more known answers
	// follow) is answered at once: the box does no known-answer suppression,
	// so waiting for the rest would change nothing.
	if q.Response || q.Opcode != dns.OpcodeQuery || q.Rcode != dns.RcodeSuccess {
		return nil, nil
	}
	// A query sent straight to the box's address may come from anywhere the
	// routes reach: only the link's own subnets get an answer (RFC 6762 §11).
	direct := dst.IsValid() && !dst.IsMulticast()
	if direct && !l.onLink(src.Addr()) {
		return nil, nil
	}
	legacy := src.Port() != mdnsPort

	var unicast, multicast answerSet
	var echo []dns.Question // the answered questions, for a legacy reply
	echoed := map[string]bool{}
	for _, question := range q.Question {
		answers, extra := l.zone.answer(question)
		if len(answers) == 0 {
			continue
		}
		switch {
		case legacy:
			unicast.add(answers, extra)
			key := fmt.Sprintf("%s %d %d", strings.ToLower(question.Name), question.Qtype, question.Qclass)
			if !echoed[key] {
				echoed[key] = true
				echo = append(echo, question)
			}
		case direct || question.Qclass&unicastQuestion != 0:
			// The querier asked for a unicast reply (QU), or asked the box
			// directly (RFC 6762 §5.4, §6). Simplification: the box does not
			// also multicast records its link has not heard for a while.
			unicast.add(answers, extra)
		default:
			multicast.add(answers, extra)
		}
	}

	var out []packet
	if multicast.dueForMulticast(l.multicast, now) {
		buf, err := pack(reply(0, nil, multicast))
		if err != nil {
			return nil, fmt.Errorf("reply to %s: %w", src, err)
		}
		out = append(out, packet{to: group, buf: buf})
	}
	if len(unicast.answers) > 0 {
		var msg *dns.Msg
		if legacy {
			msg = reply(q.Id, echo, unicast.legacy())
		} else {
			msg = reply(0, nil, unicast)
		}
		buf, err := pack(msg)
		if err != nil {
			return nil, fmt.Errorf("reply to %s: %w", src, err)
		}
		out = append(out, packet{to: src, buf: buf})
	}
	return out, nil
}

// onLink reports whether a is in one of the link's subnets.
func (l *link) onLink(a netip.Addr) bool {
	for _, p := range l.prefixes {
		if p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

func reply(id uint16, questions []dns.Question, s answerSet) *dns.Msg {
	return &dns.Msg{
		MsgHdr:   dns.MsgHdr{Id: id, Response: true, Authoritative: true},
		Compress: true,
		Question: questions,
		Answer:   s.answers,
		Extra:    s.extra,
	}
}

// pack returns msg on the wire, at most maxPacket bytes of it.
func pack(msg *dns.Msg) ([]byte, error) {
	buf, err := msg.Pack()
	if err != nil {
		return nil, fmt.Errorf("pack: %w", err)
	}
	if len(buf) > maxPacket {
		return nil, fmt.Errorf("%d bytes, more than %d", len(buf), maxPacket)
	}
	return buf, nil
}

// answerSet gathers the records of one reply, each once, whatever the
// number of questions that asked for it: its size is bounded by the zone's.
type answerSet struct {
	answers, extra []dns.RR
	in             map[string]int // presentation form → inAnswers or inExtra
}

const (
	inAnswers = 1 + iota
	inExtra
)

func (s *answerSet) add(answers, extra []dns.RR) {
	if s.in == nil {
		s.in = map[string]int{}
	}
	for _, rr := range answers {
		key := rr.String()
		switch s.in[key] {
		case inAnswers:
			continue
		case inExtra: // brought along by an earlier question, asked for now
			s.extra = slices.DeleteFunc(s.extra, func(x dns.RR) bool { return x.String() == key })
		}
		s.in[key] = inAnswers
		s.answers = append(s.answers, rr)
	}
	for _, rr := range extra {
		if key := rr.String(); s.in[key] == 0 {
			s.in[key] = inExtra
			s.extra = append(s.extra, rr)
		}
	}
}

// dueForMulticast drops the records multicast on the link less than
// multicastGap ago, notes the others as sent now, and reports whether an
// answer is left to send.
func (s *answerSet) dueForMulticast(sent map[string]time.Time, now time.Time) bool {
	keep := func(rrs []dns.RR) []dns.RR {
		var kept []dns.RR
		for _, rr := range rrs {
			if last, ok := sent[rr.String()]; !ok || now.Sub(last) >= multicastGap {
				kept = append(kept, rr)
			}
		}
		return kept
	}
	s.answers, s.extra = keep(s.answers), keep(s.extra)
	if len(s.answers) == 0 {
		return false
	}
	for _, rrs := range [][]dns.RR{s.answers, s.extra} {
		for _, rr := range rrs {
			sent[rr.String()] = now
		}
	}
	return true
}

// legacy returns the set as a legacy unicast resolver must get it (RFC 6762
// §6.7): TTLs of at most legacyTTL and no cache-flush bit, which such a
// resolver would read as a class of its own.
func (s answerSet) legacy() answerSet {
	conv := func(rrs []dns.RR) []dns.RR {
		out := make([]dns.RR, len(rrs))
		for i, rr := range rrs {
			c := dns.Copy(rr)
			h := c.Header()
			h.Class &^= cacheFlush
			h.Ttl = min(h.Ttl, legacyTTL)
			out[i] = c
		}
		return out
	}
	return answerSet{answers: conv(s.answers), extra: conv(s.extra)}
}
