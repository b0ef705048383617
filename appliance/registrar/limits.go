package registrar

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// errRecycle ends sipgo's UDP read loop so that it forgets its peers.
var errRecycle = errors.New("registrar: UDP source table recycled")

// udpGate is sipgo's read filter for UDP: it passes only datagrams that
// parse as a SIP request, at most rate per second, and recycles the
// transport's peer table when more than maxSources peers were admitted
// (sipgo's UDP listener remembers every source address it answered).
type udpGate struct {
	parser     *sip.Parser
	rate       float64
	maxSources int
	now        func() time.Time
	count      func(func(*Stats))

	mu      sync.Mutex
	tokens  float64
	last    time.Time
	sources map[string]struct{}
	recycle bool
}

func newUDPGate(p *sip.Parser, rate, maxSources int, now func() time.Time, count func(func(*Stats))) *udpGate {
	return &udpGate{parser: p, rate: float64(rate), maxSources: maxSources, now: now, count: count,
		tokens: float64(rate), sources: map[string]struct{}{}}
}

func (g *udpGate) drop() ([]byte, error) {
	g.count(func(s *Stats) { s.Dropped++ })
	return nil, nil
}

func (g *udpGate) filter(p sip.TransportReadProps, data []byte) ([]byte, error) {
	if p.Transport != "UDP" {
		return data, nil
	}
	if msg, err := g.parser.ParseSIP(data); err != nil {
		return g.drop()
	} else if _, ok := msg.(*sip.Request); !ok {
		return g.drop()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	if !g.last.IsZero() {
		g.tokens = min(g.rate, g.tokens+now.Sub(g.last).Seconds()*g.rate)
	}
	g.last = now
	if g.tokens < 1 {
		return g.drop()
	}
	g.tokens--
	src := p.RemoteAddr.String()
	if _, ok := g.sources[src]; !ok {
		if len(g.sources) >= g.maxSources {
			clear(g.sources)
			g.recycle = true
			return nil, errRecycle // this datagram is lost; the sender retransmits
		}
		g.sources[src] = struct{}{}
	}
	return data, nil
}

// recycled reports (once) that the filter ended the read loop on purpose.
func (g *udpGate) recycled() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	r := g.recycle
	g.recycle = false
	return r
}

// connLimit accepts at most max TCP connections at once (more are closed at
// once) and closes a connection that stays silent for idle.
type connLimit struct {
	net.Listener
	sem    chan struct{}
	idle   time.Duration
	closed func()
}

func newConnLimit(l net.Listener, max int, idle time.Duration, closed func()) *connLimit {
	return &connLimit{Listener: l, sem: make(chan struct{}, max), idle: idle, closed: closed}
}

func (l *connLimit) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		select {
		case l.sem <- struct{}{}:
			return &idleConn{Conn: c, l: l}, nil
		default:
			c.Close()
			l.closed()
		}
	}
}

type idleConn struct {
	net.Conn
	l    *connLimit
	once sync.Once
}

func (c *idleConn) Read(b []byte) (int, error) {
	c.Conn.SetReadDeadline(time.Now().Add(c.l.idle))
	n, err := c.Conn.Read(b)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		c.l.closed()
	}
	return n, err
}

func (c *idleConn) Close() error {
	c.once.Do(func() { <-c.l.sem })
	return c.Conn.Close()
}

// limitHandler passes at most one record per message text per interval
// (counting the others in the next one) and clips long string values:
// sipgo logs every unparsable message with its data.
type limitHandler struct {
	h     slog.Handler
	every time.Duration
	now   func() time.Time
	st    *limitState
}

type limitState struct {
	mu         sync.Mutex
	last       map[string]time.Time
	suppressed map[string]int
}

// maxLogValue is the longest string value passed on.
const maxLogValue = 200

func newLimitHandler(h slog.Handler, every time.Duration, now func() time.Time) *limitHandler {
	return &limitHandler{h: h, every: every, now: now, st: &limitState{last: map[string]time.Time{}, suppressed: map[string]int{}}}
}

func (l *limitHandler) Enabled(ctx context.Context, lv slog.Level) bool { return l.h.Enabled(ctx, lv) }

func (l *limitHandler) Handle(ctx context.Context, r slog.Record) error {
	s := l.st
	s.mu.Lock()
	now := l.now()
	if t, ok := s.last[r.Message]; ok && now.Sub(t) < l.every {
		s.suppressed[r.Message]++
		s.mu.Unlock()
		return nil
	}
	if len(s.last) >= 256 {
		clear(s.last)
		clear(s.suppressed)
	}
	s.last[r.Message] = now
	n := s.suppressed[r.Message]
	delete(s.suppressed, r.Message)
	s.mu.Unlock()
	out := slog.NewRecord(r.Time, r.Level, "sipgo: "+r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		if v := a.Value.Resolve(); v.Kind() == slog.KindString && len(v.String()) > maxLogValue {
			a.Value = slog.StringValue(v.String()[:maxLogValue] + "...")
		}
		out.AddAttrs(a)
		return true
	})
	if n > 0 {
		out.AddAttrs(slog.Int("suppressed", n))
	}
	return l.h.Handle(ctx, out)
}

func (l *limitHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *l
	c.h = l.h.WithAttrs(as)
	return &c
}

func (l *limitHandler) WithGroup(name string) slog.Handler {
	c := *l
	c.h = l.h.WithGroup(name)
	return &c
}
