package main

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2ctest"
	"periph.io/x/devices/v3/ssd1306/image1bit"

	"github.com/phoneflash/phoneflash/board"
	"github.com/phoneflash/phoneflash/board/font"
	"github.com/phoneflash/phoneflash/board/leds"
	"github.com/phoneflash/phoneflash/board/oled"
	"github.com/phoneflash/phoneflash/board/tps23861"
)

// Machine is the opened hardware: the I²C bus and the GPIO lookup.
type Machine struct {
	Bus   i2c.Bus
	Pin   func(name string) gpio.PinIO
	Close func() error
}

// Check is one run of the hardware check.
type Check struct {
	Profile board.Profile
	Machine Machine
	Out     io.Writer
	Cycle   int           // PoE channel to power-cycle, -1 for none
	Off     time.Duration // off time of the power cycle
	Record  bool          // print the transcript of the PSE and OLED steps
	LEDStep time.Duration
	SysNet  string // /sys/class/net: the NICs to list
}

// Run performs every step and returns the failures joined; a missing part
// does not stop the others.
func (c *Check) Run(ctx context.Context) error {
	var errs []error
	errs = append(errs, c.nics())
	bus := c.Machine.Bus
	if bus != nil {
		c.scan(bus)
	}
	rec := &i2ctest.Record{Bus: bus}
	if c.Record && bus != nil {
		bus = rec
	}
	if c.Profile.PSE != nil {
		errs = append(errs, c.pse(ctx, bus))
	}
	if c.Profile.OLED != nil {
		errs = append(errs, c.oled(bus))
	}
	errs = append(errs, c.leds())
	if c.Record {
		fmt.Fprintln(c.Out, "// I²C transcript:")
		fmt.Fprint(c.Out, FormatOps(rec.Ops))
	}
	return errors.Join(errs...)
}

// scan reads one byte from every 7-bit address and lists those that answer.
func (c *Check) scan(bus i2c.Bus) {
	fmt.Fprintf(c.Out, "i2c scan of %s:", bus)
	found := 0
	var b [1]byte
	for addr := uint16(0x08); addr <= 0x77; addr++ {
		if bus.Tx(addr, nil, b[:]) == nil {
			fmt.Fprintf(c.Out, " 0x%02X", addr)
			found++
		}
	}
	if found == 0 {
		fmt.Fprint(c.Out, " nothing answers (check wiring, pull-ups and dtparam=i2c_arm=on)")
	}
	fmt.Fprintln(c.Out)
}

func (c *Check) pse(ctx context.Context, bus i2c.Bus) error {
	p := c.Profile.PSE
	dev, err := tps23861.New(bus, &tps23861.Opts{Addr: uint16(p.Addr), ShuntMilliOhm: p.ShuntMilliOhm})
	if err != nil {
		return fmt.Errorf("pse: %w", err)
	}
	if err := c.printStatus(ctx, dev); err != nil {
		return err
	}
	if sup := dev.Supply(); sup.Low {
		fmt.Fprintf(c.Out, "poe input: %s, below %s: no 48 V, no phone gets power; switch on or connect the PoE board's 48-57 V supply\n", sup.Input, tps23861.MinInput)
	} else {
		fmt.Fprintf(c.Out, "poe input: %s\n", sup.Input)
	}
	if c.Cycle < 0 {
		return nil
	}
	fmt.Fprintf(c.Out, "power-cycling channel %d (%s off)\n", c.Cycle, c.Off)
	if err := dev.Cycle(ctx, board.Channel(c.Cycle), c.Off); err != nil {
		return fmt.Errorf("pse: %w", err)
	}
	st, err := dev.Status(ctx, board.Channel(c.Cycle))
	if err != nil {
		return fmt.Errorf("pse: %w", err)
	}
	fmt.Fprintln(c.Out, "after the cycle:", statusLine(st))
	return nil
}

func (c *Check) printStatus(ctx context.Context, dev *tps23861.Dev) error {
	for ch := 0; ch < dev.Channels(); ch++ {
		st, err := dev.Status(ctx, board.Channel(ch))
		if err != nil {
			return fmt.Errorf("pse: %w", err)
		}
		fmt.Fprintln(c.Out, statusLine(st))
	}
	return nil
}

func statusLine(st board.PortStatus) string {
	return fmt.Sprintf("poe channel %d: detect=%s class=%d enabled=%v power-good=%v %.1f mA %.2f V",
		st.Channel, st.Detect, st.Class, st.Enabled, st.PowerGood, st.CurrentA*1000, st.VoltageV)
}

func (c *Check) oled(bus i2c.Bus) error {
	d, err := oled.New(bus, &oled.Opts{Addr: uint16(c.Profile.OLED.Addr)})
	if err != nil {
		return err
	}
	// Close draws the last frame synchronously and leaves it on the panel.
	if err := d.Close(TestPattern()); err != nil {
		return err
	}
	fmt.Fprintf(c.Out, "oled at %s: test pattern drawn (border, checkerboard, text)\n", c.Profile.OLED.Addr)
	return nil
}

// TestPattern is a border, a checkerboard block and a line of text: every
// row and column of the panel is lit somewhere.
func TestPattern() *image1bit.VerticalLSB {
	img := image1bit.NewVerticalLSB(image.Rect(0, 0, 128, 64))
	for x := 0; x < 128; x++ {
		img.SetBit(x, 0, image1bit.On)
		img.SetBit(x, 63, image1bit.On)
	}
	for y := 0; y < 64; y++ {
		img.SetBit(0, y, image1bit.On)
		img.SetBit(127, y, image1bit.On)
	}
	for y := 40; y < 60; y++ {
		for x := 4; x < 124; x++ {
			img.SetBit(x, y, image1bit.Bit((x/4+y/4)%2 == 0))
		}
	}
	font.Default().Draw(img, 4, 4, "boardcheck", 2)
	font.Default().Draw(img, 4, 26, "128x64 ok?", 1)
	return img
}

// leds lights each LED in turn, ports first, then the system LED.
func (c *Check) leds() error {
	var pins []gpio.PinOut
	var names []string
	for _, p := range c.Profile.Ports {
		if p.LED == "" {
			continue
		}
		pin := c.Machine.Pin(p.LED)
		if pin == nil {
			return fmt.Errorf("leds: %s (port %s): no such GPIO", p.LED, p.Interface)
		}
		pins, names = append(pins, pin), append(names, p.Interface+" "+p.LED)
	}
	var sys gpio.PinOut
	if n := c.Profile.SystemLED; n != "" {
		if sys = c.Machine.Pin(n); sys == nil {
			return fmt.Errorf("leds: system_led %s: no such GPIO", n)
		}
	}
	l, err := leds.New(pins, sys, &leds.Opts{ActiveLow: c.Profile.LEDActiveLow})
	if err != nil {
		return err
	}
	defer l.Close()
	for i, n := range names {
		fmt.Fprintf(c.Out, "led %s on\n", n)
		if err := flash(func(p board.Pattern) error { return l.SetPort(i, p) }, c.LEDStep); err != nil {
			return err
		}
	}
	if sys != nil {
		fmt.Fprintf(c.Out, "led system %s on\n", c.Profile.SystemLED)
		return flash(l.SetSystem, c.LEDStep)
	}
	return nil
}

func flash(set func(board.Pattern) error, d time.Duration) error {
	if err := set(board.On); err != nil {
		return err
	}
	time.Sleep(d)
	return set(board.Off)
}
