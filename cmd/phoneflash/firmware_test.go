package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phoneflash/phoneflash/firmware/fwgen"
)

const fwScale = 1.0 / 64

// phoneflash runs the command line and returns its exit code and outputs.
func phoneflash(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// containers writes every container form of both synthetic loads.
func containers(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	paths := map[string]string{}
	for _, l := range fwgen.Loads() {
		for form, write := range map[string]func(string, fwgen.Load, float64) (string, error){
			"cop": fwgen.WriteCOP, "zip": fwgen.WriteZip, "tgz": fwgen.WriteTarGz,
		} {
			p, err := write(dir, l, fwScale)
			if err != nil {
				t.Fatal(err)
			}
			paths[form+"/"+l.Name] = p
		}
		folder := filepath.Join(dir, "loose-"+l.Name)
		if err := os.Mkdir(folder, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := fwgen.WriteLoad(folder, l, fwScale); err != nil {
			t.Fatal(err)
		}
		paths["folder/"+l.Name] = folder
	}
	return paths
}

func listWant(t *testing.T, loads ...fwgen.Load) string {
	t.Helper()
	rows := [][]string{{"LOAD", "PROTOCOL", "VERSION", "MODELS", "FILES", "BYTES", "KNOWN-GOOD"}}
	for _, l := range loads {
		files, err := fwgen.Files(l, fwScale)
		if err != nil {
			t.Fatal(err)
		}
		var total int
		for _, f := range files {
			total += len(f.Data)
		}
		proto, ver := "SIP", "9.4(2)SR1"
		if strings.HasPrefix(l.Name, "SCCP") {
			proto, ver = "SCCP", "8.5(2)"
		}
		rows = append(rows, []string{l.Name, proto, ver, "CP-7906G,CP-7911G", "8", fmt.Sprint(total), "0/8"})
	}
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%-19s%-10s%-11s%-19s%-7s%-8s%s\n", r[0], r[1], r[2], r[3], r[4], r[5], r[6])
	}
	return b.String()
}

// TestFirmwareImportList imports each container form into a fresh store and
// checks the list table; then both loads together.
func TestFirmwareImportList(t *testing.T) {
	srcs := containers(t)
	for _, form := range []string{"cop", "zip", "tgz", "folder"} {
		t.Run(form, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "fw")
			code, out, errs := phoneflash(t, "firmware", "import", "-firmware", dir, srcs[form+"/SIP11.9-4-2SR1-1S"], srcs[form+"/SCCP11.8-5-2S"])
			if code != exitOK {
				t.Fatalf("import exit %d: %s", code, errs)
			}
			if !strings.Contains(out, "added SCCP11.8-5-2S (SCCP 8.5(2), models CP-7906G,CP-7911G, 8 files,") ||
				!strings.Contains(out, "added SIP11.9-4-2SR1-1S (SIP 9.4(2)SR1, models CP-7906G,CP-7911G, 8 files,") {
				t.Errorf("import output:\n%s", out)
			}
			code, out, errs = phoneflash(t, "firmware", "list", "-firmware", dir)
			if code != exitOK {
				t.Fatalf("list exit %d: %s", code, errs)
			}
			if want := listWant(t, fwgen.SCCP852(), fwgen.SIP942()); !strings.HasPrefix(out, want+"\nMODEL ") {
				t.Errorf("list output:\n%s\nwant it to start:\n%s", out, want)
			}
			for _, line := range []string{"CP-7906G     SIP11.9-4-2SR1-1S  SCCP11.8-5-2S > SIP11.9-4-2SR1-1S\n",
				"CP-7965G     -                  import cmterm-7945_7965-sip.9-4-2SR3-1.cop.sgn\n"} {
				if !strings.Contains(out, line) {
					t.Errorf("list output lacks %q:\n%s", line, out)
				}
			}
			code, out, _ = phoneflash(t, "firmware", "import", "-firmware", dir, srcs[form+"/SIP11.9-4-2SR1-1S"])
			if code != exitOK || !strings.HasPrefix(out, "unchanged SIP11.9-4-2SR1-1S") {
				t.Errorf("re-import exit %d, output %q", code, out)
			}
			code, out, errs = phoneflash(t, "firmware", "verify", "-firmware", dir)
			if code != exitOK || out != "ok: 2 loads verified in "+dir+"\n" {
				t.Errorf("verify exit %d, output %q, errors %q", code, out, errs)
			}
		})
	}
}

func TestFirmwareVerifyRenamedTermFile(t *testing.T) {
	srcs := containers(t)
	dir := filepath.Join(t.TempDir(), "fw")
	if code, _, errs := phoneflash(t, "firmware", "import", "-firmware", dir, srcs["cop/SIP11.9-4-2SR1-1S"]); code != exitOK {
		t.Fatal(errs)
	}
	load := filepath.Join(dir, "SIP11.9-4-2SR1-1S")
	b, err := os.ReadFile(filepath.Join(load, "SIP11.9-4-2SR1-1S.loads"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(load, "term06.default.loads"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := phoneflash(t, "firmware", "verify", "-firmware", dir)
	if code != exitFailure {
		t.Errorf("verify exit %d, want %d", code, exitFailure)
	}
	want := "phoneflash firmware verify: SIP11.9-4-2SR1-1S/term06.default.loads: term06.default.loads is SIP11.9-4-2SR1-1S.loads renamed (its signed header says SIP11.9-4-2SR1-1S.loads): the phone checks that name and rejects the file; use the term06.default.loads shipped with the load\n"
	if errs != want {
		t.Errorf("verify errors:\n%s\nwant:\n%s", errs, want)
	}
}

func TestFirmwarePlan(t *testing.T) {
	srcs := containers(t)
	dir := filepath.Join(t.TempDir(), "fw")
	if code, _, errs := phoneflash(t, "firmware", "import", "-firmware", dir, srcs["zip/SIP11.9-4-2SR1-1S"]); code != exitOK {
		t.Fatal(errs)
	}
	code, out, errs := phoneflash(t, "firmware", "plan", "-firmware", dir, "-model", "7906", "-target", "SIP11.9-4-2SR1-1S")
	want := "phoneflash firmware plan: SIP11.9-4-2SR1-1S needs a stepping stone 8.3(3)-8.5(2) for phones older than 8.3(3): import cmterm-7911_7906-sccp.8-5-2.cop.sgn\n"
	if code != exitFailure || errs != want || out != "" {
		t.Errorf("plan without a stone: exit %d, stdout %q, stderr\n%s\nwant\n%s", code, out, errs, want)
	}
	code, out, _ = phoneflash(t, "firmware", "plan", "-firmware", dir, "-model", "CP-7906G", "-policy", "direct")
	if code != exitOK || out != "1. SIP11.9-4-2SR1-1S (target)\n" {
		t.Errorf("direct plan: exit %d, output %q", code, out)
	}
	if code, _, errs := phoneflash(t, "firmware", "import", "-firmware", dir, srcs["cop/SCCP11.8-5-2S"]); code != exitOK {
		t.Fatal(errs)
	}
	code, out, _ = phoneflash(t, "firmware", "plan", "-firmware", dir, "-model", "7911")
	if code != exitOK || out != "1. SCCP11.8-5-2S (stepping stone)\n2. SIP11.9-4-2SR1-1S (target)\n" {
		t.Errorf("stepping plan: exit %d, output %q", code, out)
	}
	code, out, _ = phoneflash(t, "firmware", "plan", "-firmware", dir, "-model", "7911", "-current", "SCCP11.8-5-2S")
	if code != exitOK || out != "1. SIP11.9-4-2SR1-1S (target)\n" {
		t.Errorf("plan from the stone: exit %d, output %q", code, out)
	}
}

func TestFirmwareUsage(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "notes.txt")
	os.WriteFile(bad, []byte("hello"), 0o644)
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string // substring
	}{
		{"no subcommand", []string{"firmware"}, exitUsage, "Usage: phoneflash firmware <import|list|verify|plan>"},
		{"unknown", []string{"firmware", "burn"}, exitUsage, `unknown subcommand "burn"`},
		{"import nothing", []string{"firmware", "import", "-firmware", dir}, exitUsage, "name at least one file or folder"},
		{"import bad flag", []string{"firmware", "import", "-x"}, exitUsage, "flag provided but not defined: -x"},
		{"import not firmware", []string{"firmware", "import", "-firmware", filepath.Join(dir, "fw"), bad}, exitFailure, "phoneflash firmware import: import " + bad + ": not a COP (.cop.sgn), zip, tar.gz or folder"},
		{"list missing store", []string{"firmware", "list", "-firmware", filepath.Join(dir, "nope")}, exitFailure, "phoneflash firmware list: firmware store: stat " + filepath.Join(dir, "nope") + ": no such file or directory"},
		{"list extra arg", []string{"firmware", "list", "x"}, exitUsage, `unexpected argument "x"`},
		{"plan no model", []string{"firmware", "plan", "-firmware", dir}, exitUsage, "-model is required"},
		{"plan bad model", []string{"firmware", "plan", "-firmware", dir, "-model", "7960"}, exitUsage, `-model: phone model "7960"`},
		{"plan bad current", []string{"firmware", "plan", "-firmware", dir, "-model", "7906", "-current", "newest"}, exitUsage, "-current: current load"},
		{"plan bad policy", []string{"firmware", "plan", "-firmware", dir, "-model", "7906", "-policy", "fast"}, exitUsage, `-policy: policy "fast"`},
		{"plan empty store", []string{"firmware", "plan", "-firmware", dir, "-model", "7906"}, exitFailure, "SIP11.9-4-2SR1-1S needs its own files in the firmware store: import cmterm-7911_7906-sip.9-4-2SR1-1.cop.sgn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errs := phoneflash(t, tt.args...)
			if code != tt.code || !strings.Contains(errs, tt.stderr) {
				t.Errorf("exit %d (want %d), stderr:\n%s\nwant it to contain:\n%s", code, tt.code, errs, tt.stderr)
			}
		})
	}
	for _, sub := range []string{"import", "list", "verify", "plan"} {
		code, _, errs := phoneflash(t, "firmware", sub, "-h")
		if code != exitOK || !strings.Contains(errs, "Usage: phoneflash firmware "+sub) || !strings.Contains(errs, "-firmware dir") {
			t.Errorf("%s -h: exit %d, %q", sub, code, errs)
		}
	}
	if code, _, errs := phoneflash(t, "firmware", "-h"); code != exitOK || !strings.Contains(errs, "plan") {
		t.Errorf("firmware -h: exit %d, %q", code, errs)
	}
	if code, out, _ := phoneflash(t, "firmware", "list", "-firmware", dir); code != exitOK || !strings.HasPrefix(out, "no loads in") {
		t.Errorf("empty list: exit %d, %q", code, out)
	}
}
