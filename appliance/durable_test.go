package appliance

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/phoneflash/phoneflash/appliance/dhcpd"
	"github.com/phoneflash/phoneflash/appliance/journal"
	"github.com/phoneflash/phoneflash/appliance/nettest"
	"github.com/phoneflash/phoneflash/appliance/session"
	"github.com/phoneflash/phoneflash/appliance/tftpd"
	"github.com/phoneflash/phoneflash/board"
	"github.com/phoneflash/phoneflash/internal/logtest"
)

// keySync is the journal's file sync with one phone's file held: blocked
// until released, or failing with EIO while fail is set.
type keySync struct {
	key     string
	hold    chan struct{} // closed: the phone's syncs go through
	entered chan struct{} // closed at its first sync
	enter   func()
	fail    atomic.Bool
}

func newKeySync(key string) *keySync {
	k := &keySync{key: key, hold: make(chan struct{}), entered: make(chan struct{})}
	k.enter = sync.OnceFunc(func() { close(k.entered) })
	return k
}

func (k *keySync) sync(f *os.File) error {
	if filepath.Base(f.Name()) == k.key+".jsonl" {
		if k.fail.Load() {
			return fmt.Errorf("injected: %w", syscall.EIO)
		}
		k.enter()
		<-k.hold
	}
	return f.Sync()
}

// durableBench is the session side of the appliance on one port, with the
// journal's syncs in the test's hands and the phones known by DHCP events.
type durableBench struct {
	t    *testing.T
	b    *bench
	port Port
	logs *logtest.Buffer
}

func newDurableBench(t *testing.T, sync func(*os.File) error) *durableBench {
	t.Helper()
	cfg := testConfig(t, nettest.Unique("pfu"))
	logs := &logtest.Buffer{}
	b, err := openBench(cfg, board.None{}, slog.New(slog.NewTextHandler(logs, nil)), journal.Options{Sync: sync})
	if err != nil {
		t.Fatal(err)
	}
	// Far longer than any test takes: an answer leaves before its records
	// are on disk only when the disk refuses them.
	b.answerWait = 10 * time.Minute
	t.Cleanup(b.close)
	return &durableBench{t: t, b: b, port: cfg.Ports[0], logs: logs}
}

// dhcp is a phone's DISCOVER and ACK, as the port's DHCP server reports
// them; it leases the phone host's address.
func (d *durableBench) dhcp(mac string, host byte) netip.Addr {
	hw, _ := net.ParseMAC(mac)
	ip := d.port.Addr.Addr().As4()
	ip[3] = host
	addr := netip.AddrFrom4(ip)
	for _, k := range []dhcpd.EventKind{dhcpd.EventDiscover, dhcpd.EventAck} {
		d.b.onDHCP(dhcpd.Event{Kind: k, Port: d.port.Name, MAC: hw, IP: addr, VendorClass: "Cisco Systems, Inc. IP Phone CP-7906G\x00"})
	}
	return addr
}

// get is a TFTP request of the phone at addr, resolved as the port's TFTP
// server resolves it; it returns the answer's size.
func (d *durableBench) get(addr netip.Addr, name string) (int64, error) {
	c, err := d.b.resolve(context.Background(), tftpd.Request{Client: netip.AddrPortFrom(addr, 50000),
		Local: d.port.Addr.Addr(), Name: name})
	if c.Close != nil {
		c.Close()
	}
	return c.Size, err
}

// flush waits until every record is on disk.
func (d *durableBench) flush() {
	if err := d.b.jrnl.Flush(context.Background()); err != nil {
		d.t.Fatal(err)
	}
}

// kinds are the kinds of a phone's records on disk now.
func (d *durableBench) kinds(mac string) []string {
	h, err := History(d.b.cfg.StateDir, mac)
	if err != nil {
		d.t.Fatal(err)
	}
	var out []string
	for _, r := range h.Records {
		out = append(out, r.Kind)
	}
	return out
}

const (
	macA = "00:22:90:ee:00:01"
	macB = "00:22:90:ee:00:02"
)

// TestAnswerWaitsForItsOwnRecords: with phone A's journal sync stuck, A's
// config (which names the load it is to fetch: the session records the
// offer) is held back, while phone B, on the same port, goes on getting
// answers, its own records synced; once A's sync returns, A gets its
// config, and by then its offer is on disk.
func TestAnswerWaitsForItsOwnRecords(t *testing.T) {
	keyA := session.NormalizeMAC(macA)
	ks := newKeySync(keyA)
	d := newDurableBench(t, ks.sync)
	release := sync.OnceFunc(func() { close(ks.hold) })
	t.Cleanup(release) // before the journal's Close, even on failure
	ipA, ipB := d.dhcp(macA, 100), d.dhcp(macB, 101)
	<-ks.entered // A's first record (its DHCP) is stuck in a sync

	answered := make(chan error, 1)
	go func() {
		_, err := d.get(ipA, "SEP"+keyA+".cnf.xml")
		answered <- err
	}()
	for { // A's request was handled: its answer is made, its offer recorded
		if s, _ := d.b.mgr.State(macA); s.Offer.Load != "" {
			break
		}
		time.Sleep(time.Millisecond)
	}
	keyB := session.NormalizeMAC(macB)
	for _, name := range []string{"CTLSEP" + keyB + ".tlv", "SEP" + keyB + ".cnf.xml", "SEP" + keyB + ".cnf.xml"} {
		if _, err := d.get(ipB, name); err != nil && !strings.Contains(name, ".tlv") {
			t.Fatalf("B's %s with A's sync stuck: %v", name, err)
		}
	}
	if got := d.kinds(macB); !slices.Contains(got, "offer") {
		t.Fatalf("B's records on disk once answered: %v, want its offer", got)
	}
	select {
	case err := <-answered:
		t.Fatalf("A got its config (%v) while its records were stuck in a sync", err)
	default:
	}
	if got := d.kinds(macA); slices.Contains(got, "offer") {
		t.Fatalf("A's offer on disk while its sync is stuck: %v", got)
	}

	release()
	if err := <-answered; err != nil {
		t.Fatalf("A's config once its sync returned: %v", err)
	}
	if got := d.kinds(macA); !slices.Contains(got, "offer") {
		t.Fatalf("A answered, but its records on disk are %v: the offer is missing", got)
	}
	if strings.Contains(d.logs.String(), "answering a phone before its records are on disk") {
		t.Errorf("an answer left early:\n%s", d.logs)
	}
}

// TestAnswerOnRefusingDisk: when the disk refuses a phone's records (EIO
// here; full or read-only in life) the phone is answered at once, without
// waiting for the bound, and that is logged once for the burst; once the
// disk takes them again, answers wait again, and that is logged too.
func TestAnswerOnRefusingDisk(t *testing.T) {
	keyA := session.NormalizeMAC(macA)
	ks := newKeySync(keyA)
	close(ks.hold)
	ks.fail.Store(true)
	d := newDurableBench(t, ks.sync)
	ipA := d.dhcp(macA, 100)
	for range 3 {
		if _, err := d.get(ipA, "SEP"+keyA+".cnf.xml"); err != nil {
			t.Fatalf("config on a refusing disk: %v", err)
		}
	}
	const early, again = "answering a phone before its records are on disk", "answers wait for their records again"
	if n := strings.Count(d.logs.String(), early); n != 1 || !strings.Contains(d.logs.String(), "input/output error") {
		t.Fatalf("%d lines about early answers for one burst, want 1 with the disk's error:\n%s", n, d.logs)
	}
	ks.fail.Store(false)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for !strings.Contains(d.logs.String(), again) { // the journal retries after a pause
		if ctx.Err() != nil {
			t.Fatalf("no line once the disk took the records again:\n%s", d.logs)
		}
		d.get(ipA, "SEP"+keyA+".cnf.xml")
	}
	if got := d.kinds(macA); !slices.Contains(got, "offer") {
		t.Fatalf("A's records once the disk works: %v", got)
	}
}

// TestRequestNamingAnotherPhone: an address that changed hands while the
// bench did not see it (another phone leased it from an appliance running
// on a temporary state directory) is taken for the phone the request's own
// name says, from its first CTLSEP<MAC>.tlv on: the requests that follow
// (XMLDefault.cnf.xml, the load's files) go to that phone's session, and
// the phone still leased the address keeps its history.
func TestRequestNamingAnotherPhone(t *testing.T) {
	d := newDurableBench(t, nil)
	ipA := d.dhcp(macA, 100)
	d.dhcp(macB, 101)
	keyB := session.NormalizeMAC(macB)
	d.flush()
	beforeA := d.kinds(macA)
	// B now holds A's address, unknown to the bench.
	d.get(ipA, "CTLSEP"+keyB+".tlv")
	if _, err := d.get(ipA, "XMLDefault.cnf.xml"); err != nil {
		t.Fatal(err)
	}
	d.flush()
	if got := d.kinds(macA); !slices.Equal(got, beforeA) {
		t.Errorf("A's history grew by B's requests: %v, was %v", got, beforeA)
	}
	if got := d.kinds(macB); !slices.Contains(got, "offer") {
		t.Errorf("B's history after its XMLDefault.cnf.xml from A's old address: %v, want its offer", got)
	}
	if mac, _ := d.b.leases.macAt(ipA); mac != keyB {
		t.Errorf("address %s taken for %s, want %s", ipA, mac, keyB)
	}
	if !strings.Contains(d.logs.String(), "names another phone than the one leased its address") {
		t.Errorf("the change of hands is not logged:\n%s", d.logs)
	}

	// A phone the bench does not follow, from B's address: B's history
	// stays B's.
	d.get(ipA, "SEP0022900000FF.cnf.xml")
	if mac, ok := d.b.leases.macAt(ipA); ok {
		t.Errorf("address %s still taken for %s after a stranger's request", ipA, mac)
	}
}
