package appliance

import (
	"context"
	"flag"
	"log/slog"
	"strconv"

	"github.com/phoneflash/phoneflash/appliance/dhcpd"
	"github.com/phoneflash/phoneflash/appliance/route"
)

// RouteMode is what the appliance does with the bench's nftables table
// (package route).
type RouteMode int

const (
	// RouteOff installs no table and leaves the machine's firewall and
	// forwarding alone: library use, and tests that run in the machine's own
	// namespace.
	RouteOff RouteMode = iota
	// RouteFilter keeps bench ports off everything on the appliance but
	// DHCP, TFTP and SIP, and forwards nothing (-route=false).
	RouteFilter
	// RouteForward also routes bench ports to the uplink with masquerade,
	// and DHCP names the port's address as router and the uplink's
	// resolvers (-route, the default of serve). Without an uplink it is
	// RouteFilter.
	RouteForward
)

// RouteFlag is the -route flag: a bool, true by default, setting *m to
// RouteForward or RouteFilter.
func RouteFlag(m *RouteMode) flag.Value {
	*m = RouteForward
	return routeFlag{m}
}

type routeFlag struct{ m *RouteMode }

func (f routeFlag) IsBoolFlag() bool { return true }

func (f routeFlag) String() string {
	return strconv.FormatBool(f.m != nil && *f.m == RouteForward)
}

func (f routeFlag) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	*f.m = RouteFilter
	if b {
		*f.m = RouteForward
	}
	return nil
}

// routed reports whether phones are routed to an uplink.
func (c Config) routed() bool { return c.Route == RouteForward && c.Uplink != "" }

// routeServices is the bench's nftables table, kept while the appliance
// runs; none with RouteOff.
func routeServices(cfg Config, log *slog.Logger) []service {
	if cfg.Route == RouteOff {
		return nil
	}
	rc := route.Config{Uplink: cfg.Uplink, Forward: cfg.Route == RouteForward}
	for _, p := range cfg.Ports {
		rc.Ports = append(rc.Ports, route.Port{Name: p.Name, Addr: p.Addr})
	}
	s := &route.Service{Config: rc, Log: log.With("component", "route")}
	return []service{{name: "route", run: func(ctx context.Context) error { return s.Run(ctx) }}}
}

// routedDHCP adds options 3 and 6 to a port's DHCP configuration when the
// bench is routed to an uplink.
func routedDHCP(cfg Config, log *slog.Logger, c dhcpd.Config) dhcpd.Config {
	if !cfg.routed() {
		return c
	}
	c.Router = true
	c.DNS = (&route.Resolvers{Log: log.With("component", "route", "port", c.Port)}).Get
	return c
}
