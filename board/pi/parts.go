package pi

import (
	"context"
	"fmt"
	"image"
	"log/slog"
	"sync"
	"time"

	"periph.io/x/conn/v3/i2c"

	"github.com/phoneflash/phoneflash/board"
	"github.com/phoneflash/phoneflash/board/oled"
	"github.com/phoneflash/phoneflash/board/tps23861"
)

// psePart is the TPS23861 as the appliance sees it: a board.PSE that
// exists from the start, whether or not the chip answers yet. The Board's
// retry loop sets the chip up when it answers; the wanted power of each
// channel is kept and applied then.
type psePart struct {
	bus  i2c.Bus
	opts tps23861.Opts
	log  *slog.Logger

	mu    sync.Mutex
	dev   *tps23861.Dev // nil while the chip does not answer
	err   error         // why dev is nil
	ready chan struct{} // closed when dev is set; replaced when it is lost
	want  [tps23861.Channels]bool
}

var _ board.PSE = (*psePart)(nil)

func newPSEPart(bus i2c.Bus, opts tps23861.Opts, log *slog.Logger) *psePart {
	return &psePart{bus: bus, opts: opts, log: log, ready: make(chan struct{}), err: board.ErrMissing}
}

// missingErr is the error of a call while the chip does not answer.
func (p *psePart) missingErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return fmt.Errorf("pi: PoE board at %#x: %w (%v); power is switched when it answers", p.opts.Addr, board.ErrMissing, p.err)
}

// connect sets the chip up when it is not yet and applies the wanted power.
// It reports whether the chip is set up, and whether that is new.
func (p *psePart) connect() (ok, changed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.dev != nil {
		return true, false
	}
	dev, err := tps23861.New(p.bus, &p.opts)
	if err != nil {
		p.err = err
		return false, false
	}
	for ch, on := range p.want {
		if on {
			if err := dev.SetPower(context.Background(), board.Channel(ch), true); err != nil {
				p.err = err
				return false, false
			}
		}
	}
	p.dev, p.err = dev, nil
	close(p.ready)
	return true, true
}

// lost drops a chip that stopped answering (or was reset) so that the retry
// loop sets it up again.
func (p *psePart) lost(dev *tps23861.Dev, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.dev != dev {
		return
	}
	p.dev, p.err = nil, err
	p.ready = make(chan struct{})
	p.log.Warn("poe board lost; trying it again in the background", "addr", fmt.Sprintf("%#x", p.opts.Addr), "err", err)
}

func (p *psePart) current() (*tps23861.Dev, chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.dev, p.ready
}

// Channels implements board.PSE.
func (p *psePart) Channels() int { return tps23861.Channels }

// SetPower implements board.PSE. While the chip does not answer, the wish
// is kept for when it does and an ErrMissing error is returned.
func (p *psePart) SetPower(ctx context.Context, ch board.Channel, on bool) error {
	if ch < 0 || int(ch) >= tps23861.Channels {
		return fmt.Errorf("pi: PoE channel %d out of range", ch)
	}
	p.mu.Lock()
	p.want[ch] = on
	dev := p.dev
	p.mu.Unlock()
	if dev == nil {
		return p.missingErr()
	}
	return dev.SetPower(ctx, ch, on)
}

// Cycle implements board.PSE.
func (p *psePart) Cycle(ctx context.Context, ch board.Channel, off time.Duration) error {
	dev, _ := p.current()
	if dev == nil {
		return p.missingErr()
	}
	return dev.Cycle(ctx, ch, off)
}

// Status implements board.PSE.
func (p *psePart) Status(ctx context.Context, ch board.Channel) (board.PortStatus, error) {
	dev, _ := p.current()
	if dev == nil {
		return board.PortStatus{}, p.missingErr()
	}
	return dev.Status(ctx, ch)
}

// Watch implements board.PSE: it watches the chip whenever it answers and
// waits for it while it does not. It returns only when ctx is done, so a
// PoE board that fails never stops the appliance.
func (p *psePart) Watch(ctx context.Context, fn func(board.PSEEvent)) error {
	for {
		dev, ready := p.current()
		if dev == nil {
			select {
			case <-ctx.Done():
				return nil
			case <-ready:
				continue
			}
		}
		err := dev.Watch(ctx, fn)
		if ctx.Err() != nil {
			return nil
		}
		p.lost(dev, err)
	}
}

func (p *psePart) faults() []board.Fault {
	dev, _ := p.current()
	if dev == nil {
		return []board.Fault{{Part: board.PartPSE, Text: "PoE board missing"}}
	}
	var out []board.Fault
	s := dev.Supply()
	if s.Low {
		out = append(out, board.Fault{Part: board.PartSupply, Text: "no 48 V for PoE"})
	}
	if s.Overheated {
		out = append(out, board.Fault{Part: board.PartPSE, Text: "PoE chip overheated"})
	}
	return out
}

// displayPart is the OLED as the appliance sees it: Show keeps the newest
// frame, and the Board's retry loop sets the panel up (and shows that
// frame) when it answers.
type displayPart struct {
	bus  i2c.Bus
	addr uint16
	log  *slog.Logger

	mu     sync.Mutex
	dev    *oled.Display // nil while the panel does not answer
	err    error
	failed bool // a draw failed: the retry loop sets the panel up again
	last   image.Image
}

var _ board.Display = (*displayPart)(nil)

// panel is the SSD1306 128x64 that status.Render draws for.
var panel = image.Rect(0, 0, 128, 64)

// Bounds implements board.Display.
func (d *displayPart) Bounds() image.Rectangle { return panel }

// Show implements board.Display. Without a panel it only keeps the frame.
func (d *displayPart) Show(frame image.Image) error {
	d.mu.Lock()
	d.last = frame
	dev := d.dev
	d.mu.Unlock()
	if dev == nil {
		return nil
	}
	return dev.Show(frame)
}

// connect sets the panel up when it is missing or failed, and shows the
// newest frame. It reports whether the panel works, and whether that is
// new.
func (d *displayPart) connect() (ok, changed bool) {
	d.mu.Lock()
	old, failed := d.dev, d.failed
	if old != nil && !failed {
		d.mu.Unlock()
		return true, false
	}
	d.dev, d.failed = nil, false
	d.mu.Unlock()
	if old != nil {
		old.Close(nil) // the panel is gone or confused; halting it may fail too
	}
	dev, err := oled.New(d.bus, &oled.Opts{Addr: d.addr, OnError: d.drawFailed})
	d.mu.Lock()
	defer d.mu.Unlock()
	if err != nil {
		d.err = err
		return false, false // drawFailed said it is lost
	}
	d.dev, d.err = dev, nil
	if d.last != nil {
		dev.Show(d.last)
	}
	return true, true
}

func (d *displayPart) drawFailed(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.failed {
		d.log.Warn("oled lost; trying it again in the background", "addr", fmt.Sprintf("%#x", d.addr), "err", err)
	}
	d.failed, d.err = true, err
}

func (d *displayPart) faults() []board.Fault {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dev == nil || d.failed {
		return []board.Fault{{Part: board.PartDisplay, Text: "OLED missing"}}
	}
	return nil
}

// close leaves the goodbye frame on a working panel.
func (d *displayPart) close(last image.Image) error {
	d.mu.Lock()
	dev, failed := d.dev, d.failed
	d.dev = nil
	d.mu.Unlock()
	if dev == nil {
		return nil
	}
	if failed {
		dev.Close(nil)
		return nil
	}
	return dev.Close(last)
}

func (p *psePart) lastErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

func (d *displayPart) lastErr() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.err
}
