package sipwatch

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/net/bpf"
)

// TestFilter runs the program in x/net/bpf's VM on frames it must pass and
// frames it must drop.
func TestFilter(t *testing.T) {
	ins, err := Filter([]uint16{5060, 5061, 5160})
	if err != nil {
		t.Fatal(err)
	}
	vm, err := bpf.NewVM(ins)
	if err != nil {
		t.Fatal(err)
	}
	other := netip.MustParseAddrPort("10.79.1.100:40000")
	dns := netip.MustParseAddrPort("10.79.1.1:53")
	fragment := fromPhone([]byte("x"))
	fragment[14+6] = 0x00
	fragment[14+7] = 0x10 // offset 16 * 8 bytes: a later fragment
	firstFragment := fromPhone([]byte("x"))
	firstFragment[14+6] = 0x20 // MF
	arp := ether(phoneMAC, pbxMAC, 0x0806, make([]byte, 28))
	icmp := ether(phoneMAC, pbxMAC, 0x0800, ipv4(phoneAt.Addr(), pbxAt.Addr(), 1, make([]byte, 8), 0))
	ipOpts := udpFrame(phoneMAC, pbxMAC, other, netip.MustParseAddrPort("198.51.100.1:5160"), []byte("x"))
	// Grow the IP header to 24 bytes (one option word): ports move by 4.
	ipOpts = append(ipOpts[:14+20], append([]byte{1, 1, 1, 1}, ipOpts[14+20:]...)...)
	ipOpts[14] = 0x46
	for _, tc := range []struct {
		name  string
		frame []byte
		pass  bool
	}{
		{"UDP to 5060", udpFrame(phoneMAC, pbxMAC, other, pbxAt, []byte("REGISTER")), true},
		{"UDP from 5060", udpFrame(pbxMAC, phoneMAC, pbxAt, other, []byte("SIP/2.0")), true},
		{"TCP to 5061", tcpFrame(phoneMAC, pbxMAC, other, netip.MustParseAddrPort("198.51.100.1:5061"), 1, tcpSYN, nil), true},
		{"TCP from 5160", tcpFrame(pbxMAC, phoneMAC, netip.MustParseAddrPort("198.51.100.1:5160"), other, 1, tcpSYN|tcpACK, nil), true},
		{"first fragment", firstFragment, true},
		{"IP options", ipOpts, true},
		{"DNS", udpFrame(phoneMAC, pbxMAC, other, dns, []byte("q")), false},
		{"TCP 80", tcpFrame(phoneMAC, pbxMAC, other, netip.MustParseAddrPort("10.79.1.1:80"), 1, tcpSYN, nil), false},
		{"later fragment", fragment, false},
		{"ARP", arp, false},
		{"ICMP", icmp, false},
	} {
		n, err := vm.Run(tc.frame)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := n > 0; got != tc.pass {
			t.Errorf("%s: passed %v (%d bytes), want %v", tc.name, got, n, tc.pass)
		}
		if tc.pass && n < len(tc.frame) {
			t.Errorf("%s: %d of %d bytes kept", tc.name, n, len(tc.frame))
		}
	}
	if _, err := Filter(nil); err == nil {
		t.Error("an empty port list made a filter")
	}
	if _, err := Filter(make([]uint16, maxPorts+1)); err == nil {
		t.Error("too many ports made a filter")
	}
}

func TestDecodeFrame(t *testing.T) {
	f := fromPhone([]byte("hello"))
	f = append(f, 0, 0, 0, 0) // Ethernet padding
	p, err := decodeFrame(f)
	if err != nil || string(p.payload) != "hello" || p.src != phoneAt || p.dst != pbxAt || p.srcMAC.String() != phoneMAC.String() {
		t.Errorf("UDP: %+v %v", p, err)
	}
	p, err = decodeFrame(tcpFrame(phoneMAC, pbxMAC, phoneAt, pbxAt, 77, tcpACK, []byte("data")))
	if err != nil || string(p.payload) != "data" || p.seq != 77 || p.flags != tcpACK || p.proto != protoTCP {
		t.Errorf("TCP: %+v %v", p, err)
	}
	bad := fromPhone([]byte("hello"))
	bad[14+20+4], bad[14+20+5] = 0xff, 0xff // UDP length past the end
	for name, b := range map[string][]byte{"short": f[:20], "udp length": bad, "not ipv4": ether(phoneMAC, pbxMAC, 0x86dd, make([]byte, 60))} {
		if _, err := decodeFrame(b); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

// FuzzHandleFrames feeds one watcher a sequence of frames (the input cut
// at each "\xff\xfe\xfd" mark): decoding, TCP reassembly, parsing and the
// tracker must never panic, and the tables stay within their limits.
func FuzzHandleFrames(f *testing.F) {
	mark := []byte("\xff\xfe\xfd")
	join := func(frames ...[]byte) []byte { return bytes.Join(frames, mark) }
	phone := netip.MustParseAddrPort("10.79.1.100:40312")
	reg := register("TCP", 1, "z9hG4bK1", false)
	f.Add(join(fromPhone(register("UDP", 1, "z9hG4bK1", false)),
		fromPBX(answer("UDP", 1, "z9hG4bK1", 200, "OK"))))
	f.Add(join(tcpFrame(phoneMAC, pbxMAC, phone, pbxAt, 0, tcpSYN, nil),
		tcpFrame(phoneMAC, pbxMAC, phone, pbxAt, 1, tcpACK, reg[:100]),
		tcpFrame(phoneMAC, pbxMAC, phone, pbxAt, 101, tcpACK, reg[100:]),
		tcpFrame(pbxMAC, phoneMAC, pbxAt, phone, 1, tcpACK, answer("TCP", 1, "z9hG4bK1", 403, "Forbidden"))))
	f.Fuzz(func(t *testing.T, b []byte) {
		w := New(Options{MaxFlows: 4, MaxPending: 4, MaxPhones: 4, MaxMessage: 2048})
		for _, frame := range bytes.Split(b, mark) {
			if p, err := decodeFrame(frame); err == nil && len(p.payload) > len(frame) {
				t.Fatal("payload longer than the frame")
			}
			w.HandleFrame(frame)
		}
		w.Tick(time.Now().Add(time.Hour))
		if s := w.Stats(); s.Flows > 4 || s.Pending > 4 {
			t.Fatalf("over the limits: %+v", s)
		}
	})
}
