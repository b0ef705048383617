// Package sim is simulated bench hardware for tests and the demo: a PSE whose
// channels remember their power state, a display that keeps the newest frame
// and LEDs that remember their patterns. Every call is recorded so tests can
// check what the appliance did to the hardware.
package sim

import (
	"context"
	"fmt"
	"image"
	"sync"
	"time"

	"github.com/phoneflash/phoneflash/board"
)

// Board is simulated hardware with a number of PoE channels, one per bench
// port in order.
type Board struct {
	mu      sync.Mutex
	pse     *PSE
	display *Display
	leds    *LEDs
	closed  bool
}

var _ board.Hardware = (*Board)(nil)

// New returns a simulated board with one PoE channel and one LED per port.
func New(ports int) *Board {
	return &Board{
		pse:     &PSE{powered: make([]bool, ports), events: make(chan board.PSEEvent, 64)},
		display: &Display{},
		leds:    &LEDs{port: make([]board.Pattern, ports)},
	}
}

func (b *Board) PSE() board.PSE         { return b.pse }
func (b *Board) Display() board.Display { return b.display }
func (b *Board) LEDs() board.LEDs       { return b.leds }

// SimPSE gives tests the concrete simulated PSE.
func (b *Board) SimPSE() *PSE { return b.pse }

// SimDisplay gives tests the concrete simulated display.
func (b *Board) SimDisplay() *Display { return b.display }

// SimLEDs gives tests the concrete simulated LEDs.
func (b *Board) SimLEDs() *LEDs { return b.leds }

// ChannelOf maps port i to channel i.
func (b *Board) ChannelOf(port int) (board.Channel, bool) {
	if port < 0 || port >= len(b.pse.powered) {
		return 0, false
	}
	return board.Channel(port), true
}

// Close turns the LEDs off and records that the board was closed. Power is
// left as it is, like the real board's default policy.
func (b *Board) Close(context.Context) error {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	for i := range b.leds.port {
		_ = b.leds.SetPort(i, board.Off)
	}
	return b.leds.SetSystem(board.Off)
}

// Closed reports whether Close was called.
func (b *Board) Closed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closed
}

// PSE is a simulated power-sourcing controller.
type PSE struct {
	mu      sync.Mutex
	powered []bool
	calls   []string
	events  chan board.PSEEvent
}

var _ board.PSE = (*PSE)(nil)

func (p *PSE) Channels() int { return len(p.powered) }

func (p *PSE) check(ch board.Channel) error {
	if int(ch) < 0 || int(ch) >= len(p.powered) {
		return fmt.Errorf("sim pse: channel %d out of range 0..%d", ch, len(p.powered)-1)
	}
	return nil
}

// SetPower switches a channel and emits the matching event.
func (p *PSE) SetPower(_ context.Context, ch board.Channel, on bool) error {
	if err := p.check(ch); err != nil {
		return err
	}
	p.mu.Lock()
	p.powered[ch] = on
	p.calls = append(p.calls, fmt.Sprintf("power %d %v", ch, on))
	st := p.statusLocked(ch)
	p.mu.Unlock()
	kind := board.EventPowerOff
	if on {
		kind = board.EventPowerGood
	}
	p.emit(board.PSEEvent{Channel: ch, Kind: kind, Status: st})
	return nil
}

// Cycle switches a channel off, waits, and switches it on again.
func (p *PSE) Cycle(ctx context.Context, ch board.Channel, off time.Duration) error {
	if err := p.SetPower(ctx, ch, false); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(off):
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

// Display keeps the newest frame.
type Display struct {
	mu     sync.Mutex
	frame  image.Image
	frames int
}

var _ board.Display = (*Display)(nil)

// Bounds is the 128x64 SSD1306 frame.
func (d *Display) Bounds() image.Rectangle { return image.Rect(0, 0, 128, 64) }

// Show stores the frame.
func (d *Display) Show(frame image.Image) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.frame = frame
	d.frames++
	return nil
}

// Frame returns the newest frame and how many were shown.
func (d *Display) Frame() (image.Image, int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.frame, d.frames
}

// LEDs remembers the pattern of every LED.
type LEDs struct {
	mu     sync.Mutex
	port   []board.Pattern
	system board.Pattern
	calls  []string
}

var _ board.LEDs = (*LEDs)(nil)

// SetPort sets a port LED.
func (l *LEDs) SetPort(i int, p board.Pattern) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if i < 0 || i >= len(l.port) {
		return fmt.Errorf("sim leds: port %d out of range 0..%d", i, len(l.port)-1)
	}
	l.port[i] = p
	l.calls = append(l.calls, fmt.Sprintf("port %d %s", i, p))
	return nil
}

// SetSystem sets the system LED.
func (l *LEDs) SetSystem(p board.Pattern) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.system = p
	l.calls = append(l.calls, fmt.Sprintf("system %s", p))
	return nil
}

// Port returns a port LED's pattern.
func (l *LEDs) Port(i int) board.Pattern {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.port[i]
}

// System returns the system LED's pattern.
func (l *LEDs) System() board.Pattern {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.system
}
