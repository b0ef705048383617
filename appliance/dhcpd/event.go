package dhcpd

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// EventKind says what happened.
type EventKind string

// Event kinds.
const (
	EventDiscover    EventKind = "discover"
	EventOffer       EventKind = "offer"
	EventRequest     EventKind = "request"
	EventAck         EventKind = "ack"
	EventNak         EventKind = "nak"
	EventDecline     EventKind = "decline"
	EventRelease     EventKind = "release"
	EventExhausted   EventKind = "exhausted"    // no address left for this client
	EventRogueServer EventKind = "rogue-server" // another DHCP server answers on the port (Server)
)

// Event is one step of one client's DHCP exchange.
type Event struct {
	Kind        EventKind
	Port        string
	MAC         net.HardwareAddr
	IP          netip.Addr // offered, acknowledged, requested, declined or released
	Hostname    string     // option 12, e.g. SEP001122AABBCC
	VendorClass string     // option 60 without trailing NULs
	Model       string     // CP-7906G, CP-7911G, ... when option 60 names a Cisco phone
	Server      netip.Addr // rogue-server: the other server's address
	Leases      int        // the port's bindings after this event, as Status.Leases (client events)
}

func (e Event) with(k EventKind, ip netip.Addr) Event {
	e.Kind, e.IP = k, ip
	return e
}

// Phone says whether the client looks like a Cisco IP phone: option 60 names
// one, or the hostname is SEP followed by the client's MAC.
func (e Event) Phone() bool {
	return e.Model != "" || (len(e.MAC) == 6 && strings.EqualFold(e.Hostname, "SEP"+strings.ReplaceAll(e.MAC.String(), ":", "")))
}

// RogueText is the line an operator sees for a rogue-server event.
func (e Event) RogueText() string {
	return fmt.Sprintf("another DHCP server at %s on %s", e.Server, e.Port)
}

// vciPrefix starts the vendor class identifier (option 60) of Cisco's IP
// phones, followed by the model and, on the 79x1 family, a NUL byte.
const vciPrefix = "Cisco Systems, Inc. IP Phone "

// Model returns the phone model named in a vendor class identifier, such as
// "CP-7906G" for "Cisco Systems, Inc. IP Phone CP-7906G\x00", or "" when it
// names no Cisco phone.
func Model(vendorClass string) string {
	m, ok := strings.CutPrefix(strings.TrimRight(vendorClass, "\x00"), vciPrefix)
	if !ok {
		return ""
	}
	m = strings.TrimSpace(m)
	for _, r := range m {
		if r < 0x20 || r > 0x7e {
			return ""
		}
	}
	return m
}
