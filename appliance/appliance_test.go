package appliance

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/phoneflash/phoneflash/board"
	"github.com/phoneflash/phoneflash/board/sim"
	"github.com/phoneflash/phoneflash/firmware"
	"github.com/phoneflash/phoneflash/firmware/fwgen"
	"github.com/phoneflash/phoneflash/internal/servicetest"
)

func testConfig(t *testing.T, ports ...string) Config {
	t.Helper()
	cfg := Config{StateDir: t.TempDir(), FirmwareDir: t.TempDir(), Target: DefaultTarget, Board: "sim", LeaseTime: time.Hour}
	importFirmware(t, cfg.FirmwareDir)
	for i, p := range ports {
		cfg.Ports = append(cfg.Ports, Port{Name: p, Addr: DefaultPortAddr(i)})
	}
	return cfg
}

// importFirmware imports both synthetic loads, scaled down, into the store
// at dir, as a user would.
func importFirmware(t testing.TB, dir string) {
	t.Helper()
	src := t.TempDir()
	store, err := firmware.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range fwgen.Loads() {
		cop, err := fwgen.WriteCOP(src, l, 0.001)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.Import(cop); err != nil {
			t.Fatal(err)
		}
	}
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestRunStopsCleanlyAndLeavesHardwareSafe(t *testing.T) {
	cfg := testConfig(t, "test-run-a")
	hw := sim.New(1)
	stop := servicetest.Start(t, func(ctx context.Context) error { return runLoopback(ctx, cfg, hw) })
	waitFor(t, func() bool { return hw.SimLEDs().System() == board.On })
	stop()
	if !hw.Closed() || hw.SimLEDs().System() != board.Off {
		t.Fatalf("hardware not left safe: closed=%v system LED=%v", hw.Closed(), hw.SimLEDs().System())
	}
}

func TestSecondInstanceRefused(t *testing.T) {
	cfg := testConfig(t, "test-dup-a", "test-dup-b")
	hw := sim.New(2)
	stop := servicetest.Start(t, func(ctx context.Context) error { return runLoopback(ctx, cfg, hw) })
	waitFor(t, func() bool { return hw.SimLEDs().System() == board.On })

	// Same port, other state directory: refused by the port claim.
	other := testConfig(t, "test-dup-b")
	err := Run(context.Background(), other, sim.New(1), discard())
	if !errors.Is(err, ErrAlreadyRunning) {
		t.Fatalf("second Run on the same port = %v, want ErrAlreadyRunning", err)
	}
	// Other port, same state directory: refused by the lock file.
	same := testConfig(t, "test-dup-c")
	same.StateDir = cfg.StateDir
	err = Run(context.Background(), same, sim.New(1), discard())
	if !errors.Is(err, ErrAlreadyRunning) {
		t.Fatalf("second Run on the same state dir = %v, want ErrAlreadyRunning", err)
	}
	stop()
	// Once the first is gone, the port is free again.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel2()
	if err := runLoopback(ctx2, other, sim.New(1)); err != nil {
		t.Fatalf("Run after the first stopped = %v", err)
	}
}

func TestPool(t *testing.T) {
	tests := []struct {
		addr        string
		first, last string
	}{
		{"10.79.1.1/24", "10.79.1.100", "10.79.1.199"},
		{"10.80.0.1/23", "10.80.1.0", "10.80.1.254"},
		{"192.168.5.1/28", "192.168.5.8", "192.168.5.14"},
	}
	for _, tt := range tests {
		ports, err := ParsePorts("x=" + tt.addr)
		if err != nil {
			t.Fatal(err)
		}
		f, l := ports[0].Pool()
		if f.String() != tt.first || l.String() != tt.last {
			t.Errorf("Pool(%s) = %s-%s, want %s-%s", tt.addr, f, l, tt.first, tt.last)
		}
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRunFailsCleanlyWithoutFirmwareDir(t *testing.T) {
	cfg := testConfig(t, "test-net-a")
	cfg.FirmwareDir = filepath.Join(t.TempDir(), "missing")
	err := Run(context.Background(), cfg, nil, discard())
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Run without a firmware directory = %v, want a not-exist error", err)
	}
}
