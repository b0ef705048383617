// Package leds drives the bench's status LEDs on periph.io GPIO pins: one LED
// per bench port and a system LED, each showing a board.Pattern (off, on,
// slow blink = working, fast blink = needs a person, double blink = failed).
//
// One goroutine steps every LED through its pattern on a shared 100 ms
// clock, so LEDs with the same pattern blink in step. The clock is injected
// (clockwork), so tests run the timings without waiting.
package leds

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"
	"periph.io/x/conn/v3/gpio"

	"github.com/phoneflash/phoneflash/board"
)

// Step is the pattern resolution; a pattern repeats every StepsPerCycle
// steps (one second).
const (
	Step          = 100 * time.Millisecond
	StepsPerCycle = 10
)

// shapes are the patterns over one second, one character per step.
var shapes = map[board.Pattern]string{
	board.Off:         "----------",
	board.On:          "##########",
	board.SlowBlink:   "#####-----", // 1 Hz, half on
	board.FastBlink:   "#-#-#-#-#-", // 5 Hz
	board.DoubleBlink: "#-#-------", // two short flashes, then dark
}

// Lit reports whether pattern p lights its LED at step n (counted from any
// cycle start).
func Lit(p board.Pattern, n int) bool {
	s, ok := shapes[p]
	if !ok {
		return false
	}
	return s[((n%StepsPerCycle)+StepsPerCycle)%StepsPerCycle] == '#'
}

// Opts configures LEDs.
type Opts struct {
	ActiveLow bool            // the LED lights with the pin low
	Clock     clockwork.Clock // default: the real clock
}

// LEDs implements board.LEDs on GPIO pins.
type LEDs struct {
	opts  Opts
	stop  chan struct{}
	done  chan struct{}
	steps atomic.Int64 // steps taken, for tests

	mu       sync.Mutex
	pins     []gpio.PinOut // ports..., then the system LED; nil: not fitted
	patterns []board.Pattern
	lit      []bool
	n        int // current step
	closed   bool
}

var _ board.LEDs = (*LEDs)(nil)

// New turns every LED off and starts the blink goroutine. ports[i] is the LED
// of bench port i; any pin, and system, may be nil when not fitted. Close
// stops it.
func New(ports []gpio.PinOut, system gpio.PinOut, opts *Opts) (*LEDs, error) {
	l := &LEDs{stop: make(chan struct{}), done: make(chan struct{})}
	if opts != nil {
		l.opts = *opts
	}
	if l.opts.Clock == nil {
		l.opts.Clock = clockwork.NewRealClock()
	}
	l.pins = append(append([]gpio.PinOut(nil), ports...), system)
	l.patterns = make([]board.Pattern, len(l.pins))
	l.lit = make([]bool, len(l.pins))
	for i := range l.pins {
		if err := l.drive(i, false); err != nil {
			return nil, err
		}
	}
	t := l.opts.Clock.NewTicker(Step)
	go l.run(t)
	return l, nil
}

func (l *LEDs) run(t clockwork.Ticker) {
	defer close(l.done)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.Chan():
		}
		l.mu.Lock()
		l.n++
		for i := range l.pins {
			_ = l.applyLocked(i) // a failing pin must not stop the others
		}
		l.mu.Unlock()
		l.steps.Add(1)
	}
}

// drive sets pin i on or off, honouring ActiveLow.
func (l *LEDs) drive(i int, on bool) error {
	p := l.pins[i]
	if p == nil {
		return nil
	}
	level := gpio.Level(on != l.opts.ActiveLow)
	if err := p.Out(level); err != nil {
		return fmt.Errorf("leds: %s: %w", p, err)
	}
	l.lit[i] = on
	return nil
}

func (l *LEDs) applyLocked(i int) error {
	on := Lit(l.patterns[i], l.n)
	if on == l.lit[i] {
		return nil
	}
	return l.drive(i, on)
}

func (l *LEDs) set(i int, p board.Pattern) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return fmt.Errorf("leds: closed")
	}
	if _, ok := shapes[p]; !ok {
		return fmt.Errorf("leds: unknown pattern %s", p)
	}
	l.patterns[i] = p
	return l.applyLocked(i) // takes effect now, not at the next step
}

// SetPort implements board.LEDs.
func (l *LEDs) SetPort(i int, p board.Pattern) error {
	if i < 0 || i >= len(l.pins)-1 {
		return fmt.Errorf("leds: port %d out of range 0..%d", i, len(l.pins)-2)
	}
	return l.set(i, p)
}

// SetSystem implements board.LEDs.
func (l *LEDs) SetSystem(p board.Pattern) error { return l.set(len(l.pins)-1, p) }

// Close stops blinking and turns every LED off.
func (l *LEDs) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.mu.Unlock()
	close(l.stop)
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	var first error
	for i := range l.pins {
		l.lit[i] = true // force the write
		if err := l.drive(i, false); err != nil && first == nil {
			first = err
		}
	}
	return first
}
