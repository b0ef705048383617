package appliance

import (
	"context"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/phoneflash/phoneflash/appliance/nettest"
	"github.com/phoneflash/phoneflash/appliance/session"
	"github.com/phoneflash/phoneflash/appliance/status"
	"github.com/phoneflash/phoneflash/appliance/tftpd"
	"github.com/phoneflash/phoneflash/board"
	"github.com/phoneflash/phoneflash/firmware"
	"github.com/phoneflash/phoneflash/firmware/fwgen"
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

// simPhone is a CP-79x1 on a loopback bench port: its DHCP exchange is the
// phone's own DISCOVER (nettest.CiscoDiscover) and a REQUEST, its TFTP
// client the phone's lockstep RFC 1350 one (512-byte blocks, no options)
// from its leased address. It keeps every file it got.
type simPhone struct {
	t      *testing.T
	mac    net.HardwareAddr
	model  string         // CP-7906G
	conn   *net.UDPConn   // DHCP, before it has an address
	server netip.AddrPort // the port's DHCP socket
	tftp   func() int     // the port's TFTP socket's port (69 on a real bench)
	ip     netip.Addr     // leased
	via    netip.Addr     // TFTP server, from option 150
	got    map[string][]byte
	asked  []string
}

func newSimPhone(t *testing.T, mac, model string) *simPhone {
	hw, err := net.ParseMAC(mac)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &simPhone{t: t, mac: hw, model: model, conn: c, got: map[string][]byte{}}
}

func (p *simPhone) key() string { return session.NormalizeMAC(p.mac.String()) }

func (p *simPhone) vendorClass() string { return "Cisco Systems, Inc. IP Phone " + p.model + "\x00" }

// exchange sends a DHCP message and returns the reply.
func (p *simPhone) exchange(pkt []byte) (*dhcpv4.DHCPv4, error) {
	if _, err := p.conn.WriteTo(pkt, net.UDPAddrFromAddrPort(p.server)); err != nil {
		return nil, err
	}
	p.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 1500)
	n, _, err := p.conn.ReadFrom(buf)
	if err != nil {
		return nil, err
	}
	return dhcpv4.FromBytes(buf[:n])
}

// boot is the phone's DHCP at power-on: DISCOVER, OFFER, REQUEST, ACK.
func (p *simPhone) boot() error {
	offer, err := p.exchange(nettest.CiscoDiscover(p.mac, uint32(len(p.asked)+1), p.model))
	if err != nil || offer.MessageType() != dhcpv4.MessageTypeOffer {
		return fmt.Errorf("DISCOVER: reply %v, %v", offer, err)
	}
	req, err := dhcpv4.New(dhcpv4.WithMessageType(dhcpv4.MessageTypeRequest), dhcpv4.WithHwAddr(p.mac),
		dhcpv4.WithTransactionID(offer.TransactionID),
		dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(offer.YourIPAddr)),
		dhcpv4.WithOption(dhcpv4.OptServerIdentifier(offer.ServerIdentifier())),
		dhcpv4.WithOption(dhcpv4.OptClassIdentifier(p.vendorClass())),
		dhcpv4.WithOption(dhcpv4.OptHostName("SEP"+p.key())))
	if err != nil {
		return err
	}
	ack, err := p.exchange(req.ToBytes())
	if err != nil || ack.MessageType() != dhcpv4.MessageTypeAck {
		return fmt.Errorf("REQUEST: reply %v, %v", ack, err)
	}
	opt150 := ack.GetOneOption(dhcpv4.OptionTFTPServerAddress)
	via, ok := netip.AddrFromSlice(opt150)
	if !ok || string(ack.GetOneOption(dhcpv4.OptionTFTPServerName)) != via.String() {
		return fmt.Errorf("ACK names TFTP server % x (option 150) and %q (option 66)", opt150, ack.GetOneOption(dhcpv4.OptionTFTPServerName))
	}
	p.ip, _ = netip.AddrFromSlice(ack.YourIPAddr.To4())
	p.via = via
	return nil
}

var errTFTPNotFound = errors.New("TFTP error 1 (file not found)")

// get reads name by TFTP, as the phone's lockstep client does.
func (p *simPhone) get(name string) ([]byte, error) {
	p.asked = append(p.asked, name)
	c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(p.ip, 0)))
	if err != nil {
		return nil, err
	}
	defer c.Close()
	rrq := append(append([]byte{0, 1}, name...), "\x00octet\x00"...)
	if _, err := c.WriteTo(rrq, net.UDPAddrFromAddrPort(netip.AddrPortFrom(p.via, uint16(p.tftp())))); err != nil {
		return nil, err
	}
	var data []byte
	next := uint16(1)
	buf := make([]byte, 516)
	for {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, from, err := c.ReadFrom(buf)
		if err != nil {
			return nil, fmt.Errorf("tftp get %s: %w", name, err)
		}
		if n < 4 {
			continue
		}
		switch op, block := binary.BigEndian.Uint16(buf), binary.BigEndian.Uint16(buf[2:]); op {
		case 5:
			if block == 1 {
				return nil, fmt.Errorf("tftp get %s: %w", name, errTFTPNotFound)
			}
			return nil, fmt.Errorf("tftp get %s: error %d %q", name, block, buf[4:n])
		case 3:
			if block == next {
				data = append(data, buf[4:n]...)
				next++
			}
			if _, err := c.WriteTo([]byte{0, 4, byte(block >> 8), byte(block)}, from); err != nil {
				return nil, err
			}
			if block == next-1 && n < 516 {
				p.got[name] = data
				return data, nil
			}
		}
	}
}

// config is what the phone reads in its SEP<MAC>.cnf.xml.
type config struct {
	Protocol string `xml:"deviceProtocol"`
	Load     string `xml:"loadInformation"`
	PBX      string `xml:"devicePool>callManagerGroup>members>member>callManager>processNodeName"`
	Lines    []struct {
		Name     string `xml:"name"`
		AuthName string `xml:"authName"`
		Password string `xml:"authPassword"`
	} `xml:"sipProfile>sipLines>line"`
}

// install fetches a signed .loads file (a term file or LOAD.loads) and the
// images it names, checking that each signed file names itself, and
// returns the load it installed.
func (p *simPhone) install(loadsName string) (string, error) {
	b, err := p.get(loadsName)
	if err != nil {
		return "", err
	}
	h, err := firmware.ParseHeader(b)
	if err != nil || h.FileName != loadsName {
		return "", fmt.Errorf("%s: header names %q (%v)", loadsName, h.FileName, err)
	}
	lf, err := firmware.ParseLoads(b[h.Length:])
	if err != nil {
		return "", err
	}
	for _, img := range lf.Images {
		b, err := p.get(img)
		if err != nil {
			return "", err
		}
		if h, err := firmware.ParseHeader(b); err != nil || h.FileName != img {
			return "", fmt.Errorf("%s: header names %q (%v)", img, h.FileName, err)
		}
	}
	for _, l := range fwgen.Loads() {
		if slices.Equal(l.ImageNames(), lf.Images) {
			return l.Name, nil
		}
	}
	return "", fmt.Errorf("%s names images of no known load: %v", loadsName, lf.Images)
}

// journey plays the phone from power-on until it gets a SIP config naming
// the load it runs, starting on load runs ("" after a factory reset). After
// each install it waits, as the flash write takes, until the bench shows
// it applying. It returns that last config.
func (p *simPhone) journey(runs string, applying func() bool) (config, error) {
	for boots := 0; boots < 6; boots++ {
		if err := p.boot(); err != nil {
			return config{}, err
		}
		next := ""
		if runs == "" {
			next = "term" + p.model[5:7] + ".default.loads"
		} else {
			probes := []string{"CTLSEP" + p.key() + ".tlv", "ITLSEP" + p.key() + ".tlv"}
			if strings.HasPrefix(runs, "SIP") {
				probes = append(probes, "ITLFile.tlv")
			}
			for _, f := range probes {
				if _, err := p.get(f); !errors.Is(err, errTFTPNotFound) {
					return config{}, fmt.Errorf("%s: %v, want file not found", f, err)
				}
			}
			b, err := p.get("SEP" + p.key() + ".cnf.xml")
			if err != nil {
				return config{}, err
			}
			var c config
			if err := xml.Unmarshal(b, &c); err != nil {
				return config{}, fmt.Errorf("config: %w", err)
			}
			if c.Load == runs || c.Load == "" {
				return c, nil
			}
			next = c.Load + ".loads"
		}
		installed, err := p.install(next)
		if err != nil {
			return config{}, err
		}
		runs = installed
		deadline := time.Now().Add(20 * time.Second)
		for !applying() {
			if time.Now().After(deadline) {
				return config{}, fmt.Errorf("the bench does not show the phone applying %s", runs)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	return config{}, errors.New("no SIP config after 6 boots")
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
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- RunSockets(ctx, cfg, nil, discard(), socks) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("RunSockets: %v", err)
		}
	}()

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
