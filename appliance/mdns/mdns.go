// Package mdns makes the box findable as <hostname>.local: it answers
// multicast DNS (RFC 6762) for its A records and its DNS-SD HTTPS service
// (RFC 6763), and announces its addresses when they change.
package mdns

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	hmdns "github.com/hashicorp/mdns"
	"github.com/miekg/dns"
	"golang.org/x/net/ipv4"
)

// Names and numbers of the multicast DNS side of the box (RFC 6762, RFC 6763).
const (
	mdnsServiceType = "_https._tcp.local."
	mdnsEnumeration = "_services._dns-sd._udp.local." // DNS-SD service type enumeration

	// TTLs recommended by RFC 6762 §10: short for records that name a host,
	// long for the others.
	mdnsHostTTL  = 120
	mdnsOtherTTL = 4500

	// mdnsCacheFlush is the top bit of a record's class: "this record
	// replaces what you cached for this name and type" (RFC 6762 §10.2). Set
	// on the records only this box owns, so that a new address replaces an
	// old one in the phones' caches.
	mdnsCacheFlush = 1 << 15
	// mdnsUnicastQuestion is the top bit of a question's class: the querier
	// prefers a unicast answer (RFC 6762 §5.4).
	mdnsUnicastQuestion = 1 << 15

	// mdnsPoll is how often the announcer looks at the interfaces: the Wi-Fi
	// or DHCP address of the box arrives after coopbox started.
	mdnsPoll = 3 * time.Second
)

var mdnsIPv4Group = &net.UDPAddr{IP: net.IPv4(224, 0, 0, 251), Port: 5353}

// mdnsZone answers multicast DNS questions about one box: the A records of
// <host>.local., the DNS-SD service <host>._https._tcp.local. (PTR, SRV, TXT)
// and the service type enumeration. hashicorp/mdns's own MDNSService compares
// names byte for byte, but DNS names are case-insensitive and a phone may ask
// for "CoopBox.local": this zone compares them with strings.EqualFold and
// answers with lowercase names.
type mdnsZone struct {
	host     string // "coopbox.local."
	instance string // "coopbox._https._tcp.local."
	port     uint16
	addrs    []netip.Addr // IPv4 only
}

// newMDNSZone returns the zone of hostname (a lowercase DNS label, see
// config.CheckHostname) serving HTTPS on port at the IPv4 addresses addrs.
func newMDNSZone(hostname string, port int, addrs []netip.Addr) *mdnsZone {
	return &mdnsZone{
		host:     hostname + ".local.",
		instance: hostname + "." + mdnsServiceType,
		port:     uint16(port),
		addrs:    addrs,
	}
}

// Records returns the answers to q, nil when the box has none. The answers
// to a service question carry the SRV, TXT and A records as well: the
// library has no additional section, and this spares the phone two queries.
func (z *mdnsZone) Records(q dns.Question) []dns.RR {
	if c := q.Qclass &^ mdnsUnicastQuestion; c != dns.ClassINET && c != dns.ClassANY {
		return nil
	}
	wants := func(t uint16) bool { return q.Qtype == t || q.Qtype == dns.TypeANY }
	var rrs []dns.RR
	switch {
	case sameDNSName(q.Name, z.host):
		if wants(dns.TypeA) {
			rrs = append(rrs, z.aRecords()...)
		}
	case sameDNSName(q.Name, mdnsServiceType):
		if wants(dns.TypePTR) {
			rrs = append(rrs, z.ptr(mdnsServiceType, z.instance), z.srv(), z.txt())
			rrs = append(rrs, z.aRecords()...)
		}
	case sameDNSName(q.Name, z.instance):
		if wants(dns.TypeSRV) {
			rrs = append(rrs, z.srv())
		}
		if wants(dns.TypeTXT) {
			rrs = append(rrs, z.txt())
		}
		if wants(dns.TypeSRV) {
			rrs = append(rrs, z.aRecords()...)
		}
	case sameDNSName(q.Name, mdnsEnumeration):
		if wants(dns.TypePTR) {
			rrs = append(rrs, z.ptr(mdnsEnumeration, mdnsServiceType))
		}
	}
	return rrs
}

// sameDNSName reports whether two domain names are equal, ignoring case and
// a trailing dot.
func sameDNSName(a, b string) bool {
	return strings.EqualFold(strings.TrimSuffix(a, "."), strings.TrimSuffix(b, "."))
}

func (z *mdnsZone) aRecords() []dns.RR {
	rrs := make([]dns.RR, 0, len(z.addrs))
	for _, a := range z.addrs {
		rrs = append(rrs, &dns.A{
			Hdr: dns.RR_Header{Name: z.host, Rrtype: dns.TypeA, Class: dns.ClassINET | mdnsCacheFlush, Ttl: mdnsHostTTL},
			A:   a.AsSlice(),
		})
	}
	return rrs
}

func (z *mdnsZone) ptr(name, target string) dns.RR {
	return &dns.PTR{
		// Shared record: several boxes may offer the same service type, so no cache flush.
		Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: mdnsOtherTTL},
		Ptr: target,
	}
}

func (z *mdnsZone) srv() dns.RR {
	return &dns.SRV{
		Hdr:    dns.RR_Header{Name: z.instance, Rrtype: dns.TypeSRV, Class: dns.ClassINET | mdnsCacheFlush, Ttl: mdnsHostTTL},
		Port:   z.port,
		Target: z.host,
	}
}

func (z *mdnsZone) txt() dns.RR {
	return &dns.TXT{
		Hdr: dns.RR_Header{Name: z.instance, Rrtype: dns.TypeTXT, Class: dns.ClassINET | mdnsCacheFlush, Ttl: mdnsOtherTTL},
		Txt: []string{"path=/"},
	}
}

// Announcer answers multicast DNS for the box on every up,
// multicast-capable, non-loopback interface that has an IPv4 address: one
// hashicorp/mdns server per interface, each answering with that interface's
// own addresses. It polls the interfaces and restarts a server whose
// addresses changed, announcing the new addresses unasked.
//
// Known limit, on Linux: the library's sockets are bound to 0.0.0.0:5353 and
// keep the default IP_MULTICAST_ALL, so every server also receives the
// queries that arrive on the other interfaces and answers them with its own
// addresses. A box on Ethernet and Wi-Fi at once thus tells a phone both
// addresses. Only one interface (the usual case) is served exactly.
type Announcer struct {
	hostname string
	port     int
	log      *slog.Logger
	poll     time.Duration
}

// New returns the announcer of hostname serving HTTPS on port.
func New(hostname string, port int, log *slog.Logger) *Announcer {
	return &Announcer{hostname: hostname, port: port, log: log, poll: mdnsPoll}
}

// mdnsLink is an interface the announcer serves.
type mdnsLink struct {
	ifi    net.Interface
	addrs  []netip.Addr  // sorted IPv4 addresses
	server *hmdns.Server // nil when listening failed: retried when the addresses change
}

// Run serves until ctx is done, then closes every server and returns nil.
// Trouble with one interface is logged and does not stop the others.
func (a *Announcer) Run(ctx context.Context) error {
	var announcing sync.WaitGroup
	links := map[string]*mdnsLink{}
	defer func() {
		for _, l := range links {
			l.close()
		}
		announcing.Wait()
	}()
	// The library logs a line per query it cannot handle (truncated known-answer
	// lists from Apple devices, for one): debug level, or a busy venue floods the log.
	libLog := slog.NewLogLogger(a.log.Handler(), slog.LevelDebug)

	tick := time.NewTicker(a.poll)
	defer tick.Stop()
	for {
		a.update(ctx, links, libLog, &announcing)
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// update makes links match the interfaces of the moment.
func (a *Announcer) update(ctx context.Context, links map[string]*mdnsLink, libLog *log.Logger, announcing *sync.WaitGroup) {
	current, err := mdnsInterfaces()
	if err != nil {
		a.log.Warn("mdns: list interfaces", "err", err)
		return
	}
	for name, l := range links {
		if c, ok := current[name]; !ok || c.ifi.Index != l.ifi.Index || !slices.Equal(c.addrs, l.addrs) {
			l.close()
			delete(links, name)
			a.log.Info("mdns: interface gone or changed", "interface", name)
		}
	}
	for name, l := range current {
		if links[name] != nil {
			continue
		}
		links[name] = l
		zone := newMDNSZone(a.hostname, a.port, l.addrs)
		l.server, err = hmdns.NewServer(&hmdns.Config{Zone: zone, Iface: &l.ifi, Logger: libLog})
		if err != nil {
			a.log.Warn("mdns: listen", "interface", name, "err", err)
			continue
		}
		a.log.Info("mdns: announcing", "interface", name, "name", zone.host, "addrs", l.addrs)
		announcing.Go(func() { a.announce(ctx, &l.ifi, zone) })
	}
}

func (l *mdnsLink) close() {
	if l.server != nil {
		l.server.Shutdown()
	}
}

// mdnsInterfaces returns the interfaces to serve, by name.
func mdnsInterfaces() (map[string]*mdnsLink, error) {
	ifis, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	links := map[string]*mdnsLink{}
	for _, ifi := range ifis {
		if ifi.Flags&net.FlagUp == 0 || ifi.Flags&net.FlagMulticast == 0 || ifi.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := ifi.Addrs()
		if err != nil {
			return nil, fmt.Errorf("addresses of %s: %w", ifi.Name, err)
		}
		var v4 []netip.Addr
		for _, addr := range addrs {
			ipnet, ok := addr.(*net.IPNet)
			if !ok {
				continue
			}
			if ip, ok := netip.AddrFromSlice(ipnet.IP.To4()); ok {
				v4 = append(v4, ip)
			}
		}
		if len(v4) == 0 {
			continue
		}
		slices.SortFunc(v4, netip.Addr.Compare)
		links[ifi.Name] = &mdnsLink{ifi: ifi, addrs: v4}
	}
	return links, nil
}

// announce sends the box's A records unasked on ifi, twice one second
// apart (RFC 6762 §8.3), so that phones that cached an old address of the
// box replace it (the records carry the cache-flush bit). hashicorp/mdns
// only answers questions, so this uses a socket of its own.
func (a *Announcer) announce(ctx context.Context, ifi *net.Interface, zone *mdnsZone) {
	msg := &dns.Msg{
		MsgHdr: dns.MsgHdr{Response: true, Authoritative: true},
		Answer: zone.aRecords(),
	}
	buf, err := msg.Pack()
	if err != nil {
		a.log.Warn("mdns: pack announcement", "err", err)
		return
	}
	for i := range 2 {
		if i > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
		if err := sendMulticast(ifi, buf); err != nil {
			a.log.Warn("mdns: announce", "interface", ifi.Name, "err", err)
			return
		}
	}
}

// sendMulticast sends one packet to the mDNS group out of ifi. Responses must
// come from port 5353 (RFC 6762 §11): ListenMulticastUDP gives a socket bound
// there that shares the port with the servers', with ifi as its outgoing
// multicast interface.
func sendMulticast(ifi *net.Interface, buf []byte) error {
	c, err := net.ListenMulticastUDP("udp4", ifi, mdnsIPv4Group)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := ipv4.NewPacketConn(c).SetMulticastTTL(255); err != nil {
		return err
	}
	_, err = c.WriteToUDP(buf, mdnsIPv4Group)
	return err
}
