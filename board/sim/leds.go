package sim

import (
	"fmt"
	"log/slog"
	"sync"

	"github.com/phoneflash/phoneflash/board"
)

// LEDs remembers the pattern of every LED and logs changes.
type LEDs struct {
	log *slog.Logger

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
	if l.port[i] != p && l.log != nil {
		l.log.Info("sim led", "port", i, "pattern", p.String())
	}
	l.port[i] = p
	l.calls = append(l.calls, fmt.Sprintf("port %d %s", i, p))
	return nil
}

// SetSystem sets the system LED.
func (l *LEDs) SetSystem(p board.Pattern) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.system != p && l.log != nil {
		l.log.Info("sim led", "system", true, "pattern", p.String())
	}
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

// Calls returns the recorded calls, oldest first.
func (l *LEDs) Calls() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.calls...)
}
