package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phoneflash/phoneflash/firmware"
	"github.com/phoneflash/phoneflash/firmware/fwgen"
)

// importLoads writes the loads' COPs at scale and imports them into a new
// store with the extra flags of `firmware import`.
func importLoads(t *testing.T, scale float64, extra []string, loads ...fwgen.Load) string {
	t.Helper()
	dir := t.TempDir()
	fw := filepath.Join(dir, "fw")
	args := append([]string{"firmware", "import", "-firmware", fw}, extra...)
	for _, l := range loads {
		p, err := fwgen.WriteCOP(dir, l, scale)
		if err != nil {
			t.Fatal(err)
		}
		args = append(args, p)
	}
	if code, _, errs := phoneflash(t, args...); code != exitOK {
		t.Fatalf("import: exit %d: %s", code, errs)
	}
	return fw
}

// TestFirmwarePlanPerModel: with the 7911's and the 7942's loads in the
// store, each model plans through its own family's stepping stone; a
// store without a family's loads names its package.
func TestFirmwarePlanPerModel(t *testing.T) {
	f11, f42 := fwgen.Builtin("11"), fwgen.Builtin("42")
	fw := importLoads(t, fwScale, nil, f11.Stone(), f11.Target(), f42.Stone(), f42.Target())
	for model, want := range map[string]string{
		"7911": "1. SCCP11.8-5-2S (stepping stone)\n2. SIP11.9-4-2SR1-1S (target)\n",
		"7942": "1. SCCP42.8-5-2S (stepping stone)\n2. SIP42.9-4-2SR3-1S (target)\n",
		"62":   "1. SCCP42.8-5-2S (stepping stone)\n2. SIP42.9-4-2SR3-1S (target)\n",
	} {
		code, out, errs := phoneflash(t, "firmware", "plan", "-firmware", fw, "-state", t.TempDir(), "-model", model)
		if code != exitOK || out != want {
			t.Errorf("plan -model %s: exit %d\n%s%s\nwant\n%s", model, code, out, errs, want)
		}
	}
	code, _, errs := phoneflash(t, "firmware", "plan", "-firmware", fw, "-model", "7965")
	if want := "phoneflash firmware plan: the CP-7965G needs a SIP load of family 45 (SIP45.*) in the firmware store: import cmterm-7945_7965-sip.9-4-2SR3-1.cop.sgn\n"; code != exitFailure || errs != want {
		t.Errorf("plan -model 7965: exit %d, %q", code, errs)
	}
	// The 7942's target without its stone: the 7911's stone is no answer.
	fw = importLoads(t, fwScale, nil, f11.Stone(), f42.Target())
	code, _, errs = phoneflash(t, "firmware", "plan", "-firmware", fw, "-model", "7942")
	if want := "import cmterm-7942_7962-sccp.8-5-2.cop.sgn"; code != exitFailure || !strings.Contains(errs, want) {
		t.Errorf("7942 without its stone: exit %d, %q", code, errs)
	}
	code, out, _ := phoneflash(t, "firmware", "list", "-firmware", fw)
	if !strings.Contains(out, "SIP42.9-4-2SR3-1S  SIP       9.4(2)SR3  CP-7942G,CP-7962G") ||
		!strings.Contains(out, "CP-7962G     SIP42.9-4-2SR3-1S  import cmterm-7942_7962-sccp.8-5-2.cop.sgn\n") {
		t.Errorf("list: exit %d\n%s", code, out)
	}
}

// TestFirmwareModelFile: a row of -state's models.json lets the store take
// a family the built-in table lacks, and plan a phone of it; a bad file
// ends the command naming each mistake.
func TestFirmwareModelFile(t *testing.T) {
	state := t.TempDir()
	row := `{"models": [{"name": "CP-7999G", "family": "99", "term": "99", "device_type": 999, "xml_model": "Cisco IP Phone 7999", "cop": "7999"}]}`
	if err := os.WriteFile(filepath.Join(state, firmware.ModelFileName), []byte(row), 0o644); err != nil {
		t.Fatal(err)
	}
	table, err := firmware.ParseModels([]byte(row), firmware.BuiltinModels())
	if err != nil {
		t.Fatal(err)
	}
	f := fwgen.FamilyOf(table, "99")
	dir := t.TempDir()
	var cops []string
	for _, l := range []fwgen.Load{f.Stone(), f.Target()} {
		p, err := fwgen.WriteCOP(dir, l, fwScale)
		if err != nil {
			t.Fatal(err)
		}
		cops = append(cops, p)
	}
	fw := filepath.Join(dir, "fw")
	code, _, errs := phoneflash(t, append([]string{"firmware", "import", "-firmware", fw, "-state", t.TempDir()}, cops...)...)
	if code != exitFailure || !strings.Contains(errs, "family 99, which no model of the table runs") {
		t.Errorf("import without the row: exit %d, %q", code, errs)
	}
	if code, _, errs := phoneflash(t, append([]string{"firmware", "import", "-firmware", fw, "-state", state}, cops...)...); code != exitOK {
		t.Fatalf("import with the row: exit %d, %s", code, errs)
	}
	code, out, errs := phoneflash(t, "firmware", "plan", "-firmware", fw, "-state", state, "-model", "7999")
	if code != exitOK || out != "1. SCCP99.8-5-2S (stepping stone)\n2. SIP99.9-4-2SR3-1S (target)\n" {
		t.Errorf("plan -model 7999: exit %d, %q %q", code, out, errs)
	}
	bad := `{"models": [{"name": "CP-7999G", "famly": "99"}, {"name": "CP-7942G", "password": {"max": 100}}]}`
	if err := os.WriteFile(filepath.Join(state, firmware.ModelFileName), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs = phoneflash(t, "firmware", "list", "-firmware", fw, "-state", state)
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	if code != exitUsage || len(lines) != 2 || !strings.Contains(lines[0], `models.json: row 1 (CP-7999G): unknown field "famly"`) ||
		!strings.Contains(lines[1], "models.json: row 2 (CP-7942G): password.max 100: out of range") {
		t.Errorf("a bad models.json: exit %d:\n%s", code, errs)
	}
}

// TestServeModelFileMistakes: serve refuses to start on a bad models.json,
// one line per mistake naming the file, with the exit code of other
// configuration mistakes (125: gokrazy does not restart it).
func TestServeModelFileMistakes(t *testing.T) {
	state := t.TempDir()
	path := filepath.Join(state, firmware.ModelFileName)
	if err := os.WriteFile(path, []byte(`{"models": [{"name": "CP-7999G", "term": "42"}, {"name": "CP-7962G", "term": "11"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := phoneflash(t, "serve", "-ports", "lo", "-uplink", "none0", "-firmware", t.TempDir(), "-state", state, "-http", "")
	if code != exitConfig {
		t.Errorf("exit %d, want %d (a configuration that cannot work)", code, exitConfig)
	}
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines, want one per mistake:\n%s", len(lines), errs)
	}
	for _, l := range lines {
		if !strings.Contains(l, path+": row ") {
			t.Errorf("line %q does not name the file and its row", l)
		}
	}
	if !strings.Contains(errs, `row 2 (CP-7962G): term "11" is the CP-7906G's (family 11)`) && !strings.Contains(errs, `row 2 (CP-7962G): term "11" is the CP-7911G's (family 11)`) {
		t.Errorf("no line for the term another family has:\n%s", errs)
	}
}
