package status

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/phoneflash/phoneflash/appliance/session"
	"github.com/phoneflash/phoneflash/board"
)

func TestPatternFor(t *testing.T) {
	want := map[session.Stage]board.Pattern{
		session.StageEmpty: board.Off, session.StagePowered: board.SlowBlink, session.StageDHCP: board.SlowBlink,
		session.StageConfig: board.SlowBlink, session.StageLoading: board.SlowBlink, session.StageApplying: board.SlowBlink,
		session.StageStepping: board.SlowBlink, session.StageRegistering: board.SlowBlink, session.StageDone: board.On,
		session.StageNeedsReset: board.FastBlink, session.StageFailed: board.DoubleBlink,
	}
	got := map[session.Stage]board.Pattern{}
	for _, st := range session.Stages {
		got[st] = PatternFor(st)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("PatternFor (-want +got):\n%s", diff)
	}
}

func TestPortPattern(t *testing.T) {
	tests := []struct {
		stages []session.Stage
		want   board.Pattern
	}{
		{nil, board.Off},
		{[]session.Stage{session.StageDone}, board.On},
		{[]session.Stage{session.StageDone, session.StageLoading}, board.SlowBlink},
		{[]session.Stage{session.StageFailed, session.StageLoading}, board.DoubleBlink},
		{[]session.Stage{session.StageFailed, session.StageNeedsReset, session.StageDone}, board.FastBlink},
	}
	for _, tt := range tests {
		var p PortView
		for _, st := range tt.stages {
			p.Phones = append(p.Phones, session.Phone{Stage: st})
		}
		if got := PortPattern(p); got != tt.want {
			t.Errorf("PortPattern(%v) = %s, want %s", tt.stages, got, tt.want)
		}
	}
}

// registered is a phone at stage st whose registration is in state rs.
func registered(mac string, st session.Stage, rs session.RegState, bench bool) session.Phone {
	p := phone(mac, st)
	p.Registration = &session.RegistrationView{Registration: session.Registration{State: rs, Extension: "1006", Bench: bench,
		Registrar: "192.0.2.10:5060", Reason: "no answer to its REGISTER within 32s"}}
	return p
}

// TestPhonePattern: the LED is steady only for a registered phone (or one
// whose registration is not watched); done without a registration blinks.
func TestPhonePattern(t *testing.T) {
	for _, tt := range []struct {
		p    session.Phone
		want board.Pattern
	}{
		{registered("A", session.StageDone, session.RegRegistered, false), board.On},
		{registered("A", session.StageDone, session.RegRegistered, true), board.On},
		{registered("A", session.StageDone, session.RegNotChecked, false), board.On},
		{phone("A", session.StageDone), board.On},
		{registered("A", session.StageDone, session.RegUnreachable, false), board.FastBlink},
		{registered("A", session.StageDone, session.RegUnregistered, false), board.FastBlink},
		{registered("A", session.StageRegistering, session.RegWaiting, false), board.SlowBlink},
		{registered("A", session.StageFailed, session.RegRefused, false), board.DoubleBlink},
	} {
		if got := PhonePattern(tt.p); got != tt.want {
			t.Errorf("%s with registration %s: %s, want %s", tt.p.Stage, tt.p.Registration.State, got, tt.want)
		}
	}
	port := PortView{Phones: []session.Phone{registered("A", session.StageDone, session.RegRegistered, false),
		registered("B", session.StageDone, session.RegUnreachable, false)}}
	if got := PortPattern(port); got != board.FastBlink {
		t.Errorf("a port with a phone not registered: %s, want fast blink", got)
	}
}

func TestSystemPattern(t *testing.T) {
	if got := SystemPattern(Snapshot{State: Ready}); got != board.On {
		t.Errorf("ready: %s", got)
	}
	if got := SystemPattern(Snapshot{State: "no firmware"}); got != board.FastBlink {
		t.Errorf("no firmware: %s", got)
	}
}

func TestScreensRotate(t *testing.T) {
	s := bench(
		[]session.Phone{phone("A1", session.StageNeedsReset), phone("A2", session.StageDone),
			phone("A3", session.StageDone), phone("A4", session.StageDone)},
		one(phone("B1", session.StageNeedsReset)),
	)
	// Two instruction screens, then two pages of five lines.
	if got := Screens(s); got != 4 {
		t.Fatalf("Screens = %d, want 4", got)
	}
	if Screens(Snapshot{}) != 1 {
		t.Error("an appliance without ports has no screen")
	}
	first := Render(s, 0)
	again := Render(s, 4*TicksPerPage) // a full rotation later
	if diff := cmp.Diff(first.Pix, again.Pix); diff != "" {
		t.Error("rotation does not come back to the first screen")
	}
	for i := 1; i < 4; i++ {
		if cmp.Equal(first.Pix, Render(s, i*TicksPerPage).Pix) {
			t.Errorf("screen %d looks like screen 0", i)
		}
	}
	if !cmp.Equal(Render(s, -5).Pix, first.Pix) {
		t.Error("a negative tick does not show the first screen")
	}
}

func TestLast4(t *testing.T) {
	for in, want := range map[string]string{"00:1b:54:ab:bb:cc": "BBCC", "001B54ABBBCC": "BBCC", "ab": "  AB", "": "    "} {
		if got := last4(in); got != want {
			t.Errorf("last4(%q) = %q, want %q", in, got, want)
		}
	}
}
