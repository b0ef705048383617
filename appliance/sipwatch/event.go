package sipwatch

import (
	"fmt"
	"net"
	"net/netip"
	"time"
)

// EventKind says what the watcher concluded.
type EventKind string

// Event kinds. Every REGISTER transaction of a phone ends in exactly one of
// registered, unregistered, refused, unknown-extension, rejected or
// unreachable; register comes before, once per phone and Call-ID.
const (
	// EventRegister: this MAC sent a SIP REGISTER, so it runs a SIP load.
	EventRegister EventKind = "register"
	// EventRegistered: the PBX answered 200 OK; Expires is what it granted.
	EventRegistered EventKind = "registered"
	// EventUnregistered: 200 OK to a REGISTER with Expires 0.
	EventUnregistered EventKind = "unregistered"
	// EventRefused: 403, or 401/407 to a REGISTER that carried credentials
	// (the password is wrong); Reason is the PBX's reason phrase.
	EventRefused EventKind = "refused"
	// EventUnknownExtension: 404, the PBX knows no such extension.
	EventUnknownExtension EventKind = "unknown-extension"
	// EventRejected: any other final answer from 300 up (5xx, 423, ...).
	EventRejected EventKind = "rejected"
	// EventUnreachable: a REGISTER (or, over TCP, a connection attempt)
	// got no final answer within Options.Timeout.
	EventUnreachable EventKind = "unreachable"
)

// Event is one conclusion about one phone's registration.
type Event struct {
	Kind      EventKind
	Port      string           // the bench port (Options.Port)
	MAC       net.HardwareAddr // the phone's
	Phone     netip.AddrPort   // the phone's address and SIP port
	Extension string           // the address-of-record user (To header)
	Domain    string           // the Request-URI host, as the phone names its PBX
	PBX       netip.AddrPort   // where the REGISTER went
	Transport string           // UDP or TCP
	UserAgent string
	Status    int    // the PBX's final answer (0 for register and unreachable)
	Reason    string // its reason phrase, or what went wrong (unreachable)
	Expires   time.Duration
	Sent      time.Time // when the REGISTER (or TCP SYN) was first seen
	At        time.Time // when the answer was seen or the wait ran out
}

// Text is the line a person reads, e.g. "registered 1006 at
// 198.51.100.1:5060 (UDP) for 3600 s" or "refused: 198.51.100.1:5060
// refused the password for 1006 (403 Wrong password)".
func (e Event) Text() string {
	switch e.Kind {
	case EventRegister:
		return fmt.Sprintf("SIP REGISTER for %s to %s (%s)", e.Extension, e.PBX, e.Transport)
	case EventRegistered:
		return fmt.Sprintf("registered %s at %s (%s) for %.0f s", e.Extension, e.PBX, e.Transport, e.Expires.Seconds())
	case EventUnregistered:
		return fmt.Sprintf("unregistered %s at %s", e.Extension, e.PBX)
	case EventRefused:
		return fmt.Sprintf("%s refused the password for %s (%d %s)", e.PBX, e.Extension, e.Status, e.Reason)
	case EventUnknownExtension:
		return fmt.Sprintf("%s does not know extension %s (%d %s)", e.PBX, e.Extension, e.Status, e.Reason)
	case EventRejected:
		return fmt.Sprintf("%s rejected the registration of %s (%d %s)", e.PBX, e.Extension, e.Status, e.Reason)
	case EventUnreachable:
		return fmt.Sprintf("PBX unreachable at %s (%s: %s)", e.PBX, e.Transport, e.Reason)
	}
	return string(e.Kind)
}
