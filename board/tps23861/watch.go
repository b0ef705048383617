package tps23861

import (
	"context"
	"errors"
	"fmt"

	"github.com/phoneflash/phoneflash/board"
)

// maxPollErrors is how many reads in a row may fail before Watch gives up:
// one glitch on a long I²C cable must not stop the appliance.
const maxPollErrors = 5

// Watch implements board.PSE. It reads the clear-on-read event registers
// after every falling edge of the interrupt pin and every Poll interval,
// calls fn for each event, and powers a wanted channel as soon as the chip
// has detected and classified a valid device on it (the semi-auto flow).
func (d *Dev) Watch(ctx context.Context, fn func(board.PSEEvent)) error {
	wake := make(chan struct{}, 1)
	if d.opts.Int != nil {
		go d.waitEdges(ctx, wake)
	}
	t := d.clock.NewTicker(d.opts.Poll)
	defer t.Stop()
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.Chan():
		case <-wake:
		}
		evs, err := d.poll()
		if errors.Is(err, ErrReset) {
			return err
		}
		if err != nil {
			if failures++; failures >= maxPollErrors {
				return fmt.Errorf("tps23861: reading events failed %d times in a row: %w", failures, err)
			}
			continue
		}
		failures = 0
		for _, ev := range evs {
			fn(ev)
		}
	}
}

// waitEdges turns falling edges of the INT pin into wake-ups. WaitForEdge
// cannot be cancelled, so it waits at most one Poll interval at a time.
func (d *Dev) waitEdges(ctx context.Context, wake chan<- struct{}) {
	for ctx.Err() == nil {
		if d.opts.Int.WaitForEdge(d.opts.Poll) {
			select {
			case wake <- struct{}{}:
			default:
			}
		}
	}
}

// ErrReset is returned by Watch when the chip reports a VDD undervoltage
// lockout: it was reset to its power-on defaults (auto mode, interrupts
// masked), so it must be set up again with New.
var ErrReset = errors.New("tps23861: the chip was reset (VDD undervoltage lockout); set it up again")

// poll reads the five event registers once and turns them into events. A
// VPWR undervoltage event, and every poll while the input is low, reads the
// input voltage too.
func (d *Dev) poll() ([]board.PSEEvent, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var reg [5]byte
	for i, r := range []byte{regPowerEventCoR, regDetectCoR, regFaultCoR, regILIMCoR, regSupplyCoR} {
		b, err := d.read(r, 1)
		if err != nil {
			return nil, fmt.Errorf("event register %#x: %w", r, err)
		}
		reg[i] = b[0]
	}
	if reg[4]&supplyVDUV != 0 {
		return nil, ErrReset
	}
	if reg[4]&supplyTSD != 0 {
		d.supply.Overheated = true
	}
	if reg[4]&supplyVPUV != 0 || d.supply.Low {
		if err := d.readInput(); err != nil {
			return nil, err
		}
		if reg[4]&supplyVPUV != 0 {
			d.supply.Low = true // the event says so, whatever the reading
		}
	}
	var out []board.PSEEvent
	for ch := board.Channel(0); ch < Channels; ch++ {
		evs, err := d.channelEvents(ch, events{power: reg[0], detect: reg[1], fault: reg[2], ilim: reg[3]})
		if err != nil {
			return out, err
		}
		out = append(out, evs...)
	}
	return out, nil
}

// events are the four event register values of one poll.
type events struct{ power, detect, fault, ilim byte }

func (e events) has(ch board.Channel) bool {
	m := byte(0x11) << ch
	return (e.power|e.detect|e.fault|e.ilim)&m != 0
}

// channelEvents decodes one channel's event bits, reading its status once.
func (d *Dev) channelEvents(ch board.Channel, e events) ([]board.PSEEvent, error) {
	if !e.has(ch) {
		return nil, nil
	}
	st, err := d.statusLocked(ch)
	if err != nil {
		return nil, err
	}
	lo, hi := byte(1)<<ch, byte(0x10)<<ch
	var kinds []board.PSEEventKind
	if e.detect&(lo|hi) != 0 {
		k, ok := d.detection(ch, st, e.detect&hi != 0)
		if ok {
			kinds = append(kinds, k)
		}
	}
	if e.fault&lo != 0 || e.ilim&(lo|hi) != 0 {
		kinds = append(kinds, board.EventOverCurrent)
	}
	if e.fault&hi != 0 {
		kinds = append(kinds, board.EventDisconnect)
		d.seen[ch] = seenNone
	}
	if e.power&hi != 0 && st.PowerGood {
		kinds = append(kinds, board.EventPowerGood)
	} else if e.power&(lo|hi) != 0 && !st.PowerGood {
		kinds = append(kinds, board.EventPowerOff)
		d.seen[ch] = seenNone
	}
	out := make([]board.PSEEvent, len(kinds))
	for i, k := range kinds {
		out[i] = board.PSEEvent{Channel: ch, Kind: k, Status: st}
	}
	return out, nil
}

// What a channel's last reported detection was, so that the chip's
// continuous detect/class cycles on an unpowered port report once.
const (
	seenNone = iota
	seenShort
	seenDevice
)

// detection handles a finished detection (classified when class is set):
// it reports a short or a newly found device, and powers a wanted channel
// with a valid, classified device.
func (d *Dev) detection(ch board.Channel, st board.PortStatus, class bool) (board.PSEEventKind, bool) {
	if st.Detect == board.DetectShort {
		if d.seen[ch] == seenShort {
			return 0, false
		}
		d.seen[ch] = seenShort
		return board.EventShort, true
	}
	if !class {
		return 0, false
	}
	if d.want[ch] && st.Detect == board.DetectValid && st.Class >= 0 && !st.Enabled {
		// A failed write shows up as no power-good; the next cycle retries.
		_ = d.write(regPowerEnable, 1<<ch)
	}
	if d.seen[ch] == seenDevice {
		return 0, false
	}
	d.seen[ch] = seenDevice
	return board.EventDetected, true
}
