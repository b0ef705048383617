package sipwatch

import (
	"hash/maphash"
	"net"
	"net/netip"
	"sort"
	"time"
)

// Message is what the Tracker needs of one SIP message seen on the wire.
type Message struct {
	At             time.Time
	Transport      string // UDP or TCP
	Src, Dst       netip.AddrPort
	SrcMAC, DstMAC net.HardwareAddr
	Request        bool
	Method         string // requests
	Status         int    // responses
	Reason         string // responses
	CallID         string
	CSeq           uint32
	CSeqMethod     string
	Branch         string // of the top Via
	ToUser         string // the address-of-record user
	Domain         string // the Request-URI host (requests)
	Credentials    bool   // an Authorization or Proxy-Authorization header (requests)
	Stale          bool   // a challenge that says stale=true (401/407)
	Expires        int    // seconds asked for (requests) or granted (responses); -1 when absent
	UserAgent      string
}

// Segment is a TCP segment that opens or refuses a connection.
type Segment struct {
	At             time.Time
	Src, Dst       netip.AddrPort
	SrcMAC, DstMAC net.HardwareAddr
	SYN, ACK, RST  bool
}

// Limits bound the Tracker's patience and memory.
type Limits struct {
	Timeout    time.Duration // a REGISTER without a final answer is unreachable after this
	MaxPending int           // REGISTER transactions and TCP attempts followed at once
	MaxPhones  int           // phones remembered for EventRegister
}

// maxField caps every string the Tracker keeps, so garbage cannot grow it.
const maxField = 128

// Tracker turns the SIP messages and TCP segments of one bench port into
// registration events. It is pure: no goroutines, no clock of its own, no
// I/O; time comes with each input and with Tick.
type Tracker struct {
	port     string
	limits   Limits
	seed     maphash.Seed
	pending  map[uint64]*pendingTx
	attempts map[[2]netip.AddrPort]*pendingTx
	phones   map[string]uint64 // MAC -> hash of the last Call-ID announced
	dropped  int               // transactions not followed because the table was full
}

// pendingTx is a REGISTER transaction (or a TCP attempt) awaiting its answer.
type pendingTx struct {
	ev          Event // the fields known from the request
	credentials bool
	expires     int
	provisional bool   // a 1xx came back
	refused     string // TCP: the PBX reset the connection attempt
}

// NewTracker returns a Tracker for the bench port named port.
func NewTracker(port string, l Limits) *Tracker {
	return &Tracker{port: port, limits: l, seed: maphash.MakeSeed(), pending: map[uint64]*pendingTx{},
		attempts: map[[2]netip.AddrPort]*pendingTx{}, phones: map[string]uint64{}}
}

// Pending is the number of transactions and TCP attempts being followed.
func (t *Tracker) Pending() int { return len(t.pending) + len(t.attempts) }

// Dropped counts transactions not followed because MaxPending was reached.
func (t *Tracker) Dropped() int { return t.dropped }

func (t *Tracker) key(callID string, cseq uint32, branch string) uint64 {
	var h maphash.Hash
	h.SetSeed(t.seed)
	h.WriteString(callID)
	h.WriteByte(0)
	h.WriteString(branch)
	h.WriteByte(byte(cseq >> 24))
	h.WriteByte(byte(cseq >> 16))
	h.WriteByte(byte(cseq >> 8))
	h.WriteByte(byte(cseq))
	return h.Sum64()
}

func clip(s string) string {
	if len(s) > maxField {
		return s[:maxField]
	}
	return s
}

func cloneMAC(m net.HardwareAddr) net.HardwareAddr { return append(net.HardwareAddr(nil), m...) }

// Observe takes one SIP message and returns the events it completes.
func (t *Tracker) Observe(m Message) []Event {
	if m.Request {
		if m.Method != "REGISTER" {
			return nil
		}
		return t.request(m)
	}
	if m.CSeqMethod != "REGISTER" {
		return nil
	}
	return t.response(m)
}

func (t *Tracker) request(m Message) []Event {
	var out []Event
	ev := Event{Port: t.port, MAC: cloneMAC(m.SrcMAC), Phone: m.Src, Extension: clip(m.ToUser), Domain: clip(m.Domain),
		PBX: m.Dst, Transport: m.Transport, UserAgent: clip(m.UserAgent), Sent: m.At}
	mac := m.SrcMAC.String()
	if call := t.key(m.CallID, 0, ""); t.phones[mac] != call {
		if len(t.phones) >= t.limits.MaxPhones {
			clear(t.phones) // forgetting only costs a repeated EventRegister
		}
		t.phones[mac] = call
		reg := ev
		reg.Kind, reg.At = EventRegister, m.At
		out = append(out, reg)
	}
	if m.Transport == "TCP" {
		delete(t.attempts, [2]netip.AddrPort{m.Src, m.Dst})
	}
	k := t.key(m.CallID, m.CSeq, m.Branch)
	if _, ok := t.pending[k]; ok {
		return out // a retransmission: the first one started the wait
	}
	if t.Pending() >= t.limits.MaxPending {
		t.dropped++
		return out
	}
	t.pending[k] = &pendingTx{ev: ev, credentials: m.Credentials, expires: m.Expires}
	return out
}

func (t *Tracker) response(m Message) []Event {
	k := t.key(m.CallID, m.CSeq, m.Branch)
	tx := t.pending[k]
	if m.Status < 200 {
		if tx != nil {
			tx.provisional = true
		}
		return nil
	}
	delete(t.pending, k)
	var ev Event
	credentials, asked := false, -1
	if tx != nil {
		ev, credentials, asked = tx.ev, tx.credentials, tx.expires
	} else { // the REGISTER was not seen: take what the answer says
		ev = Event{Port: t.port, MAC: cloneMAC(m.DstMAC), Phone: m.Dst, Extension: clip(m.ToUser), PBX: m.Src,
			Transport: m.Transport, Sent: m.At}
	}
	ev.Status, ev.Reason, ev.At = m.Status, clip(m.Reason), m.At
	switch s := m.Status; {
	case s < 300 && asked == 0:
		ev.Kind = EventUnregistered
	case s < 300:
		ev.Kind = EventRegistered
		ev.Expires = time.Duration(firstSet(m.Expires, asked, 3600)) * time.Second
	case (s == 401 || s == 407) && (!credentials || m.Stale):
		return nil // a challenge: the phone answers it with its credentials
	case s == 401 || s == 403 || s == 407:
		ev.Kind = EventRefused
	case s == 404:
		ev.Kind = EventUnknownExtension
	default:
		ev.Kind = EventRejected
	}
	return []Event{ev}
}

func firstSet(vs ...int) int {
	for _, v := range vs {
		if v >= 0 {
			return v
		}
	}
	return 0
}

// ObserveSegment follows TCP connection attempts to the PBX: over TCP a
// stopped PBX is a SYN that is reset or never answered, and no REGISTER
// ever reaches the wire.
func (t *Tracker) ObserveSegment(s Segment) {
	switch {
	case s.SYN && !s.ACK:
		k := [2]netip.AddrPort{s.Src, s.Dst}
		if _, ok := t.attempts[k]; ok {
			return
		}
		if t.Pending() >= t.limits.MaxPending {
			t.dropped++
			return
		}
		t.attempts[k] = &pendingTx{ev: Event{Port: t.port, MAC: cloneMAC(s.SrcMAC), Phone: s.Src, PBX: s.Dst,
			Transport: "TCP", Sent: s.At}}
	case s.SYN && s.ACK:
		delete(t.attempts, [2]netip.AddrPort{s.Dst, s.Src})
	case s.RST:
		if a := t.attempts[[2]netip.AddrPort{s.Dst, s.Src}]; a != nil {
			a.refused = "connection refused"
		}
	}
}

// Tick returns the unreachable events of everything that waited Timeout
// by now, oldest first.
func (t *Tracker) Tick(now time.Time) []Event {
	var out []Event
	for k, tx := range t.pending {
		if now.Sub(tx.ev.Sent) < t.limits.Timeout {
			continue
		}
		delete(t.pending, k)
		reason := "no answer to REGISTER within " + t.limits.Timeout.String()
		if tx.provisional {
			reason = "no final answer to REGISTER within " + t.limits.Timeout.String()
		}
		out = append(out, unreachable(tx, now, reason))
	}
	for k, a := range t.attempts {
		if now.Sub(a.ev.Sent) < t.limits.Timeout {
			continue
		}
		delete(t.attempts, k)
		reason := a.refused
		if reason == "" {
			reason = "no answer to the TCP connection within " + t.limits.Timeout.String()
		}
		out = append(out, unreachable(a, now, reason))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Sent.Before(out[j].Sent) })
	return out
}

func unreachable(tx *pendingTx, now time.Time, reason string) Event {
	ev := tx.ev
	ev.Kind, ev.Reason, ev.At = EventUnreachable, reason, now
	return ev
}
