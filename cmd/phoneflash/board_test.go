package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeBadBoardProfileExit: a wrong -board-profile stops `serve -board
// pi` before any hardware is touched, with one line naming the field and
// exit code 125 (gokrazy does not restart it).
func TestServeBadBoardProfileExit(t *testing.T) {
	tests := []struct {
		name, json, want string
	}{
		{"oled address", `{"i2c_bus": "/dev/i2c-1", "oled": {"addr": "0x78"}, "ports": [{"interface": "lo"}]}`, "oled.addr 0x78"},
		{"port missing", `{"ports": [{"interface": "eth1"}]}`, "-ports lo: not in the board profile's ports (it has eth1)"},
		{"unknown field", `{"ports": [{"interface": "lo", "color": "red"}]}`, `unknown field "color"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prof := filepath.Join(t.TempDir(), "board.json")
			if err := os.WriteFile(prof, []byte(tt.json), 0o644); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			args := []string{"serve", "-ports", "lo", "-firmware", t.TempDir(), "-state", t.TempDir(), "-board", "pi", "-board-profile", prof}
			code := run(context.Background(), args, &stdout, &stderr)
			if code != exitConfig {
				t.Fatalf("exit code = %d, want %d; stderr: %s", code, exitConfig, stderr.String())
			}
			msg := stderr.String()
			if !strings.Contains(msg, tt.want) || !strings.Contains(msg, prof) || strings.Count(msg, "\n") != 1 {
				t.Fatalf("stderr = %q, want one line naming the file and %q", msg, tt.want)
			}
		})
	}
}

// TestServePinsFromProfile: the profile's pins of the ports served reach
// the configuration, with any -board.
func TestServePinsFromProfile(t *testing.T) {
	prof := filepath.Join(t.TempDir(), "board.json")
	if err := os.WriteFile(prof, []byte(`{"ports": [{"interface": "eth1", "usb_path": "1-1.3"}, {"interface": "eth2", "mac": "00:E0:4C:68:01:02"}, {"interface": "eth3"}, {"interface": "eth4", "usb_path": "1-1.4"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := serveConfig([]string{"-ports", "eth1,eth2,eth3", "-board", "none", "-board-profile", prof,
		"-firmware", t.TempDir(), "-state", t.TempDir()}, fakeEnv("eth1", "eth2", "eth3"), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Pins) != 2 || cfg.Pins[0].Port != "eth1" || cfg.Pins[0].USBPath != "1-1.3" ||
		cfg.Pins[1].Port != "eth2" || cfg.Pins[1].MAC.String() != "00:e0:4c:68:01:02" {
		t.Errorf("Pins = %+v, want eth1 by USB socket and eth2 by MAC (eth4 is not served)", cfg.Pins)
	}
}
