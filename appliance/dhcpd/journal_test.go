package dhcpd

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

// bindPhone runs DISCOVER and REQUEST for mac.
func bindPhone(t *testing.T, s *Server, mac net.HardwareAddr) {
	t.Helper()
	offer := s.Handle(message(t, dhcpv4.MessageTypeDiscover, mac))
	if offer == nil {
		t.Fatalf("no offer for %s", mac)
	}
	if ack := s.Handle(request(t, mac, addrOf(offer.YourIPAddr), our)); ack == nil || ack.MessageType() != dhcpv4.MessageTypeAck {
		t.Fatalf("no ACK for %s: %v", mac, ack)
	}
}

func TestJournal(t *testing.T) {
	phone3 := net.HardwareAddr{0x00, 0x1b, 0xd4, 0x77, 0x88, 0x99}
	dir := t.TempDir()
	opts := Options{Config: testCfg, StateDir: dir, Now: func() time.Time { return t0 }}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	bindPhone(t, s, phone1) // .100
	bindPhone(t, s, phone2) // .101
	bindPhone(t, s, phone3) // .102
	// phone2 declines its address: its binding is gone.
	s.Handle(message(t, dhcpv4.MessageTypeDecline, phone2, dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(second.AsSlice()))))

	// An ACK appends to the journal; no snapshot is written yet.
	b, err := os.ReadFile(journalPath(dir, "eth1"))
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(string(b), "\n"); lines != 4 {
		t.Errorf("journal has %d lines, want 4 (3 ACKs, 1 decline):\n%s", lines, b)
	}
	if _, err := os.Stat(leasePath(dir, "eth1")); err == nil {
		t.Error("a snapshot was written for 3 ACKs; want journal appends only")
	}
	// A power cut tore the last append.
	f, err := os.OpenFile(journalPath(dir, "eth1"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"mac":"00:1b:d4:aa:bb:cc","ip":"10.79.`)
	f.Close()

	s2, err := New(opts) // restart: snapshot + journal replay
	if err != nil {
		t.Fatal(err)
	}
	for ip, want := range map[string]string{"10.79.1.100": phone1.String(), "10.79.1.102": phone3.String()} {
		if mac, ok := s2.LeaseByIP(netip.MustParseAddr(ip)); !ok || mac.String() != want {
			t.Errorf("after restart %s is held by %v, %v; want %s", ip, mac, ok, want)
		}
	}
	if mac, ok := s2.LeaseByIP(second); ok {
		t.Errorf("after restart the declined %s is held by %s", second, mac)
	}
	if st := s2.Status(); st.Leases != 2 {
		t.Errorf("status after restart: %d leases, want 2", st.Leases)
	}
	// The restart folded the journal (and its torn line) into the snapshot.
	if _, err := os.Stat(journalPath(dir, "eth1")); err == nil {
		t.Error("journal still there after the restart folded it")
	}
	if _, err := os.Stat(leasePath(dir, "eth1")); err != nil {
		t.Errorf("no snapshot after the restart: %v", err)
	}
}

func TestJournalCompacts(t *testing.T) {
	dir := t.TempDir()
	s, err := New(Options{Config: testCfg, StateDir: dir, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	bindPhone(t, s, phone1)
	s.saveMu.Lock()
	s.journalLines = minCompact // as if many changes had been appended
	s.saveMu.Unlock()
	bindPhone(t, s, phone2)
	if _, err := os.Stat(journalPath(dir, "eth1")); err == nil {
		t.Error("journal not emptied by the compaction")
	}
	recs, err := readLeases(dir, "eth1")
	if err != nil || len(recs) != 2 {
		t.Fatalf("snapshot after compaction: %v, %v; want both leases", recs, err)
	}
	bindPhone(t, s, net.HardwareAddr{0x00, 0x1b, 0xd4, 0, 0, 1})
	if b, err := os.ReadFile(filepath.Join(dir, "leases-eth1.log")); err != nil || strings.Count(string(b), "\n") != 1 {
		t.Errorf("journal after compaction + 1 ACK: %q, %v; want one line", b, err)
	}
}
