package session

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/phoneflash/phoneflash/firmware"
)

// config answers SEP<MAC>.cnf.xml (or XMLDefault.cnf.xml). The request does
// not say which load the phone runs, so the appliance first infers it from
// what the phone did with the load it named last (design.md, step 9).
func (m Machine) config(s *State, name string, xmlDefault bool, o *out, now time.Time) Answer {
	if s.SIPBoot {
		s.guessFrom("SIP (load unknown)")
	} else {
		s.guessFrom("SCCP (load unknown)")
	}
	m.infer(s, o, now)
	s.Active = now
	md, ok := m.model(s)
	if !ok {
		return m.unsupported(s, name, o, now)
	}
	if err := m.target(s, md); err != nil {
		m.fatalTarget(s, err, o, now)
		return notFound(name)
	}
	if s.Current.Kind == firmware.CurrentLoad && s.Current.Load == s.Target {
		return m.sipConfig(s, md, name, true, o, now)
	}
	plan, ok := m.plan(s, firmware.CurrentNewLoader, o, now)
	if !ok {
		return notFound(name)
	}
	if len(plan) == 0 {
		s.learn(firmware.Current{Kind: firmware.CurrentLoad, Load: s.Target})
		return m.sipConfig(s, md, name, true, o, now)
	}
	next := plan[0]
	if next == s.Target && s.SIPBoot && !xmlDefault {
		// A SIP boot: its SIP config names the target; if it runs it, it stays.
		return m.sipConfig(s, md, name, false, o, now)
	}
	data, err := m.stepConfig(s, md, next, xmlDefault)
	if err != nil {
		m.fail(s, fmt.Sprintf("cannot make %s: %v", name, err), o, now)
		return notFound(name)
	}
	s.Offer = Offer{Load: next, Via: ViaConfig, At: now}
	s.Cycled = false
	st := StageConfig
	if s.Installs > 0 && s.Current.Kind == firmware.CurrentLoad {
		st = StageStepping
	}
	m.enter(s, st, "", o, now)
	o.log(slog.LevelInfo, "config names "+next, name, "")
	o.journal("offer", name+" names "+next)
	return Answer{Kind: AnswerBytes, File: name, Data: data}
}

// stepConfig names next to the phone: in its own config, or in
// XMLDefault.cnf.xml, which names for every other model the target of its
// family, when the store has one.
func (m Machine) stepConfig(s *State, md firmware.Model, next string, xmlDefault bool) ([]byte, error) {
	if !xmlDefault {
		return m.Configs.Stepping(s.MAC, md, next)
	}
	var loads []firmware.ModelLoad
	for _, other := range m.Models {
		load := m.targetOf(other, s)
		if other.Name == md.Name {
			load = next
		}
		if load != "" {
			loads = append(loads, firmware.ModelLoad{Model: other, Load: load})
		}
	}
	return m.Configs.Default(loads)
}

// sipConfig serves the SIP config naming the target. confirmed means the
// phone is known to run the target, so it registers now; otherwise it does
// once it settles without fetching the target, or sends a REGISTER.
func (m Machine) sipConfig(s *State, md firmware.Model, name string, confirmed bool, o *out, now time.Time) Answer {
	data, result, note, err := m.Configs.SIP(s.MAC, s.Port, md, s.Target, s.Account)
	if err != nil {
		m.fail(s, fmt.Sprintf("cannot make %s: %v", name, err), o, now)
		return notFound(name)
	}
	s.Label = s.Account
	s.Result = result
	s.Cycled = false
	if confirmed {
		s.Offer = Offer{}
		s.Plan = nil
		m.awaitRegistration(s, note, o, now)
	} else {
		s.Offer = Offer{Load: s.Target, Via: ViaSIP, At: now}
		s.Reason = note
		m.enter(s, StageConfig, "", o, now)
	}
	o.log(slog.LevelInfo, "serving SIP config", name, note)
	o.journal("config", "SIP "+name+detail(note))
	return Answer{Kind: AnswerBytes, File: name, Data: data}
}

// infer updates what the phone runs from what it did with the last load
// named to it, now that it asks for its config again.
func (m Machine) infer(s *State, o *out, now time.Time) {
	off := s.Offer
	switch {
	case off.Load == "":
	case off.Complete:
		s.Installs++
		s.learn(firmware.Current{Kind: firmware.CurrentLoad, Load: off.Load})
		s.Refused, s.RefusedLoad = "", ""
		o.journal("installed", off.Load)
		o.log(slog.LevelInfo, "phone runs "+off.Load, "", "all images fetched and it asks for its config again")
	case off.Via != ViaConfig && off.Via != ViaSIP:
	case !off.Loads && !off.Started:
		m.runsOffered(s, o, now, "asked for its config again without fetching "+off.Load+".loads")
		return
	case off.Loads && !off.Started && !off.LoadsSent:
		// Its .loads never arrived whole: nothing learned, the same load
		// is named again.
		o.log(slog.LevelInfo, "naming "+off.Load+" again", "", "the phone did not get "+off.Load+".loads whole")
	case off.Loads && !off.Started:
		m.refused(s, fmt.Sprintf("fetched %s.loads but no image", off.Load), o, now)
	}
	s.Offer = Offer{}
}

// runsOffered concludes the phone runs the load last named in its config.
func (m Machine) runsOffered(s *State, o *out, now time.Time, why string) {
	load := s.Offer.Load
	s.learn(firmware.Current{Kind: firmware.CurrentLoad, Load: load})
	o.log(slog.LevelInfo, "phone runs "+load, "", why)
	o.journal("runs", load+": "+why)
	if s.Offer.Via == ViaSIP && load == s.Target {
		s.Offer = Offer{}
		s.Plan = nil
		m.awaitRegistration(s, s.Reason, o, now)
		return
	}
	s.Offer = Offer{}
}

// refused records that the phone's loader refused the load last named to it:
// it is older than 8.3(3) and needs the stepping stone.
func (m Machine) refused(s *State, how string, o *out, now time.Time) {
	load := s.Offer.Load
	s.Refused = fmt.Sprintf("the phone's loader refused %s (%s)", load, how)
	s.RefusedLoad = load
	s.learn(firmware.Current{Kind: firmware.CurrentOldLoader})
	s.Offer = Offer{}
	plan, err := m.planFor(s, s.Current)
	if err != nil || len(plan) == 0 || plan[0] == load {
		return // plan() reports it
	}
	s.Reason = s.Refused + ": switched to the stepping stone " + plan[0]
	o.log(slog.LevelWarn, "switching to the stepping stone", "", s.Reason)
	o.journal("stepping", s.Reason)
}

// plan computes the loads still to install from what the phone runs. A
// phone of unknown history gets the stepping stone first unless the policy
// is direct or assume says its loader is new. When no plan exists the phone
// fails with the planner's reason, verbatim.
func (m Machine) plan(s *State, assume firmware.CurrentKind, o *out, now time.Time) ([]string, bool) {
	cur := s.Current
	if cur.Kind == firmware.CurrentUnknown && assume == firmware.CurrentNewLoader {
		cur = firmware.Current{Kind: firmware.CurrentNewLoader}
	}
	cur = m.Policy.Assume(cur)
	plan, err := m.planFor(s, cur)
	if err != nil && cur.Kind == firmware.CurrentUnknown {
		o.log(slog.LevelWarn, "no stepping stone: trying the target directly", "", err.Error())
		plan, err = m.planFor(s, firmware.Current{Kind: firmware.CurrentNewLoader})
	}
	if err == nil && s.Refused != "" && len(plan) > 0 && s.Current.Kind == firmware.CurrentOldLoader && plan[0] == s.RefusedLoad {
		err = fmt.Errorf("it needs a stepping stone %s that this model accepts", firmware.SteppingRange())
	}
	if err != nil {
		reason := err.Error()
		if s.Refused != "" {
			reason = s.Refused + "; " + reason
		}
		if s.Stage != StageFailed || s.Reason != reason {
			m.fail(s, reason, o, now)
		}
		s.Fatal = true
		return nil, false
	}
	s.Plan = plan
	return plan, true
}

// fail stops the phone with a reason a person can act on.
func (m Machine) fail(s *State, reason string, o *out, now time.Time) {
	s.clearFile()
	m.enter(s, StageFailed, reason, o, now)
}
