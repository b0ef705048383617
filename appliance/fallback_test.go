package appliance_test

import (
	"context"
	"testing"
	"time"

	"github.com/phoneflash/phoneflash/appliance"
	"github.com/phoneflash/phoneflash/appliance/journal"
	"github.com/phoneflash/phoneflash/appliance/session"
)

// writeRecords journals recs under stateDir through the appliance's own
// journal, as a running appliance does.
func writeRecords(t *testing.T, stateDir string, recs ...session.Record) {
	t.Helper()
	j, err := journal.Open(stateDir, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if err := j.Append(r.MAC, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(context.Background()); err != nil {
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
