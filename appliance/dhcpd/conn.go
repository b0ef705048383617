package dhcpd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/phoneflash/phoneflash/internal/udpsock"
)

// ListenServer opens 0.0.0.0:67 bound to interface ifname (SO_BINDTODEVICE,
// so requests arriving on any other interface never reach it) with
// SO_BROADCAST. It sets neither SO_REUSEADDR nor SO_REUSEPORT: a second
// server on the same interface gets EADDRINUSE. A missing interface is
// syscall.ENODEV.
func ListenServer(ifname string) (net.PacketConn, error) {
	return listen(ifname, 67)
}

// ListenClient opens 0.0.0.0:68 bound to ifname, on which broadcast replies
// of other DHCP servers on the port arrive.
func ListenClient(ifname string) (net.PacketConn, error) {
	return listen(ifname, 68)
}

func listen(ifname string, port int) (net.PacketConn, error) {
	c, err := udpsock.Listen(context.Background(), ifname, fmt.Sprintf("0.0.0.0:%d", port))
	if err != nil {
		return nil, fmt.Errorf("dhcpd: port %s: %w", ifname, err)
	}
	return c, nil
}

// serve reads requests from conn and answers them in batches (answerBatch)
// until ctx is done. Read errors other than a closed socket are logged and
// survived.
func (s *Server) serve(ctx context.Context, conn net.PacketConn) error {
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	s.setListening(true)
	defer s.setListening(false)
	buf := make([]byte, 1500)
	var lastErr time.Time
	for {
		n, peer, err := conn.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, net.ErrClosed) {
				return fmt.Errorf("dhcpd: port %s: %w", s.opts.Port, err)
			}
			if time.Since(lastErr) > 10*time.Second {
				s.opts.Log.Warn("dhcp read", "port", s.opts.Port, "err", err)
				lastErr = time.Now()
			}
			time.Sleep(readBackoff)
			continue
		}
		s.answerBatch(conn, buf[:n], peer)
	}
}

// readBackoff keeps a socket that keeps failing from spinning.
const readBackoff = 10 * time.Millisecond

// maxBatch bounds how many queued requests are answered after one lease
// file write.
const maxBatch = 256

// answerBatch handles the request in first and every request already queued
// on conn (up to maxBatch), saves the leases once if any binding changed,
// and only then reports the events and sends the replies: one fsync'd
// write covers a burst of ACKs, and no ACK leaves before its lease is on
// disk.
func (s *Server) answerBatch(conn net.PacketConn, first []byte, peer net.Addr) {
	type answer struct {
		req, resp *dhcpv4.DHCPv4
		peer      net.Addr
		evs       []Event
	}
	var answers []answer
	persist := false
	var changed []string
	add := func(b []byte, peer net.Addr) {
		req, err := dhcpv4.FromBytes(b)
		if err != nil {
			return // malformed: nothing to answer
		}
		resp, evs, p := s.handle(req)
		if p {
			persist = true
			changed = append(changed, changedMACs(evs)...)
		}
		answers = append(answers, answer{req, resp, peer, evs})
	}
	add(first, peer)
	for range maxBatch - 1 {
		b, from, ok := readQueued(conn)
		if !ok {
			break
		}
		add(b, from)
	}
	if persist {
		s.save(changed)
	}
	for _, a := range answers {
		for _, ev := range a.evs {
			s.report(ev)
		}
		if a.resp == nil {
			continue
		}
		if _, err := conn.WriteTo(a.resp.ToBytes(), replyAddr(a.req, a.resp, a.peer)); err != nil {
			s.opts.Log.Warn("dhcp send", "port", s.opts.Port, "mac", a.req.ClientHWAddr.String(), "err", err)
		}
	}
}

// readQueued returns a datagram already queued on conn without waiting;
// ok is false when none is (or conn is not a socket).
func readQueued(conn net.PacketConn) (b []byte, from net.Addr, ok bool) {
	sc, isSock := conn.(syscall.Conn)
	if !isSock {
		return nil, nil, false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, nil, false
	}
	buf := make([]byte, 1500)
	var n int
	var sa syscall.Sockaddr
	var rerr error
	if err := rc.Read(func(fd uintptr) bool {
		n, sa, rerr = syscall.Recvfrom(int(fd), buf, syscall.MSG_DONTWAIT)
		return true // never wait
	}); err != nil || rerr != nil {
		return nil, nil, false
	}
	sa4, isV4 := sa.(*syscall.SockaddrInet4)
	if !isV4 {
		return nil, nil, false
	}
	return buf[:n], &net.UDPAddr{IP: net.IP(sa4.Addr[:]).To16(), Port: sa4.Port}, true
}

// replyAddr is where a reply goes: unicast to a client that already has its
// address (renewing), broadcast otherwise (the client cannot receive unicast
// before it has an address, and we keep no ARP entries for it).
func replyAddr(req, resp *dhcpv4.DHCPv4, peer net.Addr) net.Addr {
	if resp.MessageType() == dhcpv4.MessageTypeAck && !isZero(req.ClientIPAddr) {
		if ua, ok := peer.(*net.UDPAddr); ok && ua.IP.Equal(req.ClientIPAddr) {
			return &net.UDPAddr{IP: req.ClientIPAddr, Port: 68}
		}
	}
	return &net.UDPAddr{IP: net.IPv4bcast, Port: 68}
}

func (s *Server) setListening(on bool) {
	s.mu.Lock()
	s.status.Listening = on
	s.mu.Unlock()
}

// watchRogues reads replies of DHCP servers on the port; any that does not
// come from us is another server.
func (s *Server) watchRogues(ctx context.Context, conn net.PacketConn) {
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	defer conn.Close()
	our := s.opts.Addr.Addr()
	buf := make([]byte, 1500)
	for {
		n, peer, err := conn.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(readBackoff)
			continue
		}
		m, err := dhcpv4.FromBytes(buf[:n])
		if err != nil || m.OpCode != dhcpv4.OpcodeBootReply {
			continue
		}
		server := addrOf(m.ServerIdentifier())
		if !server.IsValid() {
			if ua, ok := peer.(*net.UDPAddr); ok {
				server = addrOf(ua.IP)
			}
		}
		if !server.IsValid() || server == our {
			continue
		}
		ev := Event{Kind: EventRogueServer, Port: s.opts.Port, MAC: m.ClientHWAddr, IP: addrOf(m.YourIPAddr), Server: server}
		s.report(ev)
	}
}
