package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/phoneflash/phoneflash/appliance/nettest"
	"github.com/phoneflash/phoneflash/appliance/session"
	"github.com/phoneflash/phoneflash/firmware/fwgen"
	"github.com/phoneflash/phoneflash/internal/kamailio"
	"github.com/phoneflash/phoneflash/internal/namespace"
)

// sipText is a REGISTER for ext to host, for raw sockets.
func sipText(host, ext, branch string) []byte {
	return fmt.Appendf(nil, "REGISTER sip:%s SIP/2.0\r\nVia: SIP/2.0/UDP 10.79.1.250:5060;branch=z9hG4bK%s\r\n"+
		"From: <sip:%s@%s>;tag=1\r\nTo: <sip:%s@%s>\r\nCall-ID: %s@x\r\nCSeq: 1 REGISTER\r\n"+
		"Contact: <sip:%s@10.79.1.250:5060>\r\nExpires: 3600\r\nContent-Length: 0\r\n\r\n", host, branch, ext, host, ext, host, branch, ext)
}

// hostileSIP is what an attacker on a bench port sends: random bytes,
// truncated and oversized REGISTERs, binary in a header, answers nobody
// asked for and REGISTERs from thousands of Call-IDs.
func hostileSIP(rng *rand.Rand, host string, i int) []byte {
	reg := sipText(host, "6666", fmt.Sprint("h", i))
	switch i % 6 {
	case 0:
		junk := make([]byte, 1400)
		for j := range junk {
			junk[j] = byte(rng.Uint32())
		}
		return junk
	case 1:
		return reg[:rng.IntN(len(reg))]
	case 2:
		pad := bytes.Repeat([]byte("X-Pad: "+strings.Repeat("a", 200)+"\r\n"), 200) // about 42 kB
		return append(append([]byte("REGISTER sip:"+host+" SIP/2.0\r\n"), pad...), reg...)
	case 3:
		return []byte("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.79.1.250;branch=z9hG4bKx\r\nCSeq: 1 REGISTER\r\nCall-ID: x\r\nContent-Length: 0\r\n\r\n")
	case 4:
		return bytes.ReplaceAll(reg, []byte("Call-ID"), []byte("\x00\xff\xfe"))
	}
	return reg
}

// TestIntegrationHostileSIP: from a host on a bench port, SIP garbage,
// truncated and oversized SIP and floods over UDP and TCP, to the bench
// registrar on the port's address and through the route to the office PBX
// (which the port's watcher sees). The daemon's memory, threads and
// goroutines stay bounded (its /metrics scraped in its namespace), and
// afterwards the watcher and the registrar still work: a phone flashed to
// the target registers with Kamailio and is done, a phone without an
// account registers with the bench registrar and is done (no account).
func TestIntegrationHostileSIP(t *testing.T) {
	fw := firmwareStore(t, 0.02, fwgen.SCCP852(), fwgen.SIP942())
	macs := []string{"00:22:90:ac:22:01", "00:22:90:ac:22:02"}
	b := newRegBench(t, fw, 1, accounts(macs[0])) // 2001 with pw2001, as Kamailio has it
	b.startPBX(t, kamailio.User{Extension: "2001", Password: "pw2001"})
	b.serveRouted()
	ns := b.hostileClient(0, "s", "10.79.1.250/24")
	if err := namespace.IP(ns, "route", "add", "default", "via", "10.79.1.1"); err != nil {
		t.Fatal(err)
	}
	newDHCPClient(t, b.hostileClient(0, "d", "")).waitDHCP(t, b.srvLog)
	peak := watchPeak(t, b.srv.Process.Pid, b.app)

	// The bench registrar; the PBX, through the route, which the watcher sees.
	floodSIP(t, ns, "10.79.1.1:5060", officePBX+":5060")
	peak.check(t, "SIP attack")

	// Afterwards: real phones are watched and registered.
	pA := b.regPhone(0, "a", macs[0], "7911", "sccp852", "registered")
	pB := b.regPhone(0, "b", macs[1], "7906", "sip", "registered")
	for i, want := range []struct{ result, registrar string }{{"done", officePBX + ":5060"}, {"done (no account)", "10.79.1.1:5060"}} {
		own := []*accPhone{pA, pB}[i].own(t, 60*time.Second)
		if own.State != "registered" || own.SIP.Registrar != want.registrar {
			t.Errorf("%s: own result %s, registration %+v; want registered at %s", macs[i], own.State, own.SIP, want.registrar)
		}
		p := b.apiPhone(t, macs[i], 20*time.Second, session.StageDone, session.StageFailed)
		if p.Result != want.result || p.Registration == nil || p.Registration.State != session.RegRegistered {
			t.Errorf("%s: API %s, registration %+v; want %s, registered", macs[i], p.Result, p.Registration, want.result)
		}
	}
	if _, ok := b.location(t, "2001"); !ok {
		t.Error("2001 is not in Kamailio's location table after the attack")
	}
	if !strings.Contains(b.srvLog.String(), "sipwatch: not SIP") {
		t.Error("the watcher logged no garbage: the attack did not reach it")
	}
	peak.check(t, "after the attack")
}

// floodSIP sends, from namespace ns, 20,000 hostile datagrams and 80 TCP
// connections (half messages, an endless header, binary) to the targets in
// turn.
func floodSIP(t *testing.T, ns string, targets ...string) {
	t.Helper()
	rng := rand.New(rand.NewPCG(16, 2))
	err := nettest.Do(ns, func() error {
		udp, err := net.ListenUDP("udp4", &net.UDPAddr{})
		if err != nil {
			return err
		}
		defer udp.Close()
		for i := range 20000 {
			to, _ := net.ResolveUDPAddr("udp4", targets[i%len(targets)])
			udp.WriteTo(hostileSIP(rng, to.IP.String(), i/2), to)
			if i%50 == 0 {
				time.Sleep(time.Millisecond) // what a bench port passes, not a socket buffer overflow
			}
		}
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for i := range 80 {
			c, err := net.DialTimeout("tcp4", targets[i%len(targets)], 3*time.Second)
			if err != nil {
				continue // the registrar refuses connections over its limit
			}
			conns = append(conns, c)
			switch i % 4 {
			case 0, 1:
				c.Write(sipText("x", "6666", "t")[:100]) // half a message, never finished
			case 2:
				c.Write([]byte("REGISTER sip:x SIP/2.0\r\nX-Pad: "))
				for range 16 {
					c.Write(bytes.Repeat([]byte("a"), 4096)) // an endless header
				}
			case 3:
				c.Write(hostileSIP(rng, "x", 0)) // binary
			}
		}
		time.Sleep(time.Second)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
