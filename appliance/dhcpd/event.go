package dhcpd

import (
	"fmt"
	"net"
	"net/netip"
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

// Event is one step of one client's DHCP exchange. The server knows
// nothing of phones: it passes on what the client said about itself, and
// the receiver decides what the client is.
type Event struct {
	Kind        EventKind
	Port        string
	MAC         net.HardwareAddr
	IP          netip.Addr // offered, acknowledged, requested, declined or released
	Hostname    string     // option 12, e.g. SEP001122AABBCC
	VendorClass string     // option 60 as sent, without trailing NULs
	Server      netip.Addr // rogue-server: the other server's address
	Leases      int        // the port's bindings after this event, as Status.Leases (client events)
}

func (e Event) with(k EventKind, ip netip.Addr) Event {
	e.Kind, e.IP = k, ip
	return e
}

// RogueText is the line an operator sees for a rogue-server event.
func (e Event) RogueText() string {
	return fmt.Sprintf("another DHCP server at %s on %s", e.Server, e.Port)
}
