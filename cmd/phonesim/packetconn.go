package main

import (
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"time"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/phoneflash/phoneflash/internal/packetsock"
)

// dhcpReceiver yields the UDP payloads of DHCP replies.
type dhcpReceiver interface {
	SetReadDeadline(time.Time) error
	Receive(buf []byte) ([]byte, error)
}

// udpReceiver reads replies from a UDP socket: enough when the server
// broadcasts them.
type udpReceiver struct{ net.PacketConn }

func (u udpReceiver) Receive(buf []byte) ([]byte, error) {
	n, _, err := u.ReadFrom(buf)
	return buf[:n], err
}

// packetReceiver reads IPv4 UDP datagrams to port 68 straight off the
// interface (AF_PACKET): it also sees replies unicast to the offered
// address, which the kernel would drop before the address is assigned
// (dnsmasq and ISC dhcpd unicast when the broadcast flag is clear, and the
// phone's flag is unknown, so the simulator leaves it clear).
type packetReceiver struct{ f *os.File }

// dhcpReplyFilter passes unfragmented IPv4 UDP to port 68 (the socket sees
// packets from the IP header on).
var dhcpReplyFilter = []bpf.Instruction{
	bpf.LoadAbsolute{Off: 9, Size: 1},                           // protocol
	bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: 17, SkipTrue: 6},    // not UDP: drop
	bpf.LoadAbsolute{Off: 6, Size: 2},                           // flags and fragment offset
	bpf.JumpIf{Cond: bpf.JumpBitsSet, Val: 0x1fff, SkipTrue: 4}, // a fragment: drop
	bpf.LoadMemShift{Off: 0},                                    // X = IP header length
	bpf.LoadIndirect{Off: 2, Size: 2},                           // UDP destination port
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: 68, SkipFalse: 1},
	bpf.RetConstant{Val: 0xffff},
	bpf.RetConstant{Val: 0},
}

// listenPacket opens the AF_PACKET receiver on iface.
func listenPacket(iface string) (*packetReceiver, error) {
	f, err := packetsock.Listen(iface, "packet:"+iface,
		packetsock.Config{Type: unix.SOCK_DGRAM, Protocol: unix.ETH_P_IP, Filter: dhcpReplyFilter})
	if err != nil {
		return nil, fmt.Errorf("dhcp: %w", err)
	}
	return &packetReceiver{f: f}, nil
}

func (p *packetReceiver) SetReadDeadline(t time.Time) error { return p.f.SetReadDeadline(t) }

func (p *packetReceiver) Close() error { return p.f.Close() }

// Receive returns the UDP payload of the next datagram to port 68.
func (p *packetReceiver) Receive(buf []byte) ([]byte, error) {
	for {
		n, err := p.f.Read(buf)
		if err != nil {
			return nil, err
		}
		if payload, ok := udpPayload(buf[:n], 68); ok {
			return payload, nil
		}
	}
}

// udpPayload extracts the payload of an IPv4 UDP datagram to port.
func udpPayload(pkt []byte, port uint16) ([]byte, bool) {
	if len(pkt) < 20 || pkt[0]>>4 != 4 || pkt[9] != 17 {
		return nil, false
	}
	ihl := int(pkt[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(pkt[2:4]))
	if ihl < 20 || total > len(pkt) || total < ihl+8 {
		return nil, false
	}
	udp := pkt[ihl:total]
	ulen := int(binary.BigEndian.Uint16(udp[4:6]))
	if binary.BigEndian.Uint16(udp[2:4]) != port || ulen < 8 || ulen > len(udp) {
		return nil, false
	}
	return udp[8:ulen], true
}
