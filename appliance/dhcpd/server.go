// Package dhcpd is the appliance's DHCPv4 server, one per bench port, built
// on github.com/insomniacslk/dhcp/dhcpv4. It offers each phone an address
// from the port's pool and names the appliance's own address on that port
// as TFTP server: option 150 (binary address list, what Cisco phones use
// first), option 66 (text) and siaddr.
//
// The reply is decided by a pure Handler; Server is the thin I/O adapter.
// Unlike server4.Server it reads with one goroutine per port, keeps
// serving after a read error, never sets SO_REUSEPORT (a second copy on the
// port fails to bind instead of silently splitting the traffic), answers
// only on the interface it is bound to, drops relayed requests, and
// listens on port 68 to notice another DHCP server on the port.
//
// The package knows nothing of phones' sessions: it reports through OnEvent.
package dhcpd

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/phoneflash/phoneflash/internal/defaults"
)

// Options configure a Server.
type Options struct {
	Config
	StateDir string // leases-<port>.json and its journal leases-<port>.log live here
	Log      *slog.Logger
	OnEvent  func(Event)      // called from the port's goroutines; keep it quick
	Now      func() time.Time // default time.Now (monotonic within a run)

	// Conn is the port-67 socket. Nil: Run opens one bound to the port's
	// interface (ListenServer); a missing interface ends Run at once.
	Conn net.PacketConn
	// ClientConn is the port-68 socket on which other servers' replies are
	// seen. Nil: Run opens one (ListenClient) when it opens Conn itself.
	ClientConn net.PacketConn
}

// Status is a port's DHCP state for the status display.
type Status struct {
	Port      string
	Listening bool
	Leases    int // bound leases
	PoolSize  int
	Exhausted bool         // the last allocation failed
	Rogue     []netip.Addr // other DHCP servers seen on the port
}

// Problems returns what an operator must act on, one line each, e.g.
// "another DHCP server at 10.79.1.50 on eth1".
func (st Status) Problems() []string {
	var out []string
	for _, ip := range st.Rogue {
		out = append(out, Event{Port: st.Port, Server: ip}.RogueText())
	}
	if st.Exhausted {
		out = append(out, fmt.Sprintf("address pool exhausted on %s (%d addresses)", st.Port, st.PoolSize))
	}
	return out
}

// Server serves DHCP on one port.
type Server struct {
	opts Options

	saveMu       sync.Mutex // orders lease file writes
	journalLines int        // lines appended since the last snapshot; under saveMu

	mu        sync.Mutex
	h         *Handler
	status    Status
	warned    map[netip.Addr]time.Time
	exhausted time.Time // last "pool exhausted" log line
}

// New returns a Server with the leases of the state directory loaded.
func New(opts Options) (*Server, error) {
	h, err := NewHandler(opts.Config)
	if err != nil {
		return nil, err
	}
	opts.Log = defaults.Logger(opts.Log)
	opts.OnEvent = defaults.Callback(opts.OnEvent)
	opts.Now = defaults.Clock(opts.Now)
	if opts.StateDir != "" {
		recs, err := readLeases(opts.StateDir, opts.Port)
		if err != nil {
			// A damaged lease file must not keep the bench from starting:
			// phones then get new addresses, which costs nothing but logs.
			opts.Log.Error("starting without saved leases", "port", opts.Port, "err", err)
			os.Rename(leasePath(opts.StateDir, opts.Port), leasePath(opts.StateDir, opts.Port)+".bad")
		}
		h.leases.load(recs, opts.Now())
		journal, err := readJournal(opts.StateDir, opts.Port)
		if err != nil {
			opts.Log.Error("starting without the lease journal", "port", opts.Port, "err", err)
		}
		h.leases.load(journal, opts.Now())
		if journal != nil {
			// Start with an empty journal, so a line torn by a power cut
			// never has appends after it.
			if err := compact(opts.StateDir, opts.Port, h.leases.records(opts.Now())); err != nil {
				opts.Log.Error("folding the lease journal into the lease file", "port", opts.Port, "err", err)
			}
		}
	}
	s := &Server{opts: opts, h: h, warned: map[netip.Addr]time.Time{},
		status: Status{Port: opts.Port, PoolSize: h.leases.poolSize()}}
	s.status.Leases = h.leases.bound()
	return s, nil
}

// LeaseByIP returns the MAC that holds ip on this port.
func (s *Server) LeaseByIP(ip netip.Addr) (net.HardwareAddr, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.h.LeaseByIP(ip)
}

// Status returns the port's current DHCP state.
func (s *Server) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.status
	st.Rogue = append([]netip.Addr(nil), st.Rogue...)
	return st
}

// Handle runs the Handler under the server's lock, persists the leases when
// a binding changed and reports the events. It returns the reply to send.
func (s *Server) Handle(req *dhcpv4.DHCPv4) *dhcpv4.DHCPv4 {
	resp, evs, persist := s.handle(req)
	if persist {
		s.save(changedMACs(evs))
	}
	for _, ev := range evs {
		s.report(ev)
	}
	return resp
}

// handle runs the Handler under the server's lock. It returns the reply,
// the events, and whether a binding changed that must be saved before the
// reply is sent.
func (s *Server) handle(req *dhcpv4.DHCPv4) (*dhcpv4.DHCPv4, []Event, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	resp, evs := s.h.Handle(req, now)
	bound := s.h.leases.bound()
	var persist bool
	for i, ev := range evs {
		evs[i].Leases = bound
		switch ev.Kind {
		case EventAck, EventDecline, EventRelease:
			persist = true
		case EventOffer:
			s.status.Exhausted = false
		case EventExhausted:
			s.status.Exhausted = true
		}
	}
	return resp, evs, persist
}

// changedMACs lists the MACs whose binding an event changed.
func changedMACs(evs []Event) []string {
	var macs []string
	for _, ev := range evs {
		switch ev.Kind {
		case EventAck, EventDecline, EventRelease:
			macs = append(macs, ev.MAC.String())
		}
	}
	return macs
}

// save makes the bindings of macs durable: appended to the journal, or,
// when the journal has grown past twice the live leases, all leases as a
// new snapshot (see journal.go).
func (s *Server) save(macs []string) {
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	s.mu.Lock()
	now := s.opts.Now()
	n := s.h.leases.bound()
	s.status.Leases = n
	full := s.journalLines+len(macs) > max(minCompact, 2*n)
	var recs []leaseRecord
	if full {
		recs = s.h.leases.records(now)
	} else {
		recs = s.h.leases.recordsOf(macs, now)
	}
	s.mu.Unlock()
	if s.opts.StateDir == "" {
		return
	}
	var err error
	if full {
		err = compact(s.opts.StateDir, s.opts.Port, recs)
		s.journalLines = 0
	} else {
		err = appendJournal(s.opts.StateDir, s.opts.Port, recs)
		s.journalLines += len(recs)
	}
	if err != nil {
		s.opts.Log.Error("saving leases", "port", s.opts.Port, "err", err)
	}
}

func (s *Server) report(ev Event) {
	attrs := []any{"port", ev.Port, "mac", ev.MAC.String()}
	if ev.IP.IsValid() {
		attrs = append(attrs, "ip", ev.IP.String())
	}
	if ev.Hostname != "" {
		attrs = append(attrs, "hostname", ev.Hostname)
	}
	if ev.VendorClass != "" {
		attrs = append(attrs, "vendor_class", ev.VendorClass)
	}
	switch ev.Kind {
	case EventExhausted:
		if s.loudExhausted() {
			s.opts.Log.Error(fmt.Sprintf("pool exhausted on %s: no address left for %s", ev.Port, ev.MAC), attrs...)
		}
	case EventRogueServer:
		s.rogue(ev)
	case EventNak, EventDecline:
		s.opts.Log.Warn("dhcp "+string(ev.Kind), attrs...)
	default:
		s.opts.Log.Info("dhcp "+string(ev.Kind), attrs...)
	}
	s.opts.OnEvent(ev)
}

// loudExhausted limits "pool exhausted" lines to one per 10 s per port:
// phones keep retransmitting their DISCOVERs.
func (s *Server) loudExhausted() bool {
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.exhausted.IsZero() && now.Sub(s.exhausted) < 10*time.Second {
		return false
	}
	s.exhausted = now
	return true
}

// rogue records another server and says so loudly, once a minute per server.
func (s *Server) rogue(ev Event) {
	now := s.opts.Now()
	s.mu.Lock()
	last, seen := s.warned[ev.Server]
	if !seen {
		s.status.Rogue = append(s.status.Rogue, ev.Server)
	}
	loud := !seen || now.Sub(last) >= time.Minute
	if loud {
		s.warned[ev.Server] = now
	}
	s.mu.Unlock()
	if loud {
		s.opts.Log.Error(ev.RogueText()+": phones on this port may get conflicting answers; unplug or disable it",
			"port", ev.Port, "server", ev.Server.String())
	}
}

// Run serves the port until ctx is done, on Options.Conn or, when that is
// nil, on sockets it opens on the port's interface (ListenServer, and
// ListenClient to see other servers). It never waits for an interface: a
// missing one is syscall.ENODEV at once. The appliance runs it whenever
// netconf reports the interface present, and ends it when it vanishes.
func (s *Server) Run(ctx context.Context) error {
	conn, cc := s.opts.Conn, s.opts.ClientConn
	if conn == nil {
		var err error
		if conn, err = ListenServer(s.opts.Port); err != nil {
			return err
		}
		if cc, err = ListenClient(s.opts.Port); err != nil {
			s.opts.Log.Warn("cannot watch for other DHCP servers", "port", s.opts.Port, "err", err)
			cc = nil
		}
	}
	rctx, cancel := context.WithCancel(ctx)
	var rogues sync.WaitGroup
	if cc != nil {
		rogues.Go(func() { s.watchRogues(rctx, cc) })
	}
	err := s.serve(ctx, conn)
	cancel()
	rogues.Wait() // its socket is closed before Run returns, so the next Run can bind it
	return err
}
