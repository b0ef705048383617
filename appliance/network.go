package appliance

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"syscall"

	"golang.org/x/sync/errgroup"

	"github.com/phoneflash/phoneflash/appliance/dhcpd"
	"github.com/phoneflash/phoneflash/appliance/netconf"
	"github.com/phoneflash/phoneflash/appliance/tftpd"
)

// handlers are the session side as the bench network sees it: where its
// servers report and how TFTP requests are answered. The bench builds them
// before the network, which keeps them for its lifetime.
type handlers struct {
	dhcp    func(dhcpd.Event)
	tftp    func(tftpd.Event)
	link    func(netconf.Event)
	resolve tftpd.Resolver
	client  func(netip.Addr) []any // log attributes of a TFTP client: the MAC leased its address
}

// PortSockets are one bench port's sockets, opened by the caller of
// RunSockets. The servers close them when they stop.
type PortSockets struct {
	DHCP       net.PacketConn // requests to port 67 arrive here and replies leave
	DHCPClient net.PacketConn // optional: port 68, where other DHCP servers' replies are seen
	TFTP       *net.UDPConn   // read requests to the port's address (see tftpd.Listen)
}

// network is the bench network: link configuration and, on every bench
// port, a DHCP and a TFTP server that run while the port's interface
// exists. netconf's appear and vanish events are the only source of that
// presence. Servers that later issues add to a port (a SIP watcher, a bench
// registrar) are further portServers of it, their sockets further fields of
// PortSockets.
type network struct {
	watcher *netconf.Watcher // nil when the caller gave the sockets: netlink is not used
	ports   []*benchPort
}

// newNetwork builds the bench network reporting to h. With socks nil it
// configures and watches the bench interfaces through netlink and opens
// each port's sockets on its interface; otherwise every port serves the
// sockets given for it, from the start.
func newNetwork(cfg Config, log *slog.Logger, h handlers, socks map[string]PortSockets) (*network, error) {
	n := &network{}
	for _, p := range cfg.Ports {
		s, given := socks[p.Name]
		if socks != nil && (!given || s.DHCP == nil || s.TFTP == nil) {
			return nil, fmt.Errorf("port %s: no DHCP and TFTP sockets given", p.Name)
		}
		first, last := p.Pool()
		dhcp, err := dhcpd.New(dhcpd.Options{
			Config:   routedDHCP(cfg, log, dhcpd.Config{Port: p.Name, Addr: p.Addr, PoolFirst: first, PoolLast: last, LeaseTime: cfg.LeaseTime}),
			StateDir: cfg.StateDir, Log: log.With("component", "dhcpd"), OnEvent: h.dhcp,
			Conn: s.DHCP, ClientConn: s.DHCPClient,
		})
		if err != nil {
			return nil, err
		}
		bp := &benchPort{Port: p, log: log.With("port", p.Name), changed: make(chan struct{}, 1),
			servers: []portServer{{name: "dhcp", run: dhcp.Run}, tftpServer(p, log, h, s.TFTP)}}
		if socks != nil {
			bp.index = givenSockets
		}
		n.ports = append(n.ports, bp)
	}
	if socks == nil {
		var ports []netconf.Port
		for _, p := range cfg.Ports {
			ports = append(ports, netconf.Port{Name: p.Name, Addr: p.Addr})
		}
		n.watcher = &netconf.Watcher{Ports: ports, Log: log.With("component", "netconf"), Pins: netconf.PinSet{Pins: cfg.Pins, Keep: cfg.Uplink},
			OnEvent: func(ev netconf.Event) { n.onLink(ev); h.link(ev) }}
	}
	return n, nil
}

// services are the network's long-running parts: the link watcher and one
// supervisor per port. A bench-wide service that needs the machine's
// network (the nftables route) belongs here too, next to the watcher: like
// it, it does not run when the sockets were given.
func (n *network) services() []service {
	var out []service
	if n.watcher != nil {
		out = append(out, service{name: "netconf", run: n.watcher.Run})
	}
	for _, p := range n.ports {
		out = append(out, service{name: "port " + p.Name, run: p.run})
	}
	return out
}

// onLink starts a port's servers when its interface appears and stops them
// when it vanishes.
func (n *network) onLink(ev netconf.Event) {
	for _, p := range n.ports {
		if p.Name != ev.Port {
			continue
		}
		switch ev.Kind {
		case netconf.EventAppear:
			p.present(ev.Index)
		case netconf.EventVanish:
			p.present(0)
		}
	}
}

// tftpServer serves TFTP on port p's address, bound to its interface, or on
// conn when given.
func tftpServer(p Port, log *slog.Logger, h handlers, conn *net.UDPConn) portServer {
	srv := tftpd.New(tftpd.Options{Resolver: h.resolve, Log: log.With("component", "tftpd", "port", p.Name),
		OnEvent: h.tftp, ClientAttrs: h.client})
	return portServer{name: "tftp", run: func(ctx context.Context) error {
		c := conn
		if c == nil {
			var err error
			if c, err = tftpd.Listen(ctx, p.Name, netip.AddrPortFrom(p.Addr.Addr(), 69)); err != nil {
				return err
			}
		}
		return srv.Serve(ctx, c)
	}}
}

// portServer is one server of a bench port: run serves until ctx is done,
// on sockets it opens on the port's interface (a missing interface is
// syscall.ENODEV) or on those given.
type portServer struct {
	name string
	run  func(ctx context.Context) error
}

// givenSockets stands for the interface index of a port whose sockets were
// given: present from the start, never replaced.
const givenSockets = -1

// benchPort is one bench port and its servers, which run together while
// its interface is present.
type benchPort struct {
	Port
	log     *slog.Logger
	servers []portServer
	changed chan struct{} // a value after index changed

	mu    sync.Mutex
	index int // the interface's index while present, 0 while absent
}

// present records the port's interface index (0: absent).
func (p *benchPort) present(index int) {
	p.mu.Lock()
	p.index = index
	p.mu.Unlock()
	select {
	case p.changed <- struct{}{}:
	default:
	}
}

func (p *benchPort) current() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.index
}

// serving is one run of a port's servers, on one interface index.
type serving struct {
	index  int
	cancel context.CancelFunc
	done   chan error
}

// run keeps the port's servers running while its interface is present:
// started when it appears, stopped when it vanishes, started over when it
// is replaced (a new index), until ctx is done. A server that fails for
// another reason than a vanished interface ends the appliance.
func (p *benchPort) run(ctx context.Context) error {
	var cur *serving
	stop := func(why string) {
		if cur == nil {
			return
		}
		cur.cancel()
		<-cur.done
		if why != "" {
			p.log.Warn("bench interface "+why+"; its servers stopped", "index", cur.index)
		}
		cur = nil
	}
	defer stop("")
	failed := 0 // an index whose servers could not start: the interface went away meanwhile
	for {
		index := p.current()
		if index == 0 {
			failed = 0
		}
		if cur != nil && cur.index != index {
			why := "replaced"
			if index == 0 {
				why = "vanished"
			}
			stop(why)
		}
		if cur == nil && index != 0 && index != failed {
			cur = p.start(ctx, index)
		}
		var done <-chan error
		if cur != nil {
			done = cur.done
		}
		select {
		case <-ctx.Done():
			return nil
		case <-p.changed:
		case err := <-done:
			failed, cur = cur.index, nil // done is drained: nothing left to stop
			if ctx.Err() != nil {
				return nil
			}
			if err != nil && !errors.Is(err, syscall.ENODEV) {
				return err
			}
			p.log.Warn("bench port's servers stopped; waiting for its interface to appear again", "index", failed, "err", err)
		}
	}
}

// start runs every server of the port until ctx is done or one fails.
func (p *benchPort) start(ctx context.Context, index int) *serving {
	sctx, cancel := context.WithCancel(ctx)
	s := &serving{index: index, cancel: cancel, done: make(chan error, 1)}
	g, gctx := errgroup.WithContext(sctx)
	for _, srv := range p.servers {
		g.Go(func() error {
			if err := srv.run(gctx); err != nil && gctx.Err() == nil {
				return fmt.Errorf("%s: %w", srv.name, err)
			}
			return nil
		})
	}
	p.log.Info("serving bench port", "index", index)
	go func() { s.done <- g.Wait() }()
	return s
}
