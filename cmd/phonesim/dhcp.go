package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

// bootpSize is the fixed BOOTP payload the phone sends (sendto(..., 548)).
const bootpSize = 548

// paramRequestList is option 55 exactly as the 79x1 firmware sends it.
var paramRequestList = []byte{1, 66, 6, 3, 15, 150, 35}

// DHCP message types used by the phone.
const (
	msgDiscover = 1
	msgOffer    = 2
	msgRequest  = 3
	msgAck      = 5
	msgNak      = 6
)

// buildDHCP returns the 548-byte BOOTP payload of a DISCOVER (server and
// requested are nil) or a REQUEST, with the options in the firmware's order:
// 53, [54], 61, 12, 60, [50], 55, 255.
func buildDHCP(id Identity, msgType byte, xid uint32, secs uint16, server, requested net.IP) []byte {
	b := make([]byte, bootpSize)
	b[0], b[1], b[2] = 1, 1, 6 // BOOTREQUEST, Ethernet, hlen 6
	binary.BigEndian.PutUint32(b[4:8], xid)
	binary.BigEndian.PutUint16(b[8:10], secs)
	copy(b[28:44], id.MAC)
	copy(b[236:240], []byte{99, 130, 83, 99})
	o := b[:240]
	add := func(code byte, v []byte) { o = append(o, code, byte(len(v))); o = append(o, v...) }
	add(53, []byte{msgType})
	if server != nil {
		add(54, server.To4())
	}
	add(61, append([]byte{1}, id.MAC...))
	add(12, []byte(capString(id.Hostname(), 63)))
	if vc := id.VendorClass(); vc != "" {
		add(60, append([]byte(capString(vc, 63)), 0))
	}
	if requested != nil {
		add(50, requested.To4())
	}
	add(55, paramRequestList)
	o = append(o, 255)
	return b // o shares b's array and never outgrows it
}

func capString(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// Lease is what the phone keeps from a DHCP ACK.
type Lease struct {
	IP       net.IP
	Mask     net.IPMask
	Router   net.IP
	ServerID net.IP
	Siaddr   net.IP
	Sname    string
	Opt150   []net.IP
	Opt66    string
	Lease    time.Duration
}

// errNotOurs means a datagram is not a reply to our transaction.
var errNotOurs = errors.New("not a reply to our transaction")

// parseReply decodes a server reply and checks it answers xid for mac.
func parseReply(b []byte, xid uint32, mac net.HardwareAddr) (*dhcpv4.DHCPv4, error) {
	m, err := dhcpv4.FromBytes(b)
	if err != nil {
		return nil, fmt.Errorf("dhcp: decode reply: %w", err)
	}
	if m.OpCode != dhcpv4.OpcodeBootReply || binary.BigEndian.Uint32(m.TransactionID[:]) != xid ||
		m.ClientHWAddr.String() != mac.String() {
		return nil, errNotOurs
	}
	return m, nil
}

// leaseFrom extracts the lease from an ACK (or an OFFER).
func leaseFrom(m *dhcpv4.DHCPv4) Lease {
	l := Lease{IP: m.YourIPAddr.To4(), Mask: m.SubnetMask(), ServerID: m.ServerIdentifier(),
		Siaddr: m.ServerIPAddr.To4(), Sname: m.ServerHostName, Lease: m.IPAddressLeaseTime(0)}
	if r := m.Router(); len(r) > 0 {
		l.Router = r[0].To4()
	}
	if v := m.GetOneOption(dhcpv4.OptionCode(dhcpv4.OptionTFTPServerAddress)); len(v) >= 4 {
		for i := 0; i+4 <= len(v) && len(l.Opt150) < 2; i += 4 {
			l.Opt150 = append(l.Opt150, net.IP(append([]byte(nil), v[i:i+4]...)))
		}
	}
	l.Opt66 = m.TFTPServerName()
	if l.Mask == nil {
		l.Mask = l.IP.DefaultMask()
	}
	return l
}

// errNoServer means the lease names no TFTP server the phone can use.
var errNoServer = errors.New("no TFTP server")

// TFTPChoice is the server the phone talks to and why.
type TFTPChoice struct {
	IP     net.IP
	Source string // alternate, option150, option66, siaddr
}

// chooseTFTP applies the firmware's precedence: alternate TFTP > option 150
// (first of at most two) > option 66 (dotted IP only: no DNS here) > siaddr.
func chooseTFTP(alt net.IP, l Lease) (TFTPChoice, error) {
	switch {
	case alt != nil:
		return TFTPChoice{alt, "alternate"}, nil
	case len(l.Opt150) > 0:
		return TFTPChoice{l.Opt150[0], "option150"}, nil
	case l.Opt66 != "":
		ip := net.ParseIP(l.Opt66).To4()
		if ip == nil {
			return TFTPChoice{}, fmt.Errorf("dhcp: option 66 %q is not a dotted IPv4 address (the simulator does no DNS): %w", l.Opt66, errNoServer)
		}
		return TFTPChoice{ip, "option66"}, nil
	case l.Siaddr != nil && !l.Siaddr.IsUnspecified():
		return TFTPChoice{l.Siaddr, "siaddr"}, nil
	}
	return TFTPChoice{}, fmt.Errorf("dhcp: no alternate, option 150, option 66 or siaddr: %w", errNoServer)
}

// dhcpBackoff is the retransmission schedule: 4, 8, 16, 32, 64 s. After the
// last wait the client restarts from INIT.
var dhcpBackoff = []time.Duration{4 * time.Second, 8 * time.Second, 16 * time.Second, 32 * time.Second, 64 * time.Second}
