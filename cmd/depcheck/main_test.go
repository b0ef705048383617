package main

import (
	"strings"
	"testing"

	"github.com/phoneflash/phoneflash/internal/treetest"
)

const mod = "github.com/phoneflash/phoneflash"

func TestCheckRules(t *testing.T) {
	tests := []struct {
		name string
		pkg  Package
		want string // substring of the one violation, "" for none
	}{
		{"firmware stdlib ok", Package{ImportPath: mod + "/firmware", Deps: []string{"archive/tar", "crypto/sha1"}}, ""},
		{"firmware external", Package{ImportPath: mod + "/firmware", Deps: []string{"golang.org/x/sync/errgroup"}}, "standard library only"},
		{"firmware std-only internal ok", Package{ImportPath: mod + "/firmware", Deps: []string{mod + "/internal/atomicfile", "os"}}, ""},
		{"firmware internal with more", Package{ImportPath: mod + "/firmware", Deps: []string{mod + "/internal/namespace", "github.com/vishvananda/netns"}}, "standard library only"},
		{"firmware imports board", Package{ImportPath: mod + "/firmware", Deps: []string{mod + "/board"}}, "standard library only"},
		{"appliance periph host", Package{ImportPath: mod + "/appliance", Deps: []string{"periph.io/x/host/v3"}}, "periph.io/x/host"},
		{"appliance sub pi", Package{ImportPath: mod + "/appliance/web", Imports: []string{mod + "/board/pi"}, Deps: []string{mod + "/board/pi"}}, "board/pi"},
		{"appliance conn ok", Package{ImportPath: mod + "/appliance", Deps: []string{"periph.io/x/conn/v3"}}, ""},
		{"cmd imports pi ok", Package{ImportPath: mod + "/cmd/phoneflash", Imports: []string{mod + "/board/pi"}}, ""},
		{"board imports pi", Package{ImportPath: mod + "/board/sim", Imports: []string{mod + "/board/pi"}}, "only cmd/"},
		{"import cmd", Package{ImportPath: mod + "/appliance", Imports: []string{mod + "/cmd/phonesim"}}, "nothing imports cmd/"},
		{"dhcpd session", Package{ImportPath: mod + "/appliance/dhcpd", Deps: []string{mod + "/appliance/session"}}, "knows nothing of sessions"},
		{"tftpd board", Package{ImportPath: mod + "/appliance/tftpd", Deps: []string{mod + "/board"}}, "knows nothing of sessions"},
		{"journal stdlib ok", Package{ImportPath: mod + "/appliance/journal", Deps: []string{"encoding/json", "log/slog"}}, ""},
		{"journal imports session", Package{ImportPath: mod + "/appliance/journal", Deps: []string{mod + "/appliance/session"}}, "standard library only"},
		{"session firmware ok", Package{ImportPath: mod + "/appliance/session", Imports: []string{"time", mod + "/firmware"}}, ""},
		{"session imports journal", Package{ImportPath: mod + "/appliance/session", Imports: []string{mod + "/appliance/journal"}}, "only firmware types"},
		{"session test imports journal ok", Package{ImportPath: mod + "/appliance/session", ForTest: mod + "/appliance/session", Imports: []string{mod + "/appliance/journal"}}, ""},
		{"sipwatch session", Package{ImportPath: mod + "/appliance/sipwatch", Deps: []string{mod + "/appliance/session"}}, "knows nothing of sessions"},
		{"registrar board", Package{ImportPath: mod + "/appliance/registrar", Deps: []string{mod + "/board"}}, "knows nothing of sessions"},
		{"device binary links testing", Package{ImportPath: mod + "/cmd/phoneflash", Deps: []string{mod + "/internal/kamailio", "testing"}}, "does not link testing"},
		{"device binary's tests link testing ok", Package{ImportPath: mod + "/cmd/phoneflash", ForTest: mod + "/cmd/phoneflash", Deps: []string{"testing"}}, ""},
		{"other commands may link testing", Package{ImportPath: mod + "/cmd/phonesim", Deps: []string{"testing"}}, ""},
		{"registrar sipwatch ok", Package{ImportPath: mod + "/appliance/registrar", Deps: []string{mod + "/appliance/sipwatch"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Check(mod, []Package{tt.pkg})
			if tt.want == "" {
				if len(got) != 0 {
					t.Fatalf("Check = %v, want no violation", got)
				}
				return
			}
			if len(got) == 0 || !strings.Contains(got[0].String(), tt.want) {
				t.Fatalf("Check = %v, want a violation containing %q", got, tt.want)
			}
		})
	}
}

// TestDeliberateBadImport builds a throwaway module with the bad imports the
// rules forbid and checks that depcheck finds each through real `go list`.
func TestDeliberateBadImport(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":               "module " + mod + "\n\ngo 1.26\n",
		"board/pi/pi.go":       "package pi\n",
		"firmware/fw.go":       "package firmware\n\nimport _ \"" + mod + "/board/pi\"\n",
		"appliance/a.go":       "package appliance\n\nimport _ \"" + mod + "/board/pi\"\n",
		"appliance/ok/ok.go":   "package ok\n\nimport _ \"strings\"\n",
		"internal/helper/h.go": "package helper\n\nimport _ \"testing\"\n",
		"cmd/phoneflash/m.go":  "package main\n\nimport (\n\t_ \"" + mod + "/board/pi\"\n\t_ \"" + mod + "/internal/helper\"\n)\n\nfunc main() {}\n",
	}
	treetest.Write(t, dir, files)
	gotMod, pkgs, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	if gotMod != mod {
		t.Fatalf("module = %q, want %q", gotMod, mod)
	}
	vs := Check(gotMod, pkgs)
	var lines []string
	for _, v := range vs {
		lines = append(lines, v.String())
	}
	all := strings.Join(lines, "\n")
	for _, want := range []string{
		mod + "/firmware imports " + mod + "/board/pi: firmware uses the standard library only",
		mod + "/appliance imports " + mod + "/board/pi: only cmd/... imports board/pi",
		mod + "/cmd/phoneflash imports testing: the device binary does not link testing",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("violations:\n%s\nmissing %q", all, want)
		}
	}
	for _, l := range lines {
		if strings.Contains(l, "/cmd/phoneflash imports "+mod) || strings.Contains(l, "appliance/ok") {
			t.Errorf("false positive: %s", l)
		}
	}
}

// TestThisModule keeps the real tree honest.
func TestThisModule(t *testing.T) {
	m, pkgs, err := List("../..")
	if err != nil {
		t.Fatal(err)
	}
	if vs := Check(m, pkgs); len(vs) > 0 {
		t.Fatalf("dependency rules broken: %v", vs)
	}
}
