// Package sim is simulated bench hardware for tests and the demo: a PSE
// whose channels really power simulated phones (through a PhoneStarter hook
// that starts and stops them), a display that keeps the newest frame and can
// write it as a PNG and as text for a terminal, and LEDs that remember and
// log their patterns. Every call is recorded so tests can check what the
// appliance did to the hardware.
package sim

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"

	"github.com/phoneflash/phoneflash/board"
)

// PhoneStarter starts and stops the simulated phone on a PoE channel. The
// demo starts a phonesim process in the channel's network namespace.
type PhoneStarter interface {
	Start(ch board.Channel) error
	Stop(ch board.Channel) error
}

// Options configures a simulated board. The zero value is a board with no
// phones attached, no PNG output and no logging.
type Options struct {
	// Phones is told when a channel's power goes on or off.
	Phones PhoneStarter
	// PNG, when set, is the file the display rewrites with every new frame.
	PNG string
	// Log receives LED pattern and power changes; nil discards them.
	Log *slog.Logger
	// PowerOffOnClose switches every channel off when the board is closed;
	// by default power stays as it is, like the real board's "keep" policy.
	PowerOffOnClose bool
}

// Board is simulated hardware with a number of PoE channels, one per bench
// port in order.
type Board struct {
	mu      sync.Mutex
	pse     *PSE
	display *Display
	leds    *LEDs
	opts    Options
	closed  bool
}

var _ board.Hardware = (*Board)(nil)

// New returns a simulated board with one PoE channel and one LED per port.
func New(ports int) *Board { return NewWith(ports, Options{}) }

// NewWith returns a simulated board with options.
func NewWith(ports int, opts Options) *Board {
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Board{
		pse:     newPSE(ports, opts.Phones, opts.Log),
		display: &Display{png: opts.PNG},
		leds:    &LEDs{port: make([]board.Pattern, ports), log: opts.Log},
		opts:    opts,
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
	if port < 0 || port >= b.pse.Channels() {
		return 0, false
	}
	return board.Channel(port), true
}

// Close turns the LEDs off, switches power off when configured to, and
// records that the board was closed.
func (b *Board) Close(ctx context.Context) error {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	var errs []error
	if b.opts.PowerOffOnClose {
		for ch := 0; ch < b.pse.Channels(); ch++ {
			if err := b.pse.SetPower(ctx, board.Channel(ch), false); err != nil {
				errs = append(errs, err)
			}
		}
	}
	for i := range b.leds.port {
		_ = b.leds.SetPort(i, board.Off)
	}
	if err := b.leds.SetSystem(board.Off); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Closed reports whether Close was called.
func (b *Board) Closed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closed
}
