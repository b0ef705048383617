package main

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/phoneflash/phoneflash/appliance"
	"github.com/phoneflash/phoneflash/appliance/nettest"
	"github.com/phoneflash/phoneflash/firmware/fwgen"
	"github.com/phoneflash/phoneflash/internal/logtest"
)

// Issue 11, trap 1: insomniacslk's sockets set SO_REUSEPORT, so a second
// copy on the same ports would start silently, see every request and send
// conflicting answers. A second `phoneflash serve` on the same ports (with
// its own or the same state directory) must refuse to start, and the first
// keeps answering every DISCOVER exactly once.
func TestIntegrationHostileSecondInstanceRefused(t *testing.T) {
	t.Parallel()
	fw := firmwareStore(t, 0.01, fwgen.SIP942())
	b := newHostileBench(t, fw, 2, "")
	b.serve()
	c := newDHCPClient(t, b.hostileClient(0, "c", ""))
	c.waitDHCP(t, b.srvLog)

	for _, state := range []string{filepath.Join(b.dir, "state2"), b.state} {
		cmd := exec.Command("ip", "netns", "exec", b.app, b.bin, "serve", "-ports", strings.Join(b.ports, ","),
			"-uplink", "none0", "-firmware", b.fw, "-state", state, "-board", "none", "-http", "")
		done := make(chan error, 1)
		var out logtest.Buffer
		cmd.Stderr = &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() == 0 || !strings.Contains(out.String(), "already running") {
				t.Errorf("second serve (state %s): %v, want a failure saying another phoneflash is running:\n%s", state, err, out.String())
			}
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
			t.Fatalf("a second phoneflash serve on the same ports (state %s) is still running after 10 s:\n%s", state, out.String())
		}
	}
	if sockets := dhcpSockets(t, b.app); sockets != 2 {
		t.Errorf("%d sockets on UDP port 67 in the appliance's namespace, want 2 (one per port)", sockets)
	}
	mac := net.HardwareAddr{0x02, 0, 0, 0, 0x11, 0x01}
	for i := range uint32(20) {
		c.send(t, request(t, dhcpv4.MessageTypeDiscover, mac, 0x1100+i).ToBytes())
	}
	time.Sleep(500 * time.Millisecond)
	for i := range uint32(20) {
		if n := len(c.replies(xidOf(0x1100 + i))); n != 1 {
			t.Errorf("DISCOVER %d answered %d times, want once", i, n)
		}
	}
}

// dhcpSockets counts UDP sockets bound to port 67 in namespace ns.
func dhcpSockets(t *testing.T, ns string) int {
	t.Helper()
	out, err := exec.Command("ip", "netns", "exec", ns, "ss", "-uan").Output()
	if err != nil {
		t.Skipf("ss: %v", err)
	}
	n := 0
	for _, l := range strings.Split(string(out), "\n") {
		if f := strings.Fields(l); len(f) >= 4 && strings.HasSuffix(f[3], ":67") {
			n++
		}
	}
	return n
}

// Issue 11, trap 2 and hostile DHCP: relayed requests (giaddr set), requests
// arriving from the uplink, truncated and oversized datagrams, bogus option
// lengths and option overload are dropped or answered correctly; a
// starvation run of 1,000 random MACs exhausts the pool and says so (rate
// limited), while a lease taken before stays its holder's and a phone in the
// middle of its upgrade still ends done. Memory and threads stay bounded.
func TestIntegrationHostileDHCP(t *testing.T) {
	t.Parallel()
	fw := firmwareStore(t, 0.3, fwgen.SIP942())
	mac := "00:22:90:ac:11:01"
	b := newHostileBench(t, fw, 1, accounts(mac))
	upIf, upNS := b.uplink()
	b.serve("-uplink", upIf, "-http", metricsAddr)
	c := newDHCPClient(t, b.hostileClient(0, "c", ""))
	c.waitDHCP(t, b.srvLog)
	peak := watchPeak(t, b.srv.Process.Pid, b.app)

	// A laptop's lease, taken before the attack.
	laptop := net.HardwareAddr{0x02, 0, 0, 0, 0x22, 0x01}
	held := c.dora(t, laptop, 0x2200)
	// A phone in the middle of its upgrade when the attack starts.
	// Its flash write (2.5 MB at 60 s/MB, scaled by 50) lasts through the
	// attack, so it asks for its address again after the pool is exhausted.
	phone := b.phone(0, "a", mac, "7911", "sccp852", "-write-per-mb", "60s")
	b.waitStage(macKey(mac), 20*time.Second, "loading", "applying")

	t.Run("starvation", func(t *testing.T) {
		r := rand.New(rand.NewPCG(11, 1))
		for i := range uint32(1000) {
			c.send(t, nettest.CiscoDiscover(randomMAC(r), 0x5000000+i, "CP-7911G"))
			if i%50 == 49 {
				time.Sleep(5 * time.Millisecond) // what a switch port passes, not a socket buffer overflow
			}
		}
		time.Sleep(time.Second)
		offers := 0
		for i := range uint32(1000) {
			for _, m := range c.replies(xidOf(0x5000000 + i)) {
				offers++
				if ip := m.YourIPAddr.To4(); ip == nil || ip[2] != 1 || ip[3] < 100 || ip[3] > 199 || ip.Equal(held) {
					t.Errorf("starvation DISCOVER offered %s", m.YourIPAddr)
				}
			}
		}
		t.Logf("%d offers to 1,000 random MACs", offers)
		if offers == 0 || offers > 100 {
			t.Errorf("%d offers to 1,000 random MACs, want some and at most the pool's 100", offers)
		}
		log := b.srvLog.String()
		if n := strings.Count(log, "pool exhausted on "+b.ports[0]); n < 1 || n > 3 {
			t.Errorf("%d \"pool exhausted\" log lines, want 1 to 3 (reported, rate limited)", n)
		}
		// The lease taken before is still the laptop's.
		c.send(t, request(t, dhcpv4.MessageTypeRequest, laptop, 0x2210,
			dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(held)),
			dhcpv4.WithOption(dhcpv4.OptServerIdentifier(net.IPv4(10, 79, 1, 1)))).ToBytes())
		if ack := c.await(xidOf(0x2210), dhcpv4.MessageTypeAck, 3*time.Second); ack == nil || !ack.YourIPAddr.Equal(held) {
			t.Errorf("after the starvation run the laptop's REQUEST for %s got %v, want an ACK", held, ack)
		}
	})
	// The laptop holds a lease, so its datagrams are answered despite the
	// full pool.
	t.Run("malformed", func(t *testing.T) { hostileDatagrams(t, c, laptop) })
	t.Run("uplink", func(t *testing.T) {
		u := newDHCPClient(t, upNS)
		m := net.HardwareAddr{0x02, 0, 0, 0, 0x33, 0x01}
		u.send(t, nettest.CiscoDiscover(m, 0x3301, "CP-7911G"))
		time.Sleep(time.Second)
		if got, _ := u.all(); len(got) > 0 {
			t.Errorf("a DISCOVER from the uplink was answered: %v", got[0])
		}
		if strings.Contains(b.srvLog.String(), m.String()) {
			t.Error("the daemon saw a DISCOVER from the uplink")
		}
	})
	res, err := phone.wait(t, 60*time.Second)
	if err != nil || res.State != "done" || res.Load != appliance.DefaultTarget {
		t.Errorf("the phone in progress: %v: %s on %s, want done on the target:\n%s", err, res.State, res.Load, phone.log())
	}
	if n := dhcpExchanges(t, phone); n < 2 {
		t.Errorf("the phone got %d leases, want a second one after its reboot", n)
	}
	if _, bad := c.all(); bad > 0 {
		t.Errorf("%d replies on the wire do not parse", bad)
	}
	peak.check(t, "DHCP attack")
}

// hostileDatagrams sends broken and hostile DHCP datagrams, each with its
// own xid, and checks which are answered: every answer must parse (the
// reader does that) and name an address of the port's pool.
func hostileDatagrams(t *testing.T, c *dhcpClient, mac net.HardwareAddr) {
	type probe struct {
		name   string
		pkt    []byte
		answer bool
	}
	base := func(xid uint32) []byte { return nettest.CiscoDiscover(mac, xid, "CP-7906G") }
	var probes []probe
	add := func(name string, answer bool, edit func([]byte) []byte) {
		xid := uint32(0x440000 + len(probes))
		probes = append(probes, probe{name, edit(base(xid)), answer})
	}
	add("well-formed", true, func(b []byte) []byte { return b })
	add("relayed (giaddr set)", false, func(b []byte) []byte { copy(b[24:28], []byte{198, 18, 0, 99}); return b })
	add("truncated in the header", false, func(b []byte) []byte { return b[:120] })
	add("no magic cookie", false, func(b []byte) []byte { return b[:236] })
	add("option length past the end", false, func(b []byte) []byte {
		return append(b[:240], 53, 1, 1, 12, 250, 'x')
	})
	add("hostname swallowing END", false, func(b []byte) []byte {
		return append(b[:240], 53, 1, 1, 12, 255, 'x', 255)
	})
	add("option overload 52 recursing", true, func(b []byte) []byte {
		b = append(b[:240], 53, 1, 1, 52, 1, 3, 255)
		copy(b[44:], []byte{52, 1, 3, 255})
		copy(b[108:], []byte{52, 1, 3, 255})
		return b
	})
	add("oversized (1472 bytes)", true, func(b []byte) []byte { return append(b, make([]byte, 1472-len(b))...) })
	add("oversized (4000 bytes, fragmented; read cut at 1500)", true, func(b []byte) []byte { return append(b, bytes.Repeat([]byte{0xff}, 4000-len(b))...) })
	add("htype InfiniBand", false, func(b []byte) []byte { b[1], b[2] = 32, 20; return b })
	add("a reply, not a request", false, func(b []byte) []byte { b[0] = 2; return b })
	for _, p := range probes {
		c.send(t, p.pkt)
	}
	time.Sleep(time.Second)
	for i, p := range probes {
		got := c.replies(xidOf(uint32(0x440000 + i)))
		if (len(got) > 0) != p.answer {
			t.Errorf("%s: %d replies, want answered=%v", p.name, len(got), p.answer)
		}
		for _, m := range got {
			if ip := m.YourIPAddr.To4(); m.MessageType() != dhcpv4.MessageTypeOffer || ip[2] != 1 || ip[3] < 100 || ip[3] > 199 {
				t.Errorf("%s: answered %s of %s", p.name, m.MessageType(), m.YourIPAddr)
			}
		}
	}
}

// dhcpExchanges is the number of leases a phonesim phone obtained.
func dhcpExchanges(t *testing.T, p *accPhone) int {
	t.Helper()
	res, err := readPhoneResult(p.sp.Result)
	if err != nil {
		t.Fatal(err)
	}
	return len(res.DHCP)
}
