package sipwatch

import (
	"bytes"
	"context"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/phoneflash/phoneflash/appliance/nettest"
	"github.com/phoneflash/phoneflash/internal/kamailio"
	"github.com/phoneflash/phoneflash/internal/kamailio/kamailiotest"
	"github.com/phoneflash/phoneflash/internal/logtest"
	"github.com/phoneflash/phoneflash/internal/servicetest"
	"github.com/phoneflash/phoneflash/internal/siptest"
)

// The bench of these tests, as the real one will be: a phone namespace,
// a router namespace that plays the appliance (IPv4 forwarding; the
// watcher on its bench-side interface) and an office namespace with
// Kamailio.
//
//	phone 10.79.1.100 ── bench ── 10.79.1.1 router 198.51.100.254 ── office 198.51.100.1
type bench struct {
	phoneNS, routerNS, officeNS string
	benchIf                     string // the router's phone-side interface
	phone, pbx                  netip.Addr
	pbxPort                     netip.AddrPort
	watcher                     *Watcher
	events                      chan seen
}

// seen is an event and when OnEvent had it.
type seen struct {
	Event
	at time.Time
}

var users = []kamailio.User{{Extension: "1006", Password: "secret12"}, {Extension: "1007", AuthName: "a1007", Password: "pw7"}}

func newBench(t *testing.T, timeout time.Duration) *bench {
	t.Helper()
	nettest.RequireRoot(t)
	nettest.RequireCommand(t, "kamailio")
	id := nettest.Unique("pfs")
	b := &bench{phoneNS: nettest.NS(t, id+"p"), routerNS: nettest.NS(t, id+"r"), officeNS: nettest.NS(t, id+"o"),
		benchIf: id + "b", phone: netip.MustParseAddr("10.79.1.100"), pbx: netip.MustParseAddr("198.51.100.1"),
		events: make(chan seen, 1024)}
	b.pbxPort = netip.AddrPortFrom(b.pbx, 5060)
	nettest.Veth(t, b.routerNS, b.benchIf, b.phoneNS, id+"ph")
	nettest.Veth(t, b.routerNS, id+"u", b.officeNS, id+"of")
	nettest.Addr(t, b.phoneNS, id+"ph", "10.79.1.100/24")
	nettest.Addr(t, b.routerNS, b.benchIf, "10.79.1.1/24")
	nettest.Addr(t, b.routerNS, id+"u", "198.51.100.254/24")
	nettest.Addr(t, b.officeNS, id+"of", "198.51.100.1/24")
	nettest.Must(t, b.phoneNS, "ip", "route", "add", "default", "via", "10.79.1.1")
	nettest.Must(t, b.officeNS, "ip", "route", "add", "10.79.1.0/24", "via", "198.51.100.254")
	nettest.Must(t, b.routerNS, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1")
	conn, err := nettest.Open(b.routerNS, func() (*Conn, error) { return Listen(b.benchIf, DefaultPorts) })
	if err != nil {
		t.Fatal(err)
	}
	b.watcher = New(Options{Port: b.benchIf, Timeout: timeout, Log: logtest.New(t, slog.LevelWarn),
		OnEvent: func(e Event) { b.events <- seen{e, time.Now()} }})
	t.Cleanup(func() { conn.Close() }) // after the watcher has stopped
	servicetest.Start(t, func(ctx context.Context) error { return b.watcher.Serve(ctx, conn) })
	return b
}

// office starts Kamailio in the office namespace.
func (b *bench) office(t *testing.T, c kamailio.Config) *kamailio.Instance {
	c.Addr, c.Users = b.pbx, users
	return kamailiotest.Start(t, b.officeNS, c)
}

// register sends a REGISTER from the phone namespace and answers a 401 with
// the password; it returns the final answer and when it arrived.
func (b *bench) register(t *testing.T, transport, ext, authName, password string, wait time.Duration) (*sip.Response, time.Time, error) {
	t.Helper()
	return siptest.Do(siptest.Request{NS: b.phoneNS, Transport: transport, To: b.pbxPort, Local: b.phone.String(),
		User: ext, AuthName: authName, Password: password, Timeout: wait,
		Headers: []string{siptest.Contact(ext, b.phone.String(), transport), "Expires: 3600", "User-Agent: Cisco-CP7906G/9.4.2"}})
}

// next waits for the next event of one of the kinds (others are skipped).
func (b *bench) next(t *testing.T, within time.Duration, kinds ...EventKind) seen {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case e := <-b.events:
			if slices.Contains(kinds, e.Kind) {
				return e
			}
		case <-deadline:
			t.Fatalf("no %v event within %v; stats %+v", kinds, within, b.watcher.Stats())
		}
	}
}

var outcomes = []EventKind{EventRegistered, EventRefused, EventUnknownExtension, EventRejected, EventUnreachable}

// TestIntegrationWatchKamailio: good and wrong passwords and an unknown
// extension, over UDP and TCP, through the router to a real Kamailio: the
// watcher on the bench-side interface reports what Kamailio answered, and
// Kamailio's location table has the registered phones.
func TestIntegrationWatchKamailio(t *testing.T) {
	b := newBench(t, 10*time.Second)
	k := b.office(t, kamailio.Config{})
	for _, tc := range []struct {
		transport, ext, auth, password string
		kind                           EventKind
		reason                         string
	}{
		{"udp", "1006", "1006", "secret12", EventRegistered, "OK"},
		{"tcp", "1007", "a1007", "pw7", EventRegistered, "OK"},
		{"udp", "1006", "1006", "wrong", EventRefused, "Wrong password"},
		{"tcp", "1006", "1006", "wrong", EventRefused, "Wrong password"},
		{"udp", "2000", "2000", "x", EventUnknownExtension, "Not Found"},
	} {
		name := tc.transport + " " + tc.ext + " " + tc.password
		res, _, err := b.register(t, tc.transport, tc.ext, tc.auth, tc.password, 10*time.Second)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		e := b.next(t, 10*time.Second, outcomes...)
		if e.Kind != tc.kind || e.Reason != tc.reason || e.Reason != res.Reason || e.Extension != tc.ext {
			t.Errorf("%s: event %s %q for %s, want %s %q (the phone got %d %s)", name, e.Kind, e.Reason, e.Extension, tc.kind, tc.reason, res.StatusCode, res.Reason)
		}
		if e.PBX != b.pbxPort || e.Transport != strings.ToUpper(tc.transport) || e.Phone.Addr() != b.phone || len(e.MAC) != 6 {
			t.Errorf("%s: event %+v", name, e)
		}
		if e.Kind == EventRegistered && e.Expires != time.Hour {
			t.Errorf("%s: expires %v, want 1h", name, e.Expires)
		}
		t.Logf("%s: %s", name, e.Text())
	}
	locs, err := k.Locations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var aors []string
	for _, l := range locs {
		aors = append(aors, l.AoR)
		if !strings.Contains(l.Contact, b.phone.String()) {
			t.Errorf("location %+v does not name the phone", l)
		}
	}
	slices.Sort(aors)
	if !slices.Equal(aors, []string{"1006", "1007"}) {
		t.Errorf("location table: %v, want 1006 and 1007", aors)
	}
}

// TestIntegrationWatchUnreachable: with Kamailio stopped, a REGISTER over
// UDP and a connection over TCP are unreachable within the timeout.
func TestIntegrationWatchUnreachable(t *testing.T) {
	const timeout = 3 * time.Second
	b := newBench(t, timeout)
	k := b.office(t, kamailio.Config{})
	k.Stop()
	for _, transport := range []string{"udp", "tcp"} {
		start := time.Now()
		_, _, err := b.register(t, transport, "1006", "1006", "secret12", 2*time.Second)
		if err == nil {
			t.Fatalf("%s: a stopped Kamailio answered", transport)
		}
		e := b.next(t, 2*timeout, outcomes...)
		took := time.Since(start)
		if e.Kind != EventUnreachable || e.PBX != b.pbxPort || e.Transport != strings.ToUpper(transport) {
			t.Errorf("%s: event %+v, want unreachable at %v", transport, e, b.pbxPort)
		}
		if took < timeout {
			t.Errorf("%s: unreachable after %v, before the %v timeout", transport, took, timeout)
		}
		t.Logf("%s: %s after %v", transport, e.Text(), took.Round(time.Millisecond))
	}
}

// TestIntegrationWatchLatency measures, over many registrations, how long
// after the phone has Kamailio's 200 OK the watcher reports registered.
// It asserts nothing about speed (that belongs in make bench); it logs the
// numbers for the report.
func TestIntegrationWatchLatency(t *testing.T) {
	b := newBench(t, 10*time.Second)
	b.office(t, kamailio.Config{})
	const n = 100
	for _, transport := range []string{"udp", "tcp"} {
		var delays, answers []time.Duration
		for i := range n {
			start := time.Now()
			res, got, err := b.register(t, transport, "1006", "1006", "secret12", 10*time.Second)
			if err != nil || res.StatusCode != 200 {
				t.Fatalf("%s registration %d: %v %v", transport, i, res, err)
			}
			e := b.next(t, 10*time.Second, EventRegistered)
			delays, answers = append(delays, e.at.Sub(got)), append(answers, got.Sub(start))
		}
		slices.Sort(delays)
		slices.Sort(answers)
		t.Logf("%d registrations over %s through Kamailio: answer (REGISTER..200 at the phone, with the challenge) median %v p95 %v; "+
			"watcher's registered event minus the phone's receipt of the 200 (negative: the watcher was first): "+
			"min %v median %v p95 %v max %v", n, transport, answers[n/2], answers[n*95/100], delays[0], delays[n/2], delays[n*95/100], delays[n-1])
	}
}

// TestIntegrationWatchHostile: from the phone's namespace, through the
// router, SIP garbage, truncated and oversized SIP over UDP and hundreds of
// TCP connections that each leave half a message, at the watcher's
// interface. The watcher keeps serving with bounded memory (measured
// around the flood) and still reports a real registration afterwards.
func TestIntegrationWatchHostile(t *testing.T) {
	b := newBench(t, 10*time.Second)
	b.office(t, kamailio.Config{})
	udp, err := nettest.Open(b.phoneNS, func() (net.Conn, error) { return net.Dial("udp4", b.pbxPort.String()) })
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	before := siptest.HeapInUse()
	rng := rand.New(rand.NewPCG(5, 6))
	reg := register("UDP", 1, "z9hG4bKh", false)
	junk := make([]byte, 1400)
	oversized := append(bytes.Repeat([]byte("X-Pad: "+strings.Repeat("a", 100)+"\r\n"), 300), reg...) // 32 kB: IP fragments
	for i := range 10000 {
		switch i % 4 {
		case 0:
			for j := range junk {
				junk[j] = byte(rng.Uint32())
			}
			udp.Write(junk)
		case 1:
			udp.Write(reg[:rng.IntN(len(reg))])
		case 2:
			udp.Write(append([]byte("REGISTER sip:198.51.100.1 SIP/2.0\r\n"), oversized...))
		case 3:
			udp.Write(bytes.Repeat([]byte("REGISTER "), 150))
		}
		if i%50 == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	var conns []net.Conn
	half := register("TCP", 1, "z9hG4bKt", false)
	half = half[:len(half)/2]
	err = nettest.Do(b.phoneNS, func() error {
		for range 400 {
			c, err := net.Dial("tcp4", b.pbxPort.String())
			if err != nil {
				return err
			}
			conns = append(conns, c)
			c.Write(half)
		}
		return nil
	})
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	during := siptest.HeapInUse()
	s := b.watcher.Stats()
	t.Logf("10000 hostile datagrams and %d half-message TCP connections: heap in use %d KiB before, %d KiB during (%+d KiB); stats %+v",
		len(conns), before>>10, during>>10, (int64(during)-int64(before))>>10, s)
	if s.Flows > DefaultMaxFlows || s.Garbage < 1000 {
		t.Errorf("stats %+v: want at most %d flows and the garbage counted", s, DefaultMaxFlows)
	}
	if grew := int64(during) - int64(before); grew > DefaultMaxFlows*2*DefaultMaxMessage+8<<20 {
		t.Errorf("heap grew by %d KiB", grew>>10)
	}
	if _, _, err := b.register(t, "udp", "1006", "1006", "secret12", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if e := b.next(t, 10*time.Second, outcomes...); e.Kind != EventRegistered {
		t.Errorf("after the flood: %s", e.Text())
	}
}
