// Package pi is the Raspberry Pi bench: it builds a board.Hardware from a
// board profile, with the TPS23861 PSE and the SSD1306 OLED on one I²C bus
// and the LEDs on GPIO pins. It is the only package that imports
// periph.io/x/host/v3 (design.md), and only cmd/... imports it.
//
// A PSE or OLED that does not answer (not wired yet, its supply off) is not
// an error: the Board reports it in Faults, keeps trying it in the
// background every Deps.Retry and sets it up when it answers, so the
// appliance serves DHCP and TFTP meanwhile. What the profile gets wrong (a
// GPIO that does not exist) is an error of New.
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
	"time"

	"github.com/jonboulle/clockwork"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2creg"
	"periph.io/x/devices/v3/ssd1306/image1bit"
	"periph.io/x/host/v3"

	"github.com/phoneflash/phoneflash/board"
	"github.com/phoneflash/phoneflash/board/font"
	"github.com/phoneflash/phoneflash/board/leds"
	"github.com/phoneflash/phoneflash/board/tps23861"
)

// DefaultRetry is how often a part that does not answer is tried again.
const DefaultRetry = 5 * time.Second

// Open initializes periph's host drivers, opens the profile's I²C bus and
// builds the bench for the ports served, in -ports order. A bus that cannot
// be opened is a fault (the PSE and OLED are then missing), not an error.
func Open(p board.Profile, ports []string, log *slog.Logger) (*Board, error) {
	if _, err := host.Init(); err != nil {
		return nil, fmt.Errorf("pi: periph host init: %w", err)
	}
	d := Deps{Pin: gpioreg.ByName, Log: log}
	var bus i2c.BusCloser
	if p.PSE != nil || p.OLED != nil {
		b, err := i2creg.Open(p.I2CBus)
		if err != nil {
			d.BusErr = fmt.Errorf("pi: i2c_bus %s: %w (is dtparam=i2c_arm=on in the bootloader config?)", p.I2CBus, err)
		} else {
			bus, d.Bus = b, b
		}
	}
	hw, err := New(p, ports, d)
	if err != nil {
		if bus != nil {
			bus.Close()
		}
		return nil, err
	}
	if bus != nil {
		hw.closer = bus
	}
	return hw, nil
}

// Deps are what New needs from the machine; Open fills them from periph's
// registries, tests from i2ctest and gpiotest.
type Deps struct {
	Bus    i2c.Bus                      // nil when the profile has neither PSE nor OLED, or BusErr
	BusErr error                        // why there is no bus although the profile needs one
	Pin    func(name string) gpio.PinIO // nil result: no such pin
	Log    *slog.Logger
	Clock  clockwork.Clock // default: the real clock
	Retry  time.Duration   // default DefaultRetry
}

// Board is the Pi bench hardware.
type Board struct {
	profile board.Profile
	ports   []string
	log     *slog.Logger
	busErr  error
	pse     *psePart     // nil: no PSE in the profile
	display *displayPart // nil: no OLED in the profile
	leds    *leds.LEDs
	closer  interface{ Close() error }
	stop    chan struct{}
	done    chan struct{}
}

var (
	_ board.Hardware      = (*Board)(nil)
	_ board.FaultReporter = (*Board)(nil)
)

// New builds the bench from the profile on the given bus and pins, tries
// the PSE and the OLED once and starts trying again in the background the
// ones that do not answer. Every port served must be in the profile
// (board.Profile.CheckPorts).
func New(p board.Profile, ports []string, d Deps) (*Board, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("pi: board profile: %w", err)
	}
	if err := p.CheckPorts(ports); err != nil {
		return nil, fmt.Errorf("pi: %w", err)
	}
	if (p.PSE != nil || p.OLED != nil) && d.Bus == nil && d.BusErr == nil {
		return nil, errors.New("pi: the profile has I²C devices but no bus was opened")
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Clock == nil {
		d.Clock = clockwork.NewRealClock()
	}
	if d.Retry <= 0 {
		d.Retry = DefaultRetry
	}
	b := &Board{profile: p, ports: append([]string(nil), ports...), log: d.Log, busErr: d.BusErr,
		stop: make(chan struct{}), done: make(chan struct{})}
	if err := b.openPSE(d); err != nil {
		return nil, err
	}
	if p.OLED != nil {
		b.display = &displayPart{bus: d.Bus, addr: uint16(p.OLED.Addr), log: d.Log}
	}
	if err := b.openLEDs(d); err != nil {
		return nil, err
	}
	if b.busErr != nil {
		d.Log.Warn("i2c bus missing: no PoE control and no OLED", "err", b.busErr)
		close(b.done)
		return b, nil
	}
	b.tryParts(true)
	go b.retry(d.Clock, d.Retry)
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
	b.pse = newPSEPart(d.Bus, opts, d.Log)
	return nil
}

// tryParts sets up the parts that do not work yet and logs what changed:
// at the first try every part that does not answer, later only a part that
// answers now or stopped answering.
func (b *Board) tryParts(first bool) {
	if b.pse != nil {
		if ok, changed := b.pse.connect(); changed || (first && !ok) {
			b.logPart("poe board", fmt.Sprintf("%#x", b.pse.opts.Addr), ok, b.pse.lastErr())
		}
	}
	if b.display != nil {
		if ok, changed := b.display.connect(); changed || (first && !ok) {
			b.logPart("oled", fmt.Sprintf("%#x", b.display.addr), ok, b.display.lastErr())
		}
	}
}

func (b *Board) logPart(part, addr string, ok bool, err error) {
	if ok {
		b.log.Info(part+" answers", "addr", addr)
		return
	}
	b.log.Warn(part+" does not answer; serving without it and trying again in the background", "addr", addr, "err", err)
}

// retry tries the missing parts every interval until Close.
func (b *Board) retry(clock clockwork.Clock, every time.Duration) {
	defer close(b.done)
	t := clock.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.Chan():
			b.tryParts(false)
		}
	}
}

// Faults implements board.FaultReporter.
func (b *Board) Faults() []board.Fault {
	if b.busErr != nil {
		return []board.Fault{{Part: board.PartBus, Text: "I2C bus missing"}}
	}
	var out []board.Fault
	if b.pse != nil {
		out = append(out, b.pse.faults()...)
	}
	if b.display != nil {
		out = append(out, b.display.faults()...)
	}
	return out
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

// Close implements board.Hardware: the background retries stop, goodbye
// message, LEDs off, PoE per pse.on_exit, then the bus is released.
func (b *Board) Close(ctx context.Context) error {
	select {
	case <-b.stop:
		return nil
	default:
	}
	close(b.stop)
	<-b.done
	var errs []error
	if b.display != nil {
		errs = append(errs, b.display.close(Goodbye()))
	}
	if b.leds != nil {
		errs = append(errs, b.leds.Close())
	}
	if b.pse != nil && b.profile.PSE.OnExit == "off" {
		if dev, _ := b.pse.current(); dev != nil {
			for i := range b.ports {
				if ch, ok := b.ChannelOf(i); ok {
					errs = append(errs, dev.SetPower(ctx, ch, false))
				}
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
