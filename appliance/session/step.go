package session

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/phoneflash/phoneflash/firmware"
)

// Machine is the pure per-phone state machine: Step has no goroutines, no
// clock and no I/O; everything it needs comes in through these fields.
// Catalog and Configs are required.
type Machine struct {
	Catalog Catalog
	Configs Configs
	Models  firmware.Models // the model table; nil means firmware.BuiltinModels()
	// Targets chooses each phone's target by its model's family once the
	// model is known (-target); nil keeps the target of NewState.
	Targets  *firmware.Targets
	Policy   firmware.Policy // "" means firmware.PolicyStepping
	Timeouts Timeouts        // zero means DefaultTimeouts()
	// PowerControl reports whether the board can switch a port's power;
	// nil means no port can.
	PowerControl func(port string) bool
	// Registration says, when a phone on the target gets its SIP config,
	// where it registers and whether the bench watches it (then the phone
	// is registering until the PBX answers); nil means never watched.
	Registration func(port, account string) RegisterPlan
}

// resetKeys is the factory reset a person keys on the phone.
const resetKeys = "hold # while powering the phone on, then key " + firmware.ResetKeys + " (factory reset)"

// out collects the actions of one Step.
type out struct{ acts []Action }

func (o *out) add(a Action) { o.acts = append(o.acts, a) }

func (o *out) log(level slog.Level, msg, file, reason string) {
	o.add(Log{Level: level, Msg: msg, File: file, Reason: reason})
}

func (o *out) journal(kind, detail string) { o.add(Journal{Kind: kind, Detail: detail}) }

// Step applies one event to one phone's state at now and returns the new
// state and the actions to carry out. A TFTPRequest always yields exactly
// one Answer.
func (m Machine) Step(s State, e Event, now time.Time) (State, []Action) {
	if m.Timeouts == (Timeouts{}) {
		m.Timeouts = DefaultTimeouts()
	}
	if m.Models == nil {
		m.Models = firmware.BuiltinModels()
	}
	s.Plan = slices.Clone(s.Plan)
	o := &out{}
	switch e := e.(type) {
	case Power:
		m.port(&s, e.On, "power", o, now)
	case Link:
		m.port(&s, e.Up, "link", o, now)
	case DHCP:
		m.dhcp(&s, e, o, now)
	case TFTPRequest:
		o.add(m.request(&s, e.File, o, now))
	case TFTPProgress:
		if f := cleanName(e.File); f == s.File && f != "" {
			s.Bytes = s.FileBase + e.Bytes
			s.Active = now
		}
	case TFTPDone:
		m.fileDone(&s, cleanName(e.File), o, now)
	case TFTPFailed:
		// Not-found answers end as failed transfers too; only the file in
		// flight matters to the history.
		if f := cleanName(e.File); f == s.File && f != "" {
			o.log(slog.LevelWarn, "transfer failed", f, e.Err)
			o.journal("file-failed", fmt.Sprintf("%s at %d of %d bytes: %s", f, s.Bytes, s.Total, e.Err))
		}
	case Tick:
		m.tick(&s, o, now)
	case SIP:
		m.sip(&s, e, o, now)
	case ConfigChanged:
		m.configChanged(&s, o, now)
	case CheckSyncAnswered:
		m.checkSyncAnswered(&s, e, o)
	}
	return s, o.acts
}

// cleanName is a TFTP file name without leading slashes.
func cleanName(name string) string { return strings.TrimLeft(name, "/") }

// enter moves the phone to stage st, logging and journalling the change.
// reason replaces the status line; for stages other than failed and
// needs-reset an empty reason keeps a warning already shown.
func (m Machine) enter(s *State, st Stage, reason string, o *out, now time.Time) {
	prev := s.Stage
	changed := s.setStage(st, now)
	switch {
	case st == StageFailed || st == StageNeedsReset || reason != "":
		s.Reason = reason
	case prev == StageFailed || prev == StageNeedsReset:
		s.Reason = ""
	}
	if st != StageFailed {
		s.Fatal = false
	}
	if !changed {
		return
	}
	level := slog.LevelInfo
	if st == StageFailed || st == StageNeedsReset {
		level = slog.LevelWarn
	}
	o.log(level, "stage "+string(st), s.File, reason)
	o.journal("stage", string(st)+detail(reason))
}

func detail(reason string) string {
	if reason == "" {
		return ""
	}
	return ": " + reason
}

// port handles power and link changes of the phone's port.
func (m Machine) port(s *State, up bool, what string, o *out, now time.Time) {
	if up {
		if s.Stage == StageEmpty {
			m.enter(s, StagePowered, "", o, now)
		}
		if what == "power" {
			m.powerBack(s, now)
		}
		return
	}
	if what == "power" {
		// Unpowered, the phone starts afresh: term requests before the cut
		// are no loop, and a loader refusal gets another chance.
		s.TermCount, s.Refused, s.RefusedLoad = 0, "", ""
		m.cut(s, o)
	}
	switch s.Stage {
	case StageLoading:
		o.journal("interrupted", fmt.Sprintf("%s down during %s at %d of %d bytes", what, s.File, s.Bytes, s.Total))
		s.clearFile()
		m.enter(s, StageEmpty, "", o, now)
	case StagePowered, StageDHCP, StageConfig:
		m.enter(s, StageEmpty, "", o, now)
	}
}

// dhcp handles the phone's DHCP messages.
func (m Machine) dhcp(s *State, e DHCP, o *out, now time.Time) {
	if e.Port != "" {
		s.Port, s.PortIndex = e.Port, e.PortIndex
	}
	m.fromVendorClass(s, e.VendorClass)
	switch e.Kind {
	case DHCPDiscover, DHCPRequest:
		s.SIPBoot = false  // a new boot shows its protocol again
		s.PowerCut = false // it booted again
		if s.Stage == StageDone || s.Stage == StageNeedsReset || (s.Stage == StageFailed && s.Fatal) {
			return
		}
		if s.Stage == StageLoading {
			o.journal("interrupted", fmt.Sprintf("phone restarted during %s at %d of %d bytes", s.File, s.Bytes, s.Total))
		}
		s.clearFile()
		m.enter(s, StageDHCP, "", o, now)
		s.Active = now
	case DHCPAck:
		s.IP = e.IP
		if s.Stage == StageDHCP || s.Stage == StagePowered || s.Stage == StageEmpty {
			m.enter(s, StageDHCP, "", o, now)
			s.Active = now
		}
	case DHCPDecline, DHCPRelease:
		o.log(slog.LevelInfo, "dhcp "+string(e.Kind), "", e.IP)
	}
}

// fileDone notes a completed transfer; the last image of the offered load
// means the phone now writes flash and reboots.
func (m Machine) fileDone(s *State, file string, o *out, now time.Time) {
	if s.Offer.Load != "" && file == s.Offer.Load+".loads" {
		s.Offer.LoadsSent = true
		o.journal("file", file+" sent")
		return
	}
	load := s.Offer.Load
	imgs := m.images(load)
	i := slices.Index(imgs, file)
	if load == "" || i < 0 {
		return
	}
	s.Offer.Images = max(s.Offer.Images, i+1)
	s.Bytes = s.FileBase + m.fileSize(load, file)
	s.Active = now
	o.journal("file", fmt.Sprintf("%d/%d %s sent", i+1, len(imgs), file))
	if i+1 < len(imgs) {
		return
	}
	s.Offer.Complete = true
	s.clearFile()
	o.log(slog.LevelInfo, "all images of "+load+" sent; phone writes flash and reboots", file, "")
	m.enter(s, StageApplying, "", o, now)
}
