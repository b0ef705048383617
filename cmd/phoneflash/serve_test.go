package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phoneflash/phoneflash/appliance"
)

func fakeEnv(names ...string) appliance.Env {
	return appliance.Env{Interfaces: func() ([]net.Interface, error) {
		var out []net.Interface
		for i, n := range names {
			out = append(out, net.Interface{Index: i + 1, Name: n})
		}
		return out, nil
	}}
}

func TestServeFlagValidation(t *testing.T) {
	dir := t.TempDir()
	fw := filepath.Join(dir, "fw")
	st := filepath.Join(dir, "state")
	ro := filepath.Join(dir, "ro")
	file := filepath.Join(dir, "file")
	for _, d := range []string{fw, st, ro} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	base := []string{"-firmware", fw, "-state", st}
	env := fakeEnv("lo", "eth0", "eth1", "eth2")
	tests := []struct {
		name string
		args []string
		want string // substring of the error; "" means valid
	}{
		{"valid", []string{"-ports", "eth1,eth2"}, ""},
		{"valid override", []string{"-ports", "eth1=10.80.0.1/24,eth2"}, ""},
		{"no ports", []string{}, "-ports: no bench port given"},
		{"unknown interface", []string{"-ports", "eth1,nosuch0"}, `no network interface "nosuch0"`},
		{"missing but waited for", []string{"-ports", "eth1,nosuch0", "-wait-ports"}, ""},
		{"listed twice", []string{"-ports", "eth1,eth1"}, `"eth1" is listed twice`},
		{"uplink as port", []string{"-ports", "eth0,eth1"}, `"eth0" is the uplink`},
		{"other uplink", []string{"-ports", "eth0,eth1", "-uplink", "eth2"}, ""},
		{"empty entry", []string{"-ports", "eth1,,eth2"}, "entry 2 is empty"},
		{"bad port address", []string{"-ports", "eth1=10.79.1.1"}, "not an IPv4 address with a prefix length"},
		{"network address", []string{"-ports", "eth1=10.79.1.0/24"}, "is the network address"},
		{"shared subnet", []string{"-ports", "eth1=10.79.1.1/24,eth2=10.79.1.2/24"}, "share subnet"},
		{"firmware dir cannot be created", []string{"-ports", "eth1", "-firmware", filepath.Join(file, "fw")}, "-firmware " + filepath.Join(file, "fw") + ": directory does not exist and cannot be created (not a directory)"},
		{"firmware is a file", []string{"-ports", "eth1", "-firmware", file}, "not a directory"},
		{"bad http", []string{"-ports", "eth1", "-http", "nonsense"}, `-http "nonsense": not HOST:PORT`},
		{"bad http port", []string{"-ports", "eth1", "-http", "127.0.0.1:99999"}, "is not a number from 0 to 65535"},
		{"bad http host", []string{"-ports", "eth1", "-http", "example.com:80"}, "is not an IP address"},
		{"unknown board", []string{"-ports", "eth1", "-board", "arduino"}, `-board "arduino": unknown board`},
		{"pi without profile", []string{"-ports", "eth1", "-board", "pi"}, "-board pi needs -board-profile"},
		{"missing accounts", []string{"-ports", "eth1", "-accounts", filepath.Join(dir, "none.csv")}, "-accounts"},
		{"bad target", []string{"-ports", "eth1", "-target", "a/b"}, "not a load name"},
		{"short lease", []string{"-ports", "eth1", "-lease-time", "10s"}, "too short"},
		{"stray argument", []string{"-ports", "eth1", "extra"}, `unexpected argument "extra"`},
	}
	if os.Geteuid() != 0 { // root writes anywhere
		tests = append(tests, struct {
			name string
			args []string
			want string
		}{"unwritable state", []string{"-ports", "eth1", "-state", ro}, "not writable"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			_, _, err := serveConfig(append(append([]string{}, base...), tt.args...), env, &stderr)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is not one line: %q", err)
			}
		})
	}
}

// TestServeCreatesMissingDirs: a freshly formatted /perm is empty; serve
// creates /perm/phoneflash/firmware and .../state with their parents and
// runs from them, with no problem on the status line.
func TestServeCreatesMissingDirs(t *testing.T) {
	perm := t.TempDir()
	fw := filepath.Join(perm, "phoneflash", "firmware")
	st := filepath.Join(perm, "phoneflash", "state")
	cfg, _, err := serveConfig([]string{"-ports", "eth1", "-firmware", fw, "-state", st, "-perm-fallback"}, fakeEnv("eth1"), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{fw, st} {
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
			t.Fatalf("%s not created: %v", d, err)
		}
		if left, _ := os.ReadDir(d); len(left) != 0 {
			t.Errorf("%s: the write check left %v", d, left)
		}
	}
	if cfg.FirmwareDir != fw || cfg.StateDir != st || len(cfg.Problems) != 0 {
		t.Fatalf("config = %s %s %q, want the /perm directories and no problem", cfg.FirmwareDir, cfg.StateDir, cfg.Problems)
	}
}

// TestServeUnknownInterfaceExit runs the real command line against this
// machine's interfaces: one line naming the interface, exit code 2.
func TestServeUnknownInterfaceExit(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown interface", []string{"-ports", "nosuch0"}, "nosuch0"},
		{"unknown flag", []string{"-ports", "lo", "-colour", "red"}, "flag provided but not defined: -colour"},
		{"bad value", []string{"-ports", "lo", "-lease-time", "soon"}, `invalid value "soon" for flag -lease-time`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"serve", "-firmware", t.TempDir(), "-state", t.TempDir()}, tt.args...)
			code := run(context.Background(), args, &stdout, &stderr)
			if code != exitConfig {
				t.Fatalf("exit code = %d, want %d (gokrazy: do not restart); stderr: %s", code, exitConfig, stderr.String())
			}
			msg := stderr.String()
			if !strings.Contains(msg, tt.want) || strings.Count(msg, "\n") != 1 {
				t.Fatalf("stderr = %q, want one line containing %q", msg, tt.want)
			}
		})
	}
}

func TestSubcommandsHelpAndStubs(t *testing.T) {
	for _, c := range commands() {
		if c.run == nil {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), []string{c.name, "-h"}, &stdout, &stderr); code != exitOK {
				t.Fatalf("%s -h: exit %d, stderr %s", c.name, code, stderr.String())
			}
			if !strings.Contains(stderr.String(), "Usage: phoneflash "+c.name) {
				t.Fatalf("%s -h printed %q", c.name, stderr.String())
			}
		})
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"bogus"}, &stdout, &stderr); code != exitUsage {
		t.Fatalf("unknown subcommand: exit %d", code)
	}
	stderr.Reset()
	if code := run(context.Background(), []string{"version"}, &stdout, &stderr); code != exitOK || !strings.HasPrefix(stdout.String(), "phoneflash ") {
		t.Fatalf("version: exit %d, out %q", code, stdout.String())
	}
}
