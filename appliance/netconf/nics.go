package netconf

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// SysClassNet is where Linux lists network interfaces.
const SysClassNet = "/sys/class/net"

// NIC is a network card as sysfs describes it: what boardcheck lists and
// what a board profile pins a bench port to.
type NIC struct {
	Name   string           // current interface name, e.g. eth2
	MAC    net.HardwareAddr // permanent address as the kernel reports it
	Driver string           // kernel driver, e.g. r8152, asix, cdc_ether, bcmgenet
	Bus    string           // usb, pci, platform, ...
	// Path is where the card sits: for a USB NIC its USB port chain
	// (bus-port.port..., e.g. "1-1.3", the same for every adapter plugged
	// into that socket of that hub), otherwise the device's name on its bus.
	Path string
}

// USBPath is the card's USB port chain, "" for a card that is not on USB.
func (n NIC) USBPath() string {
	if n.Bus != "usb" {
		return ""
	}
	return n.Path
}

// ListNICs reads the physical network cards from sys (SysClassNet on a
// running system), sorted by name. Virtual interfaces (loopback, veth,
// bridges, tap) have no device there and are left out.
func ListNICs(sys string) ([]NIC, error) {
	entries, err := os.ReadDir(sys)
	if err != nil {
		return nil, fmt.Errorf("netconf: listing NICs: %w", err)
	}
	var out []NIC
	for _, e := range entries {
		n, ok, err := readNIC(sys, e.Name())
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func readNIC(sys, name string) (NIC, bool, error) {
	dir := filepath.Join(sys, name)
	dev, err := filepath.EvalSymlinks(filepath.Join(dir, "device"))
	if errors.Is(err, os.ErrNotExist) {
		return NIC{}, false, nil
	}
	if err != nil {
		return NIC{}, false, fmt.Errorf("netconf: NIC %s: %w", name, err)
	}
	n := NIC{Name: name, Driver: linkBase(filepath.Join(dev, "driver")), Bus: linkBase(filepath.Join(dev, "subsystem"))}
	if b, err := os.ReadFile(filepath.Join(dir, "address")); err == nil {
		n.MAC, _ = net.ParseMAC(strings.TrimSpace(string(b)))
	}
	n.Path = filepath.Base(dev)
	if n.Bus == "usb" {
		// The device of a USB NIC is its interface, "1-1.3:1.0"
		// (configuration 1, interface 0); the port chain is before the colon.
		n.Path, _, _ = strings.Cut(n.Path, ":")
	}
	return n, true, nil
}

// linkBase is the last element of a symlink's target, "" without one.
func linkBase(link string) string {
	target, err := os.Readlink(link)
	if err != nil {
		return ""
	}
	return filepath.Base(target)
}
