package sipwatch

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
)

// Test frames: Ethernet II + IPv4 + UDP/TCP, checksums left zero (nothing
// here checks them; the kernel does before the filter sees a frame).

func ipv4(src, dst netip.Addr, proto byte, l4 []byte, fragOff uint16) []byte {
	ip := make([]byte, 20, 20+len(l4))
	ip[0], ip[8], ip[9] = 0x45, 64, proto
	binary.BigEndian.PutUint16(ip[2:4], uint16(20+len(l4)))
	binary.BigEndian.PutUint16(ip[6:8], fragOff)
	s, d := src.As4(), dst.As4()
	copy(ip[12:16], s[:])
	copy(ip[16:20], d[:])
	return append(ip, l4...)
}

func ether(srcMAC, dstMAC net.HardwareAddr, ethType uint16, payload []byte) []byte {
	f := make([]byte, 14, 14+len(payload))
	copy(f[0:6], dstMAC)
	copy(f[6:12], srcMAC)
	binary.BigEndian.PutUint16(f[12:14], ethType)
	return append(f, payload...)
}

func udpFrame(srcMAC, dstMAC net.HardwareAddr, src, dst netip.AddrPort, payload []byte) []byte {
	u := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint16(u[0:2], src.Port())
	binary.BigEndian.PutUint16(u[2:4], dst.Port())
	binary.BigEndian.PutUint16(u[4:6], uint16(8+len(payload)))
	return ether(srcMAC, dstMAC, 0x0800, ipv4(src.Addr(), dst.Addr(), protoUDP, append(u, payload...), 0))
}

// fromPhone is a UDP frame from the phone (phoneMAC, phoneAt) to the PBX
// (pbxMAC, pbxAt); fromPBX one the other way.
func fromPhone(payload []byte) []byte { return udpFrame(phoneMAC, pbxMAC, phoneAt, pbxAt, payload) }
func fromPBX(payload []byte) []byte   { return udpFrame(pbxMAC, phoneMAC, pbxAt, phoneAt, payload) }

func tcpFrame(srcMAC, dstMAC net.HardwareAddr, src, dst netip.AddrPort, seq uint32, flags byte, payload []byte) []byte {
	t := make([]byte, 20, 20+len(payload))
	binary.BigEndian.PutUint16(t[0:2], src.Port())
	binary.BigEndian.PutUint16(t[2:4], dst.Port())
	binary.BigEndian.PutUint32(t[4:8], seq)
	t[12], t[13] = 5<<4, flags
	return ether(srcMAC, dstMAC, 0x0800, ipv4(src.Addr(), dst.Addr(), protoTCP, append(t, payload...), 0))
}

// register is a REGISTER as a 79x1 SIP load sends it.
func register(transport string, cseq int, branch string, auth bool) []byte {
	authz := ""
	if auth {
		authz = "Authorization: Digest username=\"1006\",realm=\"198.51.100.1\",nonce=\"abc\",uri=\"sip:198.51.100.1\",response=\"0123456789abcdef0123456789abcdef\",algorithm=MD5\r\n"
	}
	return fmt.Appendf(nil, "REGISTER sip:198.51.100.1 SIP/2.0\r\n"+
		"Via: SIP/2.0/%s 10.79.1.100:5060;branch=%s\r\n"+
		"From: <sip:1006@198.51.100.1>;tag=00229abad7770002\r\n"+
		"To: <sip:1006@198.51.100.1>\r\n"+
		"Call-ID: 00229aba-d7770002-1@10.79.1.100\r\n"+
		"Max-Forwards: 70\r\n"+
		"CSeq: %d REGISTER\r\n"+
		"User-Agent: Cisco-CP7906G/9.4.2\r\n"+
		"Contact: <sip:1006@10.79.1.100:5060;transport=%s>;+sip.instance=\"<urn:uuid:00000000-0000-0000-0000-002290bad777>\"\r\n"+
		"%sExpires: 3600\r\n"+
		"Content-Length: 0\r\n\r\n", transport, branch, cseq, transport, authz)
}

// answer is the PBX's response to register(transport, cseq, branch).
func answer(transport string, cseq int, branch string, status int, reason string) []byte {
	extra := ""
	switch status {
	case 200:
		extra = "Contact: <sip:1006@10.79.1.100:5060;transport=" + transport + ">;expires=600\r\n"
	case 401:
		extra = "WWW-Authenticate: Digest realm=\"198.51.100.1\", nonce=\"abc\"\r\n"
	}
	return fmt.Appendf(nil, "SIP/2.0 %d %s\r\n"+
		"Via: SIP/2.0/%s 10.79.1.100:5060;branch=%s;received=10.79.1.100\r\n"+
		"From: <sip:1006@198.51.100.1>;tag=00229abad7770002\r\n"+
		"To: <sip:1006@198.51.100.1>;tag=as1\r\n"+
		"Call-ID: 00229aba-d7770002-1@10.79.1.100\r\n"+
		"CSeq: %d REGISTER\r\n"+
		"%sServer: kamailio (5.6.3 (x86_64/linux))\r\n"+
		"Content-Length: 0\r\n\r\n", status, reason, transport, branch, cseq, extra)
}
