package dhcpd

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/insomniacslk/dhcp/dhcpv4"
)

// remaining is each bound lease's time left at now, by MAC.
func remaining(s *Server, now time.Time) map[string]time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]time.Duration{}
	for mac, l := range s.h.leases.byMAC {
		if l.Bound {
			out[mac] = l.Expiry.Sub(now)
		}
	}
	return out
}

// TestLeasesSurviveTwoRestartsWithTheirExpiry: a lease keeps the time it
// had left when it was last written, through a restart that replays the
// snapshot and the journal, and through a second one that replays the
// snapshot the first restart folded the journal into. The clock jumps
// between runs (the Pi has no RTC), so only durations may be kept. The
// second restart's table also acts on them: an address is given to
// another phone only once its kept time has run out.
func TestLeasesSurviveTwoRestartsWithTheirExpiry(t *testing.T) {
	phone3 := net.HardwareAddr{0x00, 0x1b, 0xd4, 0x77, 0x88, 0x99}
	phone4 := net.HardwareAddr{0x00, 0x1b, 0xd4, 0xaa, 0xbb, 0xcc}
	cfg := testCfg
	cfg.PoolLast = netip.MustParseAddr("10.79.1.102") // three addresses
	now := t0
	opts := Options{Config: cfg, StateDir: t.TempDir(), Now: func() time.Time { return now }}
	start := func() *Server {
		t.Helper()
		s, err := New(opts)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	check := func(s *Server, when string, want map[string]time.Duration) {
		t.Helper()
		if diff := cmp.Diff(want, remaining(s, now)); diff != "" {
			t.Errorf("time left %s (-want +got):\n%s", when, diff)
		}
	}

	s1 := start()
	bindPhone(t, s1, phone1) // t0: an hour
	now = t0.Add(40 * time.Minute)
	s1.saveMu.Lock()
	s1.journalLines = minCompact // the next save folds everything into a snapshot
	s1.saveMu.Unlock()
	bindPhone(t, s1, phone2) // snapshot: phone1 20 min left, phone2 an hour
	now = now.Add(10 * time.Minute)
	bindPhone(t, s1, phone2) // a renewal: the journal says an hour from here
	check(s1, "before the first restart", map[string]time.Duration{phone1.String(): 10 * time.Minute, phone2.String(): time.Hour})

	now = t0.Add(5 * time.Hour) // the appliance was off; its clock means nothing
	s2 := start()               // snapshot + journal, folded into a new snapshot
	check(s2, "after the first restart", map[string]time.Duration{phone1.String(): 20 * time.Minute, phone2.String(): time.Hour})
	if recs, err := readJournal(opts.StateDir, cfg.Port); err != nil || len(recs) != 0 {
		t.Errorf("journal after the first restart: %v, %v; want it folded into the snapshot", recs, err)
	}
	now = now.Add(5 * time.Minute)
	bindPhone(t, s2, phone3) // journal: an hour

	now = t0.Add(30 * time.Hour)
	s3 := start()
	want := map[string]time.Duration{phone1.String(): 20 * time.Minute, phone2.String(): time.Hour, phone3.String(): time.Hour}
	check(s3, "after the second restart", want)
	recs, err := readLeases(opts.StateDir, cfg.Port)
	if err != nil {
		t.Fatal(err)
	}
	onDisk := map[string]time.Duration{}
	for _, r := range recs {
		onDisk[r.MAC] = time.Duration(r.RemainingSec) * time.Second
	}
	if diff := cmp.Diff(want, onDisk); diff != "" {
		t.Errorf("snapshot after the second restart (-want +got):\n%s", diff)
	}

	// The pool is full: phone4 gets phone1's address only once phone1's
	// 20 minutes are over.
	restarted := now
	now = restarted.Add(20*time.Minute - time.Second)
	if resp := s3.Handle(message(t, dhcpv4.MessageTypeDiscover, phone4)); resp != nil {
		t.Errorf("a second before phone1's lease ends, phone4 is offered %s", resp.YourIPAddr)
	}
	now = restarted.Add(20*time.Minute + time.Second)
	if resp := s3.Handle(message(t, dhcpv4.MessageTypeDiscover, phone4)); resp == nil || addrOf(resp.YourIPAddr) != first {
		t.Errorf("a second after phone1's lease ends, phone4 is offered %v, want phone1's %s", resp, first)
	}
}
