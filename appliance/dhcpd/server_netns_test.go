package dhcpd

import (
	"errors"
	"net"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/phoneflash/phoneflash/appliance/nettest"
	"github.com/phoneflash/phoneflash/internal/servicetest"
)

// TestIntegrationServer runs a Server on sockets opened inside a namespace
// and talks to it from another one across a veth pair.
func TestIntegrationServer(t *testing.T) {
	nettest.RequireRoot(t)
	id := nettest.Unique("pfn")
	srvNS, cliNS := nettest.NS(t, id+"-ds"), nettest.NS(t, id+"-dc")
	port, cli := id+"s", id+"c"
	nettest.Veth(t, srvNS, port, cliNS, cli)
	nettest.Addr(t, srvNS, port, "10.79.1.1/24")

	var conn, cconn net.PacketConn
	err := nettest.Do(srvNS, func() error {
		var err error
		if conn, err = ListenServer(port); err != nil {
			return err
		}
		// No SO_REUSEPORT: a second server on the same port cannot bind.
		if c2, err := ListenServer(port); !errors.Is(err, syscall.EADDRINUSE) {
			if c2 != nil {
				c2.Close()
			}
			return errors.New("a second server bound the same port")
		}
		if _, err := ListenServer(id + "nope"); !errors.Is(err, syscall.ENODEV) {
			return errors.New("missing interface is not ENODEV")
		}
		cconn, err = ListenClient(port)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := testCfg
	cfg.Port = port
	events := make(chan Event, 100)
	s, err := New(Options{Config: cfg, StateDir: t.TempDir(), Conn: conn, ClientConn: cconn,
		OnEvent: func(ev Event) { events <- ev }})
	if err != nil {
		t.Fatal(err)
	}
	servicetest.Start(t, s.Run)

	client, err := nettest.ListenUDP(cliNS, cli, 68)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	mac := net.HardwareAddr{0x00, 0x1b, 0xd4, 0x79, 0x11, 0x02}
	exchange := func(pkt []byte) *dhcpv4.DHCPv4 {
		t.Helper()
		b, err := nettest.Broadcast(client, 67, pkt, 3*time.Second)
		if err != nil {
			t.Fatalf("no reply: %v", err)
		}
		m, err := dhcpv4.FromBytes(b)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	offer := exchange(nettest.CiscoDiscover(mac, 1, "CP-7911G"))
	if offer.MessageType() != dhcpv4.MessageTypeOffer || addrOf(offer.YourIPAddr) != first {
		t.Fatalf("reply %s, want an OFFER of %s", offer.Summary(), first)
	}
	ack := exchange(request(t, mac, first, our).ToBytes())
	if ack.MessageType() != dhcpv4.MessageTypeAck {
		t.Fatalf("reply %s, want an ACK", ack.Summary())
	}
	if got, ok := s.LeaseByIP(first); !ok || got.String() != mac.String() {
		t.Errorf("LeaseByIP = %v %v, want %s", got, ok, mac)
	}
	var vc string
	for len(events) > 0 {
		if ev := <-events; ev.Kind == EventOffer {
			vc = ev.VendorClass
		}
	}
	if vc != "Cisco Systems, Inc. IP Phone CP-7911G" {
		t.Errorf("vendor class %q, want the 7911's without its NUL", vc)
	}

	// Another server's broadcast OFFER on the port is reported.
	fake, err := nettest.ListenUDP(cliNS, cli, 67)
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	rogue := message(t, dhcpv4.MessageTypeOffer, mac, dhcpv4.WithOption(dhcpv4.OptServerIdentifier(net.IPv4(10, 79, 1, 66))))
	rogue.OpCode = dhcpv4.OpcodeBootReply
	if _, err := fake.WriteTo(rogue.ToBytes(), &net.UDPAddr{IP: net.IPv4bcast, Port: 68}); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(3 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.Kind != EventRogueServer {
				continue
			}
			if ev.Server != netip.MustParseAddr("10.79.1.66") || ev.RogueText() != "another DHCP server at 10.79.1.66 on "+port {
				t.Errorf("rogue event %+v", ev)
			}
			if st := s.Status(); len(st.Rogue) != 1 || !st.Listening || st.Leases != 1 {
				t.Errorf("status %+v, want listening, one lease, one rogue", st)
			}
			return
		case <-deadline:
			t.Fatal("another server's OFFER was not reported")
		}
	}
}
