package appliance

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/phoneflash/phoneflash/appliance/status"
	"github.com/phoneflash/phoneflash/board"
	"github.com/phoneflash/phoneflash/board/sim"
	"github.com/phoneflash/phoneflash/internal/servicetest"
)

// faultyBoard is simulated hardware whose parts can go missing.
type faultyBoard struct {
	*sim.Board
	mu     sync.Mutex
	faults []board.Fault
}

func (f *faultyBoard) Faults() []board.Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]board.Fault(nil), f.faults...)
}

func (f *faultyBoard) set(fs ...board.Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = fs
}

// TestProblemsAndMissingHardwareShown: a configuration problem (the command
// line ran from a temporary directory because /perm could not be used) and
// hardware that does not answer are on the status line (configuration
// first), make /healthz answer 503 naming each, are listed on the page, and
// set the system LED: double blink for the PoE side, slow blink for a
// missing OLED.
func TestProblemsAndMissingHardwareShown(t *testing.T) {
	cfg := testConfig(t, "test-fb-a")
	cfg.Problems = []string{"state dir unusable"}
	cfg.HTTPAddr = freeAddr(t)
	hw := &faultyBoard{Board: sim.New(1)}
	hw.set(board.Fault{Part: board.PartSupply, Text: "no 48 V for PoE"})
	state := runWatched(t, &cfg, hw)
	base := "http://" + cfg.HTTPAddr
	waitFor(t, func() bool { code, _ := httpDo(t, "GET", base+"/healthz", "", ""); return code != 0 })

	waitFor(t, func() bool { return state() == "state dir unusable" })
	code, body := httpDo(t, "GET", base+"/healthz", "", "")
	if code != 503 || !strings.Contains(body, "degraded: state dir unusable") || !strings.Contains(body, "degraded: no 48 V for PoE") {
		t.Errorf("/healthz = %d %q, want 503 naming the state dir and the 48 V", code, body)
	}
	if _, page := httpDo(t, "GET", base+"/", "", ""); !strings.Contains(page, `class="msg err problem">no 48 V for PoE<`) {
		t.Errorf("the page does not list the missing 48 V:\n%s", page)
	}
	leds := hw.SimLEDs()
	waitFor(t, func() bool { return leds.System() == board.DoubleBlink })

	// Only the OLED is missing now: it is the status line (for the page's
	// copy) after the configuration problem, and the LED blinks slowly.
	hw.set(board.Fault{Part: board.PartDisplay, Text: "OLED missing"})
	waitFor(t, func() bool { return leds.System() == board.SlowBlink })
	if _, body := httpDo(t, "GET", base+"/healthz", "", ""); strings.Contains(body, "48 V") || !strings.Contains(body, "OLED missing") {
		t.Errorf("/healthz = %q after the 48 V came back", body)
	}
}

// runWatched runs the appliance on hw until the test ends and returns its
// status line as last observed.
func runWatched(t *testing.T, cfg *Config, hw board.Hardware) (state func() string) {
	t.Helper()
	var mu sync.Mutex
	var last status.Snapshot
	cfg.OnStatus = func(s status.Snapshot) { mu.Lock(); last = s; mu.Unlock() }
	servicetest.Start(t, func(ctx context.Context) error { return runLoopback(ctx, *cfg, hw) })
	return func() string { mu.Lock(); defer mu.Unlock(); return last.State }
}

// TestMissingHardwareOnStatusLine: with a usable /perm, a missing part is
// the status line itself, before missing firmware.
func TestMissingHardwareOnStatusLine(t *testing.T) {
	cfg := testConfig(t, "test-fb-b")
	hw := &faultyBoard{Board: sim.New(1)}
	hw.set(board.Fault{Part: board.PartPSE, Text: "PoE board missing"})
	state := runWatched(t, &cfg, hw)
	waitFor(t, func() bool { return state() == "PoE board missing" })
	hw.set()
	waitFor(t, func() bool { return state() == status.Ready })
}
