// Package gokrazy_test checks the gokrazy instance in phoneflash/: its
// config.json decodes strictly against gokrazy's field names, every package
// it names exists and cross-builds for the Pi, and every command-line flag it
// passes is one the program defines.
package gokrazy_test

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/phoneflash/phoneflash/board"
)

const (
	module   = "github.com/phoneflash/phoneflash"
	instance = "phoneflash"
)

// The gokrazy instance config, field for field as gokrazy/internal
// config/config.go names them (hardware-and-gokrazy.md, section C.1).
type instanceConfig struct {
	Hostname                   string
	DeviceType                 string
	Update                     *updateStruct
	Environment                []string
	Packages                   []string
	PackageConfig              map[string]packageConfig
	SerialConsole              string
	GokrazyPackages            *[]string
	KernelPackage              *string
	FirmwarePackage            *string
	EEPROMPackage              *string
	KernelExtraArgs            []string
	BootloaderExtraLines       []string
	BootloaderExtraEEPROM      []string
	MountDevices               []struct{ Source, Type, Target, Options string }
	InternalCompatibilityFlags json.RawMessage
}

type updateStruct struct {
	Hostname     string
	UseTLS       string
	NoPassword   bool
	HTTPPort     string
	HTTPSPort    string
	HTTPPassword string
	CertPEM      string
	KeyPEM       string
}

type packageConfig struct {
	GoBuildEnvironment []string
	GoBuildFlags       []string
	GoBuildTags        []string
	ExtraFilePaths     map[string]string
	ExtraFileContents  map[string]string
	Basename           string
	Environment        []string
	CommandLineFlags   []string
	DontStart          bool
	WaitForClock       bool
	WaitFor            []string
}

func loadConfig(t *testing.T) instanceConfig {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(instance, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var cfg instanceConfig
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf("config.json does not decode strictly against gokrazy's field names: %v", err)
	}
	return cfg
}

func TestInstanceConfig(t *testing.T) {
	cfg := loadConfig(t)
	if cfg.Hostname != "phoneflash" {
		t.Errorf("Hostname = %q, want phoneflash", cfg.Hostname)
	}
	for _, pkg := range []string{module + "/cmd/phoneflash", module + "/cmd/boardcheck"} {
		if !slices.Contains(cfg.Packages, pkg) {
			t.Errorf("Packages lacks %s", pkg)
		}
	}
	if pc := cfg.PackageConfig[module+"/cmd/boardcheck"]; !pc.DontStart {
		t.Errorf("boardcheck must not start by default (DontStart)")
	}
	if dhcp := cfg.PackageConfig["github.com/gokrazy/gokrazy/cmd/dhcp"]; !slices.Contains(dhcp.CommandLineFlags, "-interface=eth0") {
		t.Errorf("gokrazy's DHCP client must be kept on the uplink: -interface=eth0, got %v", dhcp.CommandLineFlags)
	}
	if !slices.Contains(cfg.BootloaderExtraLines, "dtparam=i2c_arm=on") || !slices.Contains(cfg.BootloaderExtraLines, "dtparam=i2c_arm_baudrate=400000") {
		t.Errorf("BootloaderExtraLines must enable I2C at 400 kHz, got %v", cfg.BootloaderExtraLines)
	}
	if env := strings.Join(cfg.Environment, " "); !strings.Contains(env, "GOOS=linux") || !strings.Contains(env, "GOARCH=arm64") {
		t.Errorf("Environment = %v, want the Pi's GOOS=linux GOARCH=arm64 spelled out", cfg.Environment)
	}
	// gok refuses two packages that install the same extra file.
	installs := map[string]string{}
	for name, pc := range cfg.PackageConfig {
		for target := range pc.ExtraFilePaths {
			if other, dup := installs[target]; dup {
				t.Errorf("%s and %s both install %s (gok: extra files collide)", other, name, target)
			}
			installs[target] = name
		}
	}
	for name, pc := range cfg.PackageConfig {
		if pc.WaitForClock || slices.Contains(pc.WaitFor, "clock") {
			t.Errorf("%s waits for the clock; an offline bench never gets NTP", name)
		}
		for target, src := range pc.ExtraFilePaths {
			if strings.HasPrefix(target, "/perm") {
				t.Errorf("%s: extra file %s targets /perm, which the packer rejects", name, target)
			}
			if _, err := os.Stat(filepath.Join(instance, src)); err != nil {
				t.Errorf("%s: extra file source %s: %v", name, src, err)
			}
		}
	}
	// Our web page and gokrazy's own UI must not share a port.
	flags := cfg.PackageConfig[module+"/cmd/phoneflash"].CommandLineFlags
	ours := flagValue(flags, "-http")
	if _, port, err := net.SplitHostPort(ours); err != nil || cfg.Update == nil || port == cfg.Update.HTTPPort || port == cfg.Update.HTTPSPort {
		t.Errorf("phoneflash -http %q collides with gokrazy's web UI (Update %+v)", ours, cfg.Update)
	}
}

// TestReferenceBoardProfile checks that the profile shipped to the device is
// valid and describes exactly the bench ports the daemon serves.
func TestReferenceBoardProfile(t *testing.T) {
	cfg := loadConfig(t)
	pc := cfg.PackageConfig[module+"/cmd/phoneflash"]
	onDevice := flagValue(pc.CommandLineFlags, "-board-profile")
	src, ok := pc.ExtraFilePaths[onDevice]
	if !ok {
		t.Fatalf("-board-profile %s is not installed by ExtraFilePaths %v", onDevice, pc.ExtraFilePaths)
	}
	p, err := board.LoadProfile(filepath.Join(instance, src))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.CheckPorts(strings.Split(flagValue(pc.CommandLineFlags, "-ports"), ",")); err != nil {
		t.Fatalf("reference profile does not match -ports: %v", err)
	}
}

func flagValue(flags []string, name string) string {
	for _, f := range flags {
		if v, ok := strings.CutPrefix(f, name+"="); ok {
			return v
		}
	}
	return ""
}

// TestPackagesCrossBuildAndAcceptFlags builds every package of ours named in
// the config through the instance's builddir for the Pi (linux/arm64, no
// cgo), then builds it for this machine and runs it with its configured flags
// plus -h: a flag the program does not define fails the parse.
func TestPackagesCrossBuildAndAcceptFlags(t *testing.T) {
	cfg := loadConfig(t)
	builddir := copyBuilddir(t, filepath.Join(instance, "builddir", module))
	out := t.TempDir()
	var ours []string
	for _, pkg := range cfg.Packages {
		if strings.HasPrefix(pkg, module+"/") {
			ours = append(ours, pkg)
		}
	}
	cross := exec.Command("go", append([]string{"build", "-o", filepath.Join(out, "arm64") + "/"}, ours...)...)
	cross.Dir = builddir
	cross.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0", "GOFLAGS=-mod=mod")
	if b, err := cross.CombinedOutput(); err != nil {
		t.Fatalf("arm64 build through %s: %v\n%s", builddir, err, b)
	}
	for _, pkg := range ours {
		fi, err := os.Stat(filepath.Join(out, "arm64", filepath.Base(pkg)))
		if err != nil {
			t.Fatalf("arm64 binary of %s: %v", pkg, err)
		}
		t.Logf("arm64 %s: %d bytes", filepath.Base(pkg), fi.Size())
	}
	for name, pc := range cfg.PackageConfig {
		if !strings.HasPrefix(name, module+"/") {
			continue
		}
		if !slices.Contains(cfg.Packages, name) {
			t.Errorf("PackageConfig for %s, which Packages does not list", name)
			continue
		}
		bin := filepath.Join(out, filepath.Base(name))
		if b, err := exec.Command("go", "build", "-o", bin, name).CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", name, err, b)
		}
		run := exec.Command(bin, append(append([]string{}, pc.CommandLineFlags...), "-h")...)
		b, err := run.CombinedOutput()
		if err != nil || bytes.Contains(b, []byte("flag provided but not defined")) {
			t.Errorf("%s %v -h: %v\n%s", filepath.Base(name), pc.CommandLineFlags, err, b)
		}
	}
}

// copyBuilddir copies the instance's builddir for this module to a temporary
// folder, with its replace directive pointing at this checkout and the
// module's go.sum (what `make image` copies in), so the test builds what gok
// builds without writing into the tree.
func copyBuilddir(t *testing.T, dir string) string {
	t.Helper()
	gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	replace := "replace " + module + " => ../../../../../.."
	if !bytes.Contains(gomod, []byte(replace)) {
		t.Fatalf("%s/go.mod lacks %q (the builddir must build this checkout)", dir, replace)
	}
	gomod = bytes.Replace(gomod, []byte(replace), []byte("replace "+module+" => "+root), 1)
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	if err := os.WriteFile(filepath.Join(tmp, "go.mod"), gomod, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tmp, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
	return tmp
}

// TestGokrazyDHCPFlags checks the flags we pass to gokrazy's own DHCP client
// against its source in the module cache (it cannot be built from our
// module: its dependencies are gokrazy's, resolved by gok at image time).
func TestGokrazyDHCPFlags(t *testing.T) {
	cfg := loadConfig(t)
	const pkg = "github.com/gokrazy/gokrazy/cmd/dhcp"
	// The version the instance's builddir pins for gok; `go mod download`
	// fetches it into the module cache without touching go.mod.
	version := pinnedVersion(t, pkg)
	out, err := exec.Command("go", "mod", "download", "-json", "github.com/gokrazy/gokrazy@"+version).Output()
	if err != nil {
		t.Fatalf("fetching gokrazy %s into the module cache: %v", version, err)
	}
	var mod struct{ Dir string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		t.Fatalf("go mod download: %v %s", err, out)
	}
	dir := mod.Dir
	defined := definedFlags(t, filepath.Join(dir, "cmd", "dhcp"))
	for _, f := range cfg.PackageConfig[pkg].CommandLineFlags {
		name, _, _ := strings.Cut(strings.TrimLeft(f, "-"), "=")
		if !defined[name] {
			t.Errorf("%s has no flag -%s (it defines %v)", pkg, name, defined)
		}
	}
}

// pinnedVersion is the version of pkg's module that the instance's
// builddir requires (gok builds pkg with that go.mod).
func pinnedVersion(t *testing.T, pkg string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(instance, "builddir", pkg, "go.mod"))
	if err != nil {
		t.Fatalf("%s is not pinned in the builddir: %v", pkg, err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[0] == "require" && f[1] == "github.com/gokrazy/gokrazy" {
			return f[2]
		}
	}
	t.Fatalf("the builddir's go.mod of %s requires no github.com/gokrazy/gokrazy:\n%s", pkg, b)
	return ""
}

// definedFlags lists the names passed to flag.String, flag.Int, … in dir.
func definedFlags(t *testing.T, dir string) map[string]bool {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); !ok || id.Name != "flag" {
				return true
			}
			if lit, ok := call.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil {
					names[s] = true
				}
			}
			return true
		})
	}
	if len(names) == 0 {
		t.Fatalf("no flags found in %s", dir)
	}
	return names
}
