// Package board describes the bench hardware that phoneflash drives: the PoE
// power-sourcing equipment (PSE), the status display and the LEDs.
//
// It holds interfaces, value types and the board profile (profile.go: the
// JSON description of a bench's wiring, validated at start-up) only. Real
// drivers live in board/tps23861, board/oled and board/leds and are
// assembled by board/pi; board/sim provides simulated hardware for tests and
// the demo; board/font is the OLED's bitmap font. The appliance depends on
// this package alone, so it never sees periph.io/x/host.
package board

import (
	"context"
	"errors"
	"fmt"
	"image"
	"time"
)

// Channel numbers a PoE channel of the PSE, 0-based.
type Channel int

// DetectResult is what the PSE's detection cycle found on a channel.
type DetectResult int

// Detection results, after the TPS23861 port status register (0x0C+n, bits 3:0).
const (
	DetectUnknown     DetectResult = iota
	DetectShort                    // short circuit
	DetectLow                      // resistance too low
	DetectValid                    // valid 25 kΩ signature: an 802.3af/at device
	DetectHigh                     // resistance too high
	DetectOpen                     // nothing connected
	DetectMOSFETFault              // MOSFET fault
	DetectLegacy                   // large capacitance: pre-standard device
)

var detectNames = []string{"unknown", "short", "too-low", "valid", "too-high", "open", "mosfet-fault", "legacy"}

func (d DetectResult) String() string { return enumName(d, detectNames, "detect") }

// PortStatus is a snapshot of one PoE channel.
type PortStatus struct {
	Channel   Channel
	Detect    DetectResult
	Class     int  // 802.3af class 0..4, -1 when not classified
	Enabled   bool // power enable requested
	PowerGood bool // the PSE reports power good
	CurrentA  float64
	VoltageV  float64
}

// PSEEventKind says what happened on a channel.
type PSEEventKind int

// Kinds of PSE events.
const (
	EventDetected    PSEEventKind = iota // detection and classification finished
	EventPowerGood                       // power came up and is good
	EventPowerOff                        // power was removed (by request or fault)
	EventDisconnect                      // the powered device went away (DC disconnect)
	EventOverCurrent                     // ICUT/ILIM fault
	EventShort                           // short circuit at detection
)

var eventNames = []string{"detected", "power-good", "power-off", "disconnect", "over-current", "short"}

func (k PSEEventKind) String() string { return enumName(k, eventNames, "pse-event") }

// PSEEvent is one change on a PoE channel.
type PSEEvent struct {
	Channel Channel
	Kind    PSEEventKind
	Status  PortStatus
}

// PSE switches and watches power on PoE channels.
type PSE interface {
	// Channels is the number of PoE channels.
	Channels() int
	// SetPower turns a channel's power on or off.
	SetPower(ctx context.Context, ch Channel, on bool) error
	// Cycle removes power for off, then restores it.
	Cycle(ctx context.Context, ch Channel, off time.Duration) error
	// Status reads one channel.
	Status(ctx context.Context, ch Channel) (PortStatus, error)
	// Watch calls fn for every event until ctx is done. It blocks.
	Watch(ctx context.Context, fn func(PSEEvent)) error
}

// Display shows one-bit frames. Show must not block on the bus: an adapter
// keeps only the newest frame and draws it when the bus is free.
type Display interface {
	Bounds() image.Rectangle
	Show(frame image.Image) error
}

// Pattern is what an LED does.
type Pattern int

// LED patterns, shared by every surface that shows a stage.
const (
	Off         Pattern = iota
	On                  // idle, phone done
	SlowBlink           // working
	FastBlink           // needs a person
	DoubleBlink         // failed
)

var patternNames = []string{"off", "on", "slow-blink", "fast-blink", "double-blink"}

func (p Pattern) String() string { return enumName(p, patternNames, "pattern") }

// LEDs drives one LED per bench port and a system LED.
type LEDs interface {
	// SetPort sets the LED of bench port i (0-based, in -ports order).
	SetPort(i int, p Pattern) error
	// SetSystem sets the system LED.
	SetSystem(p Pattern) error
}

// Hardware is everything the appliance can drive. Any accessor may return
// nil when the board lacks that part (for example no PSE: power is switched by
// hand).
type Hardware interface {
	PSE() PSE
	Display() Display
	LEDs() LEDs
	// ChannelOf maps a bench port (0-based) to its PoE channel; ok is false
	// when the port has no switched power.
	ChannelOf(port int) (ch Channel, ok bool)
	// Close leaves the hardware in its safe state (display message, LEDs off,
	// PoE as configured). It gets a fresh, short context.
	Close(ctx context.Context) error
}

// None is hardware with nothing attached: no PSE, no display, no LEDs. It is
// what `-board none` runs on.
type None struct{}

var _ Hardware = None{}

func (None) PSE() PSE                      { return nil }
func (None) Display() Display              { return nil }
func (None) LEDs() LEDs                    { return nil }
func (None) ChannelOf(int) (Channel, bool) { return 0, false }
func (None) Close(context.Context) error   { return nil }

// ErrMissing is wrapped by the errors of a part that does not answer (not
// wired, not powered, or gone from the bus): the hardware keeps trying it
// in the background and reports it in Faults.
var ErrMissing = errors.New("not answering")

// Part names a piece of bench hardware that can be missing at run time.
type Part int

// Parts that Faults reports.
const (
	PartBus     Part = iota // the I²C bus itself (no /dev/i2c-N: dtparam=i2c_arm=on missing)
	PartPSE                 // the PoE controller does not answer, or has overheated
	PartSupply              // the PoE controller answers but its 48 V input is off or low
	PartDisplay             // the OLED does not answer
)

var partNames = []string{"i2c-bus", "pse", "pse-supply", "display"}

func (p Part) String() string { return enumName(p, partNames, "part") }

// Fault is one part that cannot do its job now.
type Fault struct {
	Part Part
	Text string // short enough for the OLED's status line, e.g. "no 48 V for PoE"
}

// FaultReporter is implemented by hardware whose parts can be missing while
// the appliance runs. The appliance shows the faults on the OLED (when it
// answers), the system LED and the page, and serves DHCP and TFTP anyway.
type FaultReporter interface {
	Faults() []Fault
}

// enumName is names[v], or kind(v) for a value that has no name.
func enumName[T ~int](v T, names []string, kind string) string {
	if v < 0 || int(v) >= len(names) {
		return fmt.Sprintf("%s(%d)", kind, int(v))
	}
	return names[v]
}
