package dhcpd

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/phoneflash/phoneflash/internal/atomicfile"
)

// lease binds an address to a MAC. Expiry is only meaningful within one run
// (the Pi has no RTC); the file stores the time left instead.
type lease struct {
	MAC      string // net.HardwareAddr.String()
	IP       netip.Addr
	Hostname string
	Expiry   time.Time
	Bound    bool // ACKed, not just offered
}

// table is the lease state of one port. It does no I/O.
type table struct {
	first, last netip.Addr
	reserved    netip.Addr // our own address
	byMAC       map[string]*lease
	byIP        map[netip.Addr]*lease
	declined    map[netip.Addr]time.Time // address -> until
	// low is a scan hint: every address from first up to (not including)
	// low is in byIP. Allocation scans from there instead of from first,
	// so filling a large pool is linear, not quadratic.
	low netip.Addr
	// nBound counts the bound leases in byIP: every event reports it, so
	// counting them per request would make each request as slow as the
	// table is large.
	nBound int
}

func newTable(first, last netip.Addr) *table {
	return &table{first: first, last: last, byMAC: map[string]*lease{}, byIP: map[netip.Addr]*lease{},
		declined: map[netip.Addr]time.Time{}, low: first}
}

func (t *table) inPool(ip netip.Addr) bool {
	return ip.Is4() && t.first.Compare(ip) <= 0 && ip.Compare(t.last) <= 0 && ip != t.reserved
}

func (t *table) poolSize() int {
	a, b := t.first.As4(), t.last.As4()
	u := func(x [4]byte) int { return int(x[0])<<24 | int(x[1])<<16 | int(x[2])<<8 | int(x[3]) }
	return u(b) - u(a) + 1
}

func (t *table) isDeclined(ip netip.Addr, now time.Time) bool {
	until, ok := t.declined[ip]
	if ok && !now.Before(until) {
		delete(t.declined, ip)
		return false
	}
	return ok
}

// free says whether ip may be given to mac now.
func (t *table) free(ip netip.Addr, mac string, now time.Time) bool {
	if !t.inPool(ip) || t.isDeclined(ip, now) {
		return false
	}
	l := t.byIP[ip]
	return l == nil || l.MAC == mac
}

// allocate picks an address for mac: its own binding first (a phone keeps
// its address across reboots and restarts), then the address it asks for,
// then the lowest unused one, then the longest-expired binding of another
// MAC. ok is false when the pool is exhausted.
func (t *table) allocate(mac string, requested netip.Addr, now time.Time) (netip.Addr, bool) {
	if l := t.byMAC[mac]; l != nil && t.free(l.IP, mac, now) {
		return l.IP, true
	}
	if requested.IsValid() && t.free(requested, mac, now) {
		return requested, true
	}
	for t.low.IsValid() && t.low.Compare(t.last) <= 0 && t.byIP[t.low] != nil {
		t.low = t.low.Next()
	}
	for ip := t.low; ip.IsValid() && ip.Compare(t.last) <= 0; ip = ip.Next() {
		if t.byIP[ip] == nil && !t.isDeclined(ip, now) && ip != t.reserved {
			return ip, true
		}
	}
	var oldest *lease
	for _, l := range t.byIP {
		if now.After(l.Expiry) && (oldest == nil || l.Expiry.Before(oldest.Expiry) ||
			(l.Expiry.Equal(oldest.Expiry) && l.IP.Less(oldest.IP))) {
			oldest = l
		}
	}
	if oldest == nil {
		return netip.Addr{}, false
	}
	return oldest.IP, true
}

// bind gives ip to mac until expiry, dropping any other binding of either.
func (t *table) bind(mac string, ip netip.Addr, hostname string, expiry time.Time, bound bool) {
	if l := t.byMAC[mac]; l != nil && l.IP != ip {
		t.unset(l.IP)
	}
	if l := t.byIP[ip]; l != nil && l.MAC != mac {
		delete(t.byMAC, l.MAC)
	}
	l := &lease{MAC: mac, IP: ip, Hostname: hostname, Expiry: expiry, Bound: bound}
	if old := t.byMAC[mac]; old != nil && old.IP == ip {
		l.Bound = bound || old.Bound
		if old.Expiry.After(expiry) {
			l.Expiry = old.Expiry
		}
		if hostname == "" {
			l.Hostname = old.Hostname
		}
	}
	t.byMAC[mac] = l
	t.setIP(ip, l)
}

// setIP puts l at ip in byIP (nil removes it), keeping nBound.
func (t *table) setIP(ip netip.Addr, l *lease) {
	if prev := t.byIP[ip]; prev != nil && prev.Bound {
		t.nBound--
	}
	if l == nil {
		delete(t.byIP, ip)
		return
	}
	if l.Bound {
		t.nBound++
	}
	t.byIP[ip] = l
}

func (t *table) remove(mac string) {
	if l := t.byMAC[mac]; l != nil {
		t.unset(l.IP)
		delete(t.byMAC, mac)
	}
}

// unset frees ip in byIP and keeps the scan hint below it.
func (t *table) unset(ip netip.Addr) {
	t.setIP(ip, nil)
	if ip.Less(t.low) {
		t.low = ip
	}
}

// leaseFile is the on-disk form: durations left, never absolute times.
type leaseFile struct {
	Leases []leaseRecord `json:"leases"`
}

type leaseRecord struct {
	MAC          string `json:"mac"`
	IP           string `json:"ip"`
	Hostname     string `json:"hostname,omitempty"`
	RemainingSec int64  `json:"remaining_s"`
	Gone         bool   `json:"gone,omitempty"` // journal only: the MAC lost its binding
}

// records returns the bound leases, sorted by address.
func (t *table) records(now time.Time) []leaseRecord {
	var bound []*lease
	for _, l := range t.byIP {
		if l.Bound {
			bound = append(bound, l)
		}
	}
	slices.SortFunc(bound, func(a, b *lease) int { return a.IP.Compare(b.IP) })
	out := make([]leaseRecord, 0, len(bound))
	for _, l := range bound {
		out = append(out, leaseRecord{MAC: l.MAC, IP: l.IP.String(), Hostname: l.Hostname,
			RemainingSec: max(0, int64(l.Expiry.Sub(now)/time.Second))})
	}
	return out
}

// load applies the records of a lease file and its journal in order;
// records that do not fit this pool are skipped.
func (t *table) load(recs []leaseRecord, now time.Time) {
	for _, r := range recs {
		mac, merr := net.ParseMAC(r.MAC)
		if merr == nil && r.Gone {
			t.remove(mac.String())
			continue
		}
		ip, err := netip.ParseAddr(r.IP)
		if err != nil || merr != nil || !t.inPool(ip) {
			continue
		}
		t.bind(mac.String(), ip, r.Hostname, now.Add(time.Duration(r.RemainingSec)*time.Second), true)
	}
}

// readState reads one of a port's state files; ok is false when it does
// not exist.
func readState(name string) (b []byte, ok bool, err error) {
	b, err = os.ReadFile(name)
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	return b, err == nil, err
}

// wrapf wraps a non-nil err with what was being done.
func wrapf(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

func leasePath(dir, port string) string { return filepath.Join(dir, "leases-"+port+".json") }

func readLeases(dir, port string) ([]leaseRecord, error) {
	b, ok, err := readState(leasePath(dir, port))
	if err != nil || !ok {
		return nil, wrapf(err, "dhcpd: port %s: reading leases", port)
	}
	var f leaseFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("dhcpd: port %s: parsing %s: %w", port, leasePath(dir, port), err)
	}
	return f.Leases, nil
}

// writeLeases replaces the lease file atomically (temp file, fsync, rename).
func writeLeases(dir, port string, recs []leaseRecord) error {
	if err := atomicfile.WriteJSON(leasePath(dir, port), leaseFile{Leases: recs}, 0o600); err != nil {
		return fmt.Errorf("dhcpd: port %s: writing leases: %w", port, err)
	}
	return nil
}
