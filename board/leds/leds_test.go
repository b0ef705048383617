package leds

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jonboulle/clockwork"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"github.com/phoneflash/phoneflash/board"
	"github.com/phoneflash/phoneflash/internal/clocktest"
)

func pins(n int) []*gpiotest.Pin {
	out := make([]*gpiotest.Pin, n)
	for i := range out {
		out[i] = &gpiotest.Pin{N: "GPIO", Num: 17 + i, L: gpio.High}
	}
	return out
}

func outs(ps []*gpiotest.Pin) []gpio.PinOut {
	out := make([]gpio.PinOut, len(ps))
	for i, p := range ps {
		out[i] = p
	}
	return out
}

// sample advances the fake clock one step at a time and records each pin's
// level after the step, as '#' (high) or '-' (low).
func sample(t *testing.T, l *LEDs, clock *clockwork.FakeClock, ps []*gpiotest.Pin, steps int) []string {
	t.Helper()
	got := make([]string, len(ps))
	for s := 0; s < steps; s++ {
		want := l.steps.Load() + 1
		clocktest.Tick(t, clock, Step)
		deadline := time.Now().Add(5 * time.Second)
		for l.steps.Load() < want {
			if time.Now().After(deadline) {
				t.Fatal("blink goroutine did not take its step")
			}
			time.Sleep(100 * time.Microsecond)
		}
		for i, p := range ps {
			if p.Read() == gpio.High {
				got[i] += "#"
			} else {
				got[i] += "-"
			}
		}
	}
	return got
}

func TestPatternTimings(t *testing.T) {
	clock := clockwork.NewFakeClock()
	ps := pins(5)
	l, err := New(outs(ps[:4]), ps[4], &Opts{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for i, p := range []board.Pattern{board.On, board.SlowBlink, board.FastBlink, board.DoubleBlink} {
		if err := l.SetPort(i, p); err != nil {
			t.Fatal(err)
		}
	}
	// The system LED stays off. Steps 1..20 after the start (step 0).
	got := sample(t, l, clock, ps, 20)
	want := []string{
		"####################", // on
		"####-----#####-----#", // slow blink: 500 ms on, 500 ms off
		"-#-#-#-#-#-#-#-#-#-#", // fast blink: 100 ms on, 100 ms off
		"-#-------#-#-------#", // double blink: two 100 ms flashes a second
		"--------------------", // off
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("levels per step (-want +got):\n%s", diff)
	}
}

func TestSetTakesEffectAtOnceAndCloseTurnsOff(t *testing.T) {
	clock := clockwork.NewFakeClock()
	ps := pins(2)
	l, err := New(outs(ps[:1]), ps[1], &Opts{Clock: clock, ActiveLow: true})
	if err != nil {
		t.Fatal(err)
	}
	if ps[0].Read() != gpio.High || ps[1].Read() != gpio.High {
		t.Fatal("active-low LEDs not switched off (high) at start")
	}
	if err := l.SetSystem(board.On); err != nil {
		t.Fatal(err)
	}
	if ps[1].Read() != gpio.Low {
		t.Error("active-low system LED not lit (low) right after SetSystem(On)")
	}
	if err := l.SetPort(1, board.On); err == nil || !strings.Contains(err.Error(), "port 1 out of range 0..0") {
		t.Errorf("SetPort(1) on one port = %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if ps[1].Read() != gpio.High {
		t.Error("system LED still lit after Close")
	}
	if err := l.SetSystem(board.On); err == nil {
		t.Error("SetSystem after Close succeeded")
	}
}

func TestMissingPinsAreSkipped(t *testing.T) {
	ps := pins(1)
	l, err := New([]gpio.PinOut{nil, ps[0]}, nil, &Opts{Clock: clockwork.NewFakeClock()})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for i := 0; i < 2; i++ {
		if err := l.SetPort(i, board.On); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.SetSystem(board.FastBlink); err != nil {
		t.Fatal(err)
	}
	if ps[0].Read() != gpio.High {
		t.Error("port 1 LED not lit")
	}
}

func TestLit(t *testing.T) {
	if Lit(board.Pattern(99), 0) || !Lit(board.On, -3) || Lit(board.SlowBlink, 15) {
		t.Error("Lit: unknown pattern, negative step or second-cycle step wrong")
	}
}
