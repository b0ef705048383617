// Package route makes the appliance the bench ports' router and firewall,
// through one nftables table that phoneflash owns, `table inet phoneflash`,
// built with github.com/google/nftables (no nft command). It knows nothing
// of phones or sessions.
//
// The table is replaced atomically at start (whatever a killed run left, so
// there is never a second copy) and deleted on exit. Its base chains accept
// by default and only look at packets that come in or go out through a bench
// port, so the rest of the machine's traffic is left alone.
//
// From a bench port to the appliance itself (chain bench_in) only what the
// appliance serves there is accepted: DHCP, TFTP and SIP 5060 for the bench
// registrar (LocalServices), and the flows the appliance opened. Everything
// else, gokrazy's own web interface on whatever port it listens, phoneflash's
// page, is refused with a TCP reset or an ICMP port unreachable. The bench
// is IPv4 only: IPv6 to the appliance is refused too, neighbour discovery
// included, so gokrazy's listeners on link-local addresses are out of reach
// as well. The filter stays when forwarding is turned off.
//
// With an uplink and Forward, bench ports are routed to the uplink with
// masquerade, and net.ipv4.ip_forward is set in the appliance's namespace
// (its old value is restored on exit, and kept in the table as a comment so
// that the run after a SIGKILL restores it too). What a phone may open
// towards the uplink's hosts is PhoneServices, chosen for what a Cisco SIP
// phone does after the bench and nothing more:
//
//   - SIP over UDP and TCP to 5060-5061 (5061: SIP over TLS) and 5160-5161
//     (FreePBX puts chan_sip there when PJSIP has 5060), so the phone
//     registers with the office PBX and the bench watches it;
//   - RTP over UDP to 10000-32767: Asterisk and FreePBX use 10000-20000,
//     Cisco phones 16384-32766 for direct media, so a test call works;
//   - DNS (53, UDP and TCP), so a pbx_host name resolves through the
//     uplink's resolvers that DHCP hands out (option 6), and NTP (123);
//   - ICMP echo, to tell "PBX unreachable" from "PBX refused".
//
// Not allowed: TFTP to the office (phones get their files from the bench,
// and an office TFTP server would hand out the office's own configs), HTTP
// and every other office service (file shares, web interfaces, printers):
// a bench port is not an office LAN port. Other SIP ports are refused, so an
// account table naming one shows as an unreachable PBX. Nothing from the
// uplink may open a connection into a bench port (dropped silently), and
// nothing passes between two bench ports (refused). Traffic that touches no
// bench port (on gokrazy there is none) is forwarded as the machine's own
// rules say.
package route

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"syscall"

	"github.com/google/nftables"
	"github.com/vishvananda/netns"

	"github.com/phoneflash/phoneflash/internal/defaults"
)

// Service keeps phoneflash's table in place while it runs.
type Service struct {
	Config
	// NetNS is the network namespace the table and ip_forward belong to;
	// zero means the process's own.
	NetNS netns.NsHandle
	Log   *slog.Logger
}

// Run replaces the table, turns forwarding on when routing, waits for ctx
// and then undoes both. It returns an error when the table cannot be put
// in place; the bench must not be served unfiltered.
func (s *Service) Run(ctx context.Context) error {
	log := defaults.Logger(s.Log)
	lock, err := s.claim()
	if err != nil {
		return err
	}
	defer lock.Close()
	conn, err := s.conn()
	if err != nil {
		return err
	}
	fwd := sysctl{ns: s.NetNS, path: ipForward}
	before, err := forwardBefore(conn)
	if err != nil {
		return err
	}
	cfg := s.Config
	if cfg.Routing() && before == "" {
		if before, err = fwd.read(); err != nil {
			return err
		}
	}
	cfg.ForwardBefore = before
	if err := replace(conn, Build(cfg)); err != nil {
		return err
	}
	switch {
	case cfg.Routing():
		err = fwd.write("1") // after the filter is in place, never before
	case before != "":
		err = fwd.write(before) // a killed routing run left forwarding on
	}
	if err != nil {
		return errors.Join(err, remove(conn))
	}
	log.Info("bench route", "table", "inet "+Table, "uplink", s.Uplink, "forward", cfg.Routing(),
		"ports", len(s.Ports), "ip_forward_before", before)
	<-ctx.Done()

	var errs []error
	if cfg.Routing() {
		errs = append(errs, fwd.write(before)) // before the filter goes
	}
	errs = append(errs, remove(conn))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("removing the bench route: %w", err)
	}
	attrs := []any{"table", "inet " + Table}
	if cfg.Routing() {
		attrs = append(attrs, "ip_forward_restored", before)
	}
	log.Info("bench route removed", attrs...)
	return nil
}

// ErrTableTaken is returned by Run when another Service keeps the table in
// the same network namespace.
var ErrTableTaken = errors.New("another phoneflash keeps table inet " + Table + " in this network namespace")

// claim makes this the only Service of the namespace: the table's name is
// fixed, so a second one would replace the first one's rules, and the first
// to stop would delete the other's. An abstract unix socket belongs to its
// network namespace and goes with the process, also on SIGKILL.
func (s *Service) claim() (net.Listener, error) {
	var l net.Listener
	err := inNS(s.NetNS, func() error {
		var err error
		l, err = net.Listen("unix", "@phoneflash/route")
		return err
	})
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("%w: stop it first (one bench router per namespace)", ErrTableTaken)
	}
	if err != nil {
		return nil, fmt.Errorf("claiming table inet %s: %w", Table, err)
	}
	return l, nil
}

func (s *Service) conn() (*nftables.Conn, error) {
	var opts []nftables.ConnOption
	if s.NetNS > 0 {
		opts = append(opts, nftables.WithNetNSFd(int(s.NetNS)))
	}
	c, err := nftables.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("opening nftables: %w", err)
	}
	return c, nil
}
