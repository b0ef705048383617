package packetsock_test

import (
	"bytes"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/phoneflash/phoneflash/appliance/nettest"
	"github.com/phoneflash/phoneflash/internal/packetsock"
)

// toPort passes IPv4 UDP to port (the socket sees packets from the IP
// header on; no IP options on loopback).
func toPort(port uint32) []bpf.Instruction {
	return []bpf.Instruction{
		bpf.LoadAbsolute{Off: 9, Size: 1},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: 17, SkipTrue: 3},
		bpf.LoadAbsolute{Off: 22, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: port, SkipTrue: 1},
		bpf.RetConstant{Val: 0xffff},
		bpf.RetConstant{Val: 0},
	}
}

// TestIntegrationFilter: in a namespace, a socket on lo with a filter for
// UDP to port 4242 receives the datagram to 4242 and not the one sent
// before it to 4241.
func TestIntegrationFilter(t *testing.T) {
	nettest.RequireRoot(t)
	ns := nettest.NS(t, nettest.Unique("pfck"))
	var f *os.File
	err := nettest.Do(ns, func() (err error) {
		f, err = packetsock.Listen("lo", "test:lo", packetsock.Config{Type: unix.SOCK_DGRAM, Protocol: unix.ETH_P_IP,
			Filter: toPort(4242), RecvBuffer: 1 << 16})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, port := range []string{"4241", "4242"} {
		err := nettest.Do(ns, func() error {
			c, err := net.Dial("udp4", "127.0.0.1:"+port)
			if err != nil {
				return err
			}
			defer c.Close()
			_, err = c.Write([]byte("to " + port))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	f.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 1500)
	n, err := f.Read(buf)
	if err != nil {
		t.Fatalf("no packet through the filter: %v", err)
	}
	if got := buf[:n]; len(got) < 28 || !bytes.Equal(got[28:], []byte("to 4242")) {
		t.Fatalf("first packet % x, want the UDP datagram to 4242", got)
	}
}

func TestListenErrors(t *testing.T) {
	if _, err := packetsock.Listen("pfc-no-such0", "x", packetsock.Config{Type: unix.SOCK_RAW, Filter: toPort(1)}); err == nil ||
		!strings.Contains(err.Error(), "interface pfc-no-such0") {
		t.Errorf("missing interface: %v", err)
	}
	if _, err := packetsock.Listen("lo", "x", packetsock.Config{Type: unix.SOCK_RAW}); err == nil ||
		!strings.Contains(err.Error(), "filter") {
		t.Errorf("no filter: %v", err)
	}
	bad := []bpf.Instruction{bpf.Jump{Skip: 5}}
	if _, err := packetsock.Listen("lo", "x", packetsock.Config{Type: unix.SOCK_RAW, Filter: bad}); err == nil {
		t.Error("a filter that jumps past its end was attached")
	}
}
