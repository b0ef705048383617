package registrar

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/phoneflash/phoneflash/appliance/nettest"
	"github.com/phoneflash/phoneflash/appliance/sipwatch"
	"github.com/phoneflash/phoneflash/internal/logtest"
	"github.com/phoneflash/phoneflash/internal/servicetest"
	"github.com/phoneflash/phoneflash/internal/siptest"
)

// TestIntegrationBenchPort: the registrar on a bench port's address in the
// appliance's namespace, a phone without an account in its own: its
// REGISTER (no credentials) over UDP and TCP is accepted and reported, and
// the SIP watcher on the same port sees it registered with the bench.
func TestIntegrationBenchPort(t *testing.T) {
	nettest.RequireRoot(t)
	id := nettest.Unique("pfs")
	appNS, phoneNS := nettest.NS(t, id+"a"), nettest.NS(t, id+"p")
	benchIf := id + "b"
	nettest.Veth(t, appNS, benchIf, phoneNS, id+"ph")
	nettest.Addr(t, appNS, benchIf, "10.79.1.1/24")
	nettest.Addr(t, phoneNS, id+"ph", "10.79.1.100/24")
	s := &server{}
	r, err := New(Options{Port: benchIf, Log: logtest.New(t, slog.LevelWarn), OnRegister: func(reg Registration) {
		s.mu.Lock()
		s.regs = append(s.regs, reg)
		s.mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	var udp net.PacketConn
	var tcp net.Listener
	var watch *sipwatch.Conn
	err = nettest.Do(appNS, func() (err error) {
		if udp, err = net.ListenPacket("udp4", "10.79.1.1:5060"); err != nil {
			return err
		}
		if tcp, err = net.Listen("tcp4", "10.79.1.1:5060"); err != nil {
			return err
		}
		watch, err = sipwatch.Listen(benchIf, sipwatch.DefaultPorts)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	events := make(chan sipwatch.Event, 16)
	w := sipwatch.New(sipwatch.Options{Port: benchIf, OnEvent: func(e sipwatch.Event) {
		if e.Kind != sipwatch.EventRegister {
			events <- e
		}
	}})
	t.Cleanup(func() { watch.Close() }) // after both have stopped
	servicetest.Start(t, func(ctx context.Context) error { return r.Serve(ctx, udp, tcp) })
	servicetest.Start(t, func(ctx context.Context) error { return w.Serve(ctx, watch) })
	for _, tr := range []string{"udp", "tcp"} {
		res, _, err := siptest.Do(siptest.Request{NS: phoneNS, Transport: tr, To: netip.MustParseAddrPort("10.79.1.1:5060"),
			Local: "10.79.1.100", User: "0001", Headers: []string{siptest.Contact("0001", "10.79.1.100", tr)}})
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("%s: %v %v", tr, res, err)
		}
		select {
		case e := <-events:
			if e.Kind != sipwatch.EventRegistered || e.PBX != netip.MustParseAddrPort("10.79.1.1:5060") || e.Extension != "0001" {
				t.Errorf("%s: watcher saw %s", tr, e.Text())
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: the watcher saw no answer", tr)
		}
	}
	// Each is reported after its answer, so the order may differ.
	regs := s.waitRegistrations(2)
	transports := map[string]bool{}
	for _, reg := range regs {
		transports[reg.Transport] = reg.Source.Addr() == netip.MustParseAddr("10.79.1.100")
	}
	if len(regs) != 2 || !transports["UDP"] || !transports["TCP"] {
		t.Errorf("registrations %+v, want one over UDP and one over TCP from 10.79.1.100", regs)
	}
}
