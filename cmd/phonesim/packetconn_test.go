package main

import (
	"encoding/binary"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/bpf"
)

// ipv4UDP builds an IPv4 packet (no options) carrying UDP to dport.
func ipv4UDP(proto byte, frag uint16, dport uint16, payload []byte) []byte {
	p := make([]byte, 28, 28+len(payload))
	p[0], p[9] = 0x45, proto
	binary.BigEndian.PutUint16(p[2:], uint16(28+len(payload)))
	binary.BigEndian.PutUint16(p[6:], frag)
	binary.BigEndian.PutUint16(p[20:], 67)
	binary.BigEndian.PutUint16(p[22:], dport)
	binary.BigEndian.PutUint16(p[24:], uint16(8+len(payload)))
	return append(p, payload...)
}

func TestDHCPReplyFilter(t *testing.T) {
	vm, err := bpf.NewVM(dhcpReplyFilter)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		pkt  []byte
		pass bool
	}{
		{"udp to 68", ipv4UDP(17, 0, 68, []byte("offer")), true},
		{"udp to 67", ipv4UDP(17, 0, 67, []byte("discover")), false},
		{"tcp", ipv4UDP(6, 0, 68, nil), false},
		{"fragment", ipv4UDP(17, 0x2001, 68, nil), false},
		{"tftp data", ipv4UDP(17, 0, 40000, make([]byte, 516)), false},
	} {
		n, err := vm.Run(tc.pkt)
		if err != nil {
			t.Fatal(err)
		}
		if (n > 0) != tc.pass {
			t.Errorf("%s: filter returned %d, want pass=%v", tc.name, n, tc.pass)
		}
		payload, ok := udpPayload(tc.pkt, 68)
		if ok != tc.pass && tc.name != "fragment" {
			t.Errorf("%s: udpPayload ok=%v, want %v", tc.name, ok, tc.pass)
		}
		if ok && tc.pass {
			if diff := cmp.Diff([]byte("offer"), payload); diff != "" {
				t.Errorf("payload (-want +got):\n%s", diff)
			}
		}
	}
	if _, ok := udpPayload(ipv4UDP(17, 0, 68, nil)[:25], 68); ok {
		t.Error("a truncated packet was taken")
	}
}
