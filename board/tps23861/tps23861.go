package tps23861

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/physic"

	"github.com/phoneflash/phoneflash/board"
)

// Channels is the number of PoE ports of one TPS23861.
const Channels = 4

// DefaultAddr is the 7-bit address with the address pins grounded.
const DefaultAddr = 0x20

// Opts configures a Dev. The zero value of each field means its default.
type Opts struct {
	Addr uint16 // 7-bit I²C address; default DefaultAddr
	// ShuntMilliOhm is the current sense resistor: 255 (default) or 250.
	ShuntMilliOhm int
	// Int is the chip's INT output (open-drain, active low), or nil to poll
	// only.
	Int gpio.PinIn
	// Poll is how often Watch reads the event registers without an
	// interrupt; default 200ms. With Int it is the fallback for missed edges.
	Poll  time.Duration
	Clock clockwork.Clock // default: the real clock
}

// DefaultOpts are the options of the reference bench: address 0x20, 255 mΩ,
// no interrupt pin.
var DefaultOpts = Opts{Addr: DefaultAddr, ShuntMilliOhm: 255, Poll: 200 * time.Millisecond}

// Dev is one TPS23861 in semi-auto mode.
type Dev struct {
	d     i2c.Dev
	opts  Opts
	clock clockwork.Clock
	lsb   physic.ElectricCurrent

	mu     sync.Mutex // serializes bus transactions and want
	want   [Channels]bool
	seen   [Channels]int // last reported detection, seen*
	supply Supply
}

// Supply is the state of the chip's 48 V input (VPWR): the input voltage
// register (0x2E) and the supply event register (0x0B).
type Supply struct {
	Input physic.ElectricPotential
	// Low is set while the input is below MinInput: no 48 V supply, so no
	// phone gets power.
	Low bool
	// Overheated is set after a thermal shutdown event, until New runs again.
	Overheated bool
}

var _ board.PSE = (*Dev)(nil)

// New validates opts and puts the chip in semi-auto mode with detection,
// classification and DC disconnect enabled on all ports. Power stays off
// until SetPower. A nil opts means DefaultOpts.
func New(bus i2c.Bus, opts *Opts) (*Dev, error) {
	o := DefaultOpts
	if opts != nil {
		o = *opts
	}
	if o.Addr == 0 {
		o.Addr = DefaultAddr
	}
	if o.Addr > 0x7F {
		return nil, fmt.Errorf("tps23861: address %#x is not a 7-bit I²C address", o.Addr)
	}
	if o.ShuntMilliOhm == 0 {
		o.ShuntMilliOhm = 255
	}
	if o.Poll == 0 {
		o.Poll = DefaultOpts.Poll
	}
	if o.Poll < 0 {
		return nil, fmt.Errorf("tps23861: poll interval %s is negative", o.Poll)
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	d := &Dev{d: i2c.Dev{Bus: bus, Addr: o.Addr}, opts: o, clock: o.Clock}
	general := byte(0)
	switch o.ShuntMilliOhm {
	case 255:
		d.lsb = currentLSB255
	case 250:
		d.lsb, general = currentLSB250, shunt250
	default:
		return nil, fmt.Errorf("tps23861: shunt %d mΩ: the chip supports 255 or 250", o.ShuntMilliOhm)
	}
	if o.Int != nil {
		general |= intEnable
		if err := o.Int.In(gpio.PullUp, gpio.FallingEdge); err != nil {
			return nil, fmt.Errorf("tps23861: interrupt pin %s: %w", o.Int, err)
		}
	}
	if err := d.init(general); err != nil {
		return nil, fmt.Errorf("tps23861: init at %#x: %w", o.Addr, err)
	}
	return d, nil
}

// init puts the chip in semi-auto mode with detection, classification and
// DC disconnect on all ports, unmasks the interrupts, sets the shunt and
// INTEN bits of general mask 1 by read-modify-write (as the Linux hwmon
// driver does; the other bits stay as they are), clears pending
// interrupts and reads the 48 V input.
func (d *Dev) init(general byte) error {
	for _, w := range [][2]byte{{regOpMode, opModeSemiAuto}, {regDisconnect, allPorts}, {regDetectClass, detectClassAll}, {regIntMask, intMaskEvents}} {
		if err := d.write(w[0], w[1]); err != nil {
			return err
		}
	}
	gm, err := d.read(regGeneralMask, 1)
	if err != nil {
		return err
	}
	if err := d.write(regGeneralMask, gm[0]&^generalOurs|general); err != nil {
		return err
	}
	if err := d.write(regReset, clearAllInts); err != nil {
		return err
	}
	return d.readInput()
}

// readInput reads the VPWR input voltage into d.supply. Callers hold d.mu
// (or own d, in New).
func (d *Dev) readInput() error {
	b, err := d.read(regInputVoltage, 2)
	if err != nil {
		return fmt.Errorf("input voltage: %w", err)
	}
	d.supply.Input = physic.ElectricPotential(le14(b)) * voltageLSB
	d.supply.Low = d.supply.Input < MinInput
	return nil
}

// Supply returns the 48 V input as last read: by New, and by Watch after a
// supply event and while the input is low. It does not touch the bus.
func (d *Dev) Supply() Supply {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.supply
}

func (d *Dev) String() string { return fmt.Sprintf("tps23861(%s@%#x)", d.d.Bus, d.opts.Addr) }

// Channels implements board.PSE.
func (d *Dev) Channels() int { return Channels }

func (d *Dev) write(reg, v byte) error { return d.d.Tx([]byte{reg, v}, nil) }

func (d *Dev) read(reg byte, n int) ([]byte, error) {
	b := make([]byte, n)
	if err := d.d.Tx([]byte{reg}, b); err != nil {
		return nil, err
	}
	return b, nil
}

func check(ch board.Channel) error {
	if ch < 0 || ch >= Channels {
		return fmt.Errorf("tps23861: channel %d out of range 0..%d", ch, Channels-1)
	}
	return nil
}

// SetPower implements board.PSE. On writes PWON: in semi-auto mode the chip
// powers the port after its next good detection and classification, and
// Watch writes PWON again whenever a wanted, unpowered channel classifies
// (after a disconnect or a fault). Off writes PWOFF.
func (d *Dev) SetPower(_ context.Context, ch board.Channel, on bool) error {
	if err := check(ch); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.want[ch] = on
	bit := byte(1) << ch
	if !on {
		bit <<= 4
	}
	if err := d.write(regPowerEnable, bit); err != nil {
		return fmt.Errorf("tps23861: channel %d power %v: %w", ch, on, err)
	}
	return nil
}

// Cycle implements board.PSE: PWOFF, wait off, then PWON.
func (d *Dev) Cycle(ctx context.Context, ch board.Channel, off time.Duration) error {
	if err := d.SetPower(ctx, ch, false); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		return fmt.Errorf("tps23861: channel %d power cycle: %w", ch, ctx.Err())
	case <-d.clock.After(off):
	}
	return d.SetPower(ctx, ch, true)
}

// Measure reads a channel's current and voltage.
func (d *Dev) Measure(ch board.Channel) (physic.ElectricCurrent, physic.ElectricPotential, error) {
	if err := check(ch); err != nil {
		return 0, 0, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.measureLocked(ch)
}

func (d *Dev) measureLocked(ch board.Channel) (physic.ElectricCurrent, physic.ElectricPotential, error) {
	ib, err := d.read(regCurrent+4*byte(ch), 2)
	if err != nil {
		return 0, 0, fmt.Errorf("tps23861: channel %d current: %w", ch, err)
	}
	vb, err := d.read(regVoltage+4*byte(ch), 2)
	if err != nil {
		return 0, 0, fmt.Errorf("tps23861: channel %d voltage: %w", ch, err)
	}
	return physic.ElectricCurrent(le14(ib)) * d.lsb, physic.ElectricPotential(le14(vb)) * voltageLSB, nil
}

// Status implements board.PSE.
func (d *Dev) Status(_ context.Context, ch board.Channel) (board.PortStatus, error) {
	if err := check(ch); err != nil {
		return board.PortStatus{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.statusLocked(ch)
}

func (d *Dev) statusLocked(ch board.Channel) (board.PortStatus, error) {
	ps, err := d.read(regPortStatus+byte(ch), 1)
	if err != nil {
		return board.PortStatus{}, fmt.Errorf("tps23861: channel %d status: %w", ch, err)
	}
	pw, err := d.read(regPowerStatus, 1)
	if err != nil {
		return board.PortStatus{}, fmt.Errorf("tps23861: power status: %w", err)
	}
	i, v, err := d.measureLocked(ch)
	if err != nil {
		return board.PortStatus{}, err
	}
	return board.PortStatus{
		Channel:   ch,
		Detect:    decodeDetect(ps[0]),
		Class:     decodeClass(ps[0]),
		Enabled:   pw[0]&(1<<ch) != 0,
		PowerGood: pw[0]&(1<<(ch+4)) != 0,
		CurrentA:  float64(i) / float64(physic.Ampere),
		VoltageV:  float64(v) / float64(physic.Volt),
	}, nil
}
