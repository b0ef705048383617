// Package status turns the appliance's status snapshot into what the bench
// hardware shows: a 128x64 one-bit OLED frame (Render) and LED patterns
// (PortPattern, SystemPattern). Everything here is a pure function of its
// inputs, tested with golden PNGs in testdata.
package status

import (
	"github.com/phoneflash/phoneflash/appliance/session"
	"github.com/phoneflash/phoneflash/board"
)

// Snapshot is what the appliance shows at one moment.
type Snapshot struct {
	State  string     // the appliance's own state: "ready", "no firmware", "/perm read-only", ...
	Uplink string     // the uplink address, "" when there is none
	Target string     // the load phones end on
	Ports  []PortView // bench ports in -ports order
}

// PortView is one bench port and the phones seen on it (more than one when
// an external PoE switch hangs off the port).
type PortView struct {
	Index  int    // 0-based bench port number; shown 1-based
	Name   string // interface name
	Phones []session.Phone
}

// Ready is the State of an appliance with nothing wrong.
const Ready = "ready"

// PatternFor maps a stage to its LED pattern: off for an empty port, slow
// blink while working, on when done, fast blink when a person must act and
// double blink when failed.
func PatternFor(st session.Stage) board.Pattern {
	switch st {
	case session.StageEmpty, "":
		return board.Off
	case session.StageDone:
		return board.On
	case session.StageNeedsReset:
		return board.FastBlink
	case session.StageFailed:
		return board.DoubleBlink
	}
	return board.SlowBlink
}

// PhonePattern is one phone's LED pattern: its stage's, except that a
// phone done but not registered (the PBX did not answer, or it
// unregistered) is not steady: it blinks fast, for a person to look at
// the PBX. A phone whose registration the bench does not watch (no
// uplink) is steady when done, as before the bench watched.
func PhonePattern(p session.Phone) board.Pattern {
	if p.Stage == session.StageDone && p.Registration != nil {
		switch p.Registration.State {
		case session.RegUnreachable, session.RegUnregistered, session.RegWaiting:
			return board.FastBlink
		}
	}
	return PatternFor(p.Stage)
}

// urgency orders patterns for a port with several phones: the LED shows the
// one that most needs a person.
var urgency = map[board.Pattern]int{
	board.Off: 0, board.On: 1, board.SlowBlink: 2, board.DoubleBlink: 3, board.FastBlink: 4,
}

// PortPattern is the LED pattern of a port: the most urgent of its phones'.
func PortPattern(p PortView) board.Pattern {
	best := board.Off
	for _, ph := range p.Phones {
		if pat := PhonePattern(ph); urgency[pat] > urgency[best] {
			best = pat
		}
	}
	return best
}

// SystemPattern is the system LED: on when the appliance is ready, fast
// blink when its state needs a person (no firmware, read-only /perm).
func SystemPattern(s Snapshot) board.Pattern {
	if s.State == Ready {
		return board.On
	}
	return board.FastBlink
}
