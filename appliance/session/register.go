package session

import (
	"cmp"
	"fmt"
	"log/slog"
	"time"
)

// RegState is where a phone's SIP registration stands, as the bench sees
// it. The strings are what the journal, the API and the report hold.
type RegState string

// The registration states.
const (
	RegWaiting      RegState = "waiting"           // SIP config served: no answer from the PBX yet
	RegRegistered   RegState = "registered"        // the PBX answered 200 OK
	RegUnregistered RegState = "unregistered"      // 200 OK to a REGISTER with Expires 0
	RegRefused      RegState = "refused"           // 401/403 to its credentials
	RegUnknown      RegState = "unknown-extension" // 404
	RegRejected     RegState = "rejected"          // any other final answer
	RegUnreachable  RegState = "unreachable"       // no answer within the bounded wait
	RegNotChecked   RegState = "not-checked"       // the bench does not watch it (no uplink)
)

// RegStates lists every registration state.
var RegStates = []RegState{RegWaiting, RegRegistered, RegUnregistered, RegRefused, RegUnknown, RegRejected,
	RegUnreachable, RegNotChecked}

// Registration is what the bench saw of a phone's registration since its
// last SIP config.
type Registration struct {
	State     RegState  `json:"state"`
	Registrar string    `json:"registrar,omitempty"` // host:port its config tells it to register with
	Bench     bool      `json:"bench,omitempty"`     // that is the bench registrar: the phone has no account
	Extension string    `json:"extension,omitempty"`
	PBX       string    `json:"pbx,omitempty"` // the address its REGISTER went to
	Transport string    `json:"transport,omitempty"`
	Contact   string    `json:"contact,omitempty"` // where the phone takes SIP requests (a NOTIFY goes here)
	Status    int       `json:"status,omitempty"`  // the PBX's final answer
	Reason    string    `json:"reason,omitempty"`  // its reason phrase, what went wrong, or why not checked
	Sent      time.Time `json:"sent,omitzero"`     // its first REGISTER since the config
	At        time.Time `json:"at,omitzero"`       // when the outcome was seen
	// Resumed: the appliance restarted while the phone was registering.
	// What the PBX answered before may be lost (the bench only watches the
	// answer, and a crash can take its record with it), so the session
	// waits for the phone's next REGISTER (see regTimeout).
	Resumed bool `json:"resumed,omitempty"`
}

// RegistrationView is a registration as the API and the page show it.
type RegistrationView struct {
	Registration
	Text string `json:"text"` // one line for people
}

// where names the PBX for people: as the config names it, else the
// address the REGISTER went to.
func (r Registration) where() string {
	if r.Registrar != "" {
		return r.Registrar
	}
	if r.PBX != "" {
		return r.PBX
	}
	return "the PBX"
}

func (r Registration) answer() string {
	if r.Status == 0 {
		return r.Reason
	}
	return fmt.Sprintf("%d %s", r.Status, r.Reason)
}

// Text is the registration in one line, e.g. "registered 1006 at
// pbx.office.test:5060 (UDP)".
func (r Registration) Text() string {
	ext := r.Extension
	if ext == "" {
		ext = "its line"
	}
	switch r.State {
	case RegWaiting:
		if r.Resumed {
			return "waiting for its next REGISTER to " + r.where() + " (the appliance restarted before the PBX's answer was kept)"
		}
		if r.Sent.IsZero() {
			return "waiting for its REGISTER to " + r.where()
		}
		return "waiting for " + r.where() + " to answer"
	case RegRegistered:
		if r.Bench {
			return fmt.Sprintf("registered %s with the bench registrar at %s (no account)", ext, r.where())
		}
		return fmt.Sprintf("registered %s at %s (%s)", ext, r.where(), r.Transport)
	case RegUnregistered:
		return fmt.Sprintf("unregistered %s at %s", ext, r.where())
	case RegRefused:
		return fmt.Sprintf("%s refused the password for %s (%s)", r.where(), ext, r.answer())
	case RegUnknown:
		return fmt.Sprintf("%s does not know extension %s (%s)", r.where(), ext, r.answer())
	case RegRejected:
		return fmt.Sprintf("%s rejected the registration of %s (%s)", r.where(), ext, r.answer())
	case RegUnreachable:
		return fmt.Sprintf("not registered: PBX unreachable at %s (%s)", r.where(), r.Reason)
	case RegNotChecked:
		return "not checked (" + r.Reason + ")"
	}
	return string(r.State)
}

// RegisterPlan says, for a phone whose SIP config is served, where that
// config tells it to register and whether the bench watches it.
type RegisterPlan struct {
	Registrar  string // host:port
	Bench      bool   // the bench registrar (the phone has no account)
	NotChecked string // why the bench does not watch it ("no uplink"); "" when it does
}

// SIPKind is what the bench concluded about a phone's registration.
type SIPKind string

// The SIP event kinds, after sipwatch's.
const (
	SIPRegister         SIPKind = "register" // it sent a REGISTER: it runs a SIP load
	SIPRegistered       SIPKind = "registered"
	SIPUnregistered     SIPKind = "unregistered"
	SIPRefused          SIPKind = "refused"
	SIPUnknownExtension SIPKind = "unknown-extension"
	SIPRejected         SIPKind = "rejected"
	SIPUnreachable      SIPKind = "unreachable"
)

// SIP is one conclusion about a phone's registration, from the port's SIP
// watcher or the bench registrar.
type SIP struct {
	Kind      SIPKind
	MAC       string
	Extension string
	PBX       string // ip:port the REGISTER went to
	Transport string // UDP or TCP
	Contact   string // the REGISTER's Contact URI, where the phone takes requests
	Status    int
	Reason    string // the PBX's reason phrase, or what went wrong
	Bench     bool   // answered by the bench registrar
}

// ConfigChanged reports that the phone's config changed (the account table
// was replaced): a phone the bench saw register is asked to re-read it.
type ConfigChanged struct{ MAC string }

// CheckSyncAnswered reports the phone's answer to the NOTIFY check-sync
// (e.g. "200 OK"), or why there was none.
type CheckSyncAnswered struct {
	MAC    string
	Answer string
	OK     bool
}

func (SIP) eventName() string               { return "sip" }
func (ConfigChanged) eventName() string     { return "config-changed" }
func (CheckSyncAnswered) eventName() string { return "check-sync-answer" }

// CheckSync asks the owner to send the phone a SIP NOTIFY with Event:
// check-sync to Contact, and to report its answer (CheckSyncAnswered).
type CheckSync struct {
	MAC       string
	Contact   string
	Transport string
}

func (CheckSync) actionName() string { return "check-sync" }

// Sync is what became of asking the phone to re-read its config.
type Sync struct {
	Asked  time.Time `json:"asked"`            // the NOTIFY went out
	Answer string    `json:"answer,omitempty"` // the phone's answer, or why none
	Reread time.Time `json:"reread,omitzero"`  // it fetched its config after the NOTIFY
}

// registerSlack is how much longer than Timeouts.Register the session waits
// after the phone's first REGISTER, so the watcher's own verdict (with the
// PBX's words) comes first.
const registerSlack = 2 * time.Second

// awaitRegistration follows a phone on the target that got its SIP config:
// registering until the PBX answers, or done at once where the bench does
// not watch its registration (without Machine.Registration, nothing is
// recorded of it).
func (m Machine) awaitRegistration(s *State, note string, o *out, now time.Time) {
	if m.Registration == nil {
		s.Reg = Registration{}
		m.enter(s, StageDone, note, o, now)
		return
	}
	p := m.Registration(s.Port, s.Account)
	s.Reg = Registration{State: RegWaiting, Registrar: p.Registrar, Bench: p.Bench}
	if p.NotChecked != "" {
		s.Reg.State, s.Reg.Reason = RegNotChecked, p.NotChecked
		m.enter(s, StageDone, note, o, now)
		return
	}
	s.Active = now
	m.enter(s, StageRegistering, note, o, now)
}

// sip applies what the bench saw of the phone's SIP. A phone whose SIP
// config named the load it may run proves by any REGISTER that it runs it.
func (m Machine) sip(s *State, e SIP, o *out, now time.Time) {
	if s.Stage == StageConfig && s.Offer.Via == ViaSIP && !s.Offer.Loads && !s.Offer.Started {
		m.runsOffered(s, o, now, "sent a SIP REGISTER after its SIP config")
	}
	if s.Reg.State == "" {
		return // no SIP config from the bench yet: nothing to follow
	}
	r := &s.Reg
	r.Extension = firstOf(e.Extension, r.Extension)
	r.PBX, r.Transport, r.Contact = firstOf(e.PBX, r.PBX), firstOf(e.Transport, r.Transport), firstOf(e.Contact, r.Contact)
	r.Bench = r.Bench || e.Bench
	if e.Kind == SIPRegister {
		if r.Sent.IsZero() {
			r.Sent = now
			if s.Stage == StageRegistering {
				s.Active = now // the bounded wait runs from the first REGISTER
			}
			o.journal("sip", fmt.Sprintf("REGISTER for %s to %s (%s)", r.Extension, firstOf(e.PBX, r.where()), e.Transport))
		}
		return
	}
	m.regOutcome(s, regStates[e.Kind], e.Status, e.Reason, o, now)
}

var regStates = map[SIPKind]RegState{
	SIPRegistered: RegRegistered, SIPUnregistered: RegUnregistered, SIPRefused: RegRefused,
	SIPUnknownExtension: RegUnknown, SIPRejected: RegRejected, SIPUnreachable: RegUnreachable,
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// regOutcome records how the PBX answered and moves the phone on: done
// when registered, failed when refused, done with a warning when no answer
// came. The same answer again (a refresh, the registration loop after a
// refusal) changes nothing but its time.
func (m Machine) regOutcome(s *State, st RegState, status int, reason string, o *out, now time.Time) {
	r := &s.Reg
	same := r.State == st && r.Status == status && r.Reason == reason
	r.State, r.Status, r.Reason, r.At = st, status, reason, now
	if same || st == "" {
		return
	}
	text := r.Text()
	o.journal("registration", text)
	switch st {
	case RegRegistered:
		if r.Bench {
			m.enter(s, StageDone, "no account", o, now)
			return
		}
		s.Result = "done" // the PBX's answer wins over the password prediction
		s.Reason = ""
		m.enter(s, StageDone, "", o, now)
	case RegRefused, RegUnknown, RegRejected:
		m.fail(s, text, o, now)
	case RegUnreachable:
		s.Result = "done (not registered: PBX unreachable at " + r.where() + ")"
		m.enter(s, StageDone, text, o, now)
	default:
		o.log(slog.LevelInfo, text, "", "")
	}
}

// resumedRegisterWait is how long a phone resumed registering has to send
// its next REGISTER: the longest registration the bench's configs ask for
// (timerRegisterExpires 3600 s); the phone refreshes it before it ends, and
// one whose PBX does not answer tries again sooner.
const resumedRegisterWait = time.Hour

// regTimeout ends the bounded wait of a registering phone: no REGISTER, or
// no answer to it, within Timeouts.Register (plus a little, see
// registerSlack). A phone resumed registering after a restart has sent its
// REGISTER, and may have been answered, before; the bench cannot ask the
// PBX, so it waits for the phone's next REGISTER, whose answer the watcher
// sees, and never concludes "unreachable" from its own restart. It reports
// whether the phone is registering.
func (m Machine) regTimeout(s *State, o *out, now time.Time) bool {
	if s.Stage != StageRegistering {
		return false
	}
	wait := cmp.Or(m.Timeouts.Register, DefaultRegisterTimeout)
	if s.Reg.Resumed {
		wait = m.Timeouts.scaled(resumedRegisterWait)
	}
	limit := wait + registerSlack
	if now.Sub(s.Active) < limit {
		return true
	}
	if s.Reg.Resumed {
		s.Reg.State, s.Reg.Reason, s.Reg.At = RegNotChecked,
			fmt.Sprintf("the appliance restarted while it waited for the PBX's answer; no REGISTER within %s after", wait), now
		o.journal("registration", s.Reg.Text())
		m.enter(s, StageDone, s.Reg.Text(), o, now)
		return true
	}
	why := fmt.Sprintf("no answer to its REGISTER within %s", wait)
	if s.Reg.Sent.IsZero() {
		why = fmt.Sprintf("the phone sent no REGISTER within %s of its config", limit)
	}
	m.regOutcome(s, RegUnreachable, 0, why, o, now)
	return true
}

// configChanged asks a phone the bench saw register to re-read its config.
func (m Machine) configChanged(s *State, o *out, now time.Time) {
	if s.Reg.Contact == "" || (s.Stage != StageDone && s.Stage != StageRegistering && s.Stage != StageFailed) {
		o.log(slog.LevelInfo, "config changed; not asked to re-read it (no SIP contact seen)", "", "")
		return
	}
	s.Sync = Sync{Asked: now}
	o.add(CheckSync{MAC: s.MAC, Contact: s.Reg.Contact, Transport: s.Reg.Transport})
	o.log(slog.LevelInfo, "config changed: asking the phone to re-read it (SIP NOTIFY check-sync)", "", s.Reg.Contact)
	o.journal("check-sync", "asked to re-read its config: NOTIFY check-sync to "+s.Reg.Contact)
}

func (m Machine) checkSyncAnswered(s *State, e CheckSyncAnswered, o *out) {
	if s.Sync.Asked.IsZero() {
		return
	}
	s.Sync.Answer = e.Answer
	level := slog.LevelInfo
	if !e.OK {
		level = slog.LevelWarn
	}
	o.log(level, "NOTIFY check-sync answered", "", e.Answer)
	o.journal("check-sync", "answer: "+e.Answer)
}

// reread notes a phone asked to re-read its config fetching it.
func (m Machine) reread(s *State, name string, o *out, now time.Time) {
	if s.Sync.Asked.IsZero() || !s.Sync.Reread.IsZero() {
		return
	}
	s.Sync.Reread = now
	o.journal("check-sync", "re-read "+name+" after the NOTIFY")
}

// checkSync carries out a CheckSync action off the lock and feeds the
// phone's answer back as an event.
func (m *Manager) checkSync(a CheckSync) {
	if m.cfg.CheckSync == nil {
		m.cfg.Log.Warn("NOTIFY check-sync asked but no SIP client wired", "mac", a.MAC)
		return
	}
	go func() {
		answer, ok := m.cfg.CheckSync(a)
		m.Handle(CheckSyncAnswered{MAC: a.MAC, Answer: answer, OK: ok})
	}()
}
