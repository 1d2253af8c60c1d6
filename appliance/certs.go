package appliance

import (
	"fmt"
	"net"

	"github.com/coopbox/coopbox/appliance/certs"
)

// The machine's addresses: the box gives them to certs.Refresh, which the
// leaf certificate must cover, and shows them on the landing page and the
// HDMI screen.

// machineIPs returns every current address of the machine's interfaces that
// are up (IPv4 and IPv6, loopback included, IPv6 link-local excluded),
// sorted, deduplicated. IPv6 link-local addresses need a zone (fe80::1%wlan0)
// that a certificate cannot carry and browsers do not accept in URLs.
func machineIPs() ([]net.IP, error) {
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("list network interfaces: %w", err)
	}
	var ips []net.IP
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			// The interface went away since net.Interfaces (a USB Wi-Fi
			// stick pulled out): it has no addresses to certify.
			continue
		}
		for _, a := range addrs {
			switch a := a.(type) {
			case *net.IPNet:
				ips = append(ips, a.IP)
			case *net.IPAddr:
				ips = append(ips, a.IP)
			}
		}
	}
	var out []net.IP
	for _, a := range certs.SortedAddrs(ips) {
		if a.Is6() && a.IsLinkLocalUnicast() {
			continue
		}
		out = append(out, net.IP(a.AsSlice()))
	}
	return out, nil
}
