package sipwatch

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
)

// IP protocol numbers.
const (
	protoTCP = 6
	protoUDP = 17
)

// TCP flags.
const (
	tcpFIN = 0x01
	tcpSYN = 0x02
	tcpRST = 0x04
	tcpACK = 0x10
)

// packet is an Ethernet frame decoded down to its UDP or TCP payload.
// Slices point into the frame.
type packet struct {
	srcMAC, dstMAC net.HardwareAddr
	src, dst       netip.AddrPort
	proto          uint8
	seq            uint32 // TCP
	flags          uint8  // TCP
	payload        []byte
}

var (
	errShort    = errors.New("frame too short")
	errNotIPv4  = errors.New("not IPv4")
	errFragment = errors.New("IPv4 fragment")
	errProto    = errors.New("neither UDP nor TCP")
	errLength   = errors.New("bad length field")
)

// decodeFrame reads an untagged Ethernet II frame carrying IPv4 with UDP or
// TCP. Fragments are refused: the filter passes first fragments only, and a
// SIP message too big for one datagram is not something a phone sends over
// UDP (RFC 3261 18.1.1 moves it to TCP).
func decodeFrame(b []byte) (packet, error) {
	var p packet
	if len(b) < 14+20 {
		return p, errShort
	}
	if binary.BigEndian.Uint16(b[12:14]) != 0x0800 {
		return p, errNotIPv4
	}
	p.dstMAC, p.srcMAC = b[0:6], b[6:12]
	ip := b[14:]
	ihl := int(ip[0]&0x0f) * 4
	if ip[0]>>4 != 4 || ihl < 20 || len(ip) < ihl {
		return p, errNotIPv4
	}
	if binary.BigEndian.Uint16(ip[6:8])&0x3fff != 0 { // MF or an offset
		return p, errFragment
	}
	total := int(binary.BigEndian.Uint16(ip[2:4]))
	switch {
	case total == 0: // a segmentation-offload super-packet: the frame is the length
		total = len(ip)
	case total < ihl || total > len(ip):
		return p, errLength
	}
	ip = ip[:total] // drop Ethernet padding
	srcIP, _ := netip.AddrFromSlice(ip[12:16])
	dstIP, _ := netip.AddrFromSlice(ip[16:20])
	p.proto = ip[9]
	l4 := ip[ihl:]
	if err := p.transport(l4); err != nil {
		return p, err
	}
	p.src = netip.AddrPortFrom(srcIP, binary.BigEndian.Uint16(l4[0:2]))
	p.dst = netip.AddrPortFrom(dstIP, binary.BigEndian.Uint16(l4[2:4]))
	return p, nil
}

// transport reads the UDP or TCP header of l4 and finds the payload.
func (p *packet) transport(l4 []byte) error {
	switch p.proto {
	case protoUDP:
		if len(l4) < 8 {
			return errShort
		}
		ulen := int(binary.BigEndian.Uint16(l4[4:6]))
		if ulen < 8 || ulen > len(l4) {
			return errLength
		}
		p.payload = l4[8:ulen]
	case protoTCP:
		if len(l4) < 20 {
			return errShort
		}
		off := int(l4[12]>>4) * 4
		if off < 20 || off > len(l4) {
			return errLength
		}
		p.seq, p.flags = binary.BigEndian.Uint32(l4[4:8]), l4[13]
		p.payload = l4[off:]
	default:
		return errProto
	}
	return nil
}
