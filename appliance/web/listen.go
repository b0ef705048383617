package web

import (
	"fmt"
	"net"
	"net/netip"
)

// DefaultAddr is the default -http address: every interface on port 80,
// with connections to bench addresses refused by Listen.
const DefaultAddr = ":80"

// Listen listens on addr (as given by -http) and returns a listener that
// closes, at once, connections made to an address inside one of the bench
// prefixes: with -http :80 the UI is reachable on the uplink but never from
// a bench port.
func Listen(addr string, bench []netip.Prefix) (net.Listener, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("web: listen %s: %w", addr, err)
	}
	return &benchGuard{Listener: l, bench: bench}, nil
}

// benchGuard drops connections whose local address is on a bench port.
type benchGuard struct {
	net.Listener
	bench []netip.Prefix
}

func (g *benchGuard) Accept() (net.Conn, error) {
	for {
		c, err := g.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if !g.onBench(c.LocalAddr()) {
			return c, nil
		}
		c.Close()
	}
}

func (g *benchGuard) onBench(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return false
	}
	ip := ta.AddrPort().Addr().Unmap()
	for _, p := range g.bench {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
