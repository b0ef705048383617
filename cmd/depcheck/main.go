// Binary depcheck enforces phoneflash's package dependency rules (design.md,
// "Code layout"). It runs `go list` on a module and exits 1 listing every
// violation:
//
//   - nothing imports cmd/...
//   - only cmd/... imports board/pi
//   - appliance/... never depends on periph.io/x/host
//   - firmware/... depends on the standard library only, and on the module's
//     internal/... packages that themselves use only it
//   - appliance/journal depends on the standard library only
//   - appliance/session imports, of this module, only firmware
//   - appliance/dhcpd, tftpd, netconf, route, sipwatch, registrar and
//     checksync know nothing of sessions or the board
//   - the device binary cmd/phoneflash does not link the testing package
//     (helpers for tests live in packages only tests import)
//
// Usage: go run ./cmd/depcheck [-C dir]
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
)

// Package is the part of `go list -json` the rules look at.
type Package struct {
	ImportPath string
	Imports    []string
	Deps       []string
	Standard   bool
	ForTest    string // set on a package's test variant
	Module     *struct{ Path string }
}

// Violation is one broken rule.
type Violation struct {
	Package string
	Import  string
	Rule    string
}

func (v Violation) String() string {
	return fmt.Sprintf("%s imports %s: %s", v.Package, v.Import, v.Rule)
}

func isStd(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

func under(path, root string) bool { return path == root || strings.HasPrefix(path, root+"/") }

// Check applies the rules to the packages of module mod.
func Check(mod string, pkgs []Package) []Violation {
	var out []Violation
	add := func(p, imp, rule string) { out = append(out, Violation{p, imp, rule}) }
	for _, p := range pkgs {
		path := p.ImportPath
		for _, imp := range p.Imports {
			if under(imp, mod+"/cmd") {
				add(path, imp, "nothing imports cmd/")
			}
			if under(imp, mod+"/board/pi") && !under(path, mod+"/cmd") {
				add(path, imp, "only cmd/... imports board/pi")
			}
		}
		if under(path, mod+"/appliance") {
			for _, d := range p.Deps {
				if under(d, "periph.io/x/host") || under(d, mod+"/board/pi") {
					add(path, d, "appliance/... must not depend on periph.io/x/host or board/pi")
				}
			}
		}
		if under(path, mod+"/firmware") {
			for _, d := range p.Deps {
				// Deps is transitive: an internal package that uses more than
				// the standard library brings its own deps into this list.
				if !isStd(d) && !under(d, mod+"/firmware") && !under(d, mod+"/internal") {
					add(path, d, "firmware uses the standard library only")
				}
			}
		}
		if path == mod+"/appliance/journal" && p.ForTest == "" {
			for _, d := range p.Deps {
				if !isStd(d) {
					add(path, d, "the journal uses the standard library only")
				}
			}
		}
		if under(path, mod+"/appliance/session") && p.ForTest == "" { // its tests run it against the real journal
			for _, imp := range p.Imports {
				if !isStd(imp) && !under(imp, mod+"/firmware") && !under(imp, mod+"/appliance/session") {
					add(path, imp, "session imports only firmware types")
				}
			}
		}
		if path == mod+"/cmd/phoneflash" && p.ForTest == "" {
			for _, d := range p.Deps {
				if d == "testing" {
					add(path, d, "the device binary does not link testing: put test helpers in a package only tests import")
				}
			}
		}
		for _, leaf := range []string{"dhcpd", "tftpd", "netconf", "route", "sipwatch", "registrar", "checksync"} {
			if !under(path, mod+"/appliance/"+leaf) {
				continue
			}
			for _, d := range p.Deps {
				if under(d, mod+"/appliance/session") || under(d, mod+"/board") {
					add(path, d, leaf+" reports through callbacks and knows nothing of sessions or the board")
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// List runs `go list -json ./...` in dir and returns the module path and its
// packages, tests included.
func List(dir string) (string, []Package, error) {
	cmd := exec.Command("go", "list", "-e", "-test", "-json", "./...")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", nil, fmt.Errorf("go list in %s: %w: %s", dir, err, stderr.String())
	}
	var pkgs []Package
	mod := ""
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p Package
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return "", nil, fmt.Errorf("decoding go list output: %w", err)
		}
		if p.Module != nil && mod == "" {
			mod = p.Module.Path
		}
		// Test variants are listed as "path [path.test]"; check them as path.
		p.ImportPath, _, _ = strings.Cut(p.ImportPath, " ")
		if strings.HasSuffix(p.ImportPath, ".test") {
			continue
		}
		pkgs = append(pkgs, p)
	}
	if mod == "" {
		return "", nil, fmt.Errorf("go list in %s: no module found", dir)
	}
	return mod, pkgs, nil
}

func main() {
	dir := flag.String("C", ".", "module `dir`ectory to check")
	flag.Parse()
	mod, pkgs, err := List(*dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "depcheck:", err)
		os.Exit(2)
	}
	vs := Check(mod, pkgs)
	for _, v := range vs {
		fmt.Fprintln(os.Stderr, "depcheck:", v)
	}
	if len(vs) > 0 {
		os.Exit(1)
	}
	fmt.Printf("depcheck: %d packages of %s follow the dependency rules\n", len(pkgs), mod)
}
