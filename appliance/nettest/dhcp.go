package nettest

import (
	"context"
	"net"
	"strconv"
	"time"

	"github.com/phoneflash/phoneflash/internal/udpsock"
)

// CiscoDiscover is a DHCPDISCOVER byte for byte as a Cisco CP-7906G /
// CP-7911G builds it (cnu11 /sbin/dhcp): options 53, 61 (type 1 + MAC), 12
// ("SEP" + MAC in upper case), 60 ("Cisco Systems, Inc. IP Phone " + model
// + NUL) and 55 = 1,66,6,3,15,150,35, in that order, padded to a 548-byte
// BOOTP payload. model is e.g. "CP-7906G".
func CiscoDiscover(mac net.HardwareAddr, xid uint32, model string) []byte {
	b := make([]byte, 240, 548)
	b[0], b[1], b[2] = 1, 1, 6 // BOOTREQUEST, Ethernet, hlen 6
	b[4], b[5], b[6], b[7] = byte(xid>>24), byte(xid>>16), byte(xid>>8), byte(xid)
	copy(b[28:], mac)
	copy(b[236:], []byte{99, 130, 83, 99})
	host := "SEP" + hexUpper(mac)
	vci := "Cisco Systems, Inc. IP Phone " + model + "\x00"
	b = append(b, 53, 1, 1)
	b = append(b, 61, 7, 1)
	b = append(b, mac...)
	b = append(b, 12, byte(len(host)))
	b = append(b, host...)
	b = append(b, 60, byte(len(vci)))
	b = append(b, vci...)
	b = append(b, 55, 7, 1, 66, 6, 3, 15, 150, 35, 255)
	return b[:548]
}

func hexUpper(mac net.HardwareAddr) string {
	const digits = "0123456789ABCDEF"
	var s []byte
	for _, x := range mac {
		s = append(s, digits[x>>4], digits[x&15])
	}
	return string(s)
}

// ListenUDP opens a UDP socket in namespace ns on 0.0.0.0:port, bound to
// device dev, with SO_BROADCAST, as a DHCP client or a fake server would.
func ListenUDP(ns, dev string, port int) (*net.UDPConn, error) {
	var conn *net.UDPConn
	err := Do(ns, func() (err error) {
		conn, err = udpsock.Listen(context.Background(), dev, "0.0.0.0:"+strconv.Itoa(port))
		return err
	})
	return conn, err
}

// Broadcast sends pkt to 255.255.255.255:port and returns the first reply
// that arrives within timeout, or an error.
func Broadcast(conn *net.UDPConn, port int, pkt []byte, timeout time.Duration) ([]byte, error) {
	if _, err := conn.WriteTo(pkt, &net.UDPAddr{IP: net.IPv4bcast, Port: port}); err != nil {
		return nil, err
	}
	conn.SetReadDeadline(time.Now().Add(timeout))
	buf := make([]byte, 2048)
	n, _, err := conn.ReadFrom(buf)
	if err != nil {
		return nil, err
	}
	return buf[:n], nil
}
