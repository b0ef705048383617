package dhcpd

import (
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/phoneflash/phoneflash/appliance/nettest"
)

var (
	t0      = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	phone1  = net.HardwareAddr{0x00, 0x1b, 0xd4, 0x11, 0x22, 0x33}
	phone2  = net.HardwareAddr{0x00, 0x1b, 0xd4, 0x44, 0x55, 0x66}
	testCfg = Config{Port: "eth1", Addr: netip.MustParsePrefix("10.79.1.1/24"),
		PoolFirst: netip.MustParseAddr("10.79.1.100"), PoolLast: netip.MustParseAddr("10.79.1.199"), LeaseTime: time.Hour}
)

func mustParse(t *testing.T, b []byte) *dhcpv4.DHCPv4 {
	t.Helper()
	m, err := dhcpv4.FromBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func request(t *testing.T, mac net.HardwareAddr, ip, server netip.Addr) *dhcpv4.DHCPv4 {
	t.Helper()
	mods := []dhcpv4.Modifier{dhcpv4.WithMessageType(dhcpv4.MessageTypeRequest), dhcpv4.WithHwAddr(mac)}
	if ip.IsValid() {
		mods = append(mods, dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(ip.AsSlice())))
	}
	if server.IsValid() {
		mods = append(mods, dhcpv4.WithOption(dhcpv4.OptServerIdentifier(server.AsSlice())))
	}
	m, err := dhcpv4.New(mods...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func message(t *testing.T, mt dhcpv4.MessageType, mac net.HardwareAddr, mods ...dhcpv4.Modifier) *dhcpv4.DHCPv4 {
	t.Helper()
	m, err := dhcpv4.New(append([]dhcpv4.Modifier{dhcpv4.WithMessageType(mt), dhcpv4.WithHwAddr(mac)}, mods...)...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func newHandler(t *testing.T, cfg Config) *Handler {
	t.Helper()
	h, err := NewHandler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

var (
	our    = netip.MustParseAddr("10.79.1.1")
	first  = netip.MustParseAddr("10.79.1.100")
	second = netip.MustParseAddr("10.79.1.101")
)

func TestPhoneDiscoverGetsCiscoOffer(t *testing.T) {
	h := newHandler(t, testCfg)
	resp, evs := h.Handle(mustParse(t, nettest.CiscoDiscover(phone1, 42, "CP-7906G")), t0)
	if resp == nil {
		t.Fatal("no OFFER")
	}
	got := map[string]any{
		"type":    resp.MessageType().String(),
		"xid":     resp.TransactionID,
		"yiaddr":  resp.YourIPAddr.String(),
		"siaddr":  resp.ServerIPAddr.String(),
		"opt1":    resp.GetOneOption(dhcpv4.OptionSubnetMask),
		"opt3":    resp.GetOneOption(dhcpv4.OptionRouter),
		"opt6":    resp.GetOneOption(dhcpv4.OptionDomainNameServer),
		"opt51":   resp.GetOneOption(dhcpv4.OptionIPAddressLeaseTime),
		"opt54":   resp.GetOneOption(dhcpv4.OptionServerIdentifier),
		"opt66":   string(resp.GetOneOption(dhcpv4.OptionTFTPServerName)),
		"opt150":  resp.GetOneOption(dhcpv4.OptionTFTPServerAddress),
		"chaddr":  resp.ClientHWAddr.String(),
		"op":      resp.OpCode,
		"giaddr0": resp.GatewayIPAddr.IsUnspecified(),
	}
	want := map[string]any{
		"type": "OFFER", "xid": dhcpv4.TransactionID{0, 0, 0, 42}, "yiaddr": "10.79.1.100", "siaddr": "10.79.1.1",
		"opt1": []byte{255, 255, 255, 0}, "opt3": []byte(nil), "opt6": []byte(nil), "opt51": []byte{0, 0, 0x0e, 0x10},
		"opt54": []byte{10, 79, 1, 1}, "opt66": "10.79.1.1", "opt150": []byte{10, 79, 1, 1},
		"chaddr": phone1.String(), "op": dhcpv4.OpcodeBootReply, "giaddr0": true,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("OFFER (-want +got):\n%s", diff)
	}
	wantEv := Event{Port: "eth1", MAC: phone1, Hostname: "SEP001BD4112233",
		VendorClass: "Cisco Systems, Inc. IP Phone CP-7906G"}
	if diff := cmp.Diff([]Event{wantEv.with(EventDiscover, netip.Addr{}), wantEv.with(EventOffer, first)}, evs,
		cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func TestExchanges(t *testing.T) {
	other := netip.MustParseAddr("10.79.1.50")
	type step struct {
		msg      func(t *testing.T) *dhcpv4.DHCPv4
		wantType string // "" = no reply
		wantIP   string
		wantLast EventKind
	}
	discover := func(mac net.HardwareAddr) func(*testing.T) *dhcpv4.DHCPv4 {
		return func(t *testing.T) *dhcpv4.DHCPv4 { return message(t, dhcpv4.MessageTypeDiscover, mac) }
	}
	req := func(mac net.HardwareAddr, ip, srv netip.Addr) func(*testing.T) *dhcpv4.DHCPv4 {
		return func(t *testing.T) *dhcpv4.DHCPv4 { return request(t, mac, ip, srv) }
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"DORA then the same address again", []step{
			{discover(phone1), "OFFER", "10.79.1.100", EventOffer},
			{req(phone1, first, our), "ACK", "10.79.1.100", EventAck},
			{discover(phone2), "OFFER", "10.79.1.101", EventOffer},
			{discover(phone1), "OFFER", "10.79.1.100", EventOffer},
			{req(phone1, first, netip.Addr{}), "ACK", "10.79.1.100", EventAck}, // INIT-REBOOT
		}},
		{"client chose another server", []step{
			{discover(phone1), "OFFER", "10.79.1.100", EventOffer},
			{req(phone1, netip.MustParseAddr("192.168.0.7"), other), "", "", EventRogueServer},
		}},
		{"address outside the pool", []step{
			{req(phone1, netip.MustParseAddr("10.79.1.20"), our), "NAK", "0.0.0.0", EventNak},
			{req(phone1, netip.MustParseAddr("192.168.1.20"), netip.Addr{}), "NAK", "0.0.0.0", EventNak},
		}},
		{"address of another phone", []step{
			{discover(phone1), "OFFER", "10.79.1.100", EventOffer},
			{req(phone1, first, our), "ACK", "10.79.1.100", EventAck},
			{req(phone2, first, our), "NAK", "0.0.0.0", EventNak},
		}},
		{"relayed requests are dropped", []step{
			{func(t *testing.T) *dhcpv4.DHCPv4 {
				return message(t, dhcpv4.MessageTypeDiscover, phone1, dhcpv4.WithGatewayIP(net.IPv4(198, 18, 0, 99)))
			}, "", "", ""},
		}},
		{"decline", []step{
			{discover(phone1), "OFFER", "10.79.1.100", EventOffer},
			{req(phone1, first, our), "ACK", "10.79.1.100", EventAck},
			{func(t *testing.T) *dhcpv4.DHCPv4 {
				return message(t, dhcpv4.MessageTypeDecline, phone1, dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(first.AsSlice())))
			}, "", "", EventDecline},
			{discover(phone1), "OFFER", "10.79.1.101", EventOffer},
			{discover(phone2), "OFFER", "10.79.1.102", EventOffer},
		}},
		{"release keeps the address for its phone", []step{
			{discover(phone1), "OFFER", "10.79.1.100", EventOffer},
			{req(phone1, first, our), "ACK", "10.79.1.100", EventAck},
			{func(t *testing.T) *dhcpv4.DHCPv4 {
				return message(t, dhcpv4.MessageTypeRelease, phone1, dhcpv4.WithClientIP(first.AsSlice()))
			}, "", "", EventRelease},
			{discover(phone2), "OFFER", "10.79.1.101", EventOffer},
			{discover(phone1), "OFFER", "10.79.1.100", EventOffer},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHandler(t, testCfg)
			for i, s := range tt.steps {
				resp, evs := h.Handle(s.msg(t), t0.Add(time.Duration(i)*time.Second))
				var gotType, gotIP string
				if resp != nil {
					gotType, gotIP = resp.MessageType().String(), resp.YourIPAddr.String()
				}
				var last EventKind
				if len(evs) > 0 {
					last = evs[len(evs)-1].Kind
				}
				if gotType != s.wantType || gotIP != s.wantIP || last != s.wantLast {
					t.Errorf("step %d: reply %q %q, last event %q; want %q %q, %q", i, gotType, gotIP, last, s.wantType, s.wantIP, s.wantLast)
				}
			}
		})
	}
}

func TestPoolExhaustion(t *testing.T) {
	cfg := testCfg
	cfg.PoolLast = second // two addresses
	h := newHandler(t, cfg)
	macs := []net.HardwareAddr{phone1, phone2, {0, 1, 2, 3, 4, 5}}
	for _, mac := range macs[:2] {
		m := message(t, dhcpv4.MessageTypeDiscover, mac)
		resp, _ := h.Handle(m, t0)
		if resp == nil {
			t.Fatal("no offer while the pool has room")
		}
		if resp, _ := h.Handle(request(t, mac, addrOf(resp.YourIPAddr), our), t0); resp.MessageType() != dhcpv4.MessageTypeAck {
			t.Fatal("no ACK")
		}
	}
	resp, evs := h.Handle(message(t, dhcpv4.MessageTypeDiscover, macs[2]), t0.Add(time.Minute))
	if resp != nil || len(evs) != 2 || evs[1].Kind != EventExhausted {
		t.Fatalf("third client: reply %v, events %+v; want none and exhausted", resp, evs)
	}
	// Once a lease has expired its address goes to the newcomer.
	resp, _ = h.Handle(message(t, dhcpv4.MessageTypeDiscover, macs[2]), t0.Add(2*time.Hour))
	if resp == nil || addrOf(resp.YourIPAddr) != first {
		t.Fatalf("after expiry: reply %v, want an offer of %s", resp, first)
	}
}

func TestLeasesSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	opts := Options{Config: testCfg, StateDir: dir, Now: func() time.Time { return t0 }}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	bindPhone(t, s, phone2) // first
	bindPhone(t, s, phone1) // second
	if st := s.Status(); st.Leases != 2 || st.PoolSize != 100 {
		t.Errorf("status = %+v, want 2 leases of 100", st)
	}

	s2, err := New(opts) // a restart: same state directory
	if err != nil {
		t.Fatal(err)
	}
	mac, ok := s2.LeaseByIP(second)
	if !ok || mac.String() != phone1.String() {
		t.Errorf("LeaseByIP(%s) after restart = %v, %v; want %s", second, mac, ok, phone1)
	}
	resp := s2.Handle(message(t, dhcpv4.MessageTypeDiscover, phone1))
	if resp == nil || addrOf(resp.YourIPAddr) != second {
		t.Errorf("offer after restart = %v, want %s", resp, second)
	}
}

func TestExhaustionIsReportedInStatus(t *testing.T) {
	cfg := testCfg
	cfg.PoolLast = first // one address
	var got []EventKind
	s, err := New(Options{Config: cfg, OnEvent: func(ev Event) { got = append(got, ev.Kind) }})
	if err != nil {
		t.Fatal(err)
	}
	s.Handle(message(t, dhcpv4.MessageTypeDiscover, phone1))
	if resp := s.Handle(message(t, dhcpv4.MessageTypeDiscover, phone2)); resp != nil {
		t.Fatalf("second client got %v from a one-address pool", resp)
	}
	st := s.Status()
	st.Rogue = append(st.Rogue, netip.MustParseAddr("10.79.1.50"))
	if diff := cmp.Diff([]string{"another DHCP server at 10.79.1.50 on eth1", "address pool exhausted on eth1 (1 addresses)"}, st.Problems()); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	want := []EventKind{EventDiscover, EventOffer, EventDiscover, EventExhausted}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func FuzzHandle(f *testing.F) {
	f.Add(nettest.CiscoDiscover(phone1, 1, "CP-7906G"))
	for _, mt := range []dhcpv4.MessageType{dhcpv4.MessageTypeRequest, dhcpv4.MessageTypeDecline, dhcpv4.MessageTypeRelease} {
		m, _ := dhcpv4.New(dhcpv4.WithMessageType(mt), dhcpv4.WithHwAddr(phone2),
			dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(first.AsSlice())), dhcpv4.WithOption(dhcpv4.OptServerIdentifier(our.AsSlice())))
		f.Add(m.ToBytes())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := dhcpv4.FromBytes(b)
		if err != nil {
			return
		}
		h, _ := NewHandler(testCfg)
		for i := range 3 { // the same packet again sees the state it left
			resp, _ := h.Handle(req, t0.Add(time.Duration(i)*time.Second))
			if resp != nil {
				checkReply(t, testCfg, req, resp) // parses, inside the pool, never relayed
			}
			checkTable(t, h.leases)
		}
	})
}

func TestOwnAddressNeverLeased(t *testing.T) {
	cfg := testCfg
	cfg.Addr = netip.MustParsePrefix("10.79.1.100/24") // inside the pool
	h := newHandler(t, cfg)
	resp, _ := h.Handle(message(t, dhcpv4.MessageTypeDiscover, phone1,
		dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(net.IPv4(10, 79, 1, 100)))), t0)
	if resp == nil || addrOf(resp.YourIPAddr) != second {
		t.Errorf("offer %v, want %s (our own address is skipped)", resp, second)
	}
}

func TestDamagedLeaseFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(leasePath(dir, testCfg.Port), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Config: testCfg, StateDir: dir})
	if err != nil {
		t.Fatalf("New with a damaged lease file: %v", err)
	}
	if resp := s.Handle(message(t, dhcpv4.MessageTypeDiscover, phone1)); resp == nil {
		t.Error("no offer after starting without leases")
	}
	if _, err := os.Stat(leasePath(dir, testCfg.Port) + ".bad"); err != nil {
		t.Errorf("damaged file not kept aside: %v", err)
	}
}
