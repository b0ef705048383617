package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/phoneflash/phoneflash/appliance"
	"github.com/phoneflash/phoneflash/appliance/journal"
	"github.com/phoneflash/phoneflash/appliance/session"
	"github.com/phoneflash/phoneflash/firmware"
	"github.com/phoneflash/phoneflash/firmware/fwgen"
	"github.com/phoneflash/phoneflash/internal/ziptest"
)

// exportBench is a state directory as a bench leaves it (a journal of
// three phones, one forgotten, and an uploaded account table) and a
// firmware store with the target.
func exportBench(t *testing.T) (state, fw string) {
	t.Helper()
	state, fw = t.TempDir(), firmwareStore(t, 0.001, fwgen.SIP942())
	table := "mac,extension,password,pbx_host,preset,timezone\n00:1b:d4:79:11:01,1001,pw1001,192.0.2.10,freepbx-pjsip,Europe/London\n,1002,pw1002,192.0.2.10,,\n"
	if err := os.WriteFile(filepath.Join(state, "accounts.csv"), []byte(table), 0o644); err != nil {
		t.Fatal(err)
	}
	j, err := journal.Open(state, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	tgt := appliance.DefaultTarget
	for _, r := range []session.Record{
		{At: at, MAC: "001BD4791101", Port: "eth1", Model: "CP-7911G", Kind: "stage", Stage: "done", Load: tgt, Target: tgt, Account: "1001", Result: "done"},
		{At: at, MAC: "001BD4790602", Port: "eth2", Model: "CP-7906G", Kind: "stage", Stage: "done", Load: tgt, Target: tgt, Result: "done (no account)"},
		{At: at, MAC: "001BD4790603", Port: "eth3", Model: "CP-7906G", Kind: "stage", Stage: "done", Load: tgt, Target: tgt, Account: "1002", Result: "done"},
		{At: at.Add(time.Minute), MAC: "001BD4790603", Port: "eth3", Model: "CP-7906G", Kind: session.ForgetKind, Stage: "done"},
	} {
		if err := j.Append(r.MAC, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	return state, fw
}

// TestExport: phoneflash export writes, from real state and firmware
// directories, a zip holding the config of the phone with an account (its
// preset's TCP, its time zone, the real PBX), nothing for the phone
// without one (the README says so), nothing of the forgotten one, the
// target's files byte for byte, and no bench address anywhere.
func TestExport(t *testing.T) {
	state, fw := exportBench(t)
	out := filepath.Join(t.TempDir(), "office.zip")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"export", "-state", state, "-firmware", fw, "-out", out}, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "wrote "+out) {
		t.Errorf("stdout %q", stdout.String())
	}
	files := ziptest.File(t, out)
	cfg := string(files["SEP001BD4791101.cnf.xml"])
	for _, want := range []string{"<processNodeName>192.0.2.10</processNodeName>", "<transportLayerProtocol>1</transportLayerProtocol>",
		"<timeZone>GMT Standard/Daylight Time</timeZone>", "<authPassword>pw1001</authPassword>", "<dialTemplate>dialplan.xml</dialTemplate>"} {
		if !strings.Contains(cfg, want) {
			t.Errorf("SEP001BD4791101.cnf.xml lacks %s:\n%s", want, cfg)
		}
	}
	for _, absent := range []string{"SEP001BD4790602.cnf.xml", "SEP001BD4790603.cnf.xml"} {
		if _, ok := files[absent]; ok {
			t.Errorf("bundle holds %s", absent)
		}
	}
	readme := string(files["README.txt"])
	if !strings.Contains(readme, "001BD4790602  CP-7906G  line -\n      no account") || strings.Contains(readme, "001BD4790603") {
		t.Errorf("README.txt:\n%s", readme)
	}
	if def := string(files["XMLDefault.cnf.xml"]); !strings.Contains(def, "loadInformation307") || !strings.Contains(def, "loadInformation369") {
		t.Errorf("XMLDefault.cnf.xml:\n%s", def)
	}
	if !strings.HasPrefix(string(files["dialplan.xml"]), "<DIALTEMPLATE>") {
		t.Errorf("dialplan.xml: %q", files["dialplan.xml"])
	}
	store, _ := firmware.OpenStore(fw)
	load, _ := store.Load(appliance.DefaultTarget)
	for _, f := range load.Files {
		stored, _ := os.ReadFile(filepath.Join(fw, load.Name, f.Name))
		if !bytes.Equal(stored, files[f.Name]) {
			t.Errorf("%s is not the store's copy", f.Name)
		}
	}
	for name, data := range files {
		if bytes.Contains(data, []byte("10.79.")) {
			t.Errorf("%s names a bench address", name)
		}
	}
}

// TestExportFailures: each problem is one line; a bad flag exits 2, an
// export that cannot be written or read exits 1 and leaves an earlier
// bundle as it was, with no temporary file beside it.
func TestExportFailures(t *testing.T) {
	state, fw := exportBench(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "office.zip")
	os.WriteFile(out, []byte("the earlier bundle"), 0o644)
	os.Mkdir(filepath.Join(dir, "adir"), 0o755)
	os.WriteFile(filepath.Join(dir, "adir", "x"), nil, 0o644)
	base := []string{"export", "-state", state, "-firmware", fw}
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{nil, exitUsage, "phoneflash export: -out FILE.zip is required"},
		{[]string{"-out", out, "-pbx-preset", "nope"}, exitUsage, `phoneflash export: -pbx-preset: unknown PBX preset "nope"`},
		{[]string{"-out", filepath.Join(dir, "no", "such", "x.zip")}, exitFailure, "phoneflash export: -out " + filepath.Join(dir, "no", "such", "x.zip") + ": its directory"},
		{[]string{"-out", "/proc/office.zip"}, exitFailure, "phoneflash export: -out /proc/office.zip: cannot write in /proc ("},
		{[]string{"-out", filepath.Join(dir, "adir")}, exitFailure, "phoneflash export: -out " + filepath.Join(dir, "adir") + ": atomic write of " + filepath.Join(dir, "adir") + ": rename "},
		{[]string{"-out", out, "-target", "SIP11.9-9-9"}, exitFailure, "phoneflash export: -target SIP11.9-9-9: not in the firmware store"},
		{[]string{"-out", out, "-firmware", filepath.Join(dir, "none")}, exitFailure, "phoneflash export: -firmware "},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append(slices.Clone(base), tt.args...), &stdout, &stderr)
		if code != tt.code || !strings.HasPrefix(stderr.String(), tt.want) || strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want %d, %q", tt.args, code, stderr.String(), tt.code, tt.want)
		}
	}
	// A store file that changed since import fails the copy half way.
	store, _ := firmware.OpenStore(fw)
	load, _ := store.Load(appliance.DefaultTarget)
	img := filepath.Join(fw, load.Name, load.Images[len(load.Images)-1])
	data, _ := os.ReadFile(img)
	os.WriteFile(img, append(data, 0), 0o644)
	var stderr bytes.Buffer
	if code := run(context.Background(), append(base, "-out", out), io.Discard, &stderr); code != exitFailure || !strings.Contains(stderr.String(), "phoneflash firmware verify") {
		t.Errorf("corrupt store: exit %d, %q", code, stderr.String())
	}
	if b, _ := os.ReadFile(out); string(b) != "the earlier bundle" {
		t.Errorf("the earlier bundle changed: %q", b)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 2 {
		t.Errorf("left behind: %v", ents)
	}
}
