package kamailio_test

import (
	"context"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/phoneflash/phoneflash/appliance/nettest"
	"github.com/phoneflash/phoneflash/internal/kamailio"
	"github.com/phoneflash/phoneflash/internal/kamailio/kamailiotest"
	"github.com/phoneflash/phoneflash/internal/siptest"
)

func TestRenderRefusesUnsafeValues(t *testing.T) {
	base := kamailio.Config{Addr: netip.MustParseAddr("198.51.100.1"), Users: []kamailio.User{{Extension: "1006", Password: "secret"}}}
	if _, err := kamailio.Render(base, "/tmp/x/ctl"); err != nil {
		t.Fatalf("good config: %v", err)
	}
	for name, mod := range map[string]func(*kamailio.Config){
		"quote in password":  func(c *kamailio.Config) { c.Users = []kamailio.User{{Extension: "1006", Password: `se"cret`}} },
		"pv in password":     func(c *kamailio.Config) { c.Users = []kamailio.User{{Extension: "1006", Password: "$fu"}} },
		"newline in reason":  func(c *kamailio.Config) { c.Refuse = kamailio.Reply{403, "no\nway"} },
		"paren in extension": func(c *kamailio.Config) { c.Users = []kamailio.User{{Extension: "10)6", Password: "x"}} },
		"IPv6 address":       func(c *kamailio.Config) { c.Addr = netip.MustParseAddr("2001:db8::1") },
		"2xx refusal":        func(c *kamailio.Config) { c.Refuse = kamailio.Reply{200, "OK"} },
	} {
		c := base
		mod(&c)
		if _, err := kamailio.Render(c, "/tmp/x/ctl"); err == nil {
			t.Errorf("%s: rendered", name)
		}
	}
}

// TestRenderChecks: Kamailio itself accepts the generated file (kamailio -c).
func TestRenderChecks(t *testing.T) {
	kamailiotest.Require(t)
	for _, refuse := range []kamailio.Reply{{}, {401, "Unauthorized"}} {
		c := kamailio.Config{Addr: netip.MustParseAddr("127.0.0.1"), Port: 5999, Aliases: []string{"pbx.office.test"}, QOP: true,
			Users:  []kamailio.User{{Extension: "1006", AuthName: "a1006", Password: "secret 12!"}, {Extension: "1007", Password: "x"}},
			Refuse: refuse}
		text, err := kamailio.Render(c, t.TempDir()+"/ctl")
		if err != nil {
			t.Fatal(err)
		}
		path := t.TempDir() + "/kamailio.cfg"
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("kamailio", "-c", "-f", path).CombinedOutput(); err != nil {
			t.Errorf("kamailio -c: %v\n%s\n%s", err, out, text)
		}
	}
}

// office is a namespace with the PBX address and a phone address on lo.
func office(t *testing.T) (string, netip.Addr, netip.Addr) {
	t.Helper()
	nettest.RequireRoot(t)
	nettest.RequireCommand(t, "kamailio")
	ns := nettest.NS(t, nettest.Unique("pfsk"))
	pbx, phone := netip.MustParseAddr("198.51.100.1"), netip.MustParseAddr("198.51.100.50")
	nettest.Addr(t, ns, "lo", pbx.String()+"/32")
	nettest.Addr(t, ns, "lo", phone.String()+"/32")
	return ns, pbx, phone
}

// register sends one REGISTER for ext from phone over transport, answering
// a challenge with password; it returns the final status and reason.
func register(t *testing.T, ns string, pbx, phone netip.Addr, transport, ext, password string) (int, string) {
	t.Helper()
	auth := ""
	if password != "" {
		auth = ext
	}
	res, _, err := siptest.Do(siptest.Request{NS: ns, Transport: transport, To: netip.AddrPortFrom(pbx, 5060), Local: phone.String(),
		User: ext, AuthName: auth, Password: password,
		Headers: []string{siptest.Contact(ext, phone.String(), transport), "Expires: 300", "User-Agent: Cisco-CP7906G/9.4.2"}})
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, res.Reason
}

// TestIntegrationRegistrar: good, wrong and missing passwords and unknown
// extensions over UDP and TCP, answered by a real Kamailio, and the
// location table read back with kamcmd ul.dump.
func TestIntegrationRegistrar(t *testing.T) {
	ns, pbx, phone := office(t)
	k := kamailiotest.Start(t, ns, kamailio.Config{Addr: pbx, Users: []kamailio.User{{Extension: "1006", Password: "secret12"}, {Extension: "1007", Password: "pw7"}}})
	for _, tc := range []struct {
		transport, ext, password string
		code                     int
		reason                   string
	}{
		{"udp", "1006", "secret12", 200, "OK"},
		{"tcp", "1007", "pw7", 200, "OK"},
		{"udp", "1006", "wrong", 403, "Wrong password"},
		{"tcp", "1006", "wrong", 403, "Wrong password"},
		{"udp", "1006", "", 401, "Unauthorized"},
		{"udp", "2000", "x", 404, "Not Found"},
	} {
		code, reason := register(t, ns, pbx, phone, tc.transport, tc.ext, tc.password)
		if code != tc.code || reason != tc.reason {
			t.Errorf("%s %s/%q: %d %q, want %d %q", tc.transport, tc.ext, tc.password, code, reason, tc.code, tc.reason)
		}
	}
	locs, err := k.Locations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]kamailio.Location{}
	for _, l := range locs {
		got[l.AoR] = l
	}
	if l := got["1006"]; !strings.Contains(l.Contact, phone.String()) || l.UserAgent != "Cisco-CP7906G/9.4.2" || l.Expires <= 0 {
		t.Errorf("1006 in the location table: %+v (all: %+v)", l, locs)
	}
	if l := got["1007"]; !strings.Contains(l.Contact, "transport=tcp") {
		t.Errorf("1007 in the location table: %+v", l)
	}
	if len(locs) != 2 {
		t.Errorf("%d locations, want 2: %+v", len(locs), locs)
	}
}

// TestIntegrationRechallenge: with Refuse 401 a wrong password gets a fresh
// challenge, as Kamailio's stock configuration answers; two instances run
// side by side with their own ctl sockets.
func TestIntegrationRechallenge(t *testing.T) {
	ns, pbx, phone := office(t)
	other := netip.MustParseAddr("198.51.100.2")
	nettest.Addr(t, ns, "lo", other.String()+"/32")
	a := kamailiotest.Start(t, ns, kamailio.Config{Addr: pbx, Refuse: kamailio.Reply{401, "Unauthorized"}, Users: []kamailio.User{{Extension: "1006", Password: "secret12"}}})
	b := kamailiotest.Start(t, ns, kamailio.Config{Addr: other, Users: []kamailio.User{{Extension: "1006", Password: "secret12"}}})
	if code, reason := register(t, ns, pbx, phone, "udp", "1006", "wrong"); code != 401 || reason != "Unauthorized" {
		t.Errorf("wrong password: %d %q, want 401 Unauthorized", code, reason)
	}
	if code, _ := register(t, ns, other, phone, "udp", "1006", "secret12"); code != 200 {
		t.Errorf("second instance: %d", code)
	}
	la, _ := a.Locations(context.Background())
	lb, err := b.Locations(context.Background())
	if len(la) != 0 || len(lb) != 1 || err != nil {
		t.Errorf("locations: a %+v, b %+v (%v)", la, lb, err)
	}
	if a.Dir == b.Dir {
		t.Errorf("both instances use %s", a.Dir)
	}
	if err := a.Stop(); err != nil || a.Running() {
		t.Errorf("stop: %v, running %v", err, a.Running())
	}
	conn, err := net.DialTimeout("unix", kamailio.CtlPath(a), time.Second)
	if err == nil {
		conn.Close()
		t.Error("the ctl socket still answers after Stop")
	}
}
