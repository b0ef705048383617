// Package registrar is the bench registrar: a minimal SIP registrar on a
// bench port's address, on github.com/emiago/sipgo's server, for phones
// without an account in the operator's table. Their config names the
// port's address as the PBX, and their REGISTER ends them "done (no
// account)".
//
// It accepts REGISTER for any line, without authentication: the bench
// registrar has no accounts to check, a phone without an account has no
// password to offer (a challenge would only add a round trip), and only
// the phones on the bench can reach it. Each accepted REGISTER is answered
// 200 OK with the granted expiry and reported through OnRegister. OPTIONS
// is answered 200 with Allow; every other method gets 405 Method Not
// Allowed, with Allow: REGISTER, OPTIONS.
//
// It stays up and bounded under garbage: datagrams that do not parse as a
// SIP request are dropped before sipgo's transport keeps anything of them,
// accepted UDP requests are rate-limited (each leaves a server transaction
// for Timer J, 32 s), the UDP source table is recycled when it grows past
// MaxSources, TCP connections are capped and closed when idle, messages
// are capped at MaxMessage, and sipgo's own log lines are rate-limited.
//
// The package knows nothing of sessions or the board.
package registrar

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"golang.org/x/sync/errgroup"

	"github.com/phoneflash/phoneflash/internal/defaults"
)

// Defaults for Options fields left zero.
const (
	DefaultMinExpires = 60 * time.Second
	DefaultMaxExpires = time.Hour
	DefaultMaxMessage = 8 << 10
	DefaultMaxConns   = 64
	DefaultIdle       = 5 * time.Minute
	DefaultRate       = 100 // UDP requests per second
	DefaultMaxSources = 1024
)

// Registration is one accepted REGISTER.
type Registration struct {
	Port      string // Options.Port
	Extension string // the address-of-record user
	Contact   string // the Contact URI
	Instance  string // the +sip.instance parameter, e.g. "<urn:uuid:...>"
	Source    netip.AddrPort
	Transport string // UDP or TCP
	UserAgent string
	Expires   time.Duration // granted; 0: the phone unregistered
	At        time.Time
}

// Options configure a Registrar.
type Options struct {
	Port       string // the bench port, named in registrations and logs
	OnRegister func(Registration)
	Log        *slog.Logger
	Now        func() time.Time
	MinExpires time.Duration // shorter asks get 423 Interval Too Brief
	MaxExpires time.Duration // longer asks are granted this
	MaxMessage int           // bytes of one SIP message
	MaxConns   int           // TCP connections at once
	Idle       time.Duration // a TCP connection silent this long is closed
	Rate       int           // UDP requests accepted per second (burst: as many)
	MaxSources int           // UDP peers remembered before the table is recycled
}

// Stats count what the registrar did.
type Stats struct {
	Registered  int // REGISTERs answered 200
	Refused     int // other methods and bad REGISTERs answered with an error
	Dropped     int // UDP datagrams dropped: not a SIP request, or over the rate
	Recycled    int // times the UDP source table was recycled
	ConnsClosed int // TCP connections refused (over MaxConns) or closed idle
}

// Registrar answers REGISTER on one bench port.
type Registrar struct {
	opts Options
	ua   *sipgo.UserAgent
	srv  *sipgo.Server
	udp  *udpGate

	mu    sync.Mutex
	stats Stats
}

// New returns a Registrar; it does nothing until Serve.
func New(opts Options) (*Registrar, error) {
	opts = withDefaults(opts)
	r := &Registrar{opts: opts}
	p := sip.NewParser()
	p.MaxMessageLength = opts.MaxMessage
	r.udp = newUDPGate(p, opts.Rate, opts.MaxSources, opts.Now, r.count)
	log := slog.New(newLimitHandler(opts.Log.Handler(), time.Second, opts.Now))
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("phoneflash bench registrar"), sipgo.WithUserAgentParser(p),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(log), sip.WithTransportLayerReadFilter(r.udp.filter)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(log)))
	if err != nil {
		return nil, fmt.Errorf("registrar %s: user agent: %w", opts.Port, err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(log))
	if err != nil {
		ua.Close()
		return nil, fmt.Errorf("registrar %s: server: %w", opts.Port, err)
	}
	r.ua, r.srv = ua, srv
	srv.OnRegister(r.register)
	srv.OnOptions(r.options)
	srv.OnAck(func(*sip.Request, sip.ServerTransaction) {}) // an ACK is never answered
	srv.OnNoRoute(r.refuse)
	return r, nil
}

func withDefaults(o Options) Options {
	o.OnRegister = defaults.Callback(o.OnRegister)
	o.Log = defaults.Logger(o.Log)
	o.Now = defaults.Clock(o.Now)
	o.MinExpires = defaults.Positive(o.MinExpires, DefaultMinExpires)
	o.MaxExpires = defaults.Positive(o.MaxExpires, DefaultMaxExpires)
	o.Idle = defaults.Positive(o.Idle, DefaultIdle)
	o.MaxMessage = defaults.Positive(o.MaxMessage, DefaultMaxMessage)
	o.MaxConns = defaults.Positive(o.MaxConns, DefaultMaxConns)
	o.Rate = defaults.Positive(o.Rate, DefaultRate)
	o.MaxSources = defaults.Positive(o.MaxSources, DefaultMaxSources)
	return o
}

func (r *Registrar) count(f func(*Stats)) {
	r.mu.Lock()
	f(&r.stats)
	r.mu.Unlock()
}

// Stats returns the counters.
func (r *Registrar) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats
}

// ListenAndServe opens UDP and TCP on addr (a bench port's address and
// 5060, in the calling thread's network namespace) and serves them.
func (r *Registrar) ListenAndServe(ctx context.Context, addr netip.AddrPort) error {
	udp, err := net.ListenPacket("udp4", addr.String())
	if err != nil {
		return fmt.Errorf("registrar %s: listen udp %s: %w", r.opts.Port, addr, err)
	}
	tcp, err := net.Listen("tcp4", addr.String())
	if err != nil {
		udp.Close()
		return fmt.Errorf("registrar %s: listen tcp %s: %w", r.opts.Port, addr, err)
	}
	return r.Serve(ctx, udp, tcp)
}

// Serve answers on udp and tcp (either may be nil: that transport is not
// served) until ctx ends; then it closes both and returns nil. A Registrar
// serves once.
func (r *Registrar) Serve(ctx context.Context, udp net.PacketConn, tcp net.Listener) error {
	if udp == nil && tcp == nil {
		return fmt.Errorf("registrar %s: nothing to serve", r.opts.Port)
	}
	defer r.ua.Close()
	g, ctx := errgroup.WithContext(ctx)
	if udp != nil {
		g.Go(func() error { return r.serveUDP(ctx, udp) })
	}
	if tcp != nil {
		ln := newConnLimit(tcp, r.opts.MaxConns, r.opts.Idle, func() { r.count(func(s *Stats) { s.ConnsClosed++ }) })
		g.Go(func() error {
			err := r.srv.ServeTCP(ln)
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("registrar %s: TCP: %w", r.opts.Port, err)
		})
		g.Go(func() error { <-ctx.Done(); return ln.Close() })
	}
	if udp != nil {
		g.Go(func() error { <-ctx.Done(); return udp.Close() })
	}
	r.opts.Log.Info("registrar: serving", "port", r.opts.Port, "udp", addrOf(udp), "tcp", addrOfListener(tcp))
	return g.Wait()
}

// serveUDP runs sipgo's UDP transport on conn, again each time the gate
// recycles the source table (that ends the transport's read loop, which
// forgets every peer it had noted).
func (r *Registrar) serveUDP(ctx context.Context, conn net.PacketConn) error {
	for {
		err := r.srv.ServeUDP(conn)
		switch {
		case ctx.Err() != nil:
			return nil
		case r.udp.recycled():
			r.count(func(s *Stats) { s.Recycled++ })
			continue
		case err == nil:
			err = errors.New("read loop ended")
		}
		return fmt.Errorf("registrar %s: UDP: %w", r.opts.Port, err)
	}
}

func addrOf(c net.PacketConn) string {
	if c == nil {
		return "-"
	}
	return c.LocalAddr().String()
}

func addrOfListener(l net.Listener) string {
	if l == nil {
		return "-"
	}
	return l.Addr().String()
}

// register answers a REGISTER.
func (r *Registrar) register(req *sip.Request, tx sip.ServerTransaction) {
	to := req.To()
	switch {
	case req.CallID() == nil || req.CSeq() == nil || req.From() == nil:
		r.reply(req, tx, 400, "Bad Request: no Call-ID, CSeq or From", nil)
		return
	case to == nil || to.Address.User == "":
		r.reply(req, tx, 400, "Bad Request: no line in To", nil)
		return
	}
	reg := Registration{Port: r.opts.Port, Extension: to.Address.User, Transport: req.Transport(), At: r.opts.Now()}
	reg.Source, _ = netip.ParseAddrPort(req.Source())
	if ua := req.GetHeader("User-Agent"); ua != nil {
		reg.UserAgent = ua.Value()
	}
	c := req.Contact()
	asked := askedExpires(req, c, r.opts.MaxExpires)
	if c != nil {
		reg.Contact = c.Address.String()
		reg.Instance, _ = c.Params.Get("+sip.instance")
	}
	switch {
	case asked > 0 && asked < r.opts.MinExpires:
		r.reply(req, tx, 423, "Interval Too Brief", sip.NewHeader("Min-Expires", strconv.Itoa(int(r.opts.MinExpires.Seconds()))))
		return
	case asked > r.opts.MaxExpires:
		asked = r.opts.MaxExpires
	}
	reg.Expires = asked
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	if c != nil && !c.Address.Wildcard {
		granted := c.Clone()
		granted.Params.Remove("expires")
		granted.Params.Add("expires", strconv.Itoa(int(asked.Seconds())))
		res.AppendHeader(granted)
	}
	res.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(int(asked.Seconds()))))
	if err := tx.Respond(res); err != nil {
		r.opts.Log.Warn("registrar: answer REGISTER", "port", r.opts.Port, "from", req.Source(), "err", err.Error())
		return
	}
	r.count(func(s *Stats) { s.Registered++ })
	r.opts.Log.Info("registrar: registered", "port", r.opts.Port, "extension", reg.Extension, "from", req.Source(),
		"transport", reg.Transport, "expires", asked.String(), "user_agent", reg.UserAgent)
	r.opts.OnRegister(reg)
}

// askedExpires is the expiry a REGISTER asks for: the Contact's expires
// parameter, else the Expires header, else def.
func askedExpires(req *sip.Request, c *sip.ContactHeader, def time.Duration) time.Duration {
	v := ""
	if h := req.GetHeader("Expires"); h != nil {
		v = h.Value()
	}
	if c != nil {
		if e, ok := c.Params.Get("expires"); ok {
			v = e
		}
	}
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	return def
}

func (r *Registrar) options(req *sip.Request, tx sip.ServerTransaction) {
	r.reply(req, tx, 200, "OK", sip.NewHeader("Allow", "REGISTER, OPTIONS"))
}

// refuse answers every method but REGISTER and OPTIONS.
func (r *Registrar) refuse(req *sip.Request, tx sip.ServerTransaction) {
	r.count(func(s *Stats) { s.Refused++ })
	r.reply(req, tx, 405, "Method Not Allowed", sip.NewHeader("Allow", "REGISTER, OPTIONS"))
}

func (r *Registrar) reply(req *sip.Request, tx sip.ServerTransaction, code int, reason string, h sip.Header) {
	if code >= 400 && code != 405 {
		r.count(func(s *Stats) { s.Refused++ })
	}
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	if h != nil {
		res.AppendHeader(h)
	}
	if err := tx.Respond(res); err != nil {
		r.opts.Log.Warn("registrar: answer", "port", r.opts.Port, "method", string(req.Method), "from", req.Source(), "err", err.Error())
	}
}
