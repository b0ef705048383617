package main

import (
	"fmt"
	"net"
	"strings"

	"github.com/phoneflash/phoneflash/appliance/netconf"
)

// nics lists the network cards with their driver and where they sit, and
// says for each pinned bench port of the profile which card it gets.
func (c *Check) nics() error {
	list, err := netconf.ListNICs(c.SysNet)
	if err != nil {
		return err
	}
	fmt.Fprintln(c.Out, "network cards (pin a bench port with \"usb_path\" or \"mac\" in the profile):")
	if len(list) == 0 {
		fmt.Fprintln(c.Out, "  none")
	}
	for _, n := range list {
		where := n.Bus + " " + n.Path
		if p := n.USBPath(); p != "" {
			where = "usb_path " + p
		}
		fmt.Fprintf(c.Out, "  %-10s driver %-10s %-28s mac %s\n", n.Name, orDash(n.Driver), where, n.MAC)
	}
	for _, port := range c.Profile.Ports {
		pin := netconf.Pin{Port: port.Interface, USBPath: port.USBPath}
		switch {
		case port.MAC != "":
			pin.MAC, _ = net.ParseMAC(port.MAC) // validated with the profile
		case port.USBPath == "":
			continue
		}
		got := "not plugged in"
		for _, n := range list {
			if pin.Matches(n) {
				got = n.Name + " (" + orDash(n.Driver) + ")"
				if n.Name != port.Interface {
					got += ", renamed " + port.Interface + " when phoneflash starts"
				}
			}
		}
		fmt.Fprintf(c.Out, "  port %s pinned to %s: %s\n", port.Interface, strings.TrimPrefix(pin.String(), port.Interface+" "), got)
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
