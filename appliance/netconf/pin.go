package netconf

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/phoneflash/phoneflash/internal/defaults"
)

// Pin ties a bench port's name to one NIC, so that ports are named by what
// the user plugs in where, not by the order the kernel found the cards in.
type Pin struct {
	Port    string           // the name the NIC gets, e.g. eth1
	MAC     net.HardwareAddr // the NIC with this address, or
	USBPath string           // the USB NIC in this USB port, e.g. "1-1.3"
}

// Matches reports whether n is the NIC the pin names.
func (p Pin) Matches(n NIC) bool {
	if len(p.MAC) > 0 {
		return bytes.Equal(p.MAC, n.MAC)
	}
	return p.USBPath != "" && p.USBPath == n.USBPath()
}

func (p Pin) String() string {
	if len(p.MAC) > 0 {
		return p.Port + " (mac " + p.MAC.String() + ")"
	}
	return p.Port + " (usb " + p.USBPath + ")"
}

// Rename is one link rename.
type Rename struct{ From, To string }

// PlanPins works out the renames that give every pinned NIC that is present
// its port's name. A NIC holding a port's name that another NIC is pinned
// to swaps names with it (through a temporary name). The NIC named keep
// (the uplink) is never renamed. Problems are pins that cannot be met, one
// line each. It is pure: nics are not changed.
func PlanPins(nics []NIC, pins []Pin, keep string) (steps []Rename, problems []string) {
	cur := append([]NIC(nil), nics...)
	names := map[string]bool{}
	for _, n := range cur {
		names[n.Name] = true
	}
	tmp := 0
	for _, p := range pins {
		i := indexMatch(cur, p)
		switch {
		case i < 0:
			continue // not plugged in: -wait-ports waits for it
		case cur[i].Name == p.Port:
			continue
		case cur[i].Name == keep || p.Port == keep:
			problems = append(problems, fmt.Sprintf("pin %s matches the uplink %s: left as it is", p, keep))
			continue
		}
		old := cur[i].Name
		if j := indexName(cur, p.Port); j >= 0 {
			t := "pfpin" + strconv.Itoa(tmp)
			for names[t] {
				tmp++
				t = "pfpin" + strconv.Itoa(tmp)
			}
			tmp++
			steps = append(steps, Rename{p.Port, t}, Rename{old, p.Port}, Rename{t, old})
			cur[j].Name = old
		} else {
			steps = append(steps, Rename{old, p.Port})
			delete(names, old)
		}
		cur[i].Name = p.Port
		names[p.Port] = true
	}
	return steps, problems
}

func indexMatch(nics []NIC, p Pin) int {
	for i, n := range nics {
		if p.Matches(n) {
			return i
		}
	}
	return -1
}

func indexName(nics []NIC, name string) int {
	for i, n := range nics {
		if n.Name == name {
			return i
		}
	}
	return -1
}

// ApplyPins renames the links of h's namespace so that pinned NICs carry
// their ports' names, as PlanPins plans it, and returns what it did. MACs
// come from netlink; USB paths from sys (SysClassNet: sysfs shows the
// namespace it was mounted in, the appliance's own on gokrazy). A link is
// taken down to be renamed and brought up again if it was up. Applying it
// twice changes nothing the second time.
func ApplyPins(h *netlink.Handle, sys string, pins []Pin, keep string) ([]Rename, []string, error) {
	if len(pins) == 0 {
		return nil, nil, nil
	}
	links, err := h.LinkList()
	if err != nil {
		return nil, nil, fmt.Errorf("netconf: listing links for port pins: %w", err)
	}
	var nics []NIC
	for _, l := range links {
		a := l.Attrs()
		n := NIC{Name: a.Name, MAC: a.HardwareAddr}
		if s, ok, _ := readNIC(sys, a.Name); ok {
			n.Bus, n.Path, n.Driver = s.Bus, s.Path, s.Driver
		}
		nics = append(nics, n)
	}
	steps, problems := PlanPins(nics, pins, keep)
	var errs []error
	for _, s := range steps {
		if err := rename(h, s); err != nil {
			errs = append(errs, err)
			break // later steps assume this one
		}
	}
	return steps, problems, errors.Join(errs...)
}

func rename(h *netlink.Handle, s Rename) error {
	l, err := h.LinkByName(s.From)
	if err != nil {
		return fmt.Errorf("netconf: rename %s to %s: %w", s.From, s.To, err)
	}
	up := l.Attrs().Flags&net.FlagUp != 0
	if up {
		if err := h.LinkSetDown(l); err != nil {
			return fmt.Errorf("netconf: rename %s to %s: set down: %w", s.From, s.To, err)
		}
	}
	if err := h.LinkSetName(l, s.To); err != nil {
		return fmt.Errorf("netconf: rename %s to %s: %w", s.From, s.To, err)
	}
	if up {
		if err := h.LinkSetUp(l); err != nil {
			return fmt.Errorf("netconf: rename %s to %s: set up: %w", s.From, s.To, err)
		}
	}
	return nil
}

// PinSet is what a Watcher does about pins: it applies them before it
// configures the ports at start, and again whenever a link appears, before
// that link is configured, so that a USB NIC plugged in later is named by
// its socket or MAC before it gets a port's address.
type PinSet struct {
	Pins []Pin
	Sys  string // default SysClassNet
	Keep string // the uplink: never renamed
}

// apply renames what the pins ask for and logs it; it returns the renames.
func (s PinSet) apply(h *netlink.Handle, log *slog.Logger) []Rename {
	if len(s.Pins) == 0 {
		return nil
	}
	log = defaults.Logger(log)
	sys := s.Sys
	if sys == "" {
		sys = SysClassNet
	}
	steps, problems, err := ApplyPins(h, sys, s.Pins, s.Keep)
	for _, st := range steps {
		log.Info("pinned NIC renamed", "from", st.From, "to", st.To)
	}
	for _, p := range problems {
		log.Warn("port pin", "problem", p)
	}
	if err != nil {
		log.Error("renaming pinned NICs", "err", err)
	}
	return steps
}

// renamed applies the pins on a link update that adds a link and reports
// whether that link was renamed: its update is then stale, and the
// rename's own updates follow.
func (s PinSet) renamed(h *netlink.Handle, u netlink.LinkUpdate, log *slog.Logger) bool {
	if len(s.Pins) == 0 || u.Header.Type != unix.RTM_NEWLINK {
		return false
	}
	name := u.Link.Attrs().Name
	for _, st := range s.apply(h, log) {
		if st.From == name {
			return true
		}
	}
	return false
}
