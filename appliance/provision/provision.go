package provision

import (
	"cmp"
	"encoding/xml"
	"fmt"
	"slices"
	"strings"

	"github.com/phoneflash/phoneflash/firmware"
)

// Provisioner makes the configuration files and assigns accounts. It
// satisfies session.Configs and session.Accounts. What it knows of a model
// (its password limit, its loadInformationNNN) comes from the model's row
// of firmware's model table.
type Provisioner struct {
	Table    *Table // nil: no account table
	TimeZone string // Cisco time zone name; "" means "Greenwich Standard Time"
}

// Assign gives a phone its row of the table (see Table.Assign).
func (p *Provisioner) Assign(mac, port string, taken func(key string) bool) (string, bool) {
	return p.Table.Assign(mac, port, taken)
}

// Stepping is SEP<MAC>.cnf.xml for a phone not yet on its target: minimal,
// so an SCCP load reads it, and naming load so the phone upgrades itself.
func (p *Provisioner) Stepping(mac string, model firmware.Model, load string) ([]byte, error) {
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
// note the line a person reads, "" when all is well. A password longer
// than the model's limit (model.Password.Max) is left out: the phone still
// finishes and the note says what to change.
func (p *Provisioner) SIP(mac, port string, model firmware.Model, load, account string) (data []byte, result, note string, err error) {
	a, ok := p.Table.Lookup(account)
	if !ok {
		data, err = marshal(p.sipDevice(load, nil))
		return data, ResultNoAccount, "no account", wrap(mac, err)
	}
	result, note = ResultDone, ""
	lim := model.Password
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

func modelName(m firmware.Model) string {
	if m.Name == "" {
		return "this phone"
	}
	return m.String()
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

// Default is XMLDefault.cnf.xml with one loadInformationNNN per model, by
// device type (NNN is the model's device type, model its XMLModel).
func (p *Provisioner) Default(loads []firmware.ModelLoad) ([]byte, error) {
	loads = slices.Clone(loads)
	slices.SortStableFunc(loads, func(a, b firmware.ModelLoad) int { return cmp.Compare(a.Model.DeviceType, b.Model.DeviceType) })
	var d xmlDefault
	for _, l := range loads {
		if l.Model.DeviceType <= 0 || l.Model.XMLModel == "" {
			return nil, fmt.Errorf("provision: XMLDefault.cnf.xml: model %q has no device type or XML model name", l.Model.Name)
		}
		d.Loads = append(d.Loads, loadInfo{XMLName: xml.Name{Local: fmt.Sprintf("loadInformation%d", l.Model.DeviceType)},
			Model: l.Model.XMLModel, Load: l.Load})
	}
	return marshal(d)
}
