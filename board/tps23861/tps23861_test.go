package tps23861

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jonboulle/clockwork"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/conn/v3/i2c/i2ctest"
	"periph.io/x/conn/v3/physic"

	"github.com/phoneflash/phoneflash/board"
	"github.com/phoneflash/phoneflash/internal/clocktest"
)

// Transcript helpers: a register write, and a register read answering v.
func w(reg, v byte) i2ctest.IO { return i2ctest.IO{Addr: DefaultAddr, W: []byte{reg, v}} }
func r(reg byte, v ...byte) i2ctest.IO {
	return i2ctest.IO{Addr: DefaultAddr, W: []byte{reg}, R: v}
}

// initOps is the semi-auto set-up of datasheet/TI main_semi_auto.c: mode,
// DC disconnect, detect/class enable, interrupt mask, general mask 1 by
// read-modify-write (read as 0x00 here), clear interrupts, and the input
// voltage read (0x3333 = 48.0 V).
func initOps(general byte) []i2ctest.IO {
	return initOpsFrom(0x00, general, 0x3333)
}

// initOpsFrom is initOps with general mask 1 read as gmRead and the input
// voltage register answering vpwr.
func initOpsFrom(gmRead, general byte, vpwr uint16) []i2ctest.IO {
	return []i2ctest.IO{w(0x12, 0xAA), w(0x13, 0x0F), w(0x14, 0xFF), w(0x01, 0xF7),
		r(0x17, gmRead), w(0x17, general), w(0x1A, 0x80), r(0x2E, byte(vpwr), byte(vpwr>>8))}
}

// statusOps answers one channel's status: port status, power status,
// current, voltage.
func statusOps(ch, port, power byte, cur, volt uint16) []i2ctest.IO {
	return []i2ctest.IO{
		r(0x0C+ch, port), r(0x10, power),
		r(0x30+4*ch, byte(cur), byte(cur>>8)), r(0x32+4*ch, byte(volt), byte(volt>>8)),
	}
}

// eventOps answers one poll of the five clear-on-read event registers, with
// no supply event.
func eventOps(power, detect, fault, ilim byte) []i2ctest.IO {
	return supplyEventOps(power, detect, fault, ilim, 0)
}

func supplyEventOps(power, detect, fault, ilim, supply byte) []i2ctest.IO {
	return []i2ctest.IO{r(0x03, power), r(0x05, detect), r(0x07, fault), r(0x09, ilim), r(0x0B, supply)}
}

func cat(parts ...[]i2ctest.IO) []i2ctest.IO {
	var out []i2ctest.IO
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func newDev(t *testing.T, ops []i2ctest.IO, opts *Opts) (*Dev, *i2ctest.Playback) {
	t.Helper()
	bus := &i2ctest.Playback{Ops: ops, DontPanic: true}
	d, err := New(bus, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return d, bus
}

func closeBus(t *testing.T, bus *i2ctest.Playback) {
	t.Helper()
	if err := bus.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestNew(t *testing.T) {
	pin := &gpiotest.Pin{N: "INT", EdgesChan: make(chan gpio.Level, 1)}
	tests := []struct {
		name string
		opts *Opts
		ops  []i2ctest.IO
	}{
		{"defaults", nil, initOps(0x00)},
		{"250 mOhm shunt", &Opts{ShuntMilliOhm: 250}, initOps(0x01)},
		{"interrupt pin", &Opts{Int: pin}, initOps(0x80)},
		// General mask 1 is read, modified and written back: MAINS (b4) and
		// the reserved bits stay, a stale 250 mΩ bit is cleared for 255 mΩ.
		{"general mask kept", nil, initOpsFrom(0x1F, 0x1E, 0x3333)},
		{"general mask kept, 250 mOhm and INT", &Opts{ShuntMilliOhm: 250, Int: pin}, initOpsFrom(0x10, 0x91, 0x3333)},
		{"other address", &Opts{Addr: 0x28}, func() []i2ctest.IO {
			ops := initOps(0)
			for i := range ops {
				ops[i].Addr = 0x28
			}
			return ops
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, bus := newDev(t, tt.ops, tt.opts)
			closeBus(t, bus)
		})
	}
	if pin.P != gpio.PullUp {
		t.Errorf("interrupt pin pull = %s, want PullUp", pin.P)
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		opts Opts
		want string
	}{
		{Opts{Addr: 0x80}, "not a 7-bit"},
		{Opts{ShuntMilliOhm: 100}, "255 or 250"},
		{Opts{Poll: -time.Second}, "negative"},
	}
	for _, tt := range tests {
		bus := &i2ctest.Playback{DontPanic: true}
		if _, err := New(bus, &tt.opts); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%+v) = %v, want error containing %q", tt.opts, err, tt.want)
		}
	}
	// A chip that does not answer fails at the first write, naming the address.
	bus := &i2ctest.Playback{DontPanic: true}
	if _, err := New(bus, nil); err == nil || !strings.Contains(err.Error(), "init at 0x20") {
		t.Errorf("New on an empty bus = %v, want an init error", err)
	}
}

func TestStatus(t *testing.T) {
	ops := cat(initOps(0),
		// ch0: valid 25k signature, class 2, enabled and power good; current
		// 0x03B6 = 950 LSB with stray top bits, voltage 0x3333 = 13107 LSB.
		statusOps(0, 0x24, 0x11, 0xC3B6, 0x3333),
		// ch3: open circuit, not classified, off.
		statusOps(3, 0x06, 0x11, 0, 0),
		// ch1: class 0 (code 6), legacy capacitance (code 9).
		statusOps(1, 0x69, 0x00, 0, 0),
	)
	d, bus := newDev(t, ops, nil)
	ctx := context.Background()
	want := []board.PortStatus{
		{Channel: 0, Detect: board.DetectValid, Class: 2, Enabled: true, PowerGood: true,
			CurrentA: 950 * 61.039e-6, VoltageV: 13107 * 3.662e-3},
		{Channel: 3, Detect: board.DetectOpen, Class: -1},
		{Channel: 1, Detect: board.DetectLegacy, Class: 0},
	}
	for _, w := range want {
		got, err := d.Status(ctx, w.Channel)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(w, got, cmp.Comparer(approx)); diff != "" {
			t.Errorf("Status(%d) (-want +got):\n%s", w.Channel, diff)
		}
	}
	if _, err := d.Status(ctx, 4); err == nil {
		t.Error("Status(4) succeeded on a four-port chip")
	}
	closeBus(t, bus)
}

func approx(a, b float64) bool { d := a - b; return d < 1e-9 && d > -1e-9 }

func TestMeasure(t *testing.T) {
	ops := cat(initOps(0x01), []i2ctest.IO{r(0x3C, 0x10, 0x00), r(0x3E, 0x00, 0x20)})
	d, bus := newDev(t, ops, &Opts{ShuntMilliOhm: 250})
	i, v, err := d.Measure(3)
	if err != nil {
		t.Fatal(err)
	}
	if want := 16 * 62260 * physic.NanoAmpere; i != want {
		t.Errorf("current = %s, want %s", i, want)
	}
	if want := 0x2000 * 3662 * physic.MicroVolt; v != want {
		t.Errorf("voltage = %s, want %s", v, want)
	}
	closeBus(t, bus)
}

func TestSetPower(t *testing.T) {
	ops := cat(initOps(0), []i2ctest.IO{w(0x19, 0x04), w(0x19, 0x40), w(0x19, 0x01), w(0x19, 0x80)})
	d, bus := newDev(t, ops, nil)
	ctx := context.Background()
	for _, step := range []struct {
		ch board.Channel
		on bool
	}{{2, true}, {2, false}, {0, true}, {3, false}} {
		if err := d.SetPower(ctx, step.ch, step.on); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.SetPower(ctx, -1, true); err == nil {
		t.Error("SetPower(-1) succeeded")
	}
	closeBus(t, bus)
}

func TestSetPowerBusError(t *testing.T) {
	d, bus := newDev(t, initOps(0), nil)
	err := d.SetPower(context.Background(), 1, true)
	if err == nil || !strings.Contains(err.Error(), "channel 1 power true") {
		t.Fatalf("SetPower on a failing bus = %v, want a wrapped error naming the channel", err)
	}
	closeBus(t, bus)
}

func TestCycle(t *testing.T) {
	clock := clockwork.NewFakeClock()
	ops := cat(initOps(0), []i2ctest.IO{w(0x19, 0x20), w(0x19, 0x02)})
	d, bus := newDev(t, ops, &Opts{Clock: clock})
	done := make(chan error, 1)
	go func() { done <- d.Cycle(context.Background(), 1, 2*time.Second) }()
	clocktest.WaitSleepers(t, clock, 1)
	if n := count(bus); n != len(ops)-1 {
		t.Fatalf("before the off time passed: %d ops done, want %d (power still off)", n, len(ops)-1)
	}
	clock.Advance(2 * time.Second)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	closeBus(t, bus)
}

func TestCycleCancelled(t *testing.T) {
	ops := cat(initOps(0), []i2ctest.IO{w(0x19, 0x10)})
	d, bus := newDev(t, ops, &Opts{Clock: clockwork.NewFakeClock()})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := d.Cycle(ctx, 0, time.Second); !errors.Is(err, context.Canceled) {
		t.Fatalf("Cycle with a cancelled context = %v, want context.Canceled", err)
	}
	closeBus(t, bus) // power stays off: no PWON
}

func count(bus *i2ctest.Playback) int {
	bus.Lock()
	defer bus.Unlock()
	return bus.Count
}

// watcher runs Watch in the background and collects its events.
type watcher struct {
	t      *testing.T
	events chan board.PSEEvent
	done   chan error
	cancel context.CancelFunc
	once   sync.Once
}

func watch(t *testing.T, d *Dev) *watcher {
	ctx, cancel := context.WithCancel(context.Background())
	wt := &watcher{t: t, events: make(chan board.PSEEvent, 16), done: make(chan error, 1), cancel: cancel}
	go func() { wt.done <- d.Watch(ctx, func(ev board.PSEEvent) { wt.events <- ev }) }()
	t.Cleanup(wt.stop)
	return wt
}

func (wt *watcher) next() board.PSEEvent {
	wt.t.Helper()
	select {
	case ev := <-wt.events:
		return ev
	case err := <-wt.done:
		wt.t.Fatalf("Watch returned %v while an event was expected", err)
	case <-time.After(5 * time.Second):
		wt.t.Fatal("no event within 5s")
	}
	return board.PSEEvent{}
}

func (wt *watcher) stop() {
	wt.once.Do(func() {
		wt.cancel()
		select {
		case <-wt.done:
		case <-time.After(5 * time.Second):
			wt.t.Error("Watch did not return after cancel")
		}
	})
}

type kindOf struct {
	Channel board.Channel
	Kind    board.PSEEventKind
}

func (wt *watcher) expect(want ...kindOf) {
	wt.t.Helper()
	var got []kindOf
	for range want {
		ev := wt.next()
		got = append(got, kindOf{ev.Channel, ev.Kind})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		wt.t.Fatalf("events (-want +got):\n%s", diff)
	}
}
