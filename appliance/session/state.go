package session

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/phoneflash/phoneflash/firmware"
)

// Via is how the load of an Offer came to the phone. The strings are what
// the journal holds.
type Via string

// The ways a load is offered.
const (
	ViaTerm   Via = "term"   // its termNN.default.loads, to a phone in default-load mode
	ViaConfig Via = "config" // SEP<MAC>.cnf.xml or XMLDefault.cnf.xml naming it, to a phone on another load
	ViaSIP    Via = "sip"    // the SIP config naming the target, to a phone that may run it already
	ViaResume Via = "resume" // named by nobody: the phone asked for its files itself (an install it resumes)
)

// Offer is the load the appliance last named to a phone, or the phone
// asked for on its own, and what the phone fetched of it since: the
// evidence step 9 of design.md infers from.
type Offer struct {
	Load  string    `json:"load,omitempty"`
	Via   Via       `json:"via,omitempty"`
	At    time.Time `json:"at"`
	Loads bool      `json:"loads,omitempty"` // fetched <load>.loads
	// LoadsSent: the .loads transfer completed. A loader that refuses the
	// load fetches it whole; one whose transfer broke off (a power cut, a
	// lost packet too many, the appliance restarting) refused nothing.
	LoadsSent bool `json:"loads_sent,omitempty"`
	Images    int  `json:"images,omitempty"`   // images completed
	Started   bool `json:"started,omitempty"`  // asked for at least one image
	Complete  bool `json:"complete,omitempty"` // all images completed
}

// State is one phone's session. It is a plain value: Step returns a new one,
// and it round-trips through JSON for the journal. Times come from the
// clock of the process that wrote them: Resume starts the timers afresh.
type State struct {
	MAC       string             `json:"mac"`
	Port      string             `json:"port"`
	PortIndex int                `json:"port_index"`
	IP        string             `json:"ip,omitempty"`
	Model     firmware.ModelName `json:"model"` // "" until a DHCP request or term file names a model of the table
	// VendorModel is the model string of the phone's DHCP option 60, also
	// of a model the table does not know (CP-8945).
	VendorModel string           `json:"vendor_model,omitempty"`
	Stage       Stage            `json:"stage"`
	Since       time.Time        `json:"since"`
	Active      time.Time        `json:"active"` // last sign of life; stall timers run from here
	Started     time.Time        `json:"started"`
	Current     firmware.Current `json:"current"`
	From        string           `json:"from,omitempty"` // what it ran when first seen, as far as inferred (the report's from)
	FromKnown   bool             `json:"from_known,omitempty"`
	Target      string           `json:"target"`
	Plan        []string         `json:"plan,omitempty"` // loads still to install, in order
	// Refused says which load the phone's loader refused and how that
	// showed; RefusedLoad is that load.
	Refused     string    `json:"refused,omitempty"`
	RefusedLoad string    `json:"refused_load,omitempty"`
	Offer       Offer     `json:"offer"`
	SIPBoot     bool      `json:"sip_boot,omitempty"` // asked for ITLFile.tlv since its last DHCP: a SIP 9.x boot
	File        string    `json:"file,omitempty"`     // image in flight
	FileIndex   int       `json:"file_index,omitempty"`
	FileCount   int       `json:"file_count,omitempty"`
	Bytes       int64     `json:"bytes,omitempty"`      // of the load's images, sent so far
	Total       int64     `json:"total,omitempty"`      // of the load's images
	FileBase    int64     `json:"file_base,omitempty"`  // bytes of the load's images before File
	TermCount   int       `json:"term_count,omitempty"` // term file requests without an image (pairs count once)
	TermAt      time.Time `json:"term_at"`
	Cycled      bool      `json:"cycled,omitempty"` // the one automatic power cycle for this stall is used
	// PowerCut: its port lost power and it has not asked for DHCP since.
	PowerCut   bool   `json:"power_cut,omitempty"`
	AutoCycles int    `json:"auto_cycles,omitempty"`
	Reason     string `json:"reason,omitempty"`
	// Fatal: failed because no plan exists; the phone's next term file or
	// config request plans again (the store may have the load by then).
	Fatal    bool   `json:"fatal,omitempty"`
	Account  string `json:"account,omitempty"`
	Label    string `json:"label,omitempty"`  // account as shown
	Result   string `json:"result,omitempty"` // the report's word once done: done, done (no account), ...
	Restarts int    `json:"restarts,omitempty"`
	Installs int    `json:"installs,omitempty"` // loads installed through the appliance
	// Reg is its SIP registration since its last SIP config (register.go).
	Reg Registration `json:"registration,omitzero"`
	// Sync is the last request to re-read its config (NOTIFY check-sync).
	Sync Sync `json:"check_sync,omitzero"`
}

// NewState is a fresh session for a MAC first seen at now.
func NewState(mac, target string, now time.Time) State {
	return State{MAC: NormalizeMAC(mac), Stage: StagePowered, Since: now, Active: now, Started: now,
		Target: target, Current: firmware.Current{Kind: firmware.CurrentUnknown}}
}

// DecodeState reads a state written by the journal, also by phoneflash
// before the model table (its model was an object, see firmware.ModelName).
func DecodeState(data []byte) (State, error) {
	var s State
	if err := json.Unmarshal(data, &s); err != nil {
		return State{}, fmt.Errorf("session: decoding state: %w", err)
	}
	if s.MAC == "" {
		return State{}, fmt.Errorf("session: decoding state: no mac")
	}
	return s, nil
}

// Phone is the public snapshot of the state.
func (s State) Phone() Phone {
	p := Phone{
		MAC: s.MAC, Port: s.Port, PortIndex: s.PortIndex, IP: s.IP, Model: cmp.Or(string(s.Model), s.VendorModel),
		Stage: s.Stage, Target: s.Target, Plan: slices.Clone(s.Plan), File: s.File,
		FileIndex: s.FileIndex, FileCount: s.FileCount, Bytes: s.Bytes, Total: s.Total,
		Reason: s.Reason, Account: s.Label, Since: s.Since, Started: s.Started, Result: s.result(),
	}
	if s.Current.Kind == firmware.CurrentLoad {
		p.Load = s.Current.Load
	}
	if s.Reg.State != "" {
		p.Registration = &RegistrationView{Registration: s.Reg, Text: s.Reg.Text()}
	}
	if !s.Sync.Asked.IsZero() {
		sync := s.Sync
		p.CheckSync = &sync
	}
	return p
}

// NormalizeMAC turns 00:11:22:aa:bb:cc, 00-11-22-AA-BB-CC, 0011.22aa.bbcc or
// SEP001122AABBCC into 001122AABBCC. Anything else comes back upper-cased.
func NormalizeMAC(s string) string {
	u := strings.ToUpper(strings.TrimSpace(s))
	u = strings.TrimPrefix(u, "SEP")
	r := strings.NewReplacer(":", "", "-", "", ".", "")
	return r.Replace(u)
}

// ValidMAC reports whether s normalises to 12 hex digits.
func ValidMAC(s string) bool {
	n := NormalizeMAC(s)
	if len(n) != 12 {
		return false
	}
	for _, c := range n {
		if !strings.ContainsRune("0123456789ABCDEF", c) {
			return false
		}
	}
	return true
}

// setStage moves to stage st at now and returns whether it changed.
func (s *State) setStage(st Stage, now time.Time) bool {
	if s.Stage == st {
		return false
	}
	s.Stage, s.Since = st, now
	return true
}

// clearFile forgets the file in flight.
func (s *State) clearFile() {
	s.File, s.FileIndex, s.FileCount, s.Bytes, s.Total, s.FileBase = "", 0, 0, 0, 0, 0
}

// learn records what the phone runs, and its first known load for the report.
func (s *State) learn(c firmware.Current) {
	s.Current = c
	if s.Installs == 0 && !s.FromKnown {
		s.From, s.FromKnown = c.String(), true
	}
}

// guessFrom describes what the phone ran when nothing better is known yet.
func (s *State) guessFrom(what string) {
	if s.From == "" {
		s.From = what
	}
}

// result is the report's result column: set once the phone is done or has
// stopped.
func (s State) result() string {
	switch s.Stage {
	case StageDone:
		if s.Result == "" {
			return "done"
		}
		return s.Result
	case StageFailed, StageNeedsReset:
		return string(s.Stage)
	}
	return ""
}
