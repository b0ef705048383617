package dhcpd

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/phoneflash/phoneflash/appliance/nettest"
)

// checkReply fails unless resp is a well-formed answer to req on cfg's
// port: it survives encoding and parsing again, keeps the client's xid and
// MAC, is an OFFER or ACK of an address of the pool (never our own) or a NAK
// without an address, names us as server and, for OFFER and ACK, as TFTP
// server; and req was not relayed.
func checkReply(t *testing.T, cfg Config, req, resp *dhcpv4.DHCPv4) {
	t.Helper()
	if !isZero(req.GatewayIPAddr) {
		t.Fatalf("answered a relayed request (giaddr %s)", req.GatewayIPAddr)
	}
	wire, err := dhcpv4.FromBytes(resp.ToBytes())
	if err != nil {
		t.Fatalf("reply does not parse: %v\n%v", err, resp)
	}
	if wire.OpCode != dhcpv4.OpcodeBootReply || wire.TransactionID != req.TransactionID ||
		!bytes.Equal(wire.ClientHWAddr, req.ClientHWAddr) {
		t.Fatalf("reply %v to %v", wire, req)
	}
	our := cfg.Addr.Addr()
	if sid := addrOf(wire.ServerIdentifier()); sid != our {
		t.Fatalf("server identifier %s, want %s", sid, our)
	}
	ip := addrOf(wire.YourIPAddr)
	switch wire.MessageType() {
	case dhcpv4.MessageTypeOffer, dhcpv4.MessageTypeAck:
		if !ip.IsValid() || ip.Less(cfg.PoolFirst) || cfg.PoolLast.Less(ip) || ip == our {
			t.Fatalf("%s of %s, outside the pool %s-%s", wire.MessageType(), ip, cfg.PoolFirst, cfg.PoolLast)
		}
		if got := wire.GetOneOption(dhcpv4.OptionTFTPServerAddress); !bytes.Equal(got, our.AsSlice()) {
			t.Fatalf("option 150 = % x, want %s", got, our)
		}
	case dhcpv4.MessageTypeNak:
		if ip.IsValid() {
			t.Fatalf("NAK with yiaddr %s", ip)
		}
	default:
		t.Fatalf("reply of type %s", wire.MessageType())
	}
}

// checkTable fails unless the lease table is consistent: every lease is in
// the pool and indexed both ways, and no address is held by two MACs.
func checkTable(t *testing.T, tab *table) {
	t.Helper()
	for mac, l := range tab.byMAC {
		if l.MAC != mac || tab.byIP[l.IP] != l || !tab.inPool(l.IP) {
			t.Fatalf("lease %+v under MAC %s is inconsistent", l, mac)
		}
	}
	for ip, l := range tab.byIP {
		if l.IP != ip || tab.byMAC[l.MAC] != l {
			t.Fatalf("lease %+v under address %s is inconsistent", l, ip)
		}
	}
}

// splitPackets cuts fuzz input into datagrams, each prefixed by a 2-byte
// big-endian length (cut short at the end of the input).
func splitPackets(b []byte) [][]byte {
	var out [][]byte
	for len(b) >= 2 && len(out) < 64 {
		n := int(binary.BigEndian.Uint16(b))
		b = b[2:]
		n = min(n, len(b))
		out = append(out, b[:n])
		b = b[n:]
	}
	return out
}

func joinPackets(pkts ...[]byte) []byte {
	var out []byte
	for _, p := range pkts {
		out = binary.BigEndian.AppendUint16(out, uint16(len(p)))
		out = append(out, p...)
	}
	return out
}

// FuzzHandleSequence feeds whole datagrams, as the server reads them from
// its socket, one after the other into one Server whose pool holds four
// addresses (so exhaustion and reclaiming are reached). It never panics,
// every reply parses and stays inside the pool, the lease table stays
// consistent, and relayed requests are never answered. Seeds are in
// testdata/fuzz/FuzzHandleSequence.
func FuzzHandleSequence(f *testing.F) {
	f.Add(joinPackets(nettest.CiscoDiscover(phone1, 1, "CP-7906G"), nettest.CiscoDiscover(phone2, 2, "CP-7911G")))
	cfg := testCfg
	cfg.PoolLast = netip.MustParseAddr("10.79.1.103")
	f.Fuzz(func(t *testing.T, b []byte) {
		now := t0
		s, err := New(Options{Config: cfg, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		for i, pkt := range splitPackets(b) {
			now = t0.Add(time.Duration(i) * 20 * time.Second) // offers expire after a minute
			req, err := dhcpv4.FromBytes(pkt)
			if err != nil {
				continue // what serve drops
			}
			if resp := s.Handle(req); resp != nil {
				checkReply(t, cfg, req, resp)
			}
			checkTable(t, s.h.leases)
		}
		if st := s.Status(); st.Leases > st.PoolSize {
			t.Fatalf("%d leases in a pool of %d", st.Leases, st.PoolSize)
		}
	})
}

// TestHostileRequestsAnswered: malformed and hostile datagrams are either
// dropped (parse error or Handle's nil) or answered with a valid reply.
func TestHostileRequestsAnswered(t *testing.T) {
	disc := nettest.CiscoDiscover(phone1, 7, "CP-7906G")
	relayed := append([]byte(nil), disc...)
	copy(relayed[24:28], net.IPv4(198, 18, 0, 99).To4())
	overload := append(append([]byte(nil), disc[:240]...), 53, 1, 1, 52, 1, 3, 52, 1, 3, 255)
	tests := []struct {
		name   string
		pkt    []byte
		answer bool
	}{
		{"cisco discover", disc, true},
		{"relayed (giaddr set)", relayed, false},
		{"truncated header", disc[:100], false},
		{"no magic cookie", disc[:236], false},
		{"option length past the end", append(append([]byte(nil), disc[:240]...), 53, 1, 1, 12, 200, 'a'), false},
		{"option overload 52, recursive", overload, true},
		{"oversized: 1448 bytes, padded after END", append(append([]byte(nil), disc...), make([]byte, 900)...), true},
	}
	for _, tt := range tests {
		h := newHandler(t, testCfg)
		req, err := dhcpv4.FromBytes(tt.pkt)
		var resp *dhcpv4.DHCPv4
		if err == nil {
			resp, _ = h.Handle(req, t0)
		}
		if (resp != nil) != tt.answer {
			t.Errorf("%s: answered %v, want %v (parse error %v)", tt.name, resp != nil, tt.answer, err)
		}
		if resp != nil {
			checkReply(t, testCfg, req, resp)
		}
	}
}
