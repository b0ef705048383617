package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/phoneflash/phoneflash/internal/udpsock"
)

// dhcpClient is the phone's DHCP client. It sends from a UDP socket bound to
// 0.0.0.0:68 on the phone's interface (SO_BINDTODEVICE, SO_BROADCAST), and
// receives through recv: the AF_PACKET receiver in production, so that
// replies unicast to the offered address arrive too.
type dhcpClient struct {
	id    Identity
	conn  net.PacketConn // sends; and receives when recv is nil
	recv  dhcpReceiver
	dst   net.Addr
	clock simClock
	log   *slog.Logger
}

// listenDHCP opens the client socket on iface.
func listenDHCP(ctx context.Context, iface string) (net.PacketConn, error) {
	c, err := udpsock.Listen(ctx, iface, "0.0.0.0:68", udpsock.ReuseAddr)
	if err != nil {
		return nil, fmt.Errorf("dhcp: listen on %s port 68: %w", iface, err)
	}
	return c, nil
}

var errNoAnswer = errors.New("no answer")

// acquire runs DISCOVER..ACK until it gets a lease, restarting from INIT
// after the last retransmission, for as long as ctx lasts.
func (c *dhcpClient) acquire(ctx context.Context, sent func(msgType byte)) (Lease, DHCPExchange, error) {
	for {
		xid := c.clock.rng.Uint32()
		ex := DHCPExchange{XID: fmt.Sprintf("%08x", xid)}
		offer, secs, err := c.exchange(ctx, xid, 0, msgDiscover, nil, nil, &ex, sent)
		if errors.Is(err, errNoAnswer) {
			c.log.Warn("dhcp: exceeded max retries, restarting from INIT", "xid", ex.XID)
			continue
		}
		if err != nil {
			return Lease{}, ex, err
		}
		ol := leaseFrom(offer)
		ack, secs, err := c.exchange(ctx, xid, secs, msgRequest, ol.ServerID, ol.IP, &ex, sent)
		if errors.Is(err, errNoAnswer) || (err == nil && ack.MessageType() == dhcpv4.MessageTypeNak) {
			c.log.Warn("dhcp: no ACK, restarting from INIT", "xid", ex.XID)
			continue
		}
		if err != nil {
			return Lease{}, ex, err
		}
		l := leaseFrom(ack)
		ex.Secs, ex.IP, ex.ServerID = secs, l.IP.String(), l.ServerID.String()
		return l, ex, nil
	}
}

// exchange sends one message type with retransmissions after 4, 8, 16, 32
// and 64 s (scaled), adding the back-off to secs, until a matching reply.
func (c *dhcpClient) exchange(ctx context.Context, xid uint32, secs uint16, mt byte, server, reqIP net.IP,
	ex *DHCPExchange, sent func(byte)) (*dhcpv4.DHCPv4, uint16, error) {
	for _, wait := range dhcpBackoff {
		pkt := buildDHCP(c.id, mt, xid, secs, server, reqIP)
		if _, err := c.conn.WriteTo(pkt, c.dst); err != nil {
			return nil, secs, fmt.Errorf("dhcp: send type %d: %w", mt, err)
		}
		if mt == msgDiscover {
			ex.Discovers++
		} else {
			ex.Requests++
		}
		c.log.Info("dhcp: sent", "type", msgName(mt), "xid", ex.XID, "secs", secs)
		if sent != nil {
			sent(mt)
		}
		m, err := c.await(ctx, xid, mt, c.clock.d(wait))
		if err == nil {
			c.log.Info("dhcp: received", "type", m.MessageType().String(), "xid", ex.XID, "yiaddr", m.YourIPAddr)
			return m, secs, nil
		}
		if !errors.Is(err, errNoAnswer) {
			return nil, secs, err
		}
		secs += uint16(wait / time.Second)
	}
	return nil, secs, errNoAnswer
}

// await reads until a reply for xid of the wanted kind arrives or wait ends.
func (c *dhcpClient) await(ctx context.Context, xid uint32, mt byte, wait time.Duration) (*dhcpv4.DHCPv4, error) {
	recv := c.recv
	if recv == nil {
		recv = udpReceiver{c.conn}
	}
	stop := context.AfterFunc(ctx, func() { recv.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	deadline := time.Now().Add(wait)
	buf := make([]byte, 1500)
	for {
		recv.SetReadDeadline(deadline)
		b, err := recv.Receive(buf)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return nil, errNoAnswer
		}
		if err != nil {
			return nil, fmt.Errorf("dhcp: receive: %w", err)
		}
		m, err := parseReply(b, xid, c.id.MAC)
		if err != nil {
			continue
		}
		got := m.MessageType()
		if (mt == msgDiscover && got == dhcpv4.MessageTypeOffer) ||
			(mt == msgRequest && (got == dhcpv4.MessageTypeAck || got == dhcpv4.MessageTypeNak)) {
			return m, nil
		}
	}
}

func msgName(mt byte) string {
	if mt == msgDiscover {
		return "DISCOVER"
	}
	return "REQUEST"
}
