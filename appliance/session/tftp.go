package session

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/phoneflash/phoneflash/firmware"
)

// request answers one TFTP read request.
func (m Machine) request(s *State, file string, o *out, now time.Time) Answer {
	name := cleanName(file)
	lower := strings.ToLower(name)
	switch {
	case strings.HasSuffix(lower, ".cnf.xml.sgn") || strings.HasSuffix(lower, ".cnf.xml.enc.sgn"):
		return m.secure(s, name, o, now)
	case lower == "itlfile.tlv":
		s.SIPBoot = true
		return notFound(name)
	case strings.HasPrefix(lower, "ctlsep") || strings.HasPrefix(lower, "itlsep"):
		return notFound(name)
	case firmware.IsTermFile(lower):
		return m.term(s, name, o, now)
	case !m.known(s):
		return m.unsupported(s, name, o, now)
	case strings.EqualFold(name, "SEP"+s.MAC+".cnf.xml"):
		m.reread(s, name, o, now)
		return m.config(s, name, false, o, now)
	case lower == "xmldefault.cnf.xml":
		return m.config(s, name, true, o, now)
	case strings.HasSuffix(lower, ".loads"):
		return m.loadsFile(s, name, o, now)
	case strings.HasSuffix(lower, ".sbn"):
		return m.image(s, name, o, now)
	}
	if s.Offer.Via == ViaSIP && !s.Offer.Loads {
		// Locale, dial plan and ring lists come after an accepted config.
		m.runsOffered(s, o, now, "asked for "+name+" after its SIP config")
	}
	if lower == "dialplan.xml" {
		return m.dialPlan(name, o)
	}
	return notFound(name)
}

// dialPlan answers dialplan.xml, the dial template SIP configs name.
func (m Machine) dialPlan(name string, o *out) Answer {
	data, err := m.Configs.DialPlan()
	if err != nil {
		o.log(slog.LevelWarn, "cannot make the dial plan", name, err.Error())
		return notFound(name)
	}
	return Answer{Kind: AnswerBytes, File: name, Data: data}
}

func notFound(name string) Answer { return Answer{Kind: AnswerNotFound, File: name} }

// secure: a phone with a CUCM trust list asks only for signed configs, which
// the appliance cannot make. Only the full factory reset clears the list.
func (m Machine) secure(s *State, name string, o *out, now time.Time) Answer {
	s.guessFrom("SCCP with a CUCM trust list")
	m.enter(s, StageNeedsReset, "phone trusts a CUCM (asks for signed "+name+"): "+resetKeys, o, now)
	return notFound(name)
}

// term answers termNN.default.loads: the phone is in default-load mode (after
// a factory reset) and gets the next load of its plan, by that load's own
// term file. Asking again without fetching an image is a loader refusing it.
func (m Machine) term(s *State, name string, o *out, now time.Time) Answer {
	md, ok := m.fromTermFile(s, name)
	if !ok {
		return m.unsupported(s, name, o, now)
	}
	s.SIPBoot = false
	s.Active = now
	s.guessFrom(fromFactoryReset)
	if err := m.target(s, md); err != nil {
		m.fatalTarget(s, err, o, now)
		return notFound(name)
	}
	if s.Offer.Via == ViaTerm && !s.Offer.Started && s.Offer.Load != "" {
		if now.Sub(s.TermAt) >= m.Timeouts.scaled(m.Timeouts.Pair) {
			s.TermCount++
		}
		if s.TermCount >= max(m.Timeouts.Loop, 2) {
			m.refused(s, fmt.Sprintf("asked for %s %d times without fetching an image", name, s.TermCount), o, now)
			s.TermCount = 0
		}
	} else {
		s.TermCount = 1
	}
	s.TermAt = now
	plan, ok := m.plan(s, firmware.CurrentUnknown, o, now)
	if !ok {
		return notFound(name)
	}
	load := s.Target
	if len(plan) > 0 {
		load = plan[0]
	}
	l, _ := m.Catalog.Load(load)
	tf := l.TermFile(md)
	if tf == "" || !strings.EqualFold(tf, name) {
		m.fail(s, fmt.Sprintf("load %s in the store has no %s for %s: import the complete load again", load, name, md), o, now)
		return notFound(name)
	}
	if s.Offer.Load != load || s.Offer.Via != ViaTerm || s.Offer.Started {
		s.Offer = Offer{Load: load, Via: ViaTerm, At: now, Loads: true}
		if s.TermCount == 0 {
			s.TermCount = 1
		}
	}
	s.Cycled = false
	m.enter(s, StageConfig, "", o, now)
	o.log(slog.LevelInfo, "serving "+name+" of "+load, name, "")
	o.journal("offer", fmt.Sprintf("%s of %s (request %d without an image)", name, load, s.TermCount))
	return Answer{Kind: AnswerFile, Load: load, File: tf}
}

// loadsFile answers <load>.loads, which a phone asks for after a config
// naming the load (or to resume an interrupted one).
func (m Machine) loadsFile(s *State, name string, o *out, now time.Time) Answer {
	load := name[:len(name)-len(".loads")]
	if _, ok := m.Catalog.Load(load); !ok {
		o.log(slog.LevelWarn, "phone asks for a load the store lacks", name, "import "+load+" to serve it")
		return notFound(name)
	}
	switch {
	case s.Offer.Load != load:
		s.Offer = Offer{Load: load, Via: ViaResume, At: now}
	case s.Offer.Started:
		// Fetching it again (a write that failed, a cut): a new attempt.
		s.Offer = Offer{Load: load, Via: s.Offer.Via, At: now}
	}
	s.Offer.Loads, s.Offer.LoadsSent = true, false
	s.Active = now
	s.Cycled = false
	if s.Stage != StageStepping {
		m.enter(s, StageConfig, "", o, now)
	}
	o.log(slog.LevelInfo, "serving "+name, name, "")
	o.journal("file", name)
	return Answer{Kind: AnswerFile, Load: load, File: name}
}

// image answers one .sbn of a load, tracking file k of n and the bytes of
// the whole load.
func (m Machine) image(s *State, name string, o *out, now time.Time) Answer {
	load, ok := m.loadOfImage(name, s.Offer.Load)
	if !ok {
		o.log(slog.LevelWarn, "phone asks for an image in no imported load", name, "")
		return notFound(name)
	}
	imgs := m.images(load)
	i := slices.Index(imgs, name)
	if s.Offer.Load != load {
		s.Offer = Offer{Load: load, Via: ViaResume, At: now, Loads: true}
	}
	if s.Offer.Complete {
		s.Offer.Complete, s.Offer.Images = false, 0 // fetching again: the write failed
	}
	s.Offer.Started = true
	s.TermCount = 0
	s.Cycled = false
	var total, base int64
	for j, f := range imgs {
		size := m.fileSize(load, f)
		total += size
		if j < i {
			base += size
		}
	}
	s.File, s.FileIndex, s.FileCount = name, i+1, len(imgs)
	s.Total, s.FileBase, s.Bytes = total, base, base
	s.Active = now
	m.enter(s, StageLoading, "", o, now)
	o.journal("file", fmt.Sprintf("%d/%d %s of %s", i+1, len(imgs), name, load))
	return Answer{Kind: AnswerFile, Load: load, File: name}
}
