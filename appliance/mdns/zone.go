package mdns

import (
	"net/netip"
	"strings"

	"github.com/miekg/dns"
)

// Names and numbers of the multicast DNS side of the box (RFC 6762, RFC 6763).
const (
	serviceType = "_https._tcp.local."
	enumeration = "_services._dns-sd._udp.local." // DNS-SD service type enumeration

	// TTLs recommended by RFC 6762 §10: short for records that name a host,
	// long for the others.
	hostTTL  = 120
	otherTTL = 4500

	// cacheFlush is the top bit of a record's class: "this record replaces
	// what you cached for this name and type" (RFC 6762 §10.2). Set on the
	// records only this box owns, so that a new address replaces an old one
	// in the phones' caches.
	cacheFlush = 1 << 15
	// unicastQuestion is the top bit of a question's class: the querier
	// prefers a unicast answer (RFC 6762 §5.4).
	unicastQuestion = 1 << 15
)

// zone answers multicast DNS questions about one box on one interface: the
// A records of <host>.local., the DNS-SD service <host>._https._tcp.local.
// (PTR, SRV, TXT) and the service type enumeration. DNS names are
// case-insensitive and a phone may ask for "CoopBox.local": names are
// compared with strings.EqualFold and answered in lowercase.
type zone struct {
	host     string // "coopbox.local."
	instance string // "coopbox._https._tcp.local."
	port     uint16
	addrs    []netip.Addr // IPv4 only, of one interface
}

// newZone returns the zone of hostname (a lowercase DNS label, see
// config.CheckHostname) serving HTTPS on port at the IPv4 addresses addrs.
func newZone(hostname string, port int, addrs []netip.Addr) *zone {
	return &zone{
		host:     hostname + ".local.",
		instance: hostname + "." + serviceType,
		port:     uint16(port),
		addrs:    addrs,
	}
}

// answer returns the records that answer q, and the additional records that
// spare the phone its next queries (RFC 6763 §12: a service's SRV, TXT and
// addresses along with its PTR, the addresses along with an SRV). Both are
// nil when the box has nothing to say.
func (z *zone) answer(q dns.Question) (answers, extra []dns.RR) {
	if c := q.Qclass &^ unicastQuestion; c != dns.ClassINET && c != dns.ClassANY {
		return nil, nil
	}
	wants := func(t uint16) bool { return q.Qtype == t || q.Qtype == dns.TypeANY }
	switch {
	case sameName(q.Name, z.host):
		if wants(dns.TypeA) {
			answers = z.aRecords()
		}
	case sameName(q.Name, serviceType):
		if wants(dns.TypePTR) {
			answers = []dns.RR{z.ptr(serviceType, z.instance)}
			extra = append([]dns.RR{z.srv(), z.txt()}, z.aRecords()...)
		}
	case sameName(q.Name, z.instance):
		if wants(dns.TypeSRV) {
			answers = append(answers, z.srv())
			extra = z.aRecords()
		}
		if wants(dns.TypeTXT) {
			answers = append(answers, z.txt())
		}
	case sameName(q.Name, enumeration):
		if wants(dns.TypePTR) {
			answers = []dns.RR{z.ptr(enumeration, serviceType)}
		}
	}
	return answers, extra
}

// announcement returns the records the box announces unasked when it
// appears on an interface or its addresses there change (RFC 6762 §8.3).
func (z *zone) announcement() []dns.RR {
	return append([]dns.RR{z.ptr(serviceType, z.instance), z.srv(), z.txt()}, z.aRecords()...)
}

// sameName reports whether two domain names are equal, ignoring case and a
// trailing dot.
func sameName(a, b string) bool {
	return strings.EqualFold(strings.TrimSuffix(a, "."), strings.TrimSuffix(b, "."))
}

func (z *zone) aRecords() []dns.RR {
	rrs := make([]dns.RR, 0, len(z.addrs))
	for _, a := range z.addrs {
		rrs = append(rrs, &dns.A{
			Hdr: dns.RR_Header{Name: z.host, Rrtype: dns.TypeA, Class: dns.ClassINET | cacheFlush, Ttl: hostTTL},
			A:   a.AsSlice(),
		})
	}
	return rrs
}

func (z *zone) ptr(name, target string) dns.RR {
	return &dns.PTR{
		// Shared record: several boxes may offer the same service type, so no cache flush.
		Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: otherTTL},
		Ptr: target,
	}
}

func (z *zone) srv() dns.RR {
	return &dns.SRV{
		Hdr:    dns.RR_Header{Name: z.instance, Rrtype: dns.TypeSRV, Class: dns.ClassINET | cacheFlush, Ttl: hostTTL},
		Port:   z.port,
		Target: z.host,
	}
}

func (z *zone) txt() dns.RR {
	return &dns.TXT{
		Hdr: dns.RR_Header{Name: z.instance, Rrtype: dns.TypeTXT, Class: dns.ClassINET | cacheFlush, Ttl: otherTTL},
		Txt: []string{"path=/"},
	}
}
