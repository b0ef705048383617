// Package pi is the Raspberry Pi bench: it builds a board.Hardware from a
// board profile, with the TPS23861 PSE and the SSD1306 OLED on one I²C bus
// and the LEDs on GPIO pins. It is the only package that imports
// periph.io/x/host/v3 (design.md), and only cmd/... imports it.
//
// On Close it leaves the hardware safe: a goodbye message on the OLED, every
// LED off, and PoE as the profile's pse.on_exit says ("keep" by default, so
// a phone writing its flash during an update keeps its power).
package pi

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2creg"
	"periph.io/x/devices/v3/ssd1306/image1bit"
	"periph.io/x/host/v3"

	"github.com/phoneflash/phoneflash/board"
	"github.com/phoneflash/phoneflash/board/font"
	"github.com/phoneflash/phoneflash/board/leds"
	"github.com/phoneflash/phoneflash/board/oled"
	"github.com/phoneflash/phoneflash/board/tps23861"
)

// Open initializes periph's host drivers, opens the profile's I²C bus and
// builds the bench for the ports served, in -ports order.
func Open(p board.Profile, ports []string, log *slog.Logger) (*Board, error) {
	if _, err := host.Init(); err != nil {
		return nil, fmt.Errorf("pi: periph host init: %w", err)
	}
	var bus i2c.BusCloser
	if p.PSE != nil || p.OLED != nil {
		b, err := i2creg.Open(p.I2CBus)
		if err != nil {
			return nil, fmt.Errorf("pi: i2c_bus %s: %w (is dtparam=i2c_arm=on in the bootloader config?)", p.I2CBus, err)
		}
		bus = b
	}
	hw, err := New(p, ports, Deps{Bus: bus, Pin: gpioreg.ByName, Log: log})
	if err != nil {
		if bus != nil {
			bus.Close()
		}
		return nil, err
	}
	hw.closer = bus
	return hw, nil
}

// Deps are what New needs from the machine; Open fills them from periph's
// registries, tests from i2ctest and gpiotest.
type Deps struct {
	Bus i2c.Bus                      // nil when the profile has neither PSE nor OLED
	Pin func(name string) gpio.PinIO // nil result: no such pin
	Log *slog.Logger
}

// Board is the Pi bench hardware.
type Board struct {
	profile board.Profile
	ports   []string
	pse     *tps23861.Dev
	display *oled.Display
	leds    *leds.LEDs
	closer  interface{ Close() error }
}

var _ board.Hardware = (*Board)(nil)

// New builds the bench from the profile on the given bus and pins. Every
// port served must be in the profile (board.Profile.CheckPorts).
func New(p board.Profile, ports []string, d Deps) (*Board, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("pi: board profile: %w", err)
	}
	if err := p.CheckPorts(ports); err != nil {
		return nil, fmt.Errorf("pi: %w", err)
	}
	if (p.PSE != nil || p.OLED != nil) && d.Bus == nil {
		return nil, errors.New("pi: the profile has I²C devices but no bus was opened")
	}
	b := &Board{profile: p, ports: append([]string(nil), ports...)}
	if err := b.openPSE(d); err != nil {
		return nil, err
	}
	if p.OLED != nil {
		dev, err := oled.New(d.Bus, &oled.Opts{Addr: uint16(p.OLED.Addr), OnError: func(err error) {
			if d.Log != nil {
				d.Log.Warn("oled", "err", err)
			}
		}})
		if err != nil {
			return nil, fmt.Errorf("pi: oled.addr %s: %w", p.OLED.Addr, err)
		}
		b.display = dev
	}
	if err := b.openLEDs(d); err != nil {
		if b.display != nil {
			b.display.Close(nil)
		}
		return nil, err
	}
	return b, nil
}

func (b *Board) openPSE(d Deps) error {
	p := b.profile.PSE
	if p == nil {
		return nil
	}
	opts := tps23861.Opts{Addr: uint16(p.Addr), ShuntMilliOhm: p.ShuntMilliOhm}
	if p.IntPin != "" {
		pin := d.Pin(p.IntPin)
		if pin == nil {
			return fmt.Errorf("pi: pse.int_pin %s: no such GPIO on this board", p.IntPin)
		}
		opts.Int = pin
	}
	dev, err := tps23861.New(d.Bus, &opts)
	if err != nil {
		return fmt.Errorf("pi: pse.addr %s: %w", p.Addr, err)
	}
	b.pse = dev
	return nil
}

func (b *Board) openLEDs(d Deps) error {
	lookup := func(field, name string) (gpio.PinOut, error) {
		if name == "" {
			return nil, nil
		}
		pin := d.Pin(name)
		if pin == nil {
			return nil, fmt.Errorf("pi: %s %s: no such GPIO on this board", field, name)
		}
		return pin, nil
	}
	pins := make([]gpio.PinOut, len(b.ports))
	fitted := false
	for i, name := range b.ports {
		port, _ := b.profile.Port(name)
		pin, err := lookup(fmt.Sprintf("led of port %s", name), port.LED)
		if err != nil {
			return err
		}
		pins[i], fitted = pin, fitted || pin != nil
	}
	sys, err := lookup("system_led", b.profile.SystemLED)
	if err != nil {
		return err
	}
	if !fitted && sys == nil {
		return nil
	}
	l, err := leds.New(pins, sys, &leds.Opts{ActiveLow: b.profile.LEDActiveLow})
	if err != nil {
		return fmt.Errorf("pi: %w", err)
	}
	b.leds = l
	return nil
}

// PSE implements board.Hardware.
func (b *Board) PSE() board.PSE {
	if b.pse == nil {
		return nil
	}
	return b.pse
}

// Display implements board.Hardware.
func (b *Board) Display() board.Display {
	if b.display == nil {
		return nil
	}
	return b.display
}

// LEDs implements board.Hardware.
func (b *Board) LEDs() board.LEDs {
	if b.leds == nil {
		return nil
	}
	return b.leds
}

// ChannelOf implements board.Hardware from the profile's poe_channel.
func (b *Board) ChannelOf(port int) (board.Channel, bool) {
	if b.pse == nil || port < 0 || port >= len(b.ports) {
		return 0, false
	}
	pp, _ := b.profile.Port(b.ports[port])
	if pp.PoEChannel == nil {
		return 0, false
	}
	return board.Channel(*pp.PoEChannel), true
}

// Close implements board.Hardware: goodbye message, LEDs off, PoE per
// pse.on_exit, then the bus is released.
func (b *Board) Close(ctx context.Context) error {
	var errs []error
	if b.display != nil {
		errs = append(errs, b.display.Close(Goodbye()))
	}
	if b.leds != nil {
		errs = append(errs, b.leds.Close())
	}
	if b.pse != nil && b.profile.PSE.OnExit == "off" {
		for i := range b.ports {
			if ch, ok := b.ChannelOf(i); ok {
				errs = append(errs, b.pse.SetPower(ctx, ch, false))
			}
		}
	}
	if b.closer != nil {
		errs = append(errs, b.closer.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("pi: close: %w", err)
	}
	return nil
}

// Goodbye is the frame left on the OLED when phoneflash stops.
func Goodbye() *image1bit.VerticalLSB {
	img := image1bit.NewVerticalLSB(image.Rect(0, 0, 128, 64))
	f := font.Default()
	for i, s := range []string{"phoneflash", "stopped"} {
		f.Draw(img, (128-font.Width(s, 1))/2, 20+i*12, s, 1)
	}
	return img
}
