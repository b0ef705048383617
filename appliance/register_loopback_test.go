package appliance

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phoneflash/phoneflash/appliance/nettest"
	"github.com/phoneflash/phoneflash/appliance/session"
	"github.com/phoneflash/phoneflash/appliance/status"
)

// idleWire is a bench port's wire on which the watcher sees nothing: it
// stands for frames the caller of RunSockets would feed.
type idleWire struct{}

func (idleWire) ReadFrame([]byte) (int, error) {
	time.Sleep(20 * time.Millisecond)
	return 0, os.ErrDeadlineExceeded
}
func (idleWire) SetReadDeadline(time.Time) error { return nil }

// registerFrom sends a REGISTER for ext from the phone's leased address,
// as its SIP stack does, to the registrar at to, and returns the answer's
// status line.
func registerFrom(t *testing.T, from netip.Addr, to netip.AddrPort, ext string) string {
	t.Helper()
	c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(from, 0)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	me := c.LocalAddr().String()
	msg := fmt.Sprintf("REGISTER sip:%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-pf1\r\n"+
		"From: <sip:%s@%s>;tag=1\r\nTo: <sip:%s@%s>\r\nCall-ID: pf1@%s\r\nCSeq: 101 REGISTER\r\nMax-Forwards: 70\r\n"+
		"Contact: <sip:%s@%s;transport=udp>\r\nExpires: 3600\r\nUser-Agent: Cisco-CP7906G/9.4.2SR1\r\nContent-Length: 0\r\n\r\n",
		to, me, ext, to.Addr(), ext, to.Addr(), from, ext, me)
	if _, err := c.WriteTo([]byte(msg), net.UDPAddrFromAddrPort(to)); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 4096)
	n, _, err := c.ReadFrom(buf)
	if err != nil {
		t.Fatalf("REGISTER to the bench registrar: %v", err)
	}
	line, _, _ := strings.Cut(string(buf[:n]), "\r\n")
	return line
}

// plugIn opens the loopback sockets of cfg's ports and cables phone i to
// port i: its DHCP and TFTP go to that port's sockets.
func plugIn(t *testing.T, cfg Config, phones []*simPhone) map[string]PortSockets {
	t.Helper()
	wires := map[string]net.Addr{}
	for i, p := range cfg.Ports {
		wires[p.Name] = phones[i].conn.LocalAddr()
	}
	socks, err := loopbackSockets(cfg, wires)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range cfg.Ports {
		s := socks[p.Name]
		phones[i].server = s.DHCP.LocalAddr().(*net.UDPAddr).AddrPort()
		phones[i].tftp = func() int { return s.TFTP.LocalAddr().(*net.UDPAddr).Port }
	}
	return socks
}

// TestLoopbackBenchRegistrar runs the appliance on loopback sockets with
// the bench registrar's socket given and the watcher fed (an idle wire): a
// 7906G already on the target without an account gets a config naming the
// registrar, registers there, and is done (no account) by that REGISTER,
// long before it would have settled. A port whose watcher is not fed ends
// as before, its registration not checked.
func TestLoopbackBenchRegistrar(t *testing.T) {
	cfg := testConfig(t)
	cfg.TimeScale = 1 // settling takes 20 s: the REGISTER must end it first
	for i, name := range []string{nettest.Unique("pfg"), nettest.Unique("pfg")} {
		cfg.Ports = append(cfg.Ports, Port{Name: name, Addr: netip.PrefixFrom(netip.AddrFrom4([4]byte{127, 0, byte(i + 1), 1}), 24)})
	}
	phones := []*simPhone{newSimPhone(t, "00:1b:d4:79:06:11", "CP-7906G"), newSimPhone(t, "00:1b:d4:79:06:12", "CP-7906G")}
	socks := plugIn(t, cfg, phones)
	udp, err := net.ListenPacket("udp4", cfg.Ports[0].Addr.Addr().String()+":0")
	if err != nil {
		t.Fatal(err)
	}
	s := socks[cfg.Ports[0].Name]
	s.SIPFrames, s.SIPUDP = idleWire{}, udp
	socks[cfg.Ports[0].Name] = s
	registrar := netip.MustParseAddrPort(udp.LocalAddr().String())
	var mu sync.Mutex
	var last status.Snapshot
	cfg.OnStatus = func(s status.Snapshot) { mu.Lock(); last = s; mu.Unlock() }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- RunSockets(ctx, cfg, nil, discard(), socks) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("RunSockets: %v", err)
		}
	}()
	// waitFor polls the observer's snapshots until the phone is in stage.
	waitFor := func(p *simPhone, stage session.Stage) session.Phone {
		t.Helper()
		var ph session.Phone
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			mu.Lock()
			for _, pv := range last.Ports {
				for _, got := range pv.Phones {
					if got.MAC == p.key() {
						ph = got
					}
				}
			}
			mu.Unlock()
			if ph.Stage == stage {
				break
			}
		}
		return ph
	}

	c, err := phones[0].journey(DefaultTarget, func() bool { return false })
	if err != nil {
		t.Fatal(err)
	}
	if c.PBX != registrar.Addr().String() || len(c.Lines) != 1 || c.Lines[0].Name != phones[0].key() {
		t.Fatalf("config without an account: PBX %q, lines %+v; want a line at the bench registrar %s", c.PBX, c.Lines, registrar)
	}
	if ph := waitFor(phones[0], session.StageConfig); ph.Stage != session.StageConfig {
		t.Fatalf("before its REGISTER the phone is %s, want config (it may run the target)", ph.Stage)
	}
	if got := registerFrom(t, phones[0].ip, registrar, c.Lines[0].Name); got != "SIP/2.0 200 OK" {
		t.Fatalf("the bench registrar answered %q", got)
	}
	ph := waitFor(phones[0], session.StageDone)
	if ph.Stage != session.StageDone || ph.Result != "done (no account)" || ph.Registration == nil ||
		ph.Registration.State != session.RegRegistered || !ph.Registration.Bench || ph.Load != DefaultTarget {
		t.Fatalf("after its REGISTER: %+v (registration %+v), want done (no account), registered at the bench registrar", ph, ph.Registration)
	}

	// The other port: nothing watches it, the phone ends as before.
	if _, err := phones[1].journey(DefaultTarget, func() bool { return false }); err != nil {
		t.Fatal(err)
	}
	if ph := waitFor(phones[1], session.StageConfig); ph.Registration != nil || ph.Stage != session.StageConfig {
		t.Errorf("unwatched port: %+v, want config, waiting to settle, no registration yet", ph)
	}
}
