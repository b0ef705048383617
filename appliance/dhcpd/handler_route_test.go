package dhcpd

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/phoneflash/phoneflash/appliance/nettest"
)

// On a routed bench the OFFER and the ACK name our address as router
// (option 3) and the uplink's IPv4 resolvers as they are at that reply
// (option 6); without routing neither option is sent, whatever DNS says.
func TestRoutedBenchGetsRouterAndResolvers(t *testing.T) {
	resolvers := []netip.Addr{netip.MustParseAddr("192.0.2.53"), netip.MustParseAddr("2001:db8::53"),
		netip.MustParseAddr("10.79.1.1"), netip.MustParseAddr("::ffff:198.51.100.53")}
	asked := 0
	dns := func() []netip.Addr { asked++; return resolvers }
	opts := func(r *dhcpv4.DHCPv4) [2][]byte {
		if r == nil {
			t.Fatal("no reply")
		}
		return [2][]byte{r.GetOneOption(dhcpv4.OptionRouter), r.GetOneOption(dhcpv4.OptionDomainNameServer)}
	}
	for _, tc := range []struct {
		name      string
		router    bool
		change    []netip.Addr // resolvers before the REQUEST
		offer     [2][]byte
		ack       [2][]byte
		wantAsked bool
	}{
		{"routed", true, nil,
			[2][]byte{{10, 79, 1, 1}, {192, 0, 2, 53, 198, 51, 100, 53}},
			[2][]byte{{10, 79, 1, 1}, {192, 0, 2, 53, 198, 51, 100, 53}}, true},
		{"resolvers change between OFFER and ACK", true, []netip.Addr{netip.MustParseAddr("203.0.113.1")},
			[2][]byte{{10, 79, 1, 1}, {192, 0, 2, 53, 198, 51, 100, 53}},
			[2][]byte{{10, 79, 1, 1}, {203, 0, 113, 1}}, true},
		{"uplink without resolvers yet", true, []netip.Addr{},
			[2][]byte{{10, 79, 1, 1}, {192, 0, 2, 53, 198, 51, 100, 53}},
			[2][]byte{{10, 79, 1, 1}, nil}, true},
		{"not routed", false, nil, [2][]byte{nil, nil}, [2][]byte{nil, nil}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resolvers = []netip.Addr{netip.MustParseAddr("192.0.2.53"), netip.MustParseAddr("2001:db8::53"),
				netip.MustParseAddr("10.79.1.1"), netip.MustParseAddr("::ffff:198.51.100.53")}
			asked = 0
			cfg := testCfg
			cfg.Router, cfg.DNS = tc.router, dns
			h := newHandler(t, cfg)
			offer, _ := h.Handle(mustParse(t, nettest.CiscoDiscover(phone1, 7, "CP-7911G")), t0)
			if diff := cmp.Diff(tc.offer, opts(offer)); diff != "" {
				t.Errorf("OFFER options 3 and 6 (-want +got):\n%s", diff)
			}
			if tc.change != nil {
				resolvers = tc.change
			}
			ack, _ := h.Handle(request(t, phone1, first, our), t0)
			if diff := cmp.Diff(tc.ack, opts(ack)); diff != "" {
				t.Errorf("ACK options 3 and 6 (-want +got):\n%s", diff)
			}
			if (asked > 0) != tc.wantAsked {
				t.Errorf("DNS asked %d times, want asked: %v", asked, tc.wantAsked)
			}
		})
	}
}
