package session

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/phoneflash/phoneflash/firmware"
)

// What differs per model: how a phone's model is detected, which target it
// ends on, what a phone the table does not know is told, and the stall
// and power-cycle policy of the model's quirks. The facts are rows of the
// model table (firmware.Model); this file is where the session reads them.

// fromVendorClass notes what a DHCP message says of the phone's model: the
// row of its option 60, and the model string as the phone wrote it (for a
// model the table does not know).
func (m Machine) fromVendorClass(s *State, vendorClass string) {
	if vm, ok := firmware.ParseVendorClass(vendorClass); ok {
		s.VendorModel = vm
	}
	if md, ok := m.Models.ForVendorClass(vendorClass); ok {
		s.Model = md.Name
		m.target(s, md) // a store without its target says so at its first request
	}
}

// fromTermFile is the model of a phone asking for term file name: its own
// row when that row has this term file (the 7941G-GE asks for the 7941G's),
// else the first row that does, whatever its option 60 said.
func (m Machine) fromTermFile(s *State, name string) (firmware.Model, bool) {
	if md, ok := m.model(s); ok && strings.EqualFold(md.TermFile(), name) {
		return md, true
	}
	md, ok := m.Models.ForTermFile(name)
	if ok {
		s.Model = md.Name
	}
	return md, ok
}

// target sets the phone's target for its model from Machine.Targets (nil
// keeps the target the session was made with). The error, an
// *firmware.ImportHintError, says which package the store lacks.
func (m Machine) target(s *State, md firmware.Model) error {
	if m.Targets == nil {
		return nil
	}
	t, err := m.Targets.For(md, m.Catalog.Loads())
	if err != nil {
		return err
	}
	s.Target = t
	return nil
}

// targetOf is the load phones of model md end on, for XMLDefault.cnf.xml:
// "" when the store holds none for it.
func (m Machine) targetOf(md firmware.Model, s *State) string {
	t := s.Target
	if m.Targets != nil {
		var err error
		if t, err = m.Targets.For(md, m.Catalog.Loads()); err != nil {
			return ""
		}
	}
	l, ok := m.Catalog.Load(t)
	if !ok || l.Family() != md.Family {
		return ""
	}
	return t
}

// unsupported answers a phone the model table does not know: not found,
// and the phone fails with what it is, what it asked for and what to do.
func (m Machine) unsupported(s *State, file string, o *out, now time.Time) Answer {
	reason := firmware.NotSupported(s.VendorModel, file)
	if s.Stage != StageFailed || s.Reason != reason {
		s.clearFile()
		m.enter(s, StageFailed, reason, o, now)
	}
	s.Fatal = true
	return notFound(file)
}

// fatalTarget fails a phone whose target the store cannot provide.
func (m Machine) fatalTarget(s *State, err error, o *out, now time.Time) {
	if s.Stage != StageFailed || s.Reason != err.Error() {
		m.fail(s, err.Error(), o, now)
	}
	s.Fatal = true
}

// autoCycle reports whether a stall may cost an automatic power cycle:
// the board switches the port and the model takes power cuts (not one of
// Cisco field notice FN63772's, some units of which do not boot again).
func (m Machine) autoCycle(s *State) bool {
	md, _ := m.model(s)
	return m.canCycle(s) && !md.Quirks.FewPowerCycles
}

// bootLimit is how long a phone of a FewPowerCycles model on its way may
// stay silent after its power came back from a cut; 0 for other models and
// phones (a done one may have been unplugged for good).
func (m Machine) bootLimit(s *State, t Timeouts) time.Duration {
	md, ok := m.model(s)
	if !ok || !md.Quirks.FewPowerCycles || !s.PowerCut {
		return 0
	}
	switch s.Stage {
	case StageDone, StageFailed, StageEmpty:
		return 0
	}
	return t.Boot
}

// powerBack notes the power of a cut port coming back: the phone's boot
// is timed from now.
func (m Machine) powerBack(s *State, now time.Time) {
	if s.PowerCut {
		s.Active = now
	}
}

// quirkReason adds to a stall's reason what the model's quirks say about
// it: a FN63772 model not power-cycled, or silent after a cut; a 797x that
// may lack power during a factory reset on PoE.
func (m Machine) quirkReason(s *State, why, todo string, limit time.Duration) (string, string) {
	md, ok := m.model(s)
	if !ok {
		return why, todo
	}
	if md.Quirks.FewPowerCycles && s.PowerCut {
		why = fmt.Sprintf("stopped answering after a power cut: no DHCP request within %s of its power coming back", limit)
		todo = fmt.Sprintf("may be the FN63772 memory defect: some %s units do not boot again after losing power (Cisco field notice FN63772); "+
			"if its screen stays dark after unplugging and replugging it once, it needs repair", md.Name)
	} else if md.Quirks.FewPowerCycles && m.canCycle(s) {
		todo += fmt.Sprintf(" (not power-cycled automatically: some %s units do not boot again after a power cut, Cisco field notice FN63772)", md.Name)
	}
	if md.Quirks.MorePower && inFactoryReset(s) && s.Stage != StageDHCP {
		more := fmt.Sprintf("the %s may need more power than 802.3af without CDP: power it with its own supply or an 802.3at (PoE+) injector", md.Name)
		if !m.canCycle(s) {
			more = "if it is powered over PoE, " + more
		}
		if s.PowerCut && md.Quirks.FewPowerCycles {
			todo += "; or " + more
		} else {
			todo = more + "; else " + todo
		}
	}
	return why, todo
}

// inFactoryReset reports whether the phone is on the way from a factory
// reset: it took a load by its term file and installed nothing since.
func inFactoryReset(s *State) bool {
	return s.Offer.Via == ViaTerm || (s.Installs == 0 && s.From == fromFactoryReset)
}

// fromFactoryReset is what a phone in default-load mode is taken to run.
const fromFactoryReset = "unknown (factory reset)"

// cut notes a power cut of the phone's port.
func (m Machine) cut(s *State, o *out) {
	if md, ok := m.model(s); ok && md.Quirks.FewPowerCycles && !s.PowerCut {
		o.log(slog.LevelInfo, "power cut: watching that it boots again", "", fmt.Sprintf("%s: Cisco field notice FN63772", md.Name))
	}
	s.PowerCut = true
}
