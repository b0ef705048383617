package netconf

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/phoneflash/phoneflash/appliance/nettest"
	"github.com/phoneflash/phoneflash/internal/servicetest"
)

// bench creates a namespace with a veth pair (port and its far end, both
// down) and an "uplink" veth with an address of its own.
func bench(t *testing.T) (ns, id string, h *netlink.Handle) {
	t.Helper()
	nettest.RequireRoot(t)
	id = nettest.Unique("pfn")
	ns = nettest.NS(t, id+"-nc")
	nettest.Must(t, ns, "ip", "link", "add", id+"b0", "type", "veth", "peer", "name", id+"f0")
	nettest.Must(t, ns, "ip", "link", "add", id+"up", "type", "veth", "peer", "name", id+"uq")
	nettest.Addr(t, ns, id+"up", "192.0.2.7/24")
	nsh := nettest.Handle(t, ns)
	h, err := netlink.NewHandleAt(nsh)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return ns, id, h
}

func snapshot(t *testing.T, ns string) string {
	t.Helper()
	return nettest.Must(t, ns, "ip", "-o", "addr", "show") + nettest.Must(t, ns, "ip", "-o", "link", "show")
}

func TestIntegrationApplyIsIdempotent(t *testing.T) {
	ns, id, h := bench(t)
	before := snapshot(t, ns)
	ports := []Port{{Name: id + "b0", Addr: netip.MustParsePrefix("10.79.1.1/24")}, {Name: id + "zz", Addr: netip.MustParsePrefix("10.79.2.1/24")}}
	if err := Apply(context.Background(), h, ports); err != nil {
		t.Fatal(err)
	}
	once := snapshot(t, ns)
	if once == before {
		t.Fatal("first Apply changed nothing")
	}
	out := nettest.Must(t, ns, "ip", "-o", "addr", "show", "dev", id+"b0")
	if !strings.Contains(out, "inet 10.79.1.1/24") {
		t.Errorf("bench port addresses: %s; want 10.79.1.1/24", out)
	}
	if link := nettest.Must(t, ns, "ip", "-o", "link", "show", id+"b0"); !strings.Contains(link, ",UP") {
		t.Errorf("bench port not up: %s", link)
	}
	if err := Apply(context.Background(), h, ports); err != nil {
		t.Fatal(err)
	}
	if twice := snapshot(t, ns); twice != once {
		t.Errorf("second Apply changed something:\nafter one:\n%s\nafter two:\n%s", once, twice)
	}
	up := nettest.Must(t, ns, "ip", "-o", "addr", "show", "dev", id+"up")
	if strings.Contains(up, "10.79.") || !strings.Contains(up, "192.0.2.7/24") {
		t.Errorf("uplink touched: %s", up)
	}
	if link := nettest.Must(t, ns, "ip", "-o", "link", "show", id+"up"); strings.Contains(link, ",UP") {
		t.Errorf("uplink brought up: %s", link)
	}
}

func TestIntegrationWatcher(t *testing.T) {
	ns, id, h := bench(t)
	nsh := nettest.Handle(t, ns)
	events := make(chan Event, 100)
	w := &Watcher{
		Ports: []Port{
			{Name: id + "b0", Addr: netip.MustParsePrefix("10.79.1.1/24")},
			{Name: id + "b1", Addr: netip.MustParsePrefix("10.79.2.1/24")}, // plugged in later
		},
		Handle: h, NS: &nsh, OnEvent: func(ev Event) { events <- ev },
	}
	servicetest.Start(t, w.Run)
	expect := func(what string, want ...Event) {
		t.Helper()
		deadline := time.After(5 * time.Second)
		for _, ev := range want {
			for {
				select {
				case got := <-events:
					if got.Kind == EventError {
						t.Fatalf("error event: %v", got.Err)
					}
					if got.Kind != ev.Kind || got.Port != ev.Port {
						continue
					}
				case <-deadline:
					t.Fatalf("%s: no %s event for %s", what, ev.Kind, ev.Port)
				}
				break
			}
		}
	}
	b0, b1 := id+"b0", id+"b1"
	expect("start", Event{Kind: EventAppear, Port: b0}, Event{Kind: EventUp, Port: b0})
	nettest.Must(t, ns, "ip", "link", "set", id+"f0", "up")
	expect("far end up", Event{Kind: EventCarrierOn, Port: b0})

	// A NIC plugged in after start is configured when it appears.
	nettest.Must(t, ns, "ip", "link", "add", b1, "type", "veth", "peer", "name", id+"f1")
	expect("plug in", Event{Kind: EventAppear, Port: b1}, Event{Kind: EventConfigured, Port: b1})
	if out := nettest.Must(t, ns, "ip", "-o", "addr", "show", "dev", b1); !strings.Contains(out, "inet 10.79.2.1/24") {
		t.Errorf("late port addresses: %s", out)
	}
	nettest.Must(t, ns, "ip", "link", "set", b0, "down")
	expect("set down by hand", Event{Kind: EventDown, Port: b0}, Event{Kind: EventUp, Port: b0})
	nettest.Must(t, ns, "ip", "link", "del", b1)
	expect("unplug", Event{Kind: EventVanish, Port: b1})
	if link := nettest.Must(t, ns, "ip", "-o", "link", "show", id+"up"); strings.Contains(link, ",UP") {
		t.Errorf("uplink brought up: %s", link)
	}
}
