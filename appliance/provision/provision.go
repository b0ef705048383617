package provision

import (
	"cmp"
	"encoding/xml"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/phoneflash/phoneflash/firmware"
)

// Provisioner makes the configuration files and assigns accounts. It
// satisfies session.Configs and session.Accounts. What it knows of a model
// (its password limit, its loadInformationNNN) comes from the model's row
// of firmware's model table. A phone's config takes each setting from its
// row of the table, else from the row's preset, else from the bench's
// (the fields below), else from Base.
type Provisioner struct {
	Table    *Table // nil: no account table
	TimeZone string // the phone's own time zone name; "" is DefaultTimeZone
	Preset   string // the bench's PBX preset (-pbx-preset); "" is Base
	NTP      string // the bench's NTP server; "" is DefaultNTP
	// DialTemplate is dialplan.xml as the operator gave it (-dialplan), already
	// checked by ParseDialPlan; nil derives one from the table.
	DialTemplate []byte
	// Bench is the bench registrar's address on each bench port: a phone
	// without an account registers there (bench.go). nil: none.
	Bench map[string]netip.AddrPort
}

// DefaultNTP is the NTP server of a config that names none: the public
// pool, which an office that reaches its PBX over the internet reaches
// too; give the row an ntp (or the bench one) for a local server.
const DefaultNTP = "pool.ntp.org"

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
	bench := false
	if !ok {
		if a, bench = p.benchLine(mac, port); !bench {
			d, err := p.sipDevice(load, nil)
			if err == nil {
				data, err = marshal(d)
			}
			return data, ResultNoAccount, "no account", wrap(mac, err)
		}
	}
	d, err := p.sipDevice(load, &a)
	if err != nil {
		return nil, "", "", wrap(mac, err)
	}
	result, note = ResultDone, ""
	line := &d.SIPProfile.Lines[0]
	lim := model.Password
	switch n := len([]rune(a.Password)); {
	case n > lim.Max:
		line.AuthName, line.AuthPassword = "", ""
		result = ResultPasswordRefused
		note = fmt.Sprintf("password for %s is %d characters; %s accepts at most %d: shorten it in the account table", a.Extension, n, modelName(model), lim.Max)
	case n > lim.Warn:
		result = ResultPasswordLongWarn
		note = fmt.Sprintf("password for %s is %d characters; some %s firmware rejects more than %d: shorten it if the line does not register", a.Extension, n, modelName(model), lim.Warn)
	}
	data, err = marshal(d)
	if bench {
		result, note = ResultNoAccount, "no account"
	}
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
	if r := []rune(s); len(r) > maxLabel {
		return string(r[:maxLabel])
	}
	return s
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
