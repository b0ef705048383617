package namespace_test

import (
	"net"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/phoneflash/phoneflash/appliance/nettest"
	"github.com/phoneflash/phoneflash/internal/namespace"
)

func TestVethRefusesLongNames(t *testing.T) {
	err := namespace.Veth("a", "sixteen-chars-01", "b", "eth0")
	if err == nil || !strings.Contains(err.Error(), "longer than 15") {
		t.Errorf("Veth with a 16-character name: %v, want a refusal", err)
	}
}

// TestIntegrationBench builds a port with two phones behind a bridge, sends a
// datagram from a socket opened with Do in one phone's namespace to the
// other's, and removes everything again, also a namespace with a process
// still in it.
func TestIntegrationBench(t *testing.T) {
	nettest.RequireRoot(t)
	prefix := nettest.Unique("pft")
	var made []string
	add := func(suffix string) string {
		t.Helper()
		ns := prefix + "-" + suffix
		if err := namespace.Add(ns); err != nil {
			t.Fatal(err)
		}
		made = append(made, ns)
		return ns
	}
	t.Cleanup(func() {
		for _, ns := range made {
			namespace.Delete(ns)
		}
	})
	sw, ph1, ph2 := add("sw"), add("ph1"), add("ph2")
	for i, ph := range []string{ph1, ph2} {
		if err := namespace.Veth(sw, prefix+"d"+string(rune('1'+i)), ph, "eth0"); err != nil {
			t.Fatal(err)
		}
		if err := namespace.IP(ph, "addr", "add", []string{"192.0.2.1/24", "192.0.2.2/24"}[i], "dev", "eth0"); err != nil {
			t.Fatal(err)
		}
	}
	if err := namespace.Bridge(sw, "br0", prefix+"d1", prefix+"d2"); err != nil {
		t.Fatal(err)
	}
	// rx through Open, tx through Do: 192.0.2.2 exists only in ph2.
	rx, err := namespace.Open(ph2, func() (net.PacketConn, error) { return net.ListenPacket("udp4", "192.0.2.2:4000") })
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	var tx net.PacketConn
	if err := namespace.Do(ph1, func() (err error) { tx, err = net.ListenPacket("udp4", ":0"); return }); err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	buf := make([]byte, 16)
	deadline := time.Now().Add(10 * time.Second) // the bridge may take a moment
	for {
		tx.WriteTo([]byte("hello"), &net.UDPAddr{IP: net.IPv4(192, 0, 2, 2), Port: 4000})
		rx.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		n, from, err := rx.ReadFrom(buf)
		if err == nil {
			if string(buf[:n]) != "hello" || from.(*net.UDPAddr).IP.String() != "192.0.2.1" {
				t.Errorf("got %q from %s, want hello from 192.0.2.1", buf[:n], from)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing crossed the bridge: %v", err)
		}
	}
	if _, err := net.InterfaceByName(prefix + "d1"); err == nil {
		t.Errorf("link %sd1 exists in the test's own namespace", prefix)
	}

	sleeper := namespace.Command(ph1, "sleep", "300")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- sleeper.Wait() }()
	for len(namespace.PIDs(ph1)) == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	gone, err := namespace.RemoveStale(prefix)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(gone)
	if want := []string{ph1, ph2, sw}; !slices.Equal(gone, want) {
		t.Errorf("RemoveStale removed %v, want %v", gone, want)
	}
	select {
	case <-waited:
	case <-time.After(5 * time.Second):
		t.Error("the process in the removed namespace still runs")
	}
	names, err := namespace.List()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if strings.HasPrefix(n, prefix) {
			t.Errorf("namespace %s left behind", n)
		}
	}
	if out, _ := exec.Command("ip", "-o", "link").Output(); strings.Contains(string(out), prefix) {
		t.Errorf("links left behind:\n%s", out)
	}
}
