package main

import (
	"encoding/hex"
	"net"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/insomniacslk/dhcp/dhcpv4"
)

var testMAC = net.HardwareAddr{0x00, 0x22, 0x90, 0xba, 0xd7, 0x77}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// bootpHeader is the fixed part before the options, written out by hand.
func bootpHeader(t *testing.T, xid, secs string) []byte {
	h := unhex(t, "01 01 06 00"+xid+secs+"0000"+strings.Repeat("00", 16)+"002290bad777"+strings.Repeat("00", 10))
	h = append(h, make([]byte, 64+128)...)
	return append(h, 99, 130, 83, 99)
}

func TestBuildDHCP(t *testing.T) {
	vci7911 := hex.EncodeToString([]byte("Cisco Systems, Inc. IP Phone CP-7911G"))
	vci7906 := hex.EncodeToString([]byte("Cisco Systems, Inc. IP Phone CP-7906G"))
	host := hex.EncodeToString([]byte("SEP002290BAD777"))
	for _, tc := range []struct {
		name    string
		id      Identity
		mt      byte
		secs    uint16
		server  net.IP
		reqIP   net.IP
		header  []byte
		options string
	}{
		{"discover 7911", Identity{MAC: testMAC, Model: "11"}, msgDiscover, 0, nil, nil, bootpHeader(t, "12345678", "0000"),
			"350101 3d07 01002290bad777 0c0f" + host + " 3c26" + vci7911 + "00 3707 0142 0603 0f96 23 ff"},
		{"discover 7906 retransmitted", Identity{MAC: testMAC, Model: "06"}, msgDiscover, 12, nil, nil, bootpHeader(t, "12345678", "000c"),
			"350101 3d07 01002290bad777 0c0f" + host + " 3c26" + vci7906 + "00 3707 0142 0603 0f96 23 ff"},
		{"request", Identity{MAC: testMAC, Model: "11"}, msgRequest, 4, net.IPv4(10, 79, 1, 1), net.IPv4(10, 79, 1, 100), bootpHeader(t, "12345678", "0004"),
			"350103 3604 0a4f0101 3d07 01002290bad777 0c0f" + host + " 3c26" + vci7911 + "00 3204 0a4f0164 3707 0142 0603 0f96 23 ff"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := append(tc.header, unhex(t, tc.options)...)
			want = append(want, make([]byte, bootpSize-len(want))...)
			got := buildDHCP(tc.id, tc.mt, 0x12345678, tc.secs, tc.server, tc.reqIP)
			if len(got) != 548 {
				t.Fatalf("payload is %d bytes, want 548", len(got))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("packet (-want +got):\n%s", diff)
			}
			// An independent decoder reads the same options.
			m, err := dhcpv4.FromBytes(got)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := m.ClassIdentifier(), tc.id.VendorClass()+"\x00"; got != want {
				t.Errorf("option 60 = %q, want %q", got, want)
			}
		})
	}
}

func TestParseReplyAndLease(t *testing.T) {
	req, err := dhcpv4.FromBytes(buildDHCP(Identity{MAC: testMAC, Model: "11"}, msgDiscover, 0xabcdef01, 0, nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	offer, err := dhcpv4.NewReplyFromRequest(req,
		dhcpv4.WithMessageType(dhcpv4.MessageTypeOffer),
		dhcpv4.WithYourIP(net.IPv4(10, 79, 1, 100)),
		dhcpv4.WithServerIP(net.IPv4(10, 79, 1, 9)),
		dhcpv4.WithNetmask(net.CIDRMask(24, 32)),
		dhcpv4.WithOption(dhcpv4.OptServerIdentifier(net.IPv4(10, 79, 1, 1))),
		dhcpv4.WithOption(dhcpv4.OptGeneric(dhcpv4.GenericOptionCode(150), []byte{10, 79, 1, 2, 10, 79, 1, 3, 10, 79, 1, 4})),
		dhcpv4.WithOption(dhcpv4.OptTFTPServerName("10.79.1.5")),
	)
	if err != nil {
		t.Fatal(err)
	}
	m, err := parseReply(offer.ToBytes(), 0xabcdef01, testMAC)
	if err != nil {
		t.Fatal(err)
	}
	l := leaseFrom(m)
	if l.IP.String() != "10.79.1.100" || l.ServerID.String() != "10.79.1.1" || len(l.Opt150) != 2 ||
		l.Opt150[1].String() != "10.79.1.3" || l.Opt66 != "10.79.1.5" || l.Siaddr.String() != "10.79.1.9" {
		t.Errorf("lease = %+v", l)
	}
	if _, err := parseReply(offer.ToBytes(), 0xabcdef02, testMAC); err != errNotOurs {
		t.Errorf("other xid: err = %v, want errNotOurs", err)
	}
	if _, err := parseReply(offer.ToBytes(), 0xabcdef01, net.HardwareAddr{0, 1, 2, 3, 4, 5}); err != errNotOurs {
		t.Errorf("other MAC: err = %v, want errNotOurs", err)
	}
}

func TestChooseTFTP(t *testing.T) {
	ip := func(s string) net.IP { return net.ParseIP(s).To4() }
	for _, tc := range []struct {
		name    string
		alt     net.IP
		l       Lease
		want    TFTPChoice
		wantErr bool
	}{
		{"alternate wins", ip("192.0.2.9"), Lease{Opt150: []net.IP{ip("10.0.0.1")}, Opt66: "10.0.0.2", Siaddr: ip("10.0.0.3")}, TFTPChoice{ip("192.0.2.9"), "alternate"}, false},
		{"150 over 66", nil, Lease{Opt150: []net.IP{ip("10.0.0.1"), ip("10.0.0.4")}, Opt66: "10.0.0.2", Siaddr: ip("10.0.0.3")}, TFTPChoice{ip("10.0.0.1"), "option150"}, false},
		{"66 over siaddr", nil, Lease{Opt66: "10.0.0.2", Siaddr: ip("10.0.0.3")}, TFTPChoice{ip("10.0.0.2"), "option66"}, false},
		{"66 hostname", nil, Lease{Opt66: "tftp.example", Siaddr: ip("10.0.0.3")}, TFTPChoice{}, true},
		{"siaddr", nil, Lease{Siaddr: ip("10.0.0.3")}, TFTPChoice{ip("10.0.0.3"), "siaddr"}, false},
		{"nothing", nil, Lease{Siaddr: ip("0.0.0.0")}, TFTPChoice{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := chooseTFTP(tc.alt, tc.l)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("choice (-want +got):\n%s", diff)
			}
		})
	}
}
