// Package netconf keeps the appliance's bench interfaces in their desired
// state over a netlink handle that may be bound to a network namespace: each
// bench port up, with its own address. Apply is idempotent (applying twice
// changes nothing); Watcher re-applies when a port appears later (a USB NIC
// plugged in after boot) and reports links appearing, vanishing, going up or
// down and gaining or losing carrier. A port is reported to appear after it
// was configured (or configuring it failed: an error event), and an
// interface replaced under the same name (a new index) vanishes and appears
// again: these two events are the only place the appliance learns whether a
// port's interface exists, and it starts and stops the port's servers on
// them. Interfaces that are not named as bench ports, the uplink among them,
// are never touched.
package netconf

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
)

// Port is one bench interface and the address the appliance owns on it.
type Port struct {
	Name string
	Addr netip.Prefix
}

// Apply brings every present bench port up with its address. Ports that do
// not exist (yet) are skipped; Watcher configures them when they appear.
// Failures of single ports are joined.
func Apply(ctx context.Context, h *netlink.Handle, ports []Port) error {
	var errs []error
	for _, p := range ports {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if _, err := applyPort(h, p); err != nil && !errors.Is(err, errAbsent) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

var errAbsent = errors.New("interface not present")

// applyPort configures one port and says whether it changed anything.
func applyPort(h *netlink.Handle, p Port) (changed bool, err error) {
	link, err := h.LinkByName(p.Name)
	if _, ok := err.(netlink.LinkNotFoundError); ok {
		return false, fmt.Errorf("netconf: port %s: %w", p.Name, errAbsent)
	}
	if err != nil {
		return false, fmt.Errorf("netconf: port %s: %w", p.Name, err)
	}
	has, err := hasAddr(h, link, p.Addr)
	if err != nil {
		return false, err
	}
	if !has {
		ipnet := &net.IPNet{IP: p.Addr.Addr().AsSlice(), Mask: net.CIDRMask(p.Addr.Bits(), p.Addr.Addr().BitLen())}
		if err := h.AddrReplace(link, &netlink.Addr{IPNet: ipnet}); err != nil {
			return false, fmt.Errorf("netconf: port %s: add address %s: %w", p.Name, p.Addr, err)
		}
		changed = true
	}
	if link.Attrs().Flags&net.FlagUp == 0 {
		if err := h.LinkSetUp(link); err != nil {
			return changed, fmt.Errorf("netconf: port %s: set up: %w", p.Name, err)
		}
		changed = true
	}
	return changed, nil
}

func hasAddr(h *netlink.Handle, link netlink.Link, want netip.Prefix) (bool, error) {
	addrs, err := h.AddrList(link, netlink.FAMILY_V4)
	if err != nil {
		return false, fmt.Errorf("netconf: port %s: list addresses: %w", link.Attrs().Name, err)
	}
	for _, a := range addrs {
		ip, ok := netip.AddrFromSlice(a.IP)
		ones, _ := a.Mask.Size()
		if ok && ip.Unmap() == want.Addr() && ones == want.Bits() {
			return true, nil
		}
	}
	return false, nil
}
