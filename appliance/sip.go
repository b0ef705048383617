package appliance

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/phoneflash/phoneflash/appliance/checksync"
	"github.com/phoneflash/phoneflash/appliance/registrar"
	"github.com/phoneflash/phoneflash/appliance/session"
	"github.com/phoneflash/phoneflash/appliance/sipwatch"
)

// Registration watching (issue 16): on every bench port a SIP watcher
// follows the phones' registrations with their PBX, and a bench registrar
// takes the phones without an account. Both report to the sessions.

// DefaultRegisterTimeout is -register-timeout's default; MaxRegisterTimeout
// its upper bound.
const (
	DefaultRegisterTimeout = session.DefaultRegisterTimeout
	MaxRegisterTimeout     = 60 * time.Second
)

// sipPorts are the ports the watcher follows: SIP (and TLS's SYNs), and
// 5160 where FreePBX puts chan_sip next to PJSIP (the route lets phones
// reach both).
var sipPorts = slices.Concat(sipwatch.DefaultPorts, []uint16{5160})

// benchSIPPort is where the bench registrar listens on a port's address.
const benchSIPPort = 5060

func (c Config) registerTimeout() time.Duration {
	return cmp.Or(c.RegisterTimeout, DefaultRegisterTimeout)
}

// sipDefaultLogger is set once: sipgo's package-wide logger, which its
// connection bookkeeping uses whatever a user agent was given.
var sipDefaultLogger sync.Once

func setSIPLogger(log *slog.Logger) {
	sipDefaultLogger.Do(func() {
		sip.SetDefaultLogger(slog.New(warnOnly{log.With("component", "sip").Handler()}))
	})
}

// warnOnly passes on warnings and errors: sipgo logs every connection's
// bookkeeping at debug and info.
type warnOnly struct{ slog.Handler }

func (w warnOnly) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && w.Handler.Enabled(ctx, l)
}
func (w warnOnly) WithAttrs(as []slog.Attr) slog.Handler { return warnOnly{w.Handler.WithAttrs(as)} }
func (w warnOnly) WithGroup(n string) slog.Handler       { return warnOnly{w.Handler.WithGroup(n)} }

// sipServers are a port's SIP watcher and bench registrar. With sockets
// given (RunSockets) each runs on what was given for it, and waits idle,
// saying why, when nothing was.
func sipServers(cfg Config, p Port, log *slog.Logger, h handlers, s PortSockets, given bool) []portServer {
	log = log.With("port", p.Name)
	watch := portServer{name: "sipwatch", run: func(ctx context.Context) error {
		w := sipwatch.New(sipwatch.Options{Port: p.Name, Timeout: cfg.registerTimeout(), OnEvent: h.sip,
			Log: log.With("component", "sipwatch")})
		switch {
		case s.SIPFrames != nil:
			return w.Serve(ctx, s.SIPFrames)
		case given:
			return idle(ctx, log, "sipwatch: no frames given for this port: its phones' registrations are not watched")
		}
		return watchPort(ctx, w, p.Name, log)
	}}
	reg := portServer{name: "registrar", run: func(ctx context.Context) error {
		r, err := registrar.New(registrar.Options{Port: p.Name, OnRegister: h.register, Log: log.With("component", "registrar")})
		if err != nil {
			return err
		}
		switch {
		case s.SIPUDP != nil || s.SIPTCP != nil:
			return r.Serve(ctx, s.SIPUDP, s.SIPTCP)
		case given:
			return idle(ctx, log, "registrar: no sockets given for this port: no bench registrar")
		}
		return r.ListenAndServe(ctx, netip.AddrPortFrom(p.Addr.Addr(), benchSIPPort))
	}}
	return []portServer{watch, reg}
}

// watchRetry is how long the watcher waits before it opens its packet
// socket again after the socket failed (the link went down: ENETDOWN).
const watchRetry = time.Second

// watchPort runs the watcher on the port's interface until ctx is done.
// The watcher only observes: a socket that fails while the interface is
// still there (its link down, a cable pulled) is opened again, so it never
// ends the appliance; a missing interface is ENODEV, as for the port's
// other servers.
func watchPort(ctx context.Context, w *sipwatch.Watcher, iface string, log *slog.Logger) error {
	for logged := false; ; {
		if _, err := net.InterfaceByName(iface); err != nil {
			return fmt.Errorf("sipwatch: %w", syscall.ENODEV)
		}
		err := w.Run(ctx, iface, sipPorts)
		if ctx.Err() != nil {
			return nil
		}
		if !logged {
			log.Warn("sipwatch: watching SIP stopped; trying again while the interface is there", "err", err)
			logged = true
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(watchRetry):
		}
	}
}

func idle(ctx context.Context, log *slog.Logger, why string) error {
	log.Info(why)
	<-ctx.Done()
	return nil
}

// fedPorts are the ports whose watcher RunSockets' caller feeds frames.
func fedPorts(socks map[string]PortSockets) map[string]bool {
	out := map[string]bool{}
	for name, s := range socks {
		out[name] = s.SIPFrames != nil
	}
	return out
}

// benchRegistrars are the addresses the bench registrar serves, by port.
func benchRegistrars(cfg Config, socks map[string]PortSockets) map[string]netip.AddrPort {
	out := map[string]netip.AddrPort{}
	for _, p := range cfg.Ports {
		s, given := socks[p.Name]
		addr := netip.AddrPortFrom(p.Addr.Addr(), benchSIPPort)
		switch {
		case socks == nil:
			out[p.Name] = addr
		case given && s.SIPUDP != nil:
			out[p.Name] = netip.MustParseAddrPort(s.SIPUDP.LocalAddr().String())
		case given && s.SIPTCP != nil:
			out[p.Name] = netip.MustParseAddrPort(s.SIPTCP.Addr().String())
		}
	}
	return out
}

var sipKinds = map[sipwatch.EventKind]session.SIPKind{
	sipwatch.EventRegister: session.SIPRegister, sipwatch.EventRegistered: session.SIPRegistered,
	sipwatch.EventUnregistered: session.SIPUnregistered, sipwatch.EventRefused: session.SIPRefused,
	sipwatch.EventUnknownExtension: session.SIPUnknownExtension, sipwatch.EventRejected: session.SIPRejected,
	sipwatch.EventUnreachable: session.SIPUnreachable,
}

// onSIPWatch feeds what a port's watcher concluded to the phone's session.
// Its REGISTERs to the bench registrar count as the bench's.
func (b *bench) onSIPWatch(ev sipwatch.Event) {
	kind, ok := sipKinds[ev.Kind]
	if !ok || len(ev.MAC) == 0 {
		return
	}
	e := session.SIP{Kind: kind, MAC: ev.MAC.String(), Extension: ev.Extension, PBX: ev.PBX.String(),
		Transport: ev.Transport, Contact: ev.Contact, Status: ev.Status, Reason: ev.Reason}
	if e.Kind == session.SIPUnreachable {
		e.Reason = ev.Transport + ": " + ev.Reason
	}
	e.Bench = b.isBenchRegistrar(ev.PBX)
	b.mgr.Handle(e)
}

func (b *bench) isBenchRegistrar(a netip.AddrPort) bool {
	for _, r := range b.accounts.current().Bench {
		if r == a {
			return true
		}
	}
	return false
}

// onBenchRegister feeds a REGISTER the bench registrar accepted: the phone
// is known by the address it leased.
func (b *bench) onBenchRegister(r registrar.Registration) {
	mac, ok := b.phoneAt(r.Source.Addr())
	if !ok {
		b.log.Info("bench registrar: REGISTER from an address no phone session holds", "port", r.Port, "from", r.Source.String(),
			"extension", r.Extension)
		return
	}
	pbx := b.accounts.current().Bench[r.Port]
	e := session.SIP{MAC: mac, Extension: r.Extension, PBX: pbx.String(), Transport: r.Transport, Contact: r.Contact, Bench: true}
	e.Kind = session.SIPRegister
	b.mgr.Handle(e)
	e.Kind, e.Status, e.Reason = session.SIPRegistered, 200, "OK"
	if r.Expires == 0 {
		e.Kind = session.SIPUnregistered
	}
	b.mgr.Handle(e)
}

// registrationPlan says where a phone's SIP config tells it to register
// and whether the bench watches it: only a bench routed to an uplink that
// has an address sees the office PBX answer (or, under RunSockets, a port
// whose watcher is fed frames).
func (b *bench) registrationPlan(port, account string) session.RegisterPlan {
	addr, bench, ok := b.accounts.current().Registrar(port, account)
	p := session.RegisterPlan{Registrar: addr, Bench: bench}
	switch {
	case b.fed[port]: // RunSockets: the caller feeds the port's watcher
	case !b.cfg.routed() || b.uplinkAddr() == "":
		p.NotChecked = "no uplink"
	case !ok:
		p.NotChecked = "its config names no PBX"
	}
	return p
}

// checkSyncTimeout bounds one NOTIFY check-sync.
const checkSyncTimeout = 8 * time.Second

// checkSync sends a phone the NOTIFY check-sync its session asked for,
// from the address of the phone's bench port.
func (b *bench) checkSync(a session.CheckSync) (string, bool) {
	var local netip.Addr
	if st, ok := b.mgr.State(a.MAC); ok {
		if i := b.portIndex(st.Port); i >= 0 {
			local = b.cfg.Ports[i].Addr.Addr()
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), checkSyncTimeout)
	defer cancel()
	answer, err := checksync.Send(ctx, checksync.Request{Contact: a.Contact, Transport: a.Transport, Local: local,
		Timeout: checkSyncTimeout, Log: b.log.With("component", "checksync", "mac", a.MAC)})
	if err != nil {
		b.log.Warn("NOTIFY check-sync", "mac", a.MAC, "contact", a.Contact, "err", err)
		return cmp.Or(answer, err.Error()), false
	}
	b.log.Info("NOTIFY check-sync answered", "mac", a.MAC, "contact", a.Contact, "answer", answer)
	return answer, true
}
