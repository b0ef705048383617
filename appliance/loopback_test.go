package appliance

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/phoneflash/phoneflash/appliance/nettest"
	"github.com/phoneflash/phoneflash/appliance/session"
	"github.com/phoneflash/phoneflash/appliance/status"
	"github.com/phoneflash/phoneflash/appliance/tftpd"
	"github.com/phoneflash/phoneflash/board"
	"github.com/phoneflash/phoneflash/firmware"
	"github.com/phoneflash/phoneflash/firmware/fwgen"
	"github.com/phoneflash/phoneflash/internal/servicetest"
)

// segment is a bench port's wire as the DHCP server sees it over loopback:
// what it sends to port 68 (broadcast, or unicast to a renewing client)
// reaches the phone's DHCP socket, as it would on the port's Ethernet.
type segment struct {
	*net.UDPConn
	phone net.Addr
}

func (s segment) WriteTo(b []byte, to net.Addr) (int, error) {
	if ua, ok := to.(*net.UDPAddr); ok && ua.Port == 68 && s.phone != nil {
		to = s.phone
	}
	return s.UDPConn.WriteTo(b, to)
}

// loopbackSockets opens each port's DHCP and TFTP sockets on loopback port
// 0: on the port's own address when it is a loopback one, else 127.0.0.1.
// phones names, per port, the DHCP socket of the simulated phone there.
func loopbackSockets(cfg Config, phones map[string]net.Addr) (map[string]PortSockets, error) {
	socks := map[string]PortSockets{}
	for _, p := range cfg.Ports {
		addr := netip.MustParseAddr("127.0.0.1")
		if p.Addr.Addr().IsLoopback() {
			addr = p.Addr.Addr()
		}
		d, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr, 0)))
		if err != nil {
			return nil, err
		}
		tc, err := tftpd.Listen(context.Background(), "", netip.AddrPortFrom(addr, 0))
		if err != nil {
			return nil, err
		}
		socks[p.Name] = PortSockets{DHCP: segment{d, phones[p.Name]}, TFTP: tc}
	}
	return socks, nil
}

// runLoopback runs the appliance on loopback sockets until ctx is done; it
// needs no privileges.
func runLoopback(ctx context.Context, cfg Config, hw board.Hardware) error {
	socks, err := loopbackSockets(cfg, nil)
	if err != nil {
		return err
	}
	return RunSockets(ctx, cfg, hw, discard(), socks)
}

// TestLoopbackJourneys runs the whole appliance, without root or netlink,
// on loopback sockets: a CP-7911G on the stepping stone and a CP-7906G
// after a factory reset, one per port, go from their DISCOVER to done. The
// phones' own view is checked (the address and TFTP server they were given,
// the signed files they got, the SIP config with their account) as well as
// the snapshot.
func TestLoopbackJourneys(t *testing.T) {
	cfg := testConfig(t)
	for i, name := range []string{nettest.Unique("pfw"), nettest.Unique("pfw")} {
		cfg.Ports = append(cfg.Ports, Port{Name: name, Addr: netip.PrefixFrom(netip.AddrFrom4([4]byte{127, 0, byte(i + 1), 1}), 24)})
	}
	cfg.AccountsFile = writeTemp(t, "mac,extension,password,pbx_host\n"+
		"00:1b:d4:79:11:01,1001,pw1001,192.0.2.10\n00:1b:d4:79:06:02,1002,pw1002,192.0.2.10\n")
	var mu sync.Mutex
	var last status.Snapshot
	cfg.OnStatus = func(s status.Snapshot) { mu.Lock(); last = s; mu.Unlock() }
	stageOf := func(mac string) session.Phone {
		mu.Lock()
		defer mu.Unlock()
		for _, pv := range last.Ports {
			for _, ph := range pv.Phones {
				if ph.MAC == mac {
					return ph
				}
			}
		}
		return session.Phone{}
	}
	phones := []*simPhone{newSimPhone(t, "00:1b:d4:79:11:01", "CP-7911G"), newSimPhone(t, "00:1b:d4:79:06:02", "CP-7906G")}
	starts := []string{"SCCP11.8-5-2S", ""}
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
	servicetest.Start(t, func(ctx context.Context) error { return RunSockets(ctx, cfg, nil, discard(), socks) })

	var wg sync.WaitGroup
	configs := make([]config, len(phones))
	errs := make([]error, len(phones))
	for i, p := range phones {
		wg.Go(func() {
			configs[i], errs[i] = p.journey(starts[i], func() bool { return stageOf(p.key()).Stage == session.StageApplying })
		})
	}
	wg.Wait()
	for i, p := range phones {
		if errs[i] != nil {
			t.Fatalf("%s: %v\nasked for: %v\nbench shows: %+v", p.model, errs[i], p.asked, stageOf(p.key()))
		}
		t.Logf("%s asked for %v", p.model, p.asked)
		port := cfg.Ports[i]
		if first, _ := port.Pool(); p.ip != first || p.via != port.Addr.Addr() {
			t.Errorf("%s: leased %s with TFTP server %s, want %s from %s", p.model, p.ip, p.via, first, port.Addr.Addr())
		}
		c := configs[i]
		if c.Protocol != "SIP" || c.Load != DefaultTarget || c.PBX != "192.0.2.10" || len(c.Lines) != 1 ||
			c.Lines[0].Name != fmt.Sprint(1001+i) || c.Lines[0].Password != fmt.Sprint("pw", 1001+i) {
			t.Errorf("%s: last config %+v, want a SIP config on %s with line %d", p.model, c, DefaultTarget, 1001+i)
		}
		checkGot(t, cfg.FirmwareDir, p)
		ph := stageOf(p.key())
		if ph.Stage != session.StageDone || ph.Load != DefaultTarget || ph.Port != port.Name || ph.IP != p.ip.String() {
			t.Errorf("%s: the bench shows %+v, want done on %s at %s", p.model, ph, port.Name, p.ip)
		}
	}
	// The factory-reset 7906 went over the stepping stone; the 7911 on it
	// took the target straight from its config.
	step := fwgen.SCCP852().ImageNames()[0]
	for i, wantStep := range []bool{false, true} {
		_, stepped := phones[i].got[step]
		if stepped != wantStep {
			t.Errorf("%s fetched %v; stepping stone wanted: %v", phones[i].model, phones[i].asked, wantStep)
		}
	}
}

func writeTemp(t *testing.T, content string) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

// checkGot compares every signed file the phone got with the store's copy
// of the load its name belongs to.
func checkGot(t *testing.T, dir string, p *simPhone) {
	t.Helper()
	store, err := firmware.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range p.got {
		if strings.HasSuffix(name, ".cnf.xml") {
			continue
		}
		var found bool
		for _, l := range store.Loads() {
			if _, ok := l.File(name); !ok {
				continue
			}
			f, err := store.Open(l.Name, name)
			if err != nil {
				t.Fatal(err)
			}
			want := make([]byte, len(got)+1)
			n, _ := f.ReadAt(want, 0)
			f.Close()
			if n == len(got) && string(want[:n]) == string(got) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: %s (%d bytes) is no file of the store", p.model, name, len(got))
		}
	}
}
