package tps23861

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/conn/v3/i2c/i2ctest"
	"periph.io/x/conn/v3/physic"

	"github.com/phoneflash/phoneflash/board"
	"github.com/phoneflash/phoneflash/internal/clocktest"
)

const poll = 100 * time.Millisecond

// TestWatchEvents: what the watcher reports after each poll of the chip's
// event and status registers.
func TestWatchEvents(t *testing.T) {
	type step struct {
		ops  []i2ctest.IO // the registers read at this poll
		want []kindOf     // none: nothing to report
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"faults", []step{
			// Over-current on ch0: ICUT, and the chip drops power (PE and PG change).
			{cat(eventOps(0x11, 0x00, 0x01, 0x00), statusOps(0, 0x24, 0x00, 0, 0)),
				[]kindOf{{0, board.EventOverCurrent}, {0, board.EventPowerOff}}},
			// The phone on ch1 is unplugged: DC disconnect, power off.
			{cat(eventOps(0x22, 0x00, 0x20, 0x00), statusOps(1, 0x06, 0x00, 0, 0)),
				[]kindOf{{1, board.EventDisconnect}, {1, board.EventPowerOff}}},
			// Current limit on ch3 during inrush.
			{cat(eventOps(0x00, 0x00, 0x00, 0x80), statusOps(3, 0x24, 0x08, 0x0100, 0x3000)),
				[]kindOf{{3, board.EventOverCurrent}}},
		}},
		{"a short is reported once", []step{
			{cat(eventOps(0x00, 0x01, 0x00, 0x00), statusOps(0, 0x01, 0x00, 0, 0)), []kindOf{{0, board.EventShort}}},
			{cat(eventOps(0x00, 0x01, 0x00, 0x00), statusOps(0, 0x01, 0x00, 0, 0)), nil},
			{cat(eventOps(0x00, 0x11, 0x00, 0x00), statusOps(0, 0x14, 0x00, 0, 0)), []kindOf{{0, board.EventDetected}}},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := clockwork.NewFakeClock()
			ops := initOps(0)
			for _, st := range tc.steps {
				ops = cat(ops, st.ops)
			}
			d, bus := newDev(t, ops, &Opts{Clock: clock, Poll: poll})
			wt := watch(t, d)
			done := len(initOps(0))
			for _, st := range tc.steps {
				clocktest.Tick(t, clock, poll)
				done += len(st.ops)
				if len(st.want) == 0 {
					waitCount(t, bus, done)
				} else {
					wt.expect(st.want...)
				}
			}
			wt.stop()
			closeBus(t, bus)
		})
	}
}

func TestWatchPowersWantedChannelAfterClassification(t *testing.T) {
	clock := clockwork.NewFakeClock()
	ops := cat(initOps(0),
		[]i2ctest.IO{w(0x19, 0x02)}, // SetPower(1, true) before a phone is there
		// Detection and classification done on ch1 and ch2: ch1 is wanted,
		// so the driver writes PWON; ch2 is not.
		eventOps(0x00, 0x66, 0x00, 0x00),
		statusOps(1, 0x24, 0x00, 0, 0), []i2ctest.IO{w(0x19, 0x02)},
		statusOps(2, 0x34, 0x00, 0, 0),
		// Power good on ch1.
		eventOps(0x22, 0x00, 0x00, 0x00), statusOps(1, 0x24, 0x22, 950, 13107),
		// ch2 classified again (the chip repeats while unpowered): no event.
		eventOps(0x00, 0x44, 0x00, 0x00), statusOps(2, 0x34, 0x00, 0, 0),
		// Power cycle of ch1 by the appliance: PWOFF, then PWON.
		[]i2ctest.IO{w(0x19, 0x20), w(0x19, 0x02)},
		eventOps(0x22, 0x00, 0x00, 0x00), statusOps(1, 0x24, 0x22, 900, 13107),
	)
	// Polls come an hour apart, so advancing the clock by the off time of
	// the power cycle never also triggers a poll.
	const poll = time.Hour
	d, bus := newDev(t, ops, &Opts{Clock: clock, Poll: poll})
	ctx := context.Background()
	if err := d.SetPower(ctx, 1, true); err != nil {
		t.Fatal(err)
	}
	wt := watch(t, d)
	clocktest.Tick(t, clock, poll)
	wt.expect(kindOf{1, board.EventDetected}, kindOf{2, board.EventDetected})
	clocktest.Tick(t, clock, poll)
	ev := wt.next()
	if ev.Kind != board.EventPowerGood || ev.Channel != 1 || !ev.Status.PowerGood || !approx(ev.Status.CurrentA, 950*61.039e-6) {
		t.Fatalf("after PWON got %+v, want power-good on channel 1 with its current", ev)
	}
	clocktest.Tick(t, clock, poll)
	waitCount(t, bus, len(ops)-11)
	cycled := make(chan error, 1)
	go func() { cycled <- d.Cycle(ctx, 1, time.Second) }()
	// Watch's ticker and Cycle's timer.
	clocktest.WaitSleepers(t, clock, 2)
	clock.Advance(time.Second) // ends the off time
	if err := <-cycled; err != nil {
		t.Fatal(err)
	}
	clocktest.Tick(t, clock, poll)
	wt.expect(kindOf{1, board.EventPowerGood})
	wt.stop()
	closeBus(t, bus)
}

func TestWatchInterrupt(t *testing.T) {
	clock := clockwork.NewFakeClock()
	pin := &gpiotest.Pin{N: "GPIO4", EdgesChan: make(chan gpio.Level, 1), Clock: clock}
	ops := cat(initOps(0x80),
		eventOps(0x11, 0x00, 0x00, 0x00), statusOps(0, 0x24, 0x11, 1000, 13000))
	d, bus := newDev(t, ops, &Opts{Int: pin, Clock: clock, Poll: time.Hour})
	wt := watch(t, d)
	pin.EdgesChan <- gpio.Low
	ev := wt.next()
	if ev.Kind != board.EventPowerGood || ev.Channel != 0 {
		t.Fatalf("after an interrupt got %+v, want power-good on channel 0", ev)
	}
	wt.stop()
	clock.Advance(time.Hour) // let the edge waiter see the cancelled context
	closeBus(t, bus)
}

// failBus fails every transaction and counts them.
type failBus struct {
	i2ctest.Record
	calls chan struct{}
}

func (f *failBus) Tx(uint16, []byte, []byte) error {
	f.calls <- struct{}{}
	return errors.New("nack")
}
func (f *failBus) SetSpeed(physic.Frequency) error { return nil }

func TestWatchGivesUpAfterRepeatedBusErrors(t *testing.T) {
	clock := clockwork.NewFakeClock()
	d, bus := newDev(t, initOps(0), &Opts{Clock: clock, Poll: poll})
	closeBus(t, bus)
	fb := &failBus{calls: make(chan struct{}, 1)}
	d.d.Bus = fb
	wt := watch(t, d)
	for i := range maxPollErrors {
		clocktest.Tick(t, clock, poll)
		select {
		case <-fb.calls:
		case <-time.After(5 * time.Second):
			t.Fatalf("poll %d did not touch the bus", i)
		}
	}
	select {
	case err := <-wt.done:
		if err == nil || !strings.Contains(err.Error(), "5 times in a row") || !strings.Contains(err.Error(), "nack") {
			t.Fatalf("Watch = %v, want the wrapped bus error after 5 failures", err)
		}
		wt.once.Do(func() {})
	case <-time.After(5 * time.Second):
		t.Fatal("Watch kept going on a dead bus")
	}
}

func waitCount(t *testing.T, bus *i2ctest.Playback, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for count(bus) < n {
		if time.Now().After(deadline) {
			t.Fatalf("bus: %d ops done, want %d", count(bus), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestSupply: the 48 V input is read at set-up; a VPWR undervoltage event
// reads it again, and so does every poll while it is low, until it is back;
// a thermal shutdown is remembered.
func TestSupply(t *testing.T) {
	clock := clockwork.NewFakeClock()
	ops := cat(initOpsFrom(0, 0, 0x0010), // 0.06 V: the supply is off
		eventOps(0, 0, 0, 0), []i2ctest.IO{r(0x2E, 0x00, 0x00)}, // still off
		eventOps(0, 0, 0, 0), []i2ctest.IO{r(0x2E, 0x33, 0x33)}, // 48 V
		eventOps(0, 0, 0, 0),                                                // good: no reading
		supplyEventOps(0, 0, 0, 0, 0x10), []i2ctest.IO{r(0x2E, 0x00, 0x28)}, // VPUV: 37.5 V
		supplyEventOps(0, 0, 0, 0, 0x80), []i2ctest.IO{r(0x2E, 0x33, 0x33)}, // TSD, 48 V again
	)
	d, bus := newDev(t, ops, &Opts{Clock: clock, Poll: poll})
	want := func(low, hot bool, volts float64) {
		t.Helper()
		s := d.Supply()
		if s.Low != low || s.Overheated != hot || !approx(float64(s.Input)/float64(physic.Volt), volts) {
			t.Fatalf("Supply() = %+v (%s), want low=%v overheated=%v at %.4f V", s, s.Input, low, hot, volts)
		}
	}
	want(true, false, 16*3.662e-3)
	wt := watch(t, d)
	steps := []struct {
		ops      int
		low, hot bool
		volts    float64
	}{
		{8 + 6, true, false, 0},
		{8 + 12, false, false, 13107 * 3.662e-3},
		{8 + 17, false, false, 13107 * 3.662e-3},
		{8 + 23, true, false, 0x2800 * 3.662e-3},
		{8 + 29, false, true, 13107 * 3.662e-3},
	}
	for _, st := range steps {
		clocktest.Tick(t, clock, poll)
		waitCount(t, bus, st.ops)
		waitSupply(t, d, st.low)
		want(st.low, st.hot, st.volts)
	}
	wt.stop()
	closeBus(t, bus)
}

// waitSupply waits until a poll whose bus traffic is done has also updated
// the supply state.
func waitSupply(t *testing.T, d *Dev, low bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for d.Supply().Low != low && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
}

// TestWatchChipReset: a VDD undervoltage lockout resets the chip to auto
// mode; Watch ends with ErrReset so that the caller sets it up again.
func TestWatchChipReset(t *testing.T) {
	clock := clockwork.NewFakeClock()
	ops := cat(initOps(0), supplyEventOps(0, 0, 0, 0, 0x20))
	d, bus := newDev(t, ops, &Opts{Clock: clock, Poll: poll})
	wt := watch(t, d)
	clocktest.Tick(t, clock, poll)
	select {
	case err := <-wt.done:
		if !errors.Is(err, ErrReset) {
			t.Fatalf("Watch = %v, want ErrReset", err)
		}
		wt.once.Do(func() {})
	case <-time.After(5 * time.Second):
		t.Fatal("Watch did not end after the chip reset")
	}
	closeBus(t, bus)
}
