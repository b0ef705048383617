package appliance

import (
	"net/netip"
	"testing"
)

// A MAC holds one bench address: moving frees the old one, an address
// taken over belongs to its new MAC only, and the old holder moving on
// later does not take it from the new one.
func TestLeaseIndexOneAddressPerMAC(t *testing.T) {
	x := leasesOf(nil)
	ip1, ip2, ip3 := netip.MustParseAddr("10.79.1.100"), netip.MustParseAddr("10.79.1.101"), netip.MustParseAddr("10.79.1.102")
	const a, b = "00:22:90:cc:00:01", "00:22:90:cc:00:02"
	at := func(ip netip.Addr) string { m, _ := x.macAt(ip); return m }
	x.bind(ip1, a)
	x.bind(ip2, a)
	if at(ip1) != "" || at(ip2) != "002290CC0001" {
		t.Fatalf("after a moved: .100 %q, .101 %q", at(ip1), at(ip2))
	}
	x.bind(ip2, b) // .101 handed to b (a's lease lost with a temporary state)
	x.bind(ip3, a) // a comes back elsewhere: b keeps .101
	if at(ip2) != "002290CC0002" || at(ip3) != "002290CC0001" {
		t.Fatalf(".101 %q, .102 %q; want b and a", at(ip2), at(ip3))
	}
	x.unbind(ip2, a) // a release naming the wrong holder changes nothing
	if at(ip2) != "002290CC0002" {
		t.Fatalf(".101 %q after another MAC's release", at(ip2))
	}
	x.unbind(ip2, b)
	x.bind(ip1, b)
	if at(ip2) != "" || at(ip1) != "002290CC0002" || at(ip3) != "002290CC0001" {
		t.Fatalf(".100 %q .101 %q .102 %q", at(ip1), at(ip2), at(ip3))
	}
}
