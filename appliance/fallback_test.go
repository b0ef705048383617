package appliance_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/phoneflash/phoneflash/appliance"
	"github.com/phoneflash/phoneflash/appliance/session"
)

// writeRecords journals recs under stateDir, as a running appliance does.
func writeRecords(t *testing.T, stateDir string, recs ...session.Record) {
	t.Helper()
	if err := appliance.AppendRecords(stateDir, recs...); err != nil {
		t.Fatal(err)
	}
}

// TestMergeJournal: what was recorded in the fallback directory while
// /perm was read-only is appended to the real journal, phone by phone,
// only where it is newer than what the real journal holds.
func TestMergeJournal(t *testing.T) {
	state, fallback := t.TempDir(), t.TempDir()
	t0 := time.Date(2026, 12, 1, 13, 0, 0, 0, time.UTC)
	const a, b, c = "002290CC0001", "002290CC0002", "002290CC0003"
	writeRecords(t, state,
		session.Record{At: t0, MAC: a, Kind: "stage", Stage: "loading"},
		session.Record{At: t0.Add(10 * time.Second), MAC: b, Kind: "stage", Stage: "applying"})
	writeRecords(t, fallback,
		// a went on to done while the state directory was read-only.
		session.Record{At: t0.Add(5 * time.Second), MAC: a, Kind: "stage", Stage: "config"},
		session.Record{At: t0.Add(6 * time.Second), MAC: a, Kind: "stage", Stage: "done", Load: "SIP11.9-4-2SR1-1S"},
		// b's fallback records are older than the real journal's: left.
		session.Record{At: t0.Add(time.Second), MAC: b, Kind: "stage", Stage: "dhcp"},
		// c was seen only while it was read-only.
		session.Record{At: t0.Add(7 * time.Second), MAC: c, Kind: "stage", Stage: "dhcp"})

	phones, records, err := appliance.MergeJournal(state, fallback)
	if err != nil {
		t.Fatal(err)
	}
	if phones != 2 || records != 3 {
		t.Errorf("merged %d records of %d phones, want 3 of 2", records, phones)
	}
	want := map[string][]string{a: {"loading", "config", "done"}, b: {"applying"}, c: {"dhcp"}}
	for mac, stages := range want {
		h, err := appliance.History(state, mac)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range h.Records {
			got = append(got, r.Stage)
		}
		if len(got) != len(stages) {
			t.Errorf("%s: stages %v, want %v", mac, got, stages)
			continue
		}
		for i := range got {
			if got[i] != stages[i] {
				t.Errorf("%s: stages %v, want %v", mac, got, stages)
				break
			}
		}
	}
	if h, _ := appliance.History(state, a); h.Last().Load != "SIP11.9-4-2SR1-1S" {
		t.Errorf("a's last record %+v, want done on its target", h.Last())
	}
	// A second merge of the same directory takes nothing twice.
	if phones, records, err := appliance.MergeJournal(state, fallback); err != nil || phones != 0 || records != 0 {
		t.Errorf("second merge: %d records of %d phones, %v; want none", records, phones, err)
	}
}

// TestMergeJournalEmpty: a fallback directory without a journal changes
// nothing, and the state directory gets no journal from it.
func TestMergeJournalEmpty(t *testing.T) {
	state := t.TempDir()
	if phones, records, err := appliance.MergeJournal(state, t.TempDir()); err != nil || phones+records != 0 {
		t.Fatalf("MergeJournal = %d, %d, %v", phones, records, err)
	}
	if hs, err := appliance.Histories(state); err != nil || len(hs) != 0 {
		t.Fatalf("Histories = %v, %v", hs, err)
	}
}

// TestSeedAndMergeFallback: the fallback starts from a copy of the state
// (journal, leases, the page's password), a later start continues from
// it without copying again, and once the state takes writes again the
// leases the fallback changed and its newer records come back.
func TestSeedAndMergeFallback(t *testing.T) {
	state, fallback := t.TempDir(), t.TempDir()
	t0 := time.Now().Add(-time.Hour).UTC()
	const mac = "002290CC0002"
	writeRecords(t, state, session.Record{At: t0, MAC: mac, Kind: "stage", Stage: "done"})
	write := func(dir, name, data string, mtime time.Time) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, time.Time{}, mtime); err != nil {
			t.Fatal(err)
		}
	}
	read := func(dir, name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return "missing"
		}
		return string(b)
	}
	write(state, "leases-p1.json", "p1 snapshot: .100 is 0002", t0)
	write(state, "leases-p1.log", "p1 log", t0)
	write(state, "leases-p2.json", "p2 snapshot", t0)
	write(state, "web-password", "secret\n", t0)

	n, err := appliance.SeedFallback(state, fallback)
	if err != nil || n != 5 {
		t.Fatalf("SeedFallback = %d, %v; want 5 files (journal, 3 lease files, password)", n, err)
	}
	if got := read(fallback, "leases-p1.json"); got != "p1 snapshot: .100 is 0002" {
		t.Errorf("fallback leases: %q", got)
	}
	if h, _ := appliance.History(fallback, mac); len(h.Records) != 1 || h.Last().Stage != "done" {
		t.Errorf("fallback journal: %+v, want the state's", h.Records)
	}
	if read(fallback, "web-password") != "secret\n" {
		t.Error("the page's password did not come along: the user's actions would be refused")
	}
	// The appliance, from the fallback: a new phone, a new lease on p1.
	writeRecords(t, fallback, session.Record{At: t0.Add(time.Minute), MAC: "002290CC0000", Kind: "stage", Stage: "dhcp"})
	write(fallback, "leases-p1.json", "p1 snapshot: .100 is 0002, .101 is 0000", t0.Add(time.Minute))
	write(fallback, "leases-p1.log", "p1 log, fallback", t0.Add(time.Minute))
	// Restarted while still read-only: nothing copied over the continuation.
	if n, err := appliance.SeedFallback(state, fallback); err != nil || n != 0 {
		t.Fatalf("second SeedFallback = %d, %v; want none", n, err)
	}
	if got := read(fallback, "leases-p1.json"); got != "p1 snapshot: .100 is 0002, .101 is 0000" {
		t.Fatalf("second seed overwrote the fallback's leases: %q", got)
	}

	phones, records, err := appliance.MergeFallback(state, fallback)
	if err != nil || phones != 1 || records != 1 {
		t.Fatalf("MergeFallback = %d phones, %d records, %v; want 1, 1", phones, records, err)
	}
	if got := read(state, "leases-p1.json"); got != "p1 snapshot: .100 is 0002, .101 is 0000" {
		t.Errorf("p1 leases after the merge: %q", got)
	}
	if got := read(state, "leases-p1.log"); got != "p1 log, fallback" {
		t.Errorf("p1 lease log after the merge: %q", got)
	}
	if got := read(state, "leases-p2.json"); got != "p2 snapshot" {
		t.Errorf("p2 leases (unchanged in the fallback): %q", got)
	}
	if h, _ := appliance.History(state, "002290CC0000"); len(h.Records) != 1 {
		t.Errorf("the phone seen only in the fallback: %+v", h.Records)
	}
}
