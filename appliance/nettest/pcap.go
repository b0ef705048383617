package nettest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
)

// UDPPacket is one UDP datagram read from a capture.
type UDPPacket struct {
	Src, Dst netip.AddrPort
	Payload  []byte
}

// ReadPcapUDP returns the IPv4 UDP datagrams of a classic pcap file written
// by `tcpdump -w` on an Ethernet interface (link type 1), in capture order.
// Other packets, fragments and truncated records are skipped.
func ReadPcapUDP(name string) ([]UDPPacket, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	if len(b) < 24 {
		return nil, errors.New("nettest: pcap too short")
	}
	var bo binary.ByteOrder
	switch binary.LittleEndian.Uint32(b) {
	case 0xa1b2c3d4, 0xa1b23c4d:
		bo = binary.LittleEndian
	case 0xd4c3b2a1, 0x4d3cb2a1:
		bo = binary.BigEndian
	default:
		return nil, fmt.Errorf("nettest: %s: not a pcap file", name)
	}
	if lt := bo.Uint32(b[20:]); lt != 1 {
		return nil, fmt.Errorf("nettest: %s: link type %d, want Ethernet (1)", name, lt)
	}
	var out []UDPPacket
	for off := 24; off+16 <= len(b); {
		incl := int(bo.Uint32(b[off+8:]))
		off += 16
		if off+incl > len(b) {
			break
		}
		if p, ok := parseUDP(b[off : off+incl]); ok {
			out = append(out, p)
		}
		off += incl
	}
	return out, nil
}

func parseUDP(frame []byte) (UDPPacket, bool) {
	if len(frame) < 14+20+8 || binary.BigEndian.Uint16(frame[12:]) != 0x0800 {
		return UDPPacket{}, false
	}
	ip := frame[14:]
	ihl := int(ip[0]&0x0f) * 4
	if ip[0]>>4 != 4 || ip[9] != 17 || len(ip) < ihl+8 || binary.BigEndian.Uint16(ip[6:])&0x3fff != 0 {
		return UDPPacket{}, false
	}
	total := int(binary.BigEndian.Uint16(ip[2:]))
	if total > len(ip) || total < ihl+8 {
		return UDPPacket{}, false
	}
	udp := ip[ihl:total]
	src := netip.AddrFrom4([4]byte(ip[12:16]))
	dst := netip.AddrFrom4([4]byte(ip[16:20]))
	return UDPPacket{
		Src:     netip.AddrPortFrom(src, binary.BigEndian.Uint16(udp[0:])),
		Dst:     netip.AddrPortFrom(dst, binary.BigEndian.Uint16(udp[2:])),
		Payload: append([]byte(nil), udp[8:]...),
	}, true
}
