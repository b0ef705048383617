package sim

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/phoneflash/phoneflash/board"
)

// PSE is a simulated power-sourcing controller. Every channel has a valid
// class 2 phone attached; switching power starts and stops it.
type PSE struct {
	phones PhoneStarter
	log    *slog.Logger
	events chan board.PSEEvent

	mu      sync.Mutex
	powered []bool
	calls   []string
}

var _ board.PSE = (*PSE)(nil)

func newPSE(n int, phones PhoneStarter, log *slog.Logger) *PSE {
	return &PSE{phones: phones, log: log, powered: make([]bool, n), events: make(chan board.PSEEvent, 64)}
}

// Channels implements board.PSE.
func (p *PSE) Channels() int { return len(p.powered) }

func (p *PSE) check(ch board.Channel) error {
	if int(ch) < 0 || int(ch) >= len(p.powered) {
		return fmt.Errorf("sim pse: channel %d out of range 0..%d", ch, len(p.powered)-1)
	}
	return nil
}

// SetPower switches a channel, starts or stops its phone when the power
// changes, and emits the matching event.
func (p *PSE) SetPower(_ context.Context, ch board.Channel, on bool) error {
	if err := p.check(ch); err != nil {
		return err
	}
	p.mu.Lock()
	changed := p.powered[ch] != on
	p.powered[ch] = on
	p.calls = append(p.calls, fmt.Sprintf("power %d %v", ch, on))
	st := p.statusLocked(ch)
	p.mu.Unlock()
	if changed {
		p.log.Info("sim poe", "channel", int(ch), "power", on)
		if err := p.switchPhone(ch, on); err != nil {
			return err
		}
	}
	kind := board.EventPowerOff
	if on {
		kind = board.EventPowerGood
	}
	p.emit(board.PSEEvent{Channel: ch, Kind: kind, Status: st})
	return nil
}

func (p *PSE) switchPhone(ch board.Channel, on bool) error {
	if p.phones == nil {
		return nil
	}
	var err error
	if on {
		err = p.phones.Start(ch)
	} else {
		err = p.phones.Stop(ch)
	}
	if err != nil {
		return fmt.Errorf("sim pse: channel %d: phone power %v: %w", ch, on, err)
	}
	return nil
}

// Cycle switches a channel off, waits, and switches it on again.
func (p *PSE) Cycle(ctx context.Context, ch board.Channel, off time.Duration) error {
	if err := p.SetPower(ctx, ch, false); err != nil {
		return err
	}
	t := time.NewTimer(off)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
	}
	return p.SetPower(ctx, ch, true)
}

// Status reports a channel's simulated state.
func (p *PSE) Status(_ context.Context, ch board.Channel) (board.PortStatus, error) {
	if err := p.check(ch); err != nil {
		return board.PortStatus{}, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.statusLocked(ch), nil
}

func (p *PSE) statusLocked(ch board.Channel) board.PortStatus {
	st := board.PortStatus{Channel: ch, Detect: board.DetectValid, Class: 2}
	if p.powered[ch] {
		st.Enabled, st.PowerGood = true, true
		st.CurrentA, st.VoltageV = 0.058, 48.0
	}
	return st
}

func (p *PSE) emit(ev board.PSEEvent) {
	select {
	case p.events <- ev:
	default: // nobody watching and the buffer is full: drop, like a missed interrupt
	}
}

// Watch delivers events until ctx is done.
func (p *PSE) Watch(ctx context.Context, fn func(board.PSEEvent)) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev := <-p.events:
			fn(ev)
		}
	}
}

// Powered reports whether a channel is switched on.
func (p *PSE) Powered(ch board.Channel) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.powered[ch]
}

// Calls returns the recorded calls, oldest first.
func (p *PSE) Calls() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.calls...)
}
