package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
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

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// listenPacket opens the AF_PACKET receiver on iface.
func listenPacket(iface string) (*packetReceiver, error) {
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return nil, fmt.Errorf("dhcp: interface %s: %w", iface, err)
	}
	raw, err := bpf.Assemble(dhcpReplyFilter)
	if err != nil {
		return nil, fmt.Errorf("dhcp: assemble filter: %w", err)
	}
	proto := htons(unix.ETH_P_IP)
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, int(proto))
	if err != nil {
		return nil, fmt.Errorf("dhcp: packet socket on %s: %w", iface, err)
	}
	prog := make([]unix.SockFilter, len(raw))
	for i, r := range raw {
		prog[i] = unix.SockFilter{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	err = errors.Join(
		unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}),
		unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: proto, Ifindex: ifi.Index}))
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("dhcp: packet socket on %s: %w", iface, err)
	}
	return &packetReceiver{f: os.NewFile(uintptr(fd), "packet:"+iface)}, nil
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
