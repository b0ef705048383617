package registrar

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/phoneflash/phoneflash/internal/logtest"
	"github.com/phoneflash/phoneflash/internal/servicetest"
	"github.com/phoneflash/phoneflash/internal/siptest"
)

// server runs a Registrar on loopback port 0 (UDP and TCP on the same port
// number) and collects its registrations.
type server struct {
	r    *Registrar
	addr netip.AddrPort
	mu   sync.Mutex
	regs []Registration
}

func start(t *testing.T, opts Options) *server {
	t.Helper()
	s := &server{}
	opts.OnRegister = func(r Registration) { s.mu.Lock(); s.regs = append(s.regs, r); s.mu.Unlock() }
	if opts.Log == nil {
		opts.Log = logtest.New(t, slog.LevelWarn)
	}
	r, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	var udp net.PacketConn
	var tcp net.Listener
	for range 20 { // find a port free for both
		if tcp, err = net.Listen("tcp4", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		if udp, err = net.ListenPacket("udp4", tcp.Addr().String()); err == nil {
			break
		}
		tcp.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	s.r, s.addr = r, netip.MustParseAddrPort(udp.LocalAddr().String())
	servicetest.Start(t, func(ctx context.Context) error { return r.Serve(ctx, udp, tcp) })
	return s
}

func (s *server) registrations() []Registration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Registration(nil), s.regs...)
}

// waitRegistrations waits up to 5 s for n registrations: OnRegister reports
// one once its 200 OK is out, so after the phone has its answer.
func (s *server) waitRegistrations(n int) []Registration {
	regs := s.registrations()
	for deadline := time.Now().Add(5 * time.Second); len(regs) < n && time.Now().Before(deadline); regs = s.registrations() {
		time.Sleep(5 * time.Millisecond)
	}
	return regs
}

// request sends one request of method over transport with extra headers
// and returns the final answer.
func (s *server) request(t *testing.T, method sip.RequestMethod, transport, ext string, headers ...string) *sip.Response {
	t.Helper()
	res, _, err := siptest.Do(siptest.Request{Method: method, Transport: transport, To: s.addr, Local: "127.0.0.1",
		User: ext, Headers: headers})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func contact(ext, transport string) string {
	return fmt.Sprintf(`Contact: <sip:%s@127.0.0.1:5060;transport=%s>;+sip.instance="<urn:uuid:00000000-0000-0000-0000-002290bad777>"`, ext, transport)
}

// TestRegister: REGISTER over UDP and TCP is accepted for any line without
// a challenge, with the granted expiry in the answer and the callback.
func TestRegister(t *testing.T) {
	s := start(t, Options{Port: "eth1"})
	for _, tr := range []string{"udp", "tcp"} {
		res := s.request(t, sip.REGISTER, tr, "0001", contact("0001", tr), "Expires: 3600", "User-Agent: Cisco-CP7906G/9.4.2")
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d %s", tr, res.StatusCode, res.Reason)
		}
		c := res.Contact()
		if v, _ := c.Params.Get("expires"); c == nil || v != "3600" {
			t.Errorf("%s: Contact %v, want expires=3600", tr, c)
		}
	}
	regs := s.waitRegistrations(2)
	if len(regs) != 2 {
		t.Fatalf("%d registrations: %+v", len(regs), regs)
	}
	// Each is reported after its answer, so the order may differ.
	if regs[0].Transport == "TCP" {
		regs[0], regs[1] = regs[1], regs[0]
	}
	r := regs[0]
	if r.Port != "eth1" || r.Extension != "0001" || r.Transport != "UDP" || r.Expires != time.Hour ||
		r.UserAgent != "Cisco-CP7906G/9.4.2" || r.Instance != `"<urn:uuid:00000000-0000-0000-0000-002290bad777>"` ||
		!strings.Contains(r.Contact, "0001@127.0.0.1") || !r.Source.Addr().IsLoopback() || r.At.IsZero() {
		t.Errorf("registration %+v", r)
	}
	if regs[1].Transport != "TCP" {
		t.Errorf("second registration over %s, want TCP", regs[1].Transport)
	}
}

func TestExpires(t *testing.T) {
	s := start(t, Options{Port: "eth1"})
	for _, tc := range []struct {
		headers []string
		code    int
		granted string
	}{
		{[]string{contact("1", "udp"), "Expires: 30"}, 423, ""},
		{[]string{contact("1", "udp"), "Expires: 7200"}, 200, "3600"},
		{[]string{contact("1", "udp") + ";expires=120", "Expires: 7200"}, 200, "120"},
		{[]string{contact("1", "udp"), "Expires: 0"}, 200, "0"},
		{[]string{"Contact: *", "Expires: 0"}, 200, "0"},
		{[]string{contact("1", "udp")}, 200, "3600"},
	} {
		res := s.request(t, sip.REGISTER, "udp", "1", tc.headers...)
		if res.StatusCode != tc.code {
			t.Errorf("%v: %d %s, want %d", tc.headers, res.StatusCode, res.Reason, tc.code)
			continue
		}
		if tc.code == 423 {
			if h := res.GetHeader("Min-Expires"); h == nil || h.Value() != "60" {
				t.Errorf("423 without Min-Expires: 60")
			}
			continue
		}
		if h := res.GetHeader("Expires"); h == nil || h.Value() != tc.granted {
			t.Errorf("%v: Expires %v, want %s", tc.headers, h, tc.granted)
		}
	}
	if res := s.request(t, sip.REGISTER, "udp", "", contact("", "udp")); res.StatusCode != 400 {
		t.Errorf("REGISTER without a line: %d", res.StatusCode)
	}
}

// TestOtherMethods: OPTIONS is answered, everything else refused.
func TestOtherMethods(t *testing.T) {
	s := start(t, Options{Port: "eth1"})
	res := s.request(t, sip.OPTIONS, "udp", "1")
	if res.StatusCode != 200 || res.GetHeader("Allow") == nil || res.GetHeader("Allow").Value() != "REGISTER, OPTIONS" {
		t.Errorf("OPTIONS: %d %v", res.StatusCode, res.GetHeader("Allow"))
	}
	for _, m := range []sip.RequestMethod{sip.INVITE, sip.MESSAGE, sip.SUBSCRIBE, sip.NOTIFY} {
		for _, tr := range []string{"udp", "tcp"} {
			if res := s.request(t, m, tr, "1"); res.StatusCode != 405 || res.GetHeader("Allow") == nil {
				t.Errorf("%s over %s: %d %s, want 405 with Allow", m, tr, res.StatusCode, res.Reason)
			}
		}
	}
	if len(s.registrations()) != 0 {
		t.Errorf("registrations from other methods: %+v", s.registrations())
	}
}
