package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/phoneflash/phoneflash/appliance/nettest"
	"github.com/phoneflash/phoneflash/firmware/fwgen"
)

// discover broadcasts a Cisco phone's DISCOVER from port 68 on dev in
// namespace ns and returns the first reply within wait.
func discover(t *testing.T, ns, dev string, mac net.HardwareAddr, model string, wait time.Duration) (*dhcpv4.DHCPv4, error) {
	t.Helper()
	conn, err := nettest.ListenUDP(ns, dev, 68)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	xid := uint32(mac[4])<<8 | uint32(mac[5])
	reply, err := nettest.Broadcast(conn, 67, nettest.CiscoDiscover(mac, xid, model), wait)
	if err != nil {
		return nil, err
	}
	return dhcpv4.FromBytes(reply)
}

func (b *bench) checkPhoneDiscover(t *testing.T, srv *server) {
	mac := net.HardwareAddr{0x00, 0x1b, 0xd4, 0x79, 0x06, 0x01}
	offer, err := discover(t, b.c2, b.if2, mac, "CP-7906G", 3*time.Second)
	if err != nil || offer.MessageType() != dhcpv4.MessageTypeOffer || offer.YourIPAddr.String() != "10.79.2.101" {
		t.Fatalf("reply %v (%v), want an OFFER of 10.79.2.101", offer, err)
	}
	waitLog(t, srv, "model=CP-7906G")
	if !strings.Contains(srv.log.String(), "hostname=SEP001BD4790601") {
		t.Error("the phone's hostname is not logged")
	}
}

func (b *bench) checkUplinkSilent(t *testing.T, srv *server) {
	mac := net.HardwareAddr{0x00, 0x1b, 0xd4, 0x00, 0x00, 0x99}
	if reply, err := discover(t, b.up, b.ifUp, mac, "CP-7911G", 2*time.Second); reply != nil || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a DISCOVER on the uplink was answered: %v (%v)", reply, err)
	}
	if strings.Contains(srv.log.String(), mac.String()) {
		t.Error("the server saw the uplink's DISCOVER")
	}
}

func (b *bench) checkRogueReported(t *testing.T, srv *server) {
	conn, err := nettest.ListenUDP(b.c1, b.if1, 67)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rogue, err := dhcpv4.New(dhcpv4.WithReply(&dhcpv4.DHCPv4{OpCode: dhcpv4.OpcodeBootRequest}),
		dhcpv4.WithMessageType(dhcpv4.MessageTypeOffer), dhcpv4.WithYourIP(net.IPv4(10, 79, 1, 77)),
		dhcpv4.WithServerIP(net.IPv4(10, 79, 1, 50)), dhcpv4.WithOption(dhcpv4.OptServerIdentifier(net.IPv4(10, 79, 1, 50))))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.WriteTo(rogue.ToBytes(), &net.UDPAddr{IP: net.IPv4bcast, Port: 68}); err != nil {
		t.Fatal(err)
	}
	waitLog(t, srv, "another DHCP server at 10.79.1.50 on "+b.p1)
}

func (b *bench) checkDownloads(t *testing.T, srv *server) {
	out := filepath.Join(t.TempDir(), "hpa.sbn")
	nettest.Must(t, b.c1, "tftp", "-m", "binary", "10.79.1.1", "-c", "get", b.imageName, out)
	checkFile(t, out, b.image)
	for _, args := range [][]string{{"--tftp-no-options"}, {}, {"--tftp-blksize", "1468"}, {"--tftp-blksize", "8192"}} {
		out := filepath.Join(t.TempDir(), "curl.sbn")
		nettest.Must(t, b.c2, append([]string{"curl", "-sS", "-o", out}, append(args, "tftp://10.79.2.1/"+b.imageName)...)...)
		checkFile(t, out, b.image)
	}
	waitLog(t, srv, "RRQ from 10.79.1.100 filename "+b.imageName)
	waitLog(t, srv, fmt.Sprintf("sent %s to 10.79.1.100: %d bytes", b.imageName, len(b.image)))
	if !regexp.MustCompile(`RRQ from 10.79.1.100 filename ` + regexp.QuoteMeta(b.imageName) + `.*port=` + b.p1 + `.*mac=`).MatchString(srv.log.String()) {
		t.Error("RRQ log line lacks port and MAC")
	}
}

func (b *bench) checkRefusals(t *testing.T, srv *server) {
	for _, name := range []string{"../secret.txt", "/etc/passwd", "..\\secret.txt", "link.sbn", "loose.sbn", "sub/../../secret.txt", "Term06.default.loads"} {
		out := filepath.Join(t.TempDir(), "got")
		res, err := nettest.Run(b.c1, "tftp", "-m", "binary", "10.79.1.1", "-c", "get", name, out)
		got, _ := os.ReadFile(out)
		if bytes.Contains(got, []byte("TOP SECRET")) || bytes.Contains(got, []byte("root:")) || (err == nil && !strings.Contains(res, "Error")) {
			t.Errorf("get %q: %q %v, file %q: want an error", name, res, err, got)
		}
	}
	conn, err := nettest.ListenUDP(b.c1, b.if1, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, raw := range []string{"../secret.txt\x00term06.default.loads", "\x00/etc/passwd"} {
		pkt := append(append([]byte{0, 1}, raw...), "\x00octet\x00"...)
		if _, err := conn.WriteTo(pkt, &net.UDPAddr{IP: net.IPv4(10, 79, 1, 1), Port: 69}); err != nil {
			t.Fatal(err)
		}
		conn.SetReadDeadline(time.Now().Add(3 * time.Second))
		buf := make([]byte, 600)
		n, _, err := conn.ReadFrom(buf)
		if err != nil || n < 4 || buf[1] != 5 {
			t.Errorf("RRQ %q: reply % x (%v), want an ERROR", raw, buf[:n], err)
		}
	}
	up := filepath.Join(t.TempDir(), "upload.sbn")
	writeFile(t, up, []byte("evil"))
	res, _ := nettest.Run(b.c1, "tftp", "-m", "binary", "10.79.1.1", "-c", "put", up, "upload.sbn")
	if !strings.Contains(res, "Error") {
		t.Errorf("put: %q, want an error", res)
	}
	if _, err := os.Stat(filepath.Join(b.fw, "upload.sbn")); err == nil {
		t.Error("a write request created a file")
	}
	if !strings.Contains(srv.log.String(), "File not found") && !strings.Contains(srv.log.String(), "file not found") {
		t.Error("no not-found line in the log")
	}
}

// checkReplug removes port 2 (a USB NIC unplugged) and creates it again: it
// is configured again and serves DHCP and TFTP on the new interface.
func (b *bench) checkReplug(t *testing.T, srv *server) {
	nettest.Must(t, b.srv, "ip", "link", "del", b.p2)
	waitLog(t, srv, `msg="link vanish" component=netconf port=`+b.p2)
	nettest.Veth(t, b.srv, b.p2, b.c2, b.if2)
	waitLog(t, srv, `msg="link configured" component=netconf port=`+b.p2)
	ip, replies := udhcpc(t, b.c2, b.if2)
	if !strings.HasPrefix(ip, "10.79.2.") {
		t.Errorf("lease %s after replugging, want one of 10.79.2.0/24", ip)
	}
	checkTFTPOptions(t, replies, net.IPv4(10, 79, 2, 1))
	out := filepath.Join(t.TempDir(), "loads")
	nettest.Must(t, b.c2, "tftp", "-m", "binary", "10.79.2.1", "-c", "get", "term06.default.loads", out)
	want, err := os.ReadFile(filepath.Join(b.fw, fwgen.SIP942().Name, "term06.default.loads"))
	if err != nil {
		t.Fatal(err)
	}
	checkFile(t, out, want) // not a phone: the target load's term file
}
