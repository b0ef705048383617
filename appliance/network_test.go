package appliance

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/phoneflash/phoneflash/appliance/netconf"
	"github.com/phoneflash/phoneflash/appliance/nettest"
	"github.com/phoneflash/phoneflash/appliance/tftpd"
)

// loopTFTP is a port's TFTP server on a fixed loopback address, opening
// its socket each time it starts, bound to the interface *ifname names ("":
// none; a missing interface is ENODEV, as on a bench port that vanished).
type loopTFTP struct {
	addr   netip.AddrPort
	mu     sync.Mutex
	ifname string
	opens  atomic.Int32
}

func (l *loopTFTP) server() portServer {
	srv := tftpd.New(tftpd.Options{Resolver: func(context.Context, tftpd.Request) (tftpd.Content, error) {
		return tftpd.Bytes([]byte("hello")), nil
	}})
	return portServer{name: "tftp", run: func(ctx context.Context) error {
		l.mu.Lock()
		ifname := l.ifname
		l.mu.Unlock()
		conn, err := tftpd.Listen(ctx, ifname, l.addr)
		if err != nil {
			return err
		}
		l.opens.Add(1)
		return srv.Serve(ctx, conn)
	}}
}

// served sends an RRQ and says whether DATA came back (from the
// transfer's own port, as TFTP does).
func (l *loopTFTP) served(t *testing.T) bool {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.WriteTo([]byte("\x00\x01x\x00octet\x00"), net.UDPAddrFromAddrPort(l.addr)); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 516)
	n, from, err := c.ReadFrom(buf)
	if err != nil || n < 4 || buf[1] != 3 {
		return false
	}
	c.WriteTo([]byte{0, 4, buf[2], buf[3]}, from)
	return true
}

// closed says whether nothing listens on the server's address: it can be
// bound (and is let go at once). Nothing is sent, so no transfer is left
// for a stopping server to wait for.
func (l *loopTFTP) closed() bool {
	c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(l.addr))
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func freeUDP(t *testing.T) netip.AddrPort {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).AddrPort()
}

// TestPortServersFollowTheInterface: a port's servers run exactly while
// netconf reports its interface: they start when it appears, stop when it
// vanishes, start over when it is replaced (a new index), wait for the
// next appearance when the interface is gone before they could open their
// sockets, and end the appliance on any other failure.
func TestPortServersFollowTheInterface(t *testing.T) {
	name := nettest.Unique("pfw")
	l := &loopTFTP{addr: freeUDP(t)}
	bp := &benchPort{Port: Port{Name: name}, log: discard(), changed: make(chan struct{}, 1),
		servers: []portServer{l.server()}}
	var links []netconf.EventKind
	n := &network{ports: []*benchPort{bp}}
	link := func(kind netconf.EventKind, index int) {
		n.onLink(netconf.Event{Kind: kind, Port: name, Index: index})
		links = append(links, kind)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- bp.run(ctx) }()
	want := func(what, state string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for state == "served" && !l.served(t) || state == "closed" && !l.closed() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: TFTP not %s (events %v)", what, state, links)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	want("before the interface appears", "closed")
	link(netconf.EventAppear, 4)
	want("interface appeared", "served")
	link(netconf.EventUp, 4) // other link events leave the servers alone
	link(netconf.EventVanish, 4)
	want("interface vanished", "closed")
	link(netconf.EventAppear, 5)
	want("interface back", "served")
	link(netconf.EventAppear, 6) // replaced under the same name
	waitFor(t, func() bool { return l.opens.Load() == 3 })
	want("interface replaced", "served")
	if got := l.opens.Load(); got != 3 {
		t.Errorf("servers started %d times, want 3", got)
	}

	// Gone again before the servers could bind: they wait for the next
	// appearance instead of failing the appliance or retrying in a loop.
	l.mu.Lock()
	l.ifname = name // no such interface: ENODEV
	l.mu.Unlock()
	link(netconf.EventVanish, 6)
	link(netconf.EventAppear, 7)
	want("interface gone before its servers bound", "closed")
	l.mu.Lock()
	l.ifname = ""
	l.mu.Unlock()
	link(netconf.EventAppear, 8)
	want("interface appeared again", "served")
	select {
	case err := <-done:
		t.Fatalf("port supervisor stopped: %v", err)
	default:
	}

	// Another failure (the address taken by someone else) ends it.
	link(netconf.EventVanish, 8)
	want("vanished", "closed")
	squat, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(l.addr))
	if err != nil {
		t.Fatal(err)
	}
	defer squat.Close()
	link(netconf.EventAppear, 9)
	select {
	case err := <-done:
		if !errors.Is(err, syscall.EADDRINUSE) {
			t.Errorf("port supervisor = %v, want EADDRINUSE", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a server that cannot bind its address does not end the appliance")
	}
}
