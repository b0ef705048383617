package appliance

import (
	"context"
	"image"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"periph.io/x/devices/v3/ssd1306/image1bit"

	"github.com/phoneflash/phoneflash/appliance/session"
	"github.com/phoneflash/phoneflash/appliance/status"
	"github.com/phoneflash/phoneflash/board"
	"github.com/phoneflash/phoneflash/board/sim"
	"github.com/phoneflash/phoneflash/internal/servicetest"
)

// phoneRecorder stands in for phonesim: it records which simulated phones
// run.
type phoneRecorder struct {
	mu      sync.Mutex
	running map[board.Channel]bool
	log     []string
}

func (p *phoneRecorder) Start(ch board.Channel) error { return p.set(ch, true) }
func (p *phoneRecorder) Stop(ch board.Channel) error  { return p.set(ch, false) }
func (p *phoneRecorder) set(ch board.Channel, on bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.running == nil {
		p.running = map[board.Channel]bool{}
	}
	p.running[ch] = on
	verb := "stop"
	if on {
		verb = "start"
	}
	p.log = append(p.log, verb+" "+string(rune('0'+ch)))
	return nil
}

func (p *phoneRecorder) Running(ch board.Channel) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.running[ch]
}

func (p *phoneRecorder) Log() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.log...)
}

func TestPowerDrivesSimulatedPhones(t *testing.T) {
	cfg := testConfig(t, "test-hw-a", "test-hw-b")
	phones := &phoneRecorder{}
	hw := sim.NewWith(2, sim.Options{Phones: phones})
	servicetest.Start(t, func(ctx context.Context) error { return runLoopback(ctx, cfg, hw) })
	ctx := t.Context()

	// Run powers every bench port, which starts its phone.
	waitFor(t, func() bool { return phones.Running(0) && phones.Running(1) })
	if err := setPortPower(ctx, hw, 1, false); err != nil {
		t.Fatal(err)
	}
	if phones.Running(1) || !phones.Running(0) {
		t.Fatal("power-off of port 2 did not stop exactly its phone")
	}
	if err := setPortPower(ctx, hw, 1, true); err != nil {
		t.Fatal(err)
	}
	if !phones.Running(1) {
		t.Fatal("power-on of port 2 did not start its phone again")
	}
	if err := cyclePort(ctx, hw, 0, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	want := []string{"start 0", "start 1", "stop 1", "start 1", "stop 0", "start 0"}
	if diff := cmp.Diff(want, phones.Log()); diff != "" {
		t.Errorf("phones (-want +got):\n%s", diff)
	}
	// The display shows the bench, and the system LED says ready.
	waitFor(t, func() bool { return frameCount(hw) > 0 && strings.Contains(hw.SimDisplay().Text(), "\u2800") })
	if hw.SimLEDs().System() != board.On {
		t.Errorf("system LED = %s, want on", hw.SimLEDs().System())
	}
}

func frameCount(hw *sim.Board) int { _, n := hw.SimDisplay().Frame(); return n }

func TestHardwareLoopShowsSnapshot(t *testing.T) {
	cfg := testConfig(t, "eth1", "eth2")
	hw := sim.New(2)
	var mu sync.Mutex
	snap := status.Snapshot{State: "no firmware", Target: DefaultTarget, Ports: []status.PortView{
		{Index: 0, Name: "eth1", Phones: []session.Phone{{MAC: "001B54AABBCC", Stage: session.StageLoading}}},
		{Index: 1, Name: "eth2", Phones: []session.Phone{{MAC: "001B54AABBCD", Stage: session.StageNeedsReset}}},
	}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- runHardware(ctx, cfg, hw, func() status.Snapshot { mu.Lock(); defer mu.Unlock(); return snap }, discard())
	}()
	leds := hw.SimLEDs()
	waitFor(t, func() bool {
		return leds.Port(0) == board.SlowBlink && leds.Port(1) == board.FastBlink && leds.System() == board.FastBlink
	})
	waitFor(t, func() bool { return frameCount(hw) > 0 })
	f, _ := hw.SimDisplay().Frame()
	want := status.Render(snap, 0)
	if diff := cmp.Diff(want.Pix, toPix(f)); diff != "" {
		t.Error("display does not show the rendered snapshot")
	}
	mu.Lock()
	snap.Ports[1].Phones[0].Stage = session.StageDone
	mu.Unlock()
	waitFor(t, func() bool { return leds.Port(1) == board.On })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// Unchanged patterns are not sent again.
	n := 0
	for _, c := range leds.Calls() {
		if c == "port 0 slow-blink" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("port 0 pattern sent %d times, want once", n)
	}
}

func toPix(img image.Image) []byte {
	if v, ok := img.(*image1bit.VerticalLSB); ok {
		return v.Pix
	}
	return nil
}
