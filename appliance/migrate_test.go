package appliance

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/phoneflash/phoneflash/appliance/journal"
	"github.com/phoneflash/phoneflash/appliance/session"
	"github.com/phoneflash/phoneflash/board"
	"github.com/phoneflash/phoneflash/firmware"
	"github.com/phoneflash/phoneflash/firmware/fwgen"
	"github.com/phoneflash/phoneflash/internal/fwtest"
)

// oldState is a state directory as the appliance wrote it on 2026-11-29:
// four phones (one still on the stepping stone), their lease logs, the
// account table and the manifests of the two loads, made by fwgen at the
// scale oldScale.
const (
	oldState = "../testdata/state-2026-11-29"
	oldScale = 0.02
)

// TestMigrateState20261129 starts the session side of the appliance on a
// copy of that state directory, with a firmware store whose files fwgen
// makes again and whose manifests are the old ones: the store verifies, the
// four phones resume where they were, the report and the page's history
// read their old records, and what they do next is appended to their old
// files, readably.
func TestMigrateState20261129(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(oldState)); err != nil {
		t.Fatal(err)
	}
	cfg := Config{StateDir: filepath.Join(dir, "state"), FirmwareDir: filepath.Join(dir, "store"),
		AccountsFile: filepath.Join(dir, "accounts.csv"), Target: DefaultTarget, LeaseTime: time.Hour}
	for i := range 4 {
		cfg.Ports = append(cfg.Ports, Port{Name: "pfdzp" + string(rune('1'+i)), Addr: DefaultPortAddr(i)})
	}
	oldFirmware(t, cfg.FirmwareDir)
	before := journalFiles(t, cfg.StateDir)

	b, err := newBench(cfg, board.None{}, discard())
	if err != nil {
		t.Fatal(err)
	}
	defer b.close()
	type phone struct{ Model, Port, Stage, Load, Account string }
	want := map[string]phone{
		"002290DE0001": {"CP-7906G", "pfdzp1", "stepping", "SCCP11.8-5-2S", "1001"},
		"002290DE0002": {"CP-7906G", "pfdzp2", "done", DefaultTarget, ""},
		"002290DE0003": {"CP-7911G", "pfdzp3", "done", DefaultTarget, "1003"},
		"002290DE0004": {"CP-7906G", "pfdzp4", "done", DefaultTarget, "1004"},
	}
	got := map[string]phone{}
	for _, p := range b.mgr.Snapshot() {
		s, _ := b.mgr.State(p.MAC)
		got[p.MAC] = phone{p.Model, p.Port, string(p.Stage), p.Load, s.Account}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("phones resumed (-want +got):\n%s", diff)
	}

	checkReport(t, b, []string{
		"002290DE0001,CP-7906G,SCCP with a CUCM trust list,SCCP11.8-5-2S,,in progress (stepping),",
		"002290DE0002,CP-7906G,unknown (factory reset),SIP11.9-4-2SR1-1S,,done (no account),20",
		"002290DE0003,CP-7911G,SCCP (load unknown),SIP11.9-4-2SR1-1S,1003,done,10",
		"002290DE0004,CP-7906G,SCCP (load unknown),SIP11.9-4-2SR1-1S,1004,done (password refused),8",
	})
	recs, err := b.history("00:22:90:de:00:03")
	if err != nil || len(recs) != 22 || recs[0].Stage != "dhcp" || recs[21].Kind != session.RestartKind {
		t.Fatalf("history of 002290DE0003: %d records, %v; want the 21 old ones and the restart", len(recs), err)
	}

	finishSteppingPhone(t, b, "002290DE0001")
	b.close()
	after := journalFiles(t, cfg.StateDir)
	for mac, old := range before {
		if !bytes.HasPrefix(after[mac], old) || len(after[mac]) == len(old) {
			t.Errorf("%s: the old journal is not a prefix of the new one, or nothing was appended", mac)
		}
	}
	hs, err := Histories(cfg.StateDir)
	if err != nil || len(hs) != 4 {
		t.Fatalf("%d histories after the restart: %v", len(hs), err)
	}
	for _, h := range hs {
		if h.Damaged != 0 || strings.Count(string(after[h.MAC]), "\n") != len(h.Records) {
			t.Errorf("%s: %d damaged lines, %d records of %d lines", h.MAC, h.Damaged, len(h.Records), strings.Count(string(after[h.MAC]), "\n"))
		}
	}
	checkReport(t, b, []string{"002290DE0001,CP-7906G,SCCP with a CUCM trust list,SIP11.9-4-2SR1-1S,1001,done,"})
}

// oldFirmware makes both loads' files with fwgen at the old scale, puts the
// old manifests in their place, and checks that the store verifies.
func oldFirmware(t *testing.T, dir string) {
	t.Helper()
	store := fwtest.OpenStore(t, dir)
	src := t.TempDir()
	for _, l := range fwgen.Loads() {
		old, err := os.ReadFile(filepath.Join(oldState, "firmware", l.Name, firmware.ManifestName))
		if err != nil {
			t.Fatal(err)
		}
		cop, err := fwgen.WriteCOP(src, l, oldScale)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.Import(cop); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, l.Name, firmware.ManifestName), old, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.Reload(); err != nil {
		t.Fatal(err)
	}
	if rep := store.Verify(); len(rep.Problems) > 0 || len(store.Loads()) != 2 {
		t.Fatalf("store with the old manifests: %d loads, problems %v", len(store.Loads()), rep.Problems)
	}
}

// journalFiles reads every phone's journal file, by MAC.
func journalFiles(t *testing.T, stateDir string) map[string][]byte {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(stateDir, journal.Subdir, "*.jsonl"))
	out := map[string][]byte{}
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(filepath.Base(n), ".jsonl")] = data
	}
	if len(out) != 4 {
		t.Fatalf("%d journal files, want 4", len(out))
	}
	return out
}

// checkReport flushes the journal and checks that the report has a line
// starting with each of prefixes.
func checkReport(t *testing.T, b *bench, prefixes []string) {
	t.Helper()
	if err := b.jrnl.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := b.report(&buf); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(rows) != 5 || strings.Join(rows[0], ",") != strings.Join(session.CSVHeader, ",") {
		t.Fatalf("report: %d rows, %v", len(rows), err)
	}
	for _, p := range prefixes {
		found := false
		for _, r := range rows[1:] {
			found = found || strings.HasPrefix(strings.Join(r, ","), p)
		}
		if !found {
			t.Errorf("report lacks a line starting %q:\n%v", p, rows)
		}
	}
}

// finishSteppingPhone takes the phone left on the stepping stone to the
// target: it fetches the target's images (the store serves them), reboots
// on SIP and asks for its config.
func finishSteppingPhone(t *testing.T, b *bench, mac string) {
	t.Helper()
	target, _ := b.store.Load(DefaultTarget)
	for _, img := range target.Images {
		a := b.mgr.Handle(session.TFTPRequest{MAC: mac, File: img})
		c, err := b.answer(a)
		if err != nil {
			t.Fatalf("%s: %s not served after the restart: %+v, %v", mac, img, a, err)
		}
		c.Close()
		if f, _ := target.File(img); c.Size != f.Size || f.Size == 0 {
			t.Fatalf("%s: %s served with %d bytes, want the manifest's %d", mac, img, c.Size, f.Size)
		}
		b.mgr.Handle(session.TFTPDone{MAC: mac, File: img})
	}
	for _, f := range []string{"CTLSEP" + mac + ".tlv", "ITLSEP" + mac + ".tlv", "ITLFile.tlv", "SEP" + mac + ".cnf.xml"} {
		b.mgr.Handle(session.TFTPRequest{MAC: mac, File: f})
	}
	if s, _ := b.mgr.State(mac); s.Stage != session.StageDone || s.Label != "1001" {
		t.Fatalf("%s: %s with account %q after installing the target, want done with 1001", mac, s.Stage, s.Label)
	}
}
