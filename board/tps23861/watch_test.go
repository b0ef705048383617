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
				tick(t, clock, poll)
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
	tick(t, clock, poll)
	wt.expect(kindOf{1, board.EventDetected}, kindOf{2, board.EventDetected})
	tick(t, clock, poll)
	ev := wt.next()
	if ev.Kind != board.EventPowerGood || ev.Channel != 1 || !ev.Status.PowerGood || !approx(ev.Status.CurrentA, 950*61.039e-6) {
		t.Fatalf("after PWON got %+v, want power-good on channel 1 with its current", ev)
	}
	tick(t, clock, poll)
	waitCount(t, bus, len(ops)-10)
	cycled := make(chan error, 1)
	go func() { cycled <- d.Cycle(ctx, 1, time.Second) }()
	// Watch's ticker and Cycle's timer.
	bctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := clock.BlockUntilContext(bctx, 2); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second) // ends the off time
	if err := <-cycled; err != nil {
		t.Fatal(err)
	}
	tick(t, clock, poll)
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
		tick(t, clock, poll)
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
