package dhcpd

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/iana"
)

// offerHold is how long an offered address stays reserved for the client
// that was offered it, unless it already holds a longer lease.
const offerHold = time.Minute

// Config describes one port's DHCP service.
type Config struct {
	Port      string       // interface name, for events and file names
	Addr      netip.Prefix // our address on the port and its subnet
	PoolFirst netip.Addr   // first leased address
	PoolLast  netip.Addr   // last leased address
	LeaseTime time.Duration

	// Router names our address on the port as the phones' router (option
	// 3): set when the appliance routes its bench ports to an uplink.
	// Without it replies carry no router, as a bench without an uplink
	// leads nowhere.
	Router bool
	// DNS, when set, gives the name servers for option 6 at each reply (the
	// uplink's resolvers, so a pbx_host name resolves); none = no option 6.
	// Only asked for when Router is set. IPv6 resolvers and any inside the
	// port's own subnet (where nothing but the appliance answers) are left
	// out.
	DNS func() []netip.Addr
}

func (c Config) validate() error {
	if !c.Addr.Addr().Is4() || c.Addr.Bits() < 8 || c.Addr.Bits() > 30 {
		return fmt.Errorf("dhcpd: port %s: %s is not an IPv4 prefix from /8 to /30", c.Port, c.Addr)
	}
	if !c.Addr.Contains(c.PoolFirst) || !c.Addr.Contains(c.PoolLast) || c.PoolLast.Less(c.PoolFirst) {
		return fmt.Errorf("dhcpd: port %s: pool %s-%s is not a range inside %s", c.Port, c.PoolFirst, c.PoolLast, c.Addr.Masked())
	}
	if c.LeaseTime < time.Minute {
		return fmt.Errorf("dhcpd: port %s: lease time %s is shorter than a minute", c.Port, c.LeaseTime)
	}
	return nil
}

// Handler decides DHCP replies for one port. It does no I/O: its answer is a
// function of the request, its lease table and now. Not safe for concurrent
// use; Server serialises calls.
type Handler struct {
	cfg    Config
	leases *table
}

// NewHandler returns a Handler with an empty lease table.
func NewHandler(cfg Config) (*Handler, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	t := newTable(cfg.PoolFirst, cfg.PoolLast)
	t.reserved = cfg.Addr.Addr() // never leased, should the pool contain it
	return &Handler{cfg: cfg, leases: t}, nil
}

// Handle answers one request. It returns nil when nothing is to be sent:
// relayed requests (giaddr set; a bench has no relays and a forged giaddr
// would make us reflect traffic), replies, non-Ethernet clients, requests
// meant for another server, DECLINE, RELEASE, and an exhausted pool.
func (h *Handler) Handle(req *dhcpv4.DHCPv4, now time.Time) (*dhcpv4.DHCPv4, []Event) {
	if req.OpCode != dhcpv4.OpcodeBootRequest || req.HWType != iana.HWTypeEthernet ||
		len(req.ClientHWAddr) != 6 || !isZero(req.GatewayIPAddr) {
		return nil, nil
	}
	ev := h.describe(req)
	switch req.MessageType() {
	case dhcpv4.MessageTypeDiscover:
		return h.discover(req, ev, now)
	case dhcpv4.MessageTypeRequest:
		return h.request(req, ev, now)
	case dhcpv4.MessageTypeDecline:
		return h.decline(req, ev, now)
	case dhcpv4.MessageTypeRelease:
		return h.release(req, ev, now)
	}
	return nil, nil
}

func (h *Handler) describe(req *dhcpv4.DHCPv4) Event {
	vc := req.ClassIdentifier()
	return Event{Port: h.cfg.Port, MAC: req.ClientHWAddr, Hostname: req.HostName(),
		VendorClass: strings.TrimRight(vc, "\x00")}
}

func (h *Handler) discover(req *dhcpv4.DHCPv4, ev Event, now time.Time) (*dhcpv4.DHCPv4, []Event) {
	evs := []Event{ev.with(EventDiscover, netip.Addr{})}
	mac := req.ClientHWAddr.String()
	ip, ok := h.leases.allocate(mac, addrOf(req.RequestedIPAddress()), now)
	if !ok {
		return nil, append(evs, ev.with(EventExhausted, netip.Addr{}))
	}
	h.leases.bind(mac, ip, ev.Hostname, now.Add(min(offerHold, h.cfg.LeaseTime)), false)
	return h.reply(req, dhcpv4.MessageTypeOffer, ip), append(evs, ev.with(EventOffer, ip))
}

func (h *Handler) request(req *dhcpv4.DHCPv4, ev Event, now time.Time) (*dhcpv4.DHCPv4, []Event) {
	our := h.cfg.Addr.Addr()
	want := addrOf(req.RequestedIPAddress())
	if !want.IsValid() {
		want = addrOf(req.ClientIPAddr) // RENEWING / REBINDING
	}
	evs := []Event{ev.with(EventRequest, want)}
	if sid := addrOf(req.ServerIdentifier()); sid.IsValid() && sid != our {
		// The client chose another server's offer: there is one on our port.
		rogue := ev.with(EventRogueServer, want)
		rogue.Server = sid
		return nil, append(evs, rogue)
	}
	mac := req.ClientHWAddr.String()
	if !want.IsValid() || !h.leases.free(want, mac, now) {
		return h.nak(req), append(evs, ev.with(EventNak, want))
	}
	h.leases.bind(mac, want, ev.Hostname, now.Add(h.cfg.LeaseTime), true)
	return h.reply(req, dhcpv4.MessageTypeAck, want), append(evs, ev.with(EventAck, want))
}

func (h *Handler) decline(req *dhcpv4.DHCPv4, ev Event, now time.Time) (*dhcpv4.DHCPv4, []Event) {
	ip := addrOf(req.RequestedIPAddress())
	mac := req.ClientHWAddr.String()
	if l := h.leases.byMAC[mac]; l != nil && l.IP == ip {
		h.leases.remove(mac)
		h.leases.declined[ip] = now.Add(h.cfg.LeaseTime)
	}
	return nil, []Event{ev.with(EventDecline, ip)}
}

func (h *Handler) release(req *dhcpv4.DHCPv4, ev Event, now time.Time) (*dhcpv4.DHCPv4, []Event) {
	ip := addrOf(req.ClientIPAddr)
	if l := h.leases.byMAC[req.ClientHWAddr.String()]; l != nil && l.IP == ip {
		l.Expiry = now // the binding stays, so the phone gets it back
	}
	return nil, []Event{ev.with(EventRelease, ip)}
}

// reply builds an OFFER or ACK naming our address on this port as TFTP
// server (option 150 as a binary address list, option 66 as text, and
// siaddr) and server identifier, and, on a routed bench, as router with
// the uplink's resolvers.
func (h *Handler) reply(req *dhcpv4.DHCPv4, mt dhcpv4.MessageType, ip netip.Addr) *dhcpv4.DHCPv4 {
	our := net.IP(h.cfg.Addr.Addr().AsSlice())
	resp, err := dhcpv4.NewReplyFromRequest(req, append([]dhcpv4.Modifier{
		dhcpv4.WithMessageType(mt),
		dhcpv4.WithYourIP(net.IP(ip.AsSlice())),
		dhcpv4.WithServerIP(our),
		dhcpv4.WithOption(dhcpv4.OptServerIdentifier(our)),
		dhcpv4.WithNetmask(net.CIDRMask(h.cfg.Addr.Bits(), 32)),
		dhcpv4.WithLeaseTime(uint32(h.cfg.LeaseTime / time.Second)),
		dhcpv4.WithOption(dhcpv4.OptTFTPServerName(h.cfg.Addr.Addr().String())),
		dhcpv4.WithGeneric(dhcpv4.OptionTFTPServerAddress, our.To4()),
	}, h.routed()...)...)
	if err != nil { // only fails when the random transaction ID cannot be read
		return nil
	}
	return resp
}

// routed is options 3 and 6 on a routed bench: our address as router, and
// the uplink's IPv4 resolvers as they are now.
func (h *Handler) routed() []dhcpv4.Modifier {
	if !h.cfg.Router {
		return nil
	}
	mods := []dhcpv4.Modifier{dhcpv4.WithRouter(net.IP(h.cfg.Addr.Addr().AsSlice()))}
	if h.cfg.DNS == nil {
		return mods
	}
	var dns []net.IP
	for _, a := range h.cfg.DNS() {
		if a = a.Unmap(); a.Is4() && !h.cfg.Addr.Contains(a) {
			dns = append(dns, net.IP(a.AsSlice()))
		}
	}
	if len(dns) > 0 {
		mods = append(mods, dhcpv4.WithDNS(dns...))
	}
	return mods
}

func (h *Handler) nak(req *dhcpv4.DHCPv4) *dhcpv4.DHCPv4 {
	resp, err := dhcpv4.NewReplyFromRequest(req,
		dhcpv4.WithMessageType(dhcpv4.MessageTypeNak),
		dhcpv4.WithOption(dhcpv4.OptServerIdentifier(net.IP(h.cfg.Addr.Addr().AsSlice()))),
	)
	if err != nil {
		return nil
	}
	return resp
}

// LeaseByIP returns the MAC holding ip, offered or bound.
func (h *Handler) LeaseByIP(ip netip.Addr) (net.HardwareAddr, bool) {
	l := h.leases.byIP[ip]
	if l == nil {
		return nil, false
	}
	mac, err := net.ParseMAC(l.MAC)
	return mac, err == nil
}

func addrOf(ip net.IP) netip.Addr {
	a, ok := netip.AddrFromSlice(ip)
	if !ok || a.Unmap().IsUnspecified() {
		return netip.Addr{}
	}
	return a.Unmap()
}

func isZero(ip net.IP) bool { return len(ip) == 0 || ip.IsUnspecified() }
