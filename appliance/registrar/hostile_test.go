package registrar

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/phoneflash/phoneflash/internal/siptest"
)

// registerText is a complete REGISTER for raw sockets.
func registerText(branch string) []byte {
	return fmt.Appendf(nil, "REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK%s\r\n"+
		"From: <sip:0001@127.0.0.1>;tag=1\r\nTo: <sip:0001@127.0.0.1>\r\nCall-ID: %s@x\r\nCSeq: 1 REGISTER\r\n"+
		"Contact: <sip:0001@127.0.0.1:5060>\r\nExpires: 3600\r\nContent-Length: 0\r\n\r\n", branch, branch)
}

// TestHostile: garbage, truncated, oversized and binary SIP over UDP and
// TCP, responses nobody asked for, more TCP connections than allowed and
// connections that never finish a message. The registrar stays up, its
// heap stays bounded, and a phone still registers afterwards.
func TestHostile(t *testing.T) {
	s := start(t, Options{Port: "eth1", MaxConns: 16, Idle: 2 * time.Second, Rate: 1000})
	udp, err := net.Dial("udp4", s.addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	before := siptest.HeapInUse()
	rng := rand.New(rand.NewPCG(3, 4))
	reg := registerText("hostile")
	junk := make([]byte, 1400)
	oversized := append(bytes.Repeat([]byte("X-Pad: "+strings.Repeat("a", 200)+"\r\n"), 200), reg...)
	oversized = append([]byte("REGISTER sip:127.0.0.1 SIP/2.0\r\n"), oversized...) // about 42 kB
	for i := range 20000 {
		var b []byte
		switch i % 5 {
		case 0:
			for j := range junk {
				junk[j] = byte(rng.Uint32())
			}
			b = junk
		case 1:
			b = reg[:rng.IntN(len(reg))] // truncated
		case 2:
			b = oversized
		case 3:
			b = []byte("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKx\r\nCSeq: 1 REGISTER\r\nCall-ID: x\r\nContent-Length: 0\r\n\r\n")
		case 4:
			b = bytes.ReplaceAll(reg, []byte("Call-ID"), []byte("\x00\xff\xfe")) // binary in a header
		}
		udp.Write(b)
		if i%50 == 0 {
			time.Sleep(time.Millisecond) // let the registrar read: the kernel drops what overflows
		}
	}
	// TCP: more connections than allowed, each with half a message; then
	// one streaming an endless header and one pure binary.
	var conns []net.Conn
	for i := range 42 {
		c, err := net.Dial("tcp4", s.addr.String())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		switch i {
		case 40:
			c.Write([]byte("REGISTER sip:x SIP/2.0\r\nX-Pad: "))
			for range 20 {
				c.Write(bytes.Repeat([]byte("a"), 4096))
			}
		case 41:
			c.Write(junk)
		default:
			c.Write(reg[:len(reg)/2])
		}
	}
	time.Sleep(500 * time.Millisecond)
	during := siptest.HeapInUse()
	for _, c := range conns {
		c.Close()
	}
	res := s.request(t, sip.REGISTER, "udp", "0002", contact("0002", "udp"), "Expires: 3600")
	if res.StatusCode != 200 {
		t.Fatalf("after the flood: %d %s", res.StatusCode, res.Reason)
	}
	res = s.request(t, sip.REGISTER, "tcp", "0003", contact("0003", "tcp"), "Expires: 3600")
	if res.StatusCode != 200 {
		t.Fatalf("TCP after the flood: %d %s", res.StatusCode, res.Reason)
	}
	st := s.r.Stats()
	grew := int64(during) - int64(before)
	t.Logf("20000 hostile datagrams and 42 hostile TCP connections: heap in use %d KiB before, %d KiB during (%+d KiB); stats %+v",
		before>>10, during>>10, grew>>10, st)
	if st.Dropped < 1000 {
		t.Errorf("only %d datagrams dropped before sipgo kept anything", st.Dropped)
	}
	if st.ConnsClosed < 40-16 {
		t.Errorf("%d TCP connections refused or closed, want at least %d over MaxConns", st.ConnsClosed, 40-16)
	}
	// 16 connections with a 32 KiB read buffer and an 8 KiB message each,
	// 4000 well-formed REGISTERs' transactions (case 4 parses), and slack.
	if limit := int64(16 << 20); grew > limit {
		t.Errorf("heap grew by %d KiB, more than %d KiB", grew>>10, limit>>10)
	}
	// Both phones of after the flood, in either order: each report comes
	// after its own 200 OK, from its own goroutine.
	regs := s.waitRegistrations(2)
	var exts []string
	for _, r := range regs {
		exts = append(exts, r.Extension)
	}
	if slices.Sort(exts); !slices.Equal(exts, []string{"0002", "0003"}) {
		t.Errorf("registrations after the flood: %q, want 0002 and 0003", exts)
	}
}

// TestIdleTCP: a connection that sends nothing is closed after Idle.
func TestIdleTCP(t *testing.T) {
	s := start(t, Options{Port: "eth1", Idle: 300 * time.Millisecond})
	c, err := net.Dial("tcp4", s.addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("read data from an idle connection")
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("the registrar kept an idle connection open for 10 s")
	}
	if s.r.Stats().ConnsClosed != 1 {
		t.Errorf("stats %+v, want one connection closed", s.r.Stats())
	}
}

// TestUDPRecycleAndRate: more UDP peers than MaxSources recycle sipgo's
// peer table and the registrar goes on answering; requests over the rate
// are dropped.
func TestUDPRecycleAndRate(t *testing.T) {
	s := start(t, Options{Port: "eth1", MaxSources: 8})
	for i := range 30 {
		res := s.request(t, sip.OPTIONS, "udp", fmt.Sprint(i)) // each client has its own port
		if res.StatusCode != 200 {
			t.Fatalf("OPTIONS %d: %d", i, res.StatusCode)
		}
	}
	if st := s.r.Stats(); st.Recycled < 3 {
		t.Errorf("stats %+v, want the peer table recycled at least 3 times", st)
	}
	limited := start(t, Options{Port: "eth1", Rate: 5})
	udp, err := net.Dial("udp4", limited.addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	for i := range 50 {
		udp.Write(registerText(fmt.Sprint("r", i)))
	}
	time.Sleep(200 * time.Millisecond)
	if st := limited.r.Stats(); st.Dropped < 40 || st.Registered > 10 {
		t.Errorf("stats %+v, want most of 50 quick REGISTERs over a rate of 5/s dropped", st)
	}
}
