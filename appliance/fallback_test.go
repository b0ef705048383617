package appliance

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/phoneflash/phoneflash/appliance/status"
	"github.com/phoneflash/phoneflash/board/sim"
	"github.com/phoneflash/phoneflash/internal/servicetest"
)

// TestFallBackShowsUnusablePerm: a /perm that is missing (state) or not a
// directory (firmware) is replaced by temporary directories, the appliance
// runs, and its status line says what is wrong.
func TestFallBackShowsUnusablePerm(t *testing.T) {
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, "test-fb-a")
	cfg.StateDir = "/nonexistent-perm/phoneflash/state"
	cfg.FirmwareDir = notDir
	replaced := cfg.FallBack()
	if len(replaced) != 2 || !strings.Contains(replaced[0], "-firmware "+notDir) || !strings.Contains(replaced[1], "-state /nonexistent-perm") {
		t.Fatalf("FallBack = %q, want both directories replaced", replaced)
	}
	defer os.RemoveAll(cfg.StateDir)
	defer os.RemoveAll(cfg.FirmwareDir)
	if cfg.StateDir == "/nonexistent-perm/phoneflash/state" || cfg.FirmwareDir == notDir {
		t.Fatalf("directories not replaced: %+v", cfg)
	}
	var mu sync.Mutex
	var last status.Snapshot
	cfg.OnStatus = func(s status.Snapshot) { mu.Lock(); last = s; mu.Unlock() }
	stop := servicetest.Start(t, func(ctx context.Context) error { return runLoopback(ctx, cfg, sim.New(1)) })
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return last.State != "" })
	mu.Lock()
	got := last.State
	mu.Unlock()
	if got != "firmware dir unusable" {
		t.Errorf("status line = %q, want the firmware problem first", got)
	}
	stop()
}
