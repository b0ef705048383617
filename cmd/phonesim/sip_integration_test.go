package main

import (
	"context"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/phoneflash/phoneflash/appliance/nettest"
	"github.com/phoneflash/phoneflash/appliance/registrar"
	"github.com/phoneflash/phoneflash/appliance/sipwatch"
	"github.com/phoneflash/phoneflash/internal/kamailio"
	"github.com/phoneflash/phoneflash/internal/kamailio/kamailiotest"
	"github.com/phoneflash/phoneflash/internal/siptest"
)

// sipBench is the phonesim bench with an office namespace behind the
// server namespace, which routes between them as the appliance does
// (option 3 names it) and watches SIP on its phone-side interface.
//
//	phone 198.18.n.100 ── server 198.18.n.1 / 198.51.100.254 ── office 198.51.100.1 (Kamailio)
type sipBench struct {
	*bench
	officeNS string
	pbx      netip.Addr
	mu       sync.Mutex
	events   []sipwatch.Event
}

func newSIPBench(t *testing.T, n int) *sipBench {
	t.Helper()
	nettest.RequireCommand(t, "kamailio")
	b := &sipBench{bench: newBench(t, n), pbx: netip.MustParseAddr("198.51.100.1")}
	id := nettest.Unique("pfs")
	b.officeNS = nettest.NS(t, id+"o")
	nettest.Veth(t, b.srvNS, id+"u", b.officeNS, id+"of")
	nettest.Addr(t, b.srvNS, id+"u", "198.51.100.254/24")
	nettest.Addr(t, b.officeNS, id+"of", "198.51.100.1/24")
	subnet := netip.PrefixFrom(netip.AddrFrom4([4]byte(b.serverIP.To4())), 24).Masked()
	nettest.Must(t, b.officeNS, "ip", "route", "add", subnet.String(), "via", "198.51.100.254")
	nettest.Must(t, b.srvNS, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1")
	conn, err := nettest.Open(b.srvNS, func() (*sipwatch.Conn, error) { return sipwatch.Listen(b.srvIf, sipwatch.DefaultPorts) })
	if err != nil {
		t.Fatal(err)
	}
	w := sipwatch.New(sipwatch.Options{Port: b.srvIf, Timeout: 3 * time.Second, OnEvent: func(e sipwatch.Event) {
		b.mu.Lock()
		b.events = append(b.events, e)
		b.mu.Unlock()
	}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Serve(ctx, conn) }()
	t.Cleanup(func() { cancel(); <-done; conn.Close() })
	return b
}

func (b *sipBench) kamailio(t *testing.T) *kamailio.Instance {
	return kamailiotest.Start(t, b.officeNS, kamailio.Config{Addr: b.pbx,
		Users: []kamailio.User{{Extension: "1006", Password: "secret12"}, {Extension: "1007", AuthName: "a1007", Password: "pw7"}}})
}

// waitEvent waits for the watcher's nth event of kind (counting from 1).
func (b *sipBench) waitEvent(t *testing.T, kind sipwatch.EventKind, n int) sipwatch.Event {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b.mu.Lock()
		var seen []sipwatch.Event
		for _, e := range b.events {
			if e.Kind == kind {
				seen = append(seen, e)
			}
		}
		b.mu.Unlock()
		if len(seen) >= n {
			return seen[n-1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("the watcher saw %d %s events, want %d", len(seen), kind, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (b *sipBench) location(t *testing.T, k *kamailio.Instance, aor string) kamailio.Location {
	t.Helper()
	locs, err := k.Locations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range locs {
		if l.AoR == aor {
			return l
		}
	}
	t.Fatalf("%s is not in Kamailio's location table: %+v", aor, locs)
	return kamailio.Location{}
}

// TestIntegrationSIPRegistersWithKamailio: a phone on the SIP target
// registers through its DHCP router with a real Kamailio over UDP and over
// TCP (transportLayerProtocol 1), with digest authentication; Kamailio's
// location table has it with the phone's User-Agent and +sip.instance, the
// watcher reports it registered, and the phone refreshes before expiry.
func TestIntegrationSIPRegistersWithKamailio(t *testing.T) {
	t.Parallel()
	b := newSIPBench(t, 21)
	k := b.kamailio(t)
	b.setFiles(map[string][]byte{sepName: lineConfig("198.51.100.1", "5060", "", "1006", "", "secret12", "USECALLMANAGER", "3600")})
	code, res := b.run(filepath.Join(b.dir, "udp.json"), "-scenario", "sip", "-model", "7906", "-until", "registered")
	r := res.SIP
	if code != 0 || r == nil || r.State != "registered" || r.Registrar != "198.51.100.1:5060" || r.Transport != "UDP" || r.Expires != 3600 {
		t.Fatalf("exit %d, registration %+v", code, r)
	}
	l := b.location(t, k, "1006")
	if l.UserAgent != "Cisco-CP7906G/9.4.2SR1" || !strings.Contains(l.Instance, "002290bad777") ||
		!strings.Contains(l.Contact, "198.18.21.100:5060") || !strings.HasPrefix(l.Socket, "udp:") {
		t.Errorf("location %+v", l)
	}
	e := b.waitEvent(t, sipwatch.EventRegistered, 1)
	if e.MAC.String() != testMAC.String() || e.PBX.String() != "198.51.100.1:5060" || e.Extension != "1006" || e.Transport != "UDP" {
		t.Errorf("watcher: %+v", e)
	}
	t.Logf("from the config check (done) to registered: %d ms on phonesim's clock; the watcher had the REGISTER..200 in %v",
		res.ReachedMS["registered"]-res.ReachedMS["done"], e.At.Sub(e.Sent))

	b.setFiles(map[string][]byte{sepName: lineConfig("198.51.100.1", "5060", "1", "1007", "a1007", "pw7", "", "60")})
	code, res = b.run(filepath.Join(b.dir, "tcp.json"), "-scenario", "sip", "-model", "7906", "-until", "registered:3")
	if r := res.SIP; code != 0 || r == nil || r.State != "registered" || r.Transport != "TCP" || r.Registered != 3 || r.Expires != 60 {
		t.Fatalf("TCP: exit %d, registration %+v", code, r)
	}
	if l := b.location(t, k, "1007"); !strings.Contains(l.Contact, "transport=tcp") || !strings.HasPrefix(l.Socket, "tcp:") {
		t.Errorf("TCP location %+v", l)
	}
	if e := b.waitEvent(t, sipwatch.EventRegistered, 4); e.Transport != "TCP" || e.Extension != "1007" || e.Expires != time.Minute {
		t.Errorf("watcher on the third TCP registration: %+v", e)
	}
}

// TestIntegrationSIPWrongPassword: scenario D: REGISTER, 401, REGISTER with
// credentials, 403 from Kamailio, again after reg_retry; the result and the
// watcher carry Kamailio's reason phrase.
func TestIntegrationSIPWrongPassword(t *testing.T) {
	t.Parallel()
	b := newSIPBench(t, 22)
	b.kamailio(t)
	b.setFiles(map[string][]byte{sepName: lineConfig("198.51.100.1", "5060", "", "1006", "", "wrong", "", "3600")})
	code, res := b.run(filepath.Join(b.dir, "flash.json"), "-scenario", "sip", "-until", "refused:2", "-reg-retry", "30s")
	r := res.SIP
	if code != 0 || r == nil || r.State != "refused" || r.Status != 403 || r.Reason != "Wrong password" || r.Attempts != 2 {
		t.Fatalf("exit %d, registration %+v", code, r)
	}
	if e := b.waitEvent(t, sipwatch.EventRefused, 2); e.Reason != "Wrong password" || e.Extension != "1006" {
		t.Errorf("watcher: %s", e.Text())
	}
}

// TestIntegrationSIPUnreachable: with Kamailio stopped the phone's
// registration is unreachable over UDP (no answer) and TCP (refused), and
// so says the watcher.
func TestIntegrationSIPUnreachable(t *testing.T) {
	t.Parallel()
	b := newSIPBench(t, 23)
	b.kamailio(t).Stop()
	for i, transport := range []string{"", "1"} {
		b.setFiles(map[string][]byte{sepName: lineConfig("198.51.100.1", "5060", transport, "1006", "", "secret12", "", "3600")})
		code, res := b.run(filepath.Join(b.dir, transport+"flash.json"), "-scenario", "sip", "-until", "unreachable", "-reg-timeout", "2s")
		if r := res.SIP; code != 0 || r == nil || r.State != "unreachable" || r.Registrar != "198.51.100.1:5060" {
			t.Fatalf("%q: exit %d, registration %+v", transport, code, r)
		}
		e := b.waitEvent(t, sipwatch.EventUnreachable, i+1)
		if e.PBX.String() != "198.51.100.1:5060" {
			t.Errorf("watcher: %s", e.Text())
		}
		t.Logf("watcher: %s", e.Text())
	}
}

// TestIntegrationSIPCheckSync: a NOTIFY with Event: check-sync makes the
// registered phone reboot, ask for its config again and register again.
func TestIntegrationSIPCheckSync(t *testing.T) {
	t.Parallel()
	b := newSIPBench(t, 24)
	b.kamailio(t)
	b.setFiles(map[string][]byte{sepName: lineConfig("198.51.100.1", "5060", "", "1006", "", "secret12", "", "3600")})
	result := filepath.Join(b.dir, "result.json")
	cmd, out := b.start(filepath.Join(b.dir, "flash.json"), result, "-scenario", "sip", "-until", "registered:2")
	b.waitEvent(t, sipwatch.EventRegistered, 1)
	phone := netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 18, 24, 100}), 5060)
	if code := notify(t, b.srvNS, phone, "presence"); code != 489 {
		t.Errorf("NOTIFY presence: %d, want 489 Bad Event", code)
	}
	if code := notify(t, b.srvNS, phone, "check-sync"); code != 200 {
		t.Fatalf("NOTIFY check-sync: %d", code)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("phonesim: %v\n%s", err, out)
	}
	res := readResult(t, result)
	if r := res.SIP; r == nil || r.CheckSyncs != 1 || r.Registered != 2 || res.Reboots < 1 || len(res.DHCP) != 2 {
		t.Errorf("registration %+v, reboots %d, DHCP %d", r, res.Reboots, len(res.DHCP))
	}
	if n := strings.Count(strings.Join(names(res), " "), sepName+"=ok"); n != 2 {
		t.Errorf("the config was fetched %d times, want 2", n)
	}
}

// notify sends a NOTIFY with event to the phone from namespace ns.
func notify(t *testing.T, ns string, phone netip.AddrPort, event string) int {
	t.Helper()
	res, _, err := siptest.Do(siptest.Request{NS: ns, Method: sip.NOTIFY, To: phone, User: "1006",
		Headers: []string{"Event: " + event, "Subscription-State: terminated"}})
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode
}

// TestIntegrationSIPBenchRegistrar: a phone without an account (no
// authName, no password) whose config names the bench port's address
// registers with the bench registrar there.
func TestIntegrationSIPBenchRegistrar(t *testing.T) {
	t.Parallel()
	b := newSIPBench(t, 25)
	var mu sync.Mutex
	var regs []registrar.Registration
	r, err := registrar.New(registrar.Options{Port: b.srvIf, OnRegister: func(reg registrar.Registration) {
		mu.Lock()
		regs = append(regs, reg)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	addr := b.serverIP.String() + ":5060"
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { // the thread stays in the namespace while it serves
		done <- nettest.Do(b.srvNS, func() error { return r.ListenAndServe(ctx, netip.MustParseAddrPort(addr)) })
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("registrar: %v", err)
		}
	})
	b.setFiles(map[string][]byte{sepName: lineConfig(b.serverIP.String(), "5060", "", "0001", "", "", "USECALLMANAGER", "3600")})
	code, res := b.run(filepath.Join(b.dir, "flash.json"), "-scenario", "sip", "-model", "7911", "-until", "registered")
	if r := res.SIP; code != 0 || r == nil || r.State != "registered" || r.Registrar != addr {
		t.Fatalf("exit %d, registration %+v", code, r)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(regs) != 1 || regs[0].Extension != "0001" || regs[0].UserAgent != "Cisco-CP7911G/9.4.2SR1" ||
		!slices.Contains([]string{"UDP"}, regs[0].Transport) {
		t.Errorf("bench registrar saw %+v", regs)
	}
	if e := b.waitEvent(t, sipwatch.EventRegistered, 1); e.PBX.String() != addr {
		t.Errorf("watcher: %s", e.Text())
	}
}
