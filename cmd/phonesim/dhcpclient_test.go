package main

import (
	"context"
	"encoding/binary"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/insomniacslk/dhcp/dhcpv4"
)

// seen is one packet as the fake server saw it.
type seen struct {
	Type byte
	XID  uint32
	Secs uint16
}

// fakeDHCPServer ignores the first ignore packets, answers the others
// (OFFER, ACK) until srv is closed, and reports the first n packets it saw
// (a retransmission after them is still answered, so a client late to
// read an answer fails the test by its packets, not by a hang).
func fakeDHCPServer(t *testing.T, srv net.PacketConn, ignore, n int) <-chan []seen {
	got := make(chan []seen, 1)
	go func() {
		var log []seen
		defer func() {
			if len(log) < n {
				got <- log
			}
		}()
		buf := make([]byte, 1500)
		for i := 1; ; i++ {
			srv.SetReadDeadline(time.Now().Add(30 * time.Second))
			k, from, err := srv.ReadFrom(buf)
			if err != nil {
				return
			}
			m, err := dhcpv4.FromBytes(buf[:k])
			if err != nil || k != bootpSize {
				t.Errorf("packet of %d bytes (want 548): %v", k, err)
				return
			}
			if len(log) < n {
				log = append(log, seen{buf[242], binary.BigEndian.Uint32(buf[4:8]), binary.BigEndian.Uint16(buf[8:10])})
				if len(log) == n {
					got <- log
				}
			}
			if i <= ignore {
				continue
			}
			mt := dhcpv4.MessageTypeOffer
			if m.MessageType() == dhcpv4.MessageTypeRequest {
				mt = dhcpv4.MessageTypeAck
			}
			resp, _ := dhcpv4.NewReplyFromRequest(m, dhcpv4.WithMessageType(mt), dhcpv4.WithYourIP(net.IPv4(192, 0, 2, 50)),
				dhcpv4.WithOption(dhcpv4.OptServerIdentifier(net.IPv4(192, 0, 2, 1))))
			srv.WriteTo(resp.ToBytes(), from)
		}
	}()
	return got
}

// TestDHCPBackoff: unanswered DISCOVERs go out with secs 0, 4, 12, 28, 60
// (the 4, 8, 16, 32 s back-off added up); after the 64 s wait the client
// restarts from INIT with a new xid, and REQUEST follows the OFFER.
func TestDHCPBackoff(t *testing.T) {
	srv, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cli, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	got := fakeDHCPServer(t, srv, 5, 7)
	// At time scale 50 the back-off takes 2.5 s and the shortest wait for
	// an answer is 80 ms: room for a loaded machine (at 1000 it was 4 ms,
	// and a CI run under load timed out here).
	c := &dhcpClient{id: Identity{MAC: testMAC, Model: "11"}, conn: cli, dst: srv.LocalAddr(),
		clock: simClock{scale: 50, rng: rand.New(rand.NewPCG(1, 2))}, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l, ex, err := c.acquire(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if l.IP.String() != "192.0.2.50" || ex.Discovers != 1 || ex.Requests != 1 {
		t.Errorf("lease %s, exchange %+v", l.IP, ex)
	}
	log := <-got
	x1, x2 := log[0].XID, log[5].XID
	want := []seen{{1, x1, 0}, {1, x1, 4}, {1, x1, 12}, {1, x1, 28}, {1, x1, 60}, {1, x2, 0}, {3, x2, 0}}
	if diff := cmp.Diff(want, log); diff != "" {
		t.Errorf("packets (-want +got):\n%s", diff)
	}
	if x1 == x2 {
		t.Error("the restart kept the xid")
	}
}
