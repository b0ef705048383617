package dhcpd

import (
	"net/netip"
	"strconv"
	"testing"
	"time"
)

// The scan hint must never hide a freed address: after a release below
// the hint, the lowest unused address is handed out again.
func TestAllocateLowestAfterFree(t *testing.T) {
	now := time.Unix(1000, 0)
	tb := newTable(netip.MustParseAddr("10.0.0.100"), netip.MustParseAddr("10.0.0.199"))
	macs := []string{"00:00:00:00:00:01", "00:00:00:00:00:02", "00:00:00:00:00:03"}
	for i, mac := range macs {
		ip, ok := tb.allocate(mac, netip.Addr{}, now)
		if want := netip.AddrFrom4([4]byte{10, 0, 0, byte(100 + i)}); !ok || ip != want {
			t.Fatalf("allocation %d = %v, %v, want %v", i, ip, ok, want)
		}
		tb.bind(mac, ip, "", now.Add(time.Hour), true)
	}
	tb.remove(macs[0])
	if ip, ok := tb.allocate("00:00:00:00:00:04", netip.Addr{}, now); !ok || ip.String() != "10.0.0.100" {
		t.Errorf("after freeing .100: got %v, %v, want 10.0.0.100", ip, ok)
	}
	// A MAC moving to another address frees its old one.
	tb.bind(macs[1], netip.MustParseAddr("10.0.0.150"), "", now.Add(time.Hour), true)
	tb.bind("00:00:00:00:00:04", netip.MustParseAddr("10.0.0.100"), "", now.Add(time.Hour), true)
	if ip, ok := tb.allocate("00:00:00:00:00:05", netip.Addr{}, now); !ok || ip.String() != "10.0.0.101" {
		t.Errorf("after moving .101 away: got %v, %v, want 10.0.0.101", ip, ok)
	}
}

// Filling a large pool stays fast (linear): 60,000 allocations.
func TestAllocateLargePool(t *testing.T) {
	now := time.Unix(1000, 0)
	tb := newTable(netip.MustParseAddr("10.1.0.0"), netip.MustParseAddr("10.1.255.254"))
	start := time.Now()
	for i := range 60000 {
		mac := strconv.Itoa(i) // any distinct key
		ip, ok := tb.allocate(mac, netip.Addr{}, now)
		if !ok {
			t.Fatalf("pool exhausted after %d", i)
		}
		tb.bind(mac, ip, "", now.Add(time.Hour), true)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("60,000 allocations took %v; the scan is not linear", d)
	}
}

// The bound count every event carries is kept as bindings change (offers,
// ACKs, a MAC moving, an address taken over, releases) and always equals
// a count over the table.
func TestBoundCountKept(t *testing.T) {
	now := time.Unix(1000, 0)
	tb := newTable(netip.MustParseAddr("10.0.0.100"), netip.MustParseAddr("10.0.0.119"))
	count := func() int {
		n := 0
		for _, l := range tb.byIP {
			if l.Bound {
				n++
			}
		}
		return n
	}
	seed := uint64(1)
	next := func(n int) int { seed = seed*6364136223846793005 + 1442695040888963407; return int(seed>>33) % n }
	for i := range 5000 {
		mac := "00:00:00:00:00:" + strconv.Itoa(10+next(30))
		ip := netip.AddrFrom4([4]byte{10, 0, 0, byte(100 + next(20))})
		switch next(4) {
		case 0:
			tb.bind(mac, ip, "", now.Add(time.Minute), false) // an offer
		case 1, 2:
			tb.bind(mac, ip, "", now.Add(time.Hour), true) // an ACK
		case 3:
			tb.remove(mac) // a release
		}
		if got, want := tb.bound(), count(); got != want {
			t.Fatalf("step %d: bound() = %d, the table holds %d bound leases", i, got, want)
		}
	}
}
