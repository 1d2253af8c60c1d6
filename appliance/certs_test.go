package appliance

import (
	"net"
	"net/netip"
	"slices"
	"testing"
)

func addrOf(ip net.IP) netip.Addr {
	a, _ := netip.AddrFromSlice(ip)
	return a.Unmap()
}

func TestMachineIPs(t *testing.T) {
	ips, err := machineIPs()
	if err != nil {
		t.Fatalf("machineIPs: %v", err)
	}
	if !slices.ContainsFunc(ips, net.IP.IsLoopback) {
		t.Errorf("machineIPs = %v, want a loopback address among them", ips)
	}
	for i, ip := range ips {
		if ip.To4() == nil && ip.IsLinkLocalUnicast() {
			t.Errorf("machineIPs includes IPv6 link-local %v", ip)
		}
		if i > 0 && addrOf(ips[i-1]).Compare(addrOf(ip)) >= 0 {
			t.Errorf("machineIPs not sorted and deduplicated at %v, %v", ips[i-1], ip)
		}
	}
}
