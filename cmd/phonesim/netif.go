package main

import (
	"errors"
	"fmt"
	"net"

	"github.com/vishvananda/netlink"
)

// phoneIface is the phone's one network interface, configured over netlink
// in the namespace the process runs in.
type phoneIface struct {
	name string
	h    *netlink.Handle
}

func openIface(name string) (*phoneIface, error) {
	h, err := netlink.NewHandle()
	if err != nil {
		return nil, fmt.Errorf("netif: netlink handle: %w", err)
	}
	return &phoneIface{name: name, h: h}, nil
}

func (p *phoneIface) link() (netlink.Link, error) {
	l, err := p.h.LinkByName(p.name)
	if err != nil {
		return nil, fmt.Errorf("netif: link %s: %w", p.name, err)
	}
	return l, nil
}

// prepare sets the MAC (when mac is not nil and differs) and brings the link
// up; it returns the interface's MAC.
func (p *phoneIface) prepare(mac net.HardwareAddr) (net.HardwareAddr, error) {
	l, err := p.link()
	if err != nil {
		return nil, err
	}
	if mac != nil && l.Attrs().HardwareAddr.String() != mac.String() {
		if err := p.h.LinkSetDown(l); err != nil {
			return nil, fmt.Errorf("netif: %s down: %w", p.name, err)
		}
		if err := p.h.LinkSetHardwareAddr(l, mac); err != nil {
			return nil, fmt.Errorf("netif: %s set MAC %s: %w", p.name, mac, err)
		}
	}
	if err := p.h.LinkSetUp(l); err != nil {
		return nil, fmt.Errorf("netif: %s up: %w", p.name, err)
	}
	if l, err = p.link(); err != nil {
		return nil, err
	}
	return l.Attrs().HardwareAddr, nil
}

// clear removes every IPv4 address: a booting phone has none.
func (p *phoneIface) clear() error {
	l, err := p.link()
	if err != nil {
		return err
	}
	addrs, err := p.h.AddrList(l, netlink.FAMILY_V4)
	if err != nil {
		return fmt.Errorf("netif: %s list addresses: %w", p.name, err)
	}
	var errs []error
	for _, a := range addrs {
		if err := p.h.AddrDel(l, &a); err != nil {
			errs = append(errs, fmt.Errorf("netif: %s delete %s: %w", p.name, a.IPNet, err))
		}
	}
	return errors.Join(errs...)
}

// assign puts the leased address on the interface, and a default route
// through the router when the lease names one.
func (p *phoneIface) assign(l Lease) error {
	if err := p.clear(); err != nil {
		return err
	}
	link, err := p.link()
	if err != nil {
		return err
	}
	addr := &netlink.Addr{IPNet: &net.IPNet{IP: l.IP, Mask: l.Mask}}
	if err := p.h.AddrReplace(link, addr); err != nil {
		return fmt.Errorf("netif: %s add %s: %w", p.name, addr.IPNet, err)
	}
	if l.Router != nil && !l.Router.IsUnspecified() {
		r := &netlink.Route{LinkIndex: link.Attrs().Index, Gw: l.Router}
		if err := p.h.RouteReplace(r); err != nil {
			return fmt.Errorf("netif: %s default route via %s: %w", p.name, l.Router, err)
		}
	}
	return nil
}

func (p *phoneIface) Close() { p.h.Close() }
