package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/phoneflash/phoneflash/appliance/nettest"
)

// probe is a connection that the bench's table must refuse.
type probe struct {
	name, ns, addr string
	control        bool // gets through once the refusing rules are deleted
}

// TestIntegrationBenchRoute runs the real `phoneflash serve -uplink` as the
// phones' router: DHCP options 3 and 6 read by udhcpc, NAT to an office
// host, DNS through the uplink's resolver, and every refusal of the rules,
// with a control that deletes the refusing rules and sees the same probes
// get through. Then the table's life: gone after a clean exit, replaced by
// exactly one copy after a SIGKILL, and -route=false forwarding nothing.
func TestIntegrationBenchRoute(t *testing.T) {
	b := newRouteBench(t)
	b.dnsmasq(t)
	pbx := listen(t, b.off, "tcp4", officeHost+":5060")
	udpEcho(t, b.off, officeHost+":5060")
	listen(t, b.off, "tcp4", officeHost+":8000") // an office service phones must not reach
	listen(t, b.app, "tcp4", "0.0.0.0:8080")     // gokrazy's web interface, as in the image
	listen(t, b.app, "tcp6", "[fe80::1%"+b.p1+"]:8080")
	srv := b.serve(t)
	if got := b.ipForward(t); got != "1" {
		t.Errorf("ip_forward in the appliance's namespace = %s while routing, want 1", got)
	}

	l1 := b.dhcp(t, b.ph1, b.if1, true)
	l2 := b.dhcp(t, b.ph2, b.if2, true)
	if l1.router != "10.79.1.1" || l1.dns != officeDNS || l2.router != "10.79.2.1" || l2.dns != officeDNS {
		t.Fatalf("leases %+v and %+v: want router = the port's address and dns = %s (the uplink's resolver, not 127.0.0.53)", l1, l2, officeDNS)
	}
	listen(t, b.ph1, "tcp4", ":7000")
	listen(t, b.ph2, "tcp4", ":7000")

	t.Run("a phone reaches the PBX through NAT", func(t *testing.T) {
		if err := reach(b.ph1, officeHost+":5060", 10*time.Second); err != nil {
			t.Fatalf("phone 1 to the PBX's SIP port over TCP: %v", err)
		}
		if from := <-pbx.from; from != uplinkAddr {
			t.Errorf("the PBX saw the phone come from %s, want the appliance's uplink address %s", from, uplinkAddr)
		}
		answer, err := udpAsk(b.ph2, officeHost+":5060")
		if err != nil || !strings.HasPrefix(answer, "echo "+uplinkAddr+":") {
			t.Errorf("phone 2 to the PBX's SIP port over UDP: %q, %v; want an answer to %s", answer, err, uplinkAddr)
		}
	})
	t.Run("a pbx_host name resolves through option 6", func(t *testing.T) {
		out, err := nettest.Run(b.ph1, "busybox", "nslookup", "-type=a", "pbx.office.test", l1.dns)
		if err != nil || !strings.Contains(out, officeHost) {
			t.Errorf("nslookup pbx.office.test %s from phone 1: %v\n%s", l1.dns, err, out)
		}
		if out, err := nettest.Run(b.ph1, "busybox", "ping", "-c", "1", "-W", "10", officeHost); err != nil {
			t.Errorf("ping from phone 1 to the office host: %v\n%s", err, out)
		}
	})

	probes := []probe{
		{"phone to an office port outside the rule", b.ph1, officeHost + ":8000", true},
		{"phone to the other bench port's phone", b.ph1, l2.ip + ":7000", true},
		{"phone to gokrazy's interface on its port's address", b.ph1, "10.79.1.1:8080", true},
		{"phone to gokrazy's interface on the uplink address", b.ph2, uplinkAddr + ":8080", true},
		{"phone to gokrazy's interface on its port's IPv6 link-local address", b.ph1, "[fe80::1%" + b.if1 + "]:8080", true},
		{"phone to phoneflash's page", b.ph1, "10.79.1.1:8079", false},
		{"office host to a bench phone", b.off, l1.ip + ":7000", true},
	}
	for _, p := range probes {
		t.Run("refused: "+p.name, func(t *testing.T) {
			if err := reach(p.ns, p.addr, 3*time.Second); err == nil {
				t.Errorf("%s reached %s", p.ns, p.addr)
			}
		})
	}
	t.Run("the office still reaches gokrazy's interface", func(t *testing.T) {
		if err := reach(b.off, uplinkAddr+":8080", 10*time.Second); err != nil {
			t.Error(err)
		}
	})
	t.Run("control: without the refusing rules the probes get through", func(t *testing.T) {
		b.deleteRefusals(t)
		for _, p := range probes {
			if err := reach(p.ns, p.addr, 10*time.Second); p.control && err != nil {
				t.Errorf("%s, with the refusing rules deleted: %v; the probe cannot tell the rule is there", p.name, err)
			}
		}
	})

	srv.stop(t)
	if tables := b.tables(t); strings.Contains(tables, "phoneflash") {
		t.Errorf("after a clean exit nft list tables says:\n%s", tables)
	}
	if got := b.ipForward(t); got != "0" {
		t.Errorf("ip_forward after a clean exit = %s, want 0 as before", got)
	}
	t.Run("after SIGKILL the next start replaces the table", func(t *testing.T) { b.checkKill(t) })
	t.Run("-route=false forwards nothing", func(t *testing.T) { b.checkNoRoute(t, "-route=false") })
	t.Run("no uplink: no router, no resolvers", func(t *testing.T) { b.checkNoRoute(t, "-uplink", "") })
}

var handleRE = regexp.MustCompile(`# handle (\d+)`)

// deleteRefusals deletes every rule of the table that drops or rejects.
func (b *routeBench) deleteRefusals(t *testing.T) {
	t.Helper()
	for _, chain := range []string{"bench_in", "from_bench", "to_bench"} {
		out := nettest.Must(t, b.app, "nft", "-a", "list", "chain", "inet", "phoneflash", chain)
		for _, line := range strings.Split(out, "\n") {
			m := handleRE.FindStringSubmatch(line)
			if m == nil || strings.Contains(line, "ct state") || !(strings.Contains(line, " drop") || strings.Contains(line, " reject")) {
				continue
			}
			nettest.Must(t, b.app, "nft", "delete", "rule", "inet", "phoneflash", chain, "handle", m[1])
		}
	}
}

func (b *routeBench) checkKill(t *testing.T) {
	b.serve(t).kill(t)
	if got := b.tables(t); !strings.Contains(got, "table inet phoneflash") || b.ipForward(t) != "1" {
		t.Fatalf("a SIGKILLed run left tables %q and ip_forward %s; the test needs its leftovers", got, b.ipForward(t))
	}
	srv := b.serve(t)
	tables := b.tables(t)
	if n := strings.Count(tables, "table "); n != 1 || !strings.Contains(tables, "table inet phoneflash\n") {
		t.Errorf("after a start over a killed run, nft list tables:\n%s\nwant exactly one table inet phoneflash", tables)
	}
	if err := reach(b.ph1, officeHost+":5060", 10*time.Second); err != nil {
		t.Errorf("phone 1 to the PBX after the restart: %v", err)
	}
	if err := reach(b.ph1, officeHost+":8000", 3*time.Second); err == nil {
		t.Error("phone 1 reached the office's port 8000 after the restart")
	}
	srv.stop(t)
	if got := b.tables(t); strings.Contains(got, "phoneflash") {
		t.Errorf("table left after the clean exit:\n%s", got)
	}
	if got := b.ipForward(t); got != "0" {
		t.Errorf("ip_forward after the exit = %s, want 0: the value from before the killed run", got)
	}
}

// checkNoRoute: with forwarding off or no uplink, DHCP names no router and
// no resolvers, nothing is forwarded, and the input filter stays.
func (b *routeBench) checkNoRoute(t *testing.T, flags ...string) {
	srv := b.serve(t, flags...)
	if l := b.dhcp(t, b.ph1, b.if1, false); l.router != "" || l.dns != "" {
		t.Errorf("lease %+v, want neither router nor dns", l)
	}
	if got := b.ipForward(t); got != "0" {
		t.Errorf("ip_forward = %s, want 0", got)
	}
	if err := reach(b.ph1, officeHost+":5060", 3*time.Second); err == nil {
		t.Error("phone 1 reached the PBX with routing off")
	}
	if err := reach(b.ph1, "10.79.1.1:8080", 3*time.Second); err == nil {
		t.Error("phone 1 reached gokrazy's port 8080: the input filter must stay without routing")
	}
	if table := nettest.Must(t, b.app, "nft", "list", "table", "inet", "phoneflash"); strings.Contains(table, "masquerade") {
		t.Errorf("table without routing masquerades:\n%s", table)
	}
	srv.stop(t)
}
