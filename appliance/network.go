package appliance

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/phoneflash/phoneflash/appliance/dhcpd"
	"github.com/phoneflash/phoneflash/appliance/netconf"
	"github.com/phoneflash/phoneflash/appliance/tftpd"
)

// network is the bench network: link configuration, and DHCP and TFTP on
// every bench port. Its servers report through the callbacks below; the
// session layer will hook in there.
type network struct {
	cfg   Config
	log   *slog.Logger
	dhcp  map[string]*dhcpd.Server // by port name
	files *firmwareFiles
	users atomic.Int32 // TFTP services still using files

	// resolve answers TFTP requests; it defaults to the firmware files by
	// name, and the phone sessions take over (falling back to files).
	resolve tftpd.Resolver

	onDHCP func(dhcpd.Event)
	onTFTP func(tftpd.Event)
	onLink func(netconf.Event)
}

// failing is a service list that fails at once with err, so Run still
// leaves the hardware safe.
func failing(name string, err error) []service {
	return []service{{name: name, run: func(context.Context) error { return err }}}
}

// newNetwork builds the bench network. Its callbacks and resolver may be
// replaced before the services run.
func newNetwork(cfg Config, log *slog.Logger) (*network, []service, error) {
	files, err := openFirmwareFiles(cfg.FirmwareDir)
	if err != nil {
		return nil, nil, err
	}
	n := &network{cfg: cfg, log: log, dhcp: map[string]*dhcpd.Server{}, files: files, resolve: files.Resolve,
		onDHCP: func(dhcpd.Event) {}, onTFTP: func(tftpd.Event) {}, onLink: func(netconf.Event) {}}
	var ports []netconf.Port
	for _, p := range cfg.Ports {
		ports = append(ports, netconf.Port{Name: p.Name, Addr: p.Addr})
	}
	watcher := &netconf.Watcher{Ports: ports, Log: log.With("component", "netconf"),
		OnEvent: func(ev netconf.Event) { n.onLink(ev) }}
	services := []service{{name: "netconf", run: watcher.Run}}
	n.users.Store(int32(len(cfg.Ports)))
	for _, p := range cfg.Ports {
		first, last := p.Pool()
		srv, err := dhcpd.New(dhcpd.Options{
			Config:   routedDHCP(cfg, log, dhcpd.Config{Port: p.Name, Addr: p.Addr, PoolFirst: first, PoolLast: last, LeaseTime: cfg.LeaseTime}),
			StateDir: cfg.StateDir, Log: log.With("component", "dhcpd"),
			OnEvent: func(ev dhcpd.Event) { n.onDHCP(ev) },
		})
		if err != nil {
			files.Close()
			return nil, nil, err
		}
		n.dhcp[p.Name] = srv
		services = append(services,
			service{name: "dhcp " + p.Name, run: srv.Run},
			service{name: "tftp " + p.Name, run: func(ctx context.Context) error { return n.runTFTP(ctx, p) }})
	}
	return n, services, nil
}

// macOf returns the MAC that holds client's address on any port.
func (n *network) macOf(client netip.Addr) (net.HardwareAddr, string, bool) {
	for name, srv := range n.dhcp {
		if mac, ok := srv.LeaseByIP(client); ok {
			return mac, name, true
		}
	}
	return nil, "", false
}

// runTFTP serves TFTP on port p's address, bound to its interface. It waits
// for the interface to appear and starts over when it is replaced.
func (n *network) runTFTP(ctx context.Context, p Port) error {
	defer func() {
		if n.users.Add(-1) == 0 {
			n.files.Close()
		}
	}()
	log := n.log.With("component", "tftpd", "port", p.Name)
	srv := tftpd.New(tftpd.Options{
		Resolver: func(ctx context.Context, r tftpd.Request) (tftpd.Content, error) { return n.resolve(ctx, r) },
		Log:      log,
		OnEvent:  func(ev tftpd.Event) { n.onTFTP(ev) },
		ClientAttrs: func(client netip.Addr) []any {
			if mac, _, ok := n.macOf(client); ok {
				return []any{"mac", mac.String()}
			}
			return nil
		},
	})
	return whileInterface(ctx, p.Name, log, func(ctx context.Context) error {
		conn, err := tftpd.Listen(ctx, p.Name, netip.AddrPortFrom(p.Addr.Addr(), 69))
		if err != nil {
			return err
		}
		return srv.Serve(ctx, conn)
	})
}

// whileInterface runs fn while interface name exists, with a context that
// ends when the interface vanishes or is replaced (a new index), and runs it
// again when the interface is back.
func whileInterface(ctx context.Context, name string, log *slog.Logger, fn func(context.Context) error) error {
	waiting := false
	for ctx.Err() == nil {
		ifc, err := net.InterfaceByName(name)
		if err != nil {
			if !waiting {
				log.Warn("waiting for bench interface to appear")
				waiting = true
			}
			pause(ctx, time.Second)
			continue
		}
		waiting = false
		fctx, cancel := context.WithCancel(ctx)
		go func() {
			for fctx.Err() == nil {
				pause(fctx, 2*time.Second)
				if now, err := net.InterfaceByName(name); err != nil || now.Index != ifc.Index {
					cancel()
				}
			}
		}()
		err = fn(fctx)
		replaced := fctx.Err() != nil && ctx.Err() == nil
		cancel()
		switch {
		case replaced:
			log.Warn("bench interface vanished or was replaced; starting over")
		case errors.Is(err, syscall.ENODEV):
			pause(ctx, time.Second)
		case err != nil:
			return fmt.Errorf("port %s: %w", name, err)
		}
	}
	return nil
}

func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
