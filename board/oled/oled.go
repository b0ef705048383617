// Package oled shows frames on an SSD1306 128x64 OLED over I²C through
// periph.io/x/devices/v3/ssd1306 (pinned at v3.7.4). I²C is slow (a full
// frame is about 1 KiB), so Show only hands the frame to one goroutine that
// draws the newest frame when the bus is free; frames shown meanwhile are
// dropped. ssd1306 sends only the changed rectangle after the first frame.
//
// ssd1306.NewI2C v3.7.4 always talks to 0x3C; for a panel strapped to 0x3D
// (SA0 high) the adapter rewrites the address on the way to the bus.
package oled

import (
	"fmt"
	"image"
	"image/draw"
	"sync"
	"sync/atomic"

	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/devices/v3/ssd1306"
	"periph.io/x/devices/v3/ssd1306/image1bit"

	"github.com/phoneflash/phoneflash/board"
)

// The two addresses an SSD1306 answers at.
const (
	Addr3C = 0x3C // SA0 low; the only address ssd1306 v3.7.4 uses
	Addr3D = 0x3D // SA0 high
)

// Opts configures the display.
type Opts struct {
	Addr uint16 // 0x3C (default) or 0x3D
	// Panel is passed to ssd1306; zero means ssd1306.DefaultOpts (128x64).
	Panel ssd1306.Opts
	// OnError is called from the drawing goroutine when a frame fails to
	// draw; nil ignores it (the next frame retries).
	OnError func(error)
}

// Display implements board.Display on an SSD1306.
type Display struct {
	dev     *ssd1306.Dev
	rect    image.Rectangle
	onError func(error)
	wake    chan struct{}
	stop    chan struct{}
	done    chan struct{}
	drawn   atomic.Int64 // frames drawn, for tests

	mu     sync.Mutex
	newest *image1bit.VerticalLSB
	closed bool
}

var _ board.Display = (*Display)(nil)

// New initializes the panel (the init sequence goes out before New returns)
// and starts the drawing goroutine. Close stops it.
func New(bus i2c.Bus, opts *Opts) (*Display, error) {
	var o Opts
	if opts != nil {
		o = *opts
	}
	if o.Panel == (ssd1306.Opts{}) {
		o.Panel = ssd1306.DefaultOpts
	}
	switch o.Addr {
	case 0, Addr3C:
	case Addr3D:
		bus = &readdress{Bus: bus, to: Addr3D}
	default:
		return nil, fmt.Errorf("oled: address %#x: an SSD1306 answers at 0x3C or 0x3D", o.Addr)
	}
	dev, err := ssd1306.NewI2C(bus, &o.Panel)
	if err != nil {
		return nil, fmt.Errorf("oled: init: %w", err)
	}
	d := &Display{
		dev: dev, rect: dev.Bounds(), onError: o.OnError,
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
	}
	go d.run()
	return d, nil
}

// Bounds implements board.Display.
func (d *Display) Bounds() image.Rectangle { return d.rect }

// Show implements board.Display: it copies the frame and returns at once.
func (d *Display) Show(frame image.Image) error {
	f := image1bit.NewVerticalLSB(d.rect)
	if v, ok := frame.(*image1bit.VerticalLSB); ok && v.Rect == d.rect {
		copy(f.Pix, v.Pix)
	} else {
		draw.Draw(f, d.rect, frame, frame.Bounds().Min, draw.Src)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return fmt.Errorf("oled: closed")
	}
	d.newest = f
	select {
	case d.wake <- struct{}{}:
	default:
	}
	return nil
}

func (d *Display) run() {
	defer close(d.done)
	for {
		select {
		case <-d.stop:
			return
		case <-d.wake:
		}
		d.mu.Lock()
		f := d.newest
		d.newest = nil
		d.mu.Unlock()
		if f == nil {
			continue
		}
		if err := d.dev.Draw(d.rect, f, image.Point{}); err != nil && d.onError != nil {
			d.onError(fmt.Errorf("oled: draw: %w", err))
		}
		d.drawn.Add(1)
	}
}

// Close stops the drawing goroutine. With a last frame it draws it
// synchronously (the goodbye message) and leaves the panel on; without one
// it turns the panel off.
func (d *Display) Close(last image.Image) error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	d.mu.Unlock()
	close(d.stop)
	<-d.done
	if last == nil {
		if err := d.dev.Halt(); err != nil {
			return fmt.Errorf("oled: halt: %w", err)
		}
		return nil
	}
	if err := d.dev.Draw(d.rect, last, last.Bounds().Min); err != nil {
		return fmt.Errorf("oled: last frame: %w", err)
	}
	return nil
}

// readdress sends what ssd1306 addresses to 0x3C to another address.
type readdress struct {
	i2c.Bus
	to uint16
}

func (r *readdress) Tx(addr uint16, w, rd []byte) error {
	if addr == Addr3C {
		addr = r.to
	}
	return r.Bus.Tx(addr, w, rd)
}

func (r *readdress) SetSpeed(f physic.Frequency) error { return r.Bus.SetSpeed(f) }

func (r *readdress) String() string { return fmt.Sprintf("%s(0x3C->%#x)", r.Bus, r.to) }
