package session

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/phoneflash/phoneflash/firmware"
)

// limit is how long the phone may show no progress in its stage; 0 means
// no limit. The model's row may override the stall limits.
func (m Machine) limit(s *State) time.Duration {
	t := m.Timeouts
	if md, ok := m.model(s); ok {
		t = t.forModel(md.Stall)
	}
	if d := m.bootLimit(s, t); d > 0 {
		return t.scaled(d)
	}
	var d time.Duration
	switch s.Stage {
	case StageDHCP:
		d = t.DHCP
	case StageConfig, StageStepping:
		d = t.Config
		if s.Offer.Via == ViaSIP && !s.Offer.Loads && !s.Offer.Started {
			d = t.Settle
		}
	case StageLoading:
		d = t.Loading
	case StageApplying:
		d = t.Applying
	}
	return t.scaled(d)
}

// tick fires the stage's timeout: a SIP phone that settled on its config is
// done; anything else is a stall, which costs one automatic power cycle
// where the board switches power and then asks a person.
func (m Machine) tick(s *State, o *out, now time.Time) {
	if m.regTimeout(s, o, now) {
		return
	}
	limit := m.limit(s)
	if limit <= 0 || now.Sub(s.Active) < limit {
		return
	}
	if s.Offer.Via == ViaSIP && !s.Offer.Loads && !s.Offer.Started && s.Stage == StageConfig {
		m.runsOffered(s, o, now, fmt.Sprintf("fetched no %s.loads within %s of its SIP config", s.Offer.Load, limit))
		return
	}
	if _, known := m.model(s); !known && s.VendorModel != "" {
		m.unsupported(s, "", o, now) // a model the table lacks that asked for nothing
		return
	}
	why, todo := m.stallReason(s, limit)
	if s.Offer.Via == ViaConfig && s.Offer.Loads && s.Offer.LoadsSent && !s.Offer.Started {
		m.refused(s, "fetched "+s.Offer.Load+".loads but no image", o, now)
		why, todo = s.Refused, "unplug and replug it so it asks for its config again"
		if _, ok := m.plan(s, firmware.CurrentNewLoader, o, now); !ok {
			return
		}
	}
	why, todo = m.quirkReason(s, why, todo, limit)
	s.Active = now
	if m.autoCycle(s) && !s.Cycled && s.AutoCycles < maxAutoCycles {
		s.Cycled = true
		s.AutoCycles++
		s.Reason = why + ": power-cycled it automatically"
		o.log(slog.LevelWarn, "stalled: power-cycling the port", s.File, why)
		o.journal("power-cycle", why)
		o.add(PowerCycle{Port: s.Port})
		return
	}
	switch {
	case s.Cycled:
		why += " (also after an automatic power cycle)"
	case s.AutoCycles >= maxAutoCycles:
		why += fmt.Sprintf(" (after %d automatic power cycles in this session)", s.AutoCycles)
	}
	m.enter(s, StageNeedsReset, why+": "+todo, o, now)
}

// maxAutoCycles bounds the automatic power cycles of one session, so a phone
// that stalls again after every bit of progress still reaches a person.
const maxAutoCycles = 3

func (m Machine) canCycle(s *State) bool {
	return m.PowerControl != nil && s.Port != "" && m.PowerControl(s.Port)
}

// stallReason says what stalled and what a person should do about it.
func (m Machine) stallReason(s *State, limit time.Duration) (why, todo string) {
	switch s.Stage {
	case StageDHCP:
		return fmt.Sprintf("got an address but asked for no term file or usable config within %s", limit),
			"it may be locked to another TFTP server or a CUCM: " + resetKeys
	case StageLoading:
		return fmt.Sprintf("transfer of %s (file %d of %d) stopped at %d of %d bytes", s.File, s.FileIndex, s.FileCount, s.Bytes, s.Total),
			"check the cable, then unplug and replug the phone"
	case StageApplying:
		return fmt.Sprintf("did not come back within %s after receiving %s", limit, s.Offer.Load),
			"unplug and replug it; if its screen shows an error, " + resetKeys
	}
	if s.Offer.Load == "" {
		return fmt.Sprintf("asked for no usable file within %s", limit),
			"unplug and replug it; if that repeats, " + resetKeys
	}
	if s.Offer.Via == ViaTerm {
		return fmt.Sprintf("fetched the term file of %s but no image within %s", s.Offer.Load, limit),
			"unplug and replug it; if that repeats, " + resetKeys
	}
	return fmt.Sprintf("its config names %s but it fetched nothing within %s", s.Offer.Load, limit),
		"unplug and replug it so it asks for its config again"
}

// Resume continues a session read back from the journal after the
// appliance restarted: timers start afresh (the old process's clock means
// nothing), a transfer in flight restarts from its file, and the history
// records the restart.
func (m Machine) Resume(s State, now time.Time) (State, []Action) {
	o := &out{}
	s.Restarts++
	s.Since, s.Active, s.TermAt = now, now, now
	if !s.Offer.At.IsZero() {
		s.Offer.At = now
	}
	s.Bytes = s.FileBase
	if s.Stage == StageRegistering {
		s.Reg.Resumed = true // the PBX's answer may be lost: see regTimeout
	}
	detail := fmt.Sprintf("appliance restarted; continuing at stage %s", s.Stage)
	if s.File != "" {
		detail += fmt.Sprintf(" (%s, file %d of %d)", s.File, s.FileIndex, s.FileCount)
	}
	o.log(slog.LevelInfo, "session resumed", s.File, detail)
	o.journal(RestartKind, detail)
	return s, o.acts
}
