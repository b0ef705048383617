package appliance

import (
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/phoneflash/phoneflash/appliance/nettest"
	"github.com/phoneflash/phoneflash/appliance/session"
	"github.com/phoneflash/phoneflash/firmware"
	"github.com/phoneflash/phoneflash/firmware/fwgen"
)

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
