package provision

import (
	"encoding/xml"
	"fmt"
	"sort"
	"strings"
)

// PasswordLimit is what a model accepts in authPassword. Sources disagree
// (domain notes 5.3): the SIP stack's buffer holds 31 characters, one user
// saw parse errors above 12. Refuse above Max, warn above Warn.
type PasswordLimit struct {
	Max  int
	Warn int
}

// DefaultPasswordLimit refuses above 31 characters and warns above 12.
var DefaultPasswordLimit = PasswordLimit{Max: 31, Warn: 12}

// Provisioner makes the configuration files and assigns accounts. It
// satisfies session.Configs and session.Accounts.
type Provisioner struct {
	Table    *Table                   // nil: no account table
	Limits   map[string]PasswordLimit // per model (CP-7906G); missing models use Fallback
	Fallback PasswordLimit            // other models; zero means DefaultPasswordLimit
	TimeZone string                   // Cisco time zone name; "" means "Greenwich Standard Time"
}

// Limit returns the password limit for a model.
func (p *Provisioner) Limit(model string) PasswordLimit {
	if l, ok := p.Limits[model]; ok {
		return l
	}
	if p.Fallback != (PasswordLimit{}) {
		return p.Fallback
	}
	return DefaultPasswordLimit
}

// Assign gives a phone its row of the table (see Table.Assign).
func (p *Provisioner) Assign(mac, port string, taken func(key string) bool) (string, bool) {
	return p.Table.Assign(mac, port, taken)
}

// Stepping is SEP<MAC>.cnf.xml for a phone not yet on its target: minimal,
// so an SCCP load reads it, and naming load so the phone upgrades itself.
func (p *Provisioner) Stepping(mac, model, load string) ([]byte, error) {
	if load == "" {
		return nil, fmt.Errorf("provision: stepping config for %s: no load", mac)
	}
	return marshal(device{LoadInformation: load})
}

// Results of SIP, for the report.
const (
	ResultDone             = "done"
	ResultNoAccount        = "done (no account)"
	ResultPasswordRefused  = "done (password refused)"
	ResultPasswordLongWarn = "done (password long)"
)

// SIP is SEP<MAC>.cnf.xml on the SIP target with the phone's account
// (account is its extension, "" for none). result is the report's word and
// note the line a person reads, "" when all is well. A password above the
// model's limit is left out: the phone still finishes and the note says
// what to change.
func (p *Provisioner) SIP(mac, port, model, load, account string) (data []byte, result, note string, err error) {
	a, ok := p.Table.Lookup(account)
	if !ok {
		data, err = marshal(p.sipDevice(load, nil))
		return data, ResultNoAccount, "no account", wrap(mac, err)
	}
	result, note = ResultDone, ""
	lim := p.Limit(model)
	line := sipLine{Button: 1, FeatureID: 9, FeatureLabel: label(a.DisplayName), Proxy: "USECALLMANAGER",
		Port: a.PBXPort, Name: a.Extension, DisplayName: a.DisplayName, Contact: a.Extension,
		AuthName: a.AuthName, AuthPassword: a.Password, MessagesNumber: ""}
	switch n := len([]rune(a.Password)); {
	case n > lim.Max:
		line.AuthName, line.AuthPassword = "", ""
		result = ResultPasswordRefused
		note = fmt.Sprintf("password for %s is %d characters; %s accepts at most %d: shorten it in the account table", a.Extension, n, modelName(model), lim.Max)
	case n > lim.Warn:
		result = ResultPasswordLongWarn
		note = fmt.Sprintf("password for %s is %d characters; some %s firmware rejects more than %d: shorten it if the line does not register", a.Extension, n, modelName(model), lim.Warn)
	}
	d := p.sipDevice(load, &a)
	d.SIPProfile.Lines = []sipLine{line}
	d.SIPProfile.PhoneLabel = label(a.Extension)
	data, err = marshal(d)
	return data, result, note, wrap(mac, err)
}

func wrap(mac string, err error) error {
	if err != nil {
		return fmt.Errorf("provision: SIP config for %s: %w", mac, err)
	}
	return nil
}

func modelName(m string) string {
	if m == "" {
		return "this phone"
	}
	return m
}

// label fits the 12-character, space-free phone label.
func label(s string) string {
	s = strings.ReplaceAll(s, " ", "")
	if r := []rune(s); len(r) > 12 {
		return string(r[:12])
	}
	return s
}

func (p *Provisioner) sipDevice(load string, a *Account) device {
	tz := p.TimeZone
	if tz == "" {
		tz = "Greenwich Standard Time"
	}
	d := device{DeviceProtocol: "SIP", LoadInformation: load,
		SIPProfile: &sipProfile{RegisterWithProxy: a != nil, TimerRegisterExpires: 3600, TimerRegisterDelta: 5,
			TimerT1: 500, TimerT2: 4000, VoipControlPort: 5060}}
	pool := &devicePool{DateTime: dateTime{DateTemplate: "D/M/Y", TimeZone: tz}}
	if a != nil {
		pool.CallManagerGroup.Members = []member{{Priority: 0, CallManager: callManager{
			Ports:           cmPorts{EthernetPhonePort: 2000, SIPPort: a.PBXPort, SecuredSIPPort: 5061},
			ProcessNodeName: a.PBXHost}}}
	}
	d.DevicePool = pool
	return d
}

// modelNames are the model attributes of XMLDefault.cnf.xml per device type.
var modelNames = map[string]string{"307": "Cisco IP Phone 7911", "369": "Cisco IP Phone 7906"}

// Default is XMLDefault.cnf.xml with loadInformationNNN for each device
// type in loads (307 for the 7911, 369 for the 7906).
func (p *Provisioner) Default(loads map[string]string) ([]byte, error) {
	types := make([]string, 0, len(loads))
	for t := range loads {
		if _, ok := modelNames[t]; !ok {
			return nil, fmt.Errorf("provision: XMLDefault.cnf.xml: unknown device type %q", t)
		}
		types = append(types, t)
	}
	sort.Strings(types)
	var d xmlDefault
	for _, t := range types {
		d.Loads = append(d.Loads, loadInfo{XMLName: xml.Name{Local: "loadInformation" + t}, Model: modelNames[t], Load: loads[t]})
	}
	return marshal(d)
}
