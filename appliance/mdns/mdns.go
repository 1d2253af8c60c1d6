// Package mdns makes the box findable as <hostname>.local on every network it
// is on: it answers multicast DNS (RFC 6762) for its A records and its DNS-SD
// HTTPS service (RFC 6763), and announces its addresses when they change.
//
// A box may be on two networks at once (Ethernet and Wi-Fi): each network
// must hear of the box's addresses on that network only, since a phone on
// the Wi-Fi cannot reach the Ethernet address. So the announcer reads every
// query from one socket together with the interface it arrived on (IP_PKTINFO)
// and answers it, out of that same interface, with that interface's
// addresses. (A socket per interface would not do on Linux: a socket bound to
// 0.0.0.0:5353 receives the group's packets of every interface any socket
// joined it on, IP_MULTICAST_ALL.)
package mdns

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/net/ipv4"
)

// poll is how often the announcer looks at the interfaces: the Wi-Fi or DHCP
// address of the box arrives after coopbox started.
const poll = 3 * time.Second

// Announcer answers multicast DNS for the box on every up, multicast-capable,
// non-loopback interface that has an IPv4 address, each with its own
// addresses.
type Announcer struct {
	hostname string
	port     int
	log      *slog.Logger
	poll     time.Duration
}

// New returns the announcer of hostname (a lowercase DNS label, see
// config.CheckHostname) serving HTTPS on port.
func New(hostname string, port int, log *slog.Logger) *Announcer {
	return &Announcer{hostname: hostname, port: port, log: log, poll: poll}
}

// links is the announcer's view of the interfaces, by index. A map once
// stored is never changed: the poller stores a new one.
type links = map[int]*link

// Run serves until ctx is done, then returns nil; it returns an error when
// it cannot listen at all. Trouble with one interface is logged and does not
// stop the others.
func (a *Announcer) Run(ctx context.Context) error {
	conn, err := listen(ctx)
	if err != nil {
		return err
	}
	var current atomic.Pointer[links]
	current.Store(&links{})

	var wg sync.WaitGroup
	defer wg.Wait()
	defer conn.Close() // ends serve
	wg.Go(func() { a.serve(conn, &current) })

	tick := time.NewTicker(a.poll)
	defer tick.Stop()
	for {
		a.update(ctx, conn, &current, &wg)
		select {
		case <-ctx.Done():
			for _, l := range *current.Load() {
				l.stopAnnouncing()
			}
			return nil
		case <-tick.C:
		}
	}
}

// listen opens the announcer's one socket: 0.0.0.0:5353, which receives both
// the group's queries (once joined) and the ones sent to the box's own
// addresses, with the arrival interface and destination of each packet.
// SO_REUSEADDR lets another responder on the machine share the port.
func listen(ctx context.Context) (*ipv4.PacketConn, error) {
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		if err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
		}); err != nil {
			return err
		}
		return serr
	}}
	c, err := lc.ListenPacket(ctx, "udp4", fmt.Sprintf("0.0.0.0:%d", mdnsPort))
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	conn := ipv4.NewPacketConn(c)
	// Every reply goes out with IP TTL 255, so that receivers can tell it
	// came from their own link (RFC 6762 §11); the box does not need its own
	// multicast back.
	for _, set := range []func() error{
		func() error { return conn.SetControlMessage(ipv4.FlagInterface|ipv4.FlagDst, true) },
		func() error { return conn.SetMulticastTTL(255) },
		func() error { return conn.SetTTL(255) },
		func() error { return conn.SetMulticastLoopback(false) },
	} {
		if err := set(); err != nil {
			c.Close()
			return nil, fmt.Errorf("socket options: %w", err)
		}
	}
	return conn, nil
}

// serve answers the packets that arrive on conn until it is closed. Each is
// answered out of the interface it came in on, from that interface's zone;
// a packet from an interface the announcer does not serve is dropped.
func (a *Announcer) serve(conn *ipv4.PacketConn, current *atomic.Pointer[links]) {
	buf := make([]byte, maxPacket)
	for {
		n, cm, from, err := conn.ReadFrom(buf)
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			a.log.Debug("mdns: read", "err", err)
			continue
		}
		src, ok := from.(*net.UDPAddr)
		if cm == nil || !ok {
			continue
		}
		l := (*current.Load())[cm.IfIndex]
		if l == nil {
			continue
		}
		var dst netip.Addr
		if d, ok := netip.AddrFromSlice(cm.Dst.To4()); ok {
			dst = d
		}
		srcAP := src.AddrPort()
		replies, err := l.respond(buf[:n], netip.AddrPortFrom(srcAP.Addr().Unmap(), srcAP.Port()), dst, time.Now())
		if err != nil {
			// Debug level: phones send things the box cannot parse, and a busy
			// venue would flood the log.
			a.log.Debug("mdns: bad packet", "interface", l.ifi.Name, "err", err)
			continue
		}
		for _, p := range replies {
			if err := send(conn, l, p); err != nil {
				a.log.Debug("mdns: reply", "interface", l.ifi.Name, "to", p.to, "err", err)
			}
		}
	}
}

// send writes p out of l's interface, whatever the routes say.
func send(conn *ipv4.PacketConn, l *link, p packet) error {
	_, err := conn.WriteTo(p.buf, &ipv4.ControlMessage{IfIndex: l.ifi.Index}, net.UDPAddrFromAddrPort(p.to))
	return err
}

// update makes the served links match the interfaces of the moment: it joins
// the group on a new interface, and announces the box on every interface that
// is new or whose addresses changed.
func (a *Announcer) update(ctx context.Context, conn *ipv4.PacketConn, current *atomic.Pointer[links], wg *sync.WaitGroup) {
	found, err := interfaces(a.hostname, a.port)
	if err != nil {
		a.log.Warn("mdns: list interfaces", "err", err)
		return
	}
	old := *current.Load()
	next := links{}
	groupAddr := &net.UDPAddr{IP: group.Addr().AsSlice()}
	for index, l := range found {
		o := old[index]
		if o != nil && o.ifi.Name == l.ifi.Name && slices.Equal(o.prefixes, l.prefixes) {
			next[index] = o
			continue
		}
		if o == nil || o.ifi.Name != l.ifi.Name {
			// Leave first: an interface that went down and came back may
			// still hold the membership, and joining twice fails.
			_ = conn.LeaveGroup(&l.ifi, groupAddr)
			if err := conn.JoinGroup(&l.ifi, groupAddr); err != nil {
				a.log.Warn("mdns: join group", "interface", l.ifi.Name, "err", err)
				continue // tried again at the next poll
			}
		} else {
			o.stopAnnouncing()
		}
		next[index] = l
		a.log.Info("mdns: announcing", "interface", l.ifi.Name, "name", l.zone.host, "addrs", l.zone.addrs)
		actx, stop := context.WithCancel(ctx)
		l.stopAnnouncing = stop
		wg.Go(func() { a.announce(actx, conn, l) })
	}
	for index, o := range old {
		if next[index] == nil {
			o.stopAnnouncing()
			_ = conn.LeaveGroup(&o.ifi, groupAddr) // fails when the interface is gone, which is fine
			a.log.Info("mdns: interface gone", "interface", o.ifi.Name)
		}
	}
	current.Store(&next)
}

// interfaces returns the interfaces to serve, by index.
func interfaces(hostname string, port int) (links, error) {
	ifis, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("list interfaces: %w", err)
	}
	found := links{}
	for _, ifi := range ifis {
		if ifi.Flags&net.FlagUp == 0 || ifi.Flags&net.FlagMulticast == 0 || ifi.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := ifi.Addrs()
		if err != nil {
			return nil, fmt.Errorf("addresses of %s: %w", ifi.Name, err)
		}
		var v4 []netip.Prefix
		for _, addr := range addrs {
			ipnet, ok := addr.(*net.IPNet)
			if !ok {
				continue
			}
			ip, ok := netip.AddrFromSlice(ipnet.IP.To4())
			ones, bits := ipnet.Mask.Size()
			if !ok || bits != 32 {
				continue
			}
			v4 = append(v4, netip.PrefixFrom(ip, ones))
		}
		if len(v4) == 0 {
			continue
		}
		slices.SortFunc(v4, func(a, b netip.Prefix) int { return a.Addr().Compare(b.Addr()) })
		found[ifi.Index] = newLink(ifi, v4, hostname, port)
	}
	return found, nil
}

// announce sends the box's records unasked out of l's interface, twice one
// second apart (RFC 6762 §8.3), so that phones that cached an old address of
// the box replace it (the records carry the cache-flush bit).
func (a *Announcer) announce(ctx context.Context, conn *ipv4.PacketConn, l *link) {
	msg := &dns.Msg{
		MsgHdr:   dns.MsgHdr{Response: true, Authoritative: true},
		Compress: true,
		Answer:   l.zone.announcement(),
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
		if err := send(conn, l, packet{to: group, buf: buf}); err != nil {
			a.log.Warn("mdns: announce", "interface", l.ifi.Name, "err", err)
			return
		}
	}
}
