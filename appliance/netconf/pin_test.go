package netconf

import (
	"context"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink"

	"github.com/phoneflash/phoneflash/appliance/nettest"
)

// fakeSys builds a /sys/class/net as Linux lays it out on a Pi 4: the
// onboard NIC on the platform bus, two USB NICs in a hub's sockets 1-1.2 and
// 1-1.3, and lo without a device.
func fakeSys(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	mk := func(p string) {
		if err := os.MkdirAll(filepath.Join(root, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ln := func(target, link string) {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, s string) {
		if err := os.WriteFile(filepath.Join(root, p), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"bus/platform/drivers/bcmgenet", "bus/usb/drivers/r8152", "bus/usb/drivers/asix", "class/net/lo"} {
		mk(d)
	}
	devs := map[string][3]string{ // name: device dir, bus, driver
		"eth0": {"devices/platform/scb/fd580000.ethernet", "platform", "bcmgenet"},
		"eth1": {"devices/platform/scb/fd500000.pcie/usb2/2-1/1-1.3/1-1.3:1.0", "usb", "asix"},
		"eth2": {"devices/platform/scb/fd500000.pcie/usb2/2-1/1-1.2/1-1.2:1.0", "usb", "r8152"},
	}
	macs := map[string]string{"eth0": "dc:a6:32:00:00:01", "eth1": "00:0e:c6:00:00:02", "eth2": "00:e0:4c:00:00:03"}
	for name, d := range devs {
		mk(d[0])
		depth := strings.Repeat("../", strings.Count(d[0], "/")+1)
		ln(depth+"bus/"+d[1]+"/drivers/"+d[2], d[0]+"/driver")
		ln(depth+"bus/"+d[1], d[0]+"/subsystem")
		mk("class/net/" + name)
		ln("../../../"+d[0], "class/net/"+name+"/device")
		write("class/net/"+name+"/address", macs[name]+"\n")
	}
	return filepath.Join(root, "class", "net")
}

func mac(s string) net.HardwareAddr {
	hw, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return hw
}

func TestListNICs(t *testing.T) {
	nics, err := ListNICs(fakeSys(t))
	if err != nil {
		t.Fatal(err)
	}
	want := []NIC{
		{Name: "eth0", MAC: mac("dc:a6:32:00:00:01"), Driver: "bcmgenet", Bus: "platform", Path: "fd580000.ethernet"},
		{Name: "eth1", MAC: mac("00:0e:c6:00:00:02"), Driver: "asix", Bus: "usb", Path: "1-1.3"},
		{Name: "eth2", MAC: mac("00:e0:4c:00:00:03"), Driver: "r8152", Bus: "usb", Path: "1-1.2"},
	}
	if diff := cmp.Diff(want, nics); diff != "" {
		t.Errorf("ListNICs (-want +got):\n%s", diff)
	}
	if nics[1].USBPath() != "1-1.3" || nics[0].USBPath() != "" {
		t.Errorf("USBPath: %q %q", nics[1].USBPath(), nics[0].USBPath())
	}
}

func TestPlanPins(t *testing.T) {
	nics, err := ListNICs(fakeSys(t))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		pins     []Pin
		steps    []Rename
		problems int
	}{
		{"already named", []Pin{{Port: "eth1", USBPath: "1-1.3"}}, nil, 0},
		{"not plugged in", []Pin{{Port: "eth3", USBPath: "1-1.4"}}, nil, 0},
		{"to a free name", []Pin{{Port: "eth4", MAC: mac("00:e0:4c:00:00:03")}}, []Rename{{"eth2", "eth4"}}, 0},
		// The socket 1-1.2 is port 1: the NICs swap names.
		{"swap", []Pin{{Port: "eth1", USBPath: "1-1.2"}, {Port: "eth2", USBPath: "1-1.3"}},
			[]Rename{{"eth1", "pfpin0"}, {"eth2", "eth1"}, {"pfpin0", "eth2"}}, 0},
		{"uplink never renamed", []Pin{{Port: "eth1", MAC: mac("dc:a6:32:00:00:01")}}, nil, 1},
		{"uplink's name never taken", []Pin{{Port: "eth0", USBPath: "1-1.2"}}, nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			steps, problems := PlanPins(nics, tt.pins, "eth0")
			if diff := cmp.Diff(tt.steps, steps); diff != "" {
				t.Errorf("steps (-want +got):\n%s", diff)
			}
			if len(problems) != tt.problems {
				t.Errorf("problems = %q, want %d", problems, tt.problems)
			}
		})
	}
}

// TestIntegrationApplyPins swaps two links' names by their MACs in a
// namespace, keeps them up, and changes nothing the second time.
func TestIntegrationApplyPins(t *testing.T) {
	nettest.RequireRoot(t)
	id := nettest.Unique("pfi")
	ns := nettest.NS(t, id+"-pin")
	a, b := id+"a", id+"b"
	nettest.Must(t, ns, "ip", "link", "add", a, "address", "02:00:00:79:00:0a", "type", "veth", "peer", "name", id+"x")
	nettest.Must(t, ns, "ip", "link", "add", b, "address", "02:00:00:79:00:0b", "type", "veth", "peer", "name", id+"y")
	nettest.Must(t, ns, "ip", "link", "set", a, "up")
	h, err := netlink.NewHandleAt(nettest.Handle(t, ns))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	pins := []Pin{{Port: a, MAC: mac("02:00:00:79:00:0b")}, {Port: b, MAC: mac("02:00:00:79:00:0a")}}
	steps, problems, err := ApplyPins(h, t.TempDir(), pins, "")
	if err != nil || len(problems) != 0 || len(steps) != 3 {
		t.Fatalf("ApplyPins = %v %q %v, want a swap in three steps", steps, problems, err)
	}
	for name, want := range map[string]string{a: "02:00:00:79:00:0b", b: "02:00:00:79:00:0a"} {
		l, err := h.LinkByName(name)
		if err != nil {
			t.Fatal(err)
		}
		if got := l.Attrs().HardwareAddr.String(); got != want {
			t.Errorf("%s has %s, want %s", name, got, want)
		}
	}
	if l, _ := h.LinkByName(b); l == nil || l.Attrs().Flags&net.FlagUp == 0 {
		t.Errorf("%s (the NIC that was up as %s) is not up after the rename", b, a)
	}
	if steps, _, err := ApplyPins(h, t.TempDir(), pins, ""); err != nil || len(steps) != 0 {
		t.Errorf("second ApplyPins = %v, %v; want nothing to do", steps, err)
	}
}

// TestIntegrationWatcherPins: a Watcher with pins renames the NIC pinned to
// a port before configuring it, at start and when it is plugged in later
// under the kernel's name, and leaves the other links alone.
func TestIntegrationWatcherPins(t *testing.T) {
	ns, id, h := bench(t) // id+"b0" (port 0 by name), its far end, an uplink
	nettest.Must(t, ns, "ip", "link", "set", id+"b0", "address", "02:00:00:79:01:00")
	nettest.Must(t, ns, "ip", "link", "add", id+"k1", "address", "02:00:00:79:01:01", "type", "veth", "peer", "name", id+"g1")
	nsh := nettest.Handle(t, ns)
	events := make(chan Event, 100)
	b0, b1, b2 := id+"b0", id+"b1", id+"b2"
	w := &Watcher{
		Ports: []Port{
			{Name: b0, Addr: netip.MustParsePrefix("10.79.1.1/24")},
			{Name: b1, Addr: netip.MustParsePrefix("10.79.2.1/24")},
			{Name: b2, Addr: netip.MustParsePrefix("10.79.3.1/24")},
		},
		Handle: h, NS: &nsh, OnEvent: func(ev Event) { events <- ev },
		Pins: PinSet{Keep: id + "up", Sys: t.TempDir(), Pins: []Pin{
			{Port: b0, MAC: mac("02:00:00:79:01:01")}, // k1 is port 0: b0 and k1 swap
			{Port: b2, MAC: mac("02:00:00:79:01:02")}, // plugged in later as z2
		}},
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	waitAddr := func(dev, want string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			out, _ := nettest.Run(ns, "ip", "-o", "link", "show", dev)
			addrs, _ := nettest.Run(ns, "ip", "-o", "addr", "show", "dev", dev)
			if strings.Contains(out, want) && strings.Contains(addrs, "10.79.") {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %s %s; want the NIC %s, configured", dev, out, addrs, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitAddr(b0, "02:00:00:79:01:01")
	if out := nettest.Must(t, ns, "ip", "-o", "addr", "show", "dev", b0); !strings.Contains(out, "10.79.1.1/24") {
		t.Errorf("pinned port 0: %s", out)
	}
	// The NIC that had b0's name took k1's: not a bench port, not touched.
	if out := nettest.Must(t, ns, "ip", "-o", "addr", "show", "dev", id+"k1"); strings.Contains(out, "10.79.") {
		t.Errorf("the NIC moved off port 0 was configured: %s", out)
	}
	nettest.Must(t, ns, "ip", "link", "add", id+"z2", "address", "02:00:00:79:01:02", "type", "veth", "peer", "name", id+"g2")
	waitAddr(b2, "02:00:00:79:01:02")
	if out := nettest.Must(t, ns, "ip", "-o", "addr", "show", "dev", b2); !strings.Contains(out, "10.79.3.1/24") || strings.Count(out, "inet ") != 1 {
		t.Errorf("port 2, plugged in later: %s; want 10.79.3.1/24 only", out)
	}
	if out := nettest.Must(t, ns, "ip", "-o", "addr", "show", "dev", id+"up"); strings.Contains(out, "10.79.") {
		t.Errorf("uplink touched: %s", out)
	}
}
