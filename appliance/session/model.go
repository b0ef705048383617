package session

import (
	"fmt"
	"strings"
)

// Model is a phone model the appliance reflashes.
type Model struct {
	Name       string `json:"name"`        // CP-7906G / CP-7911G
	Term       string `json:"term"`        // "06" / "11": termNN.default.loads
	DeviceType string `json:"device_type"` // "369" / "307": loadInformationNNN
}

// The models phoneflash knows.
var (
	Model7906 = Model{Name: "CP-7906G", Term: "06", DeviceType: "369"}
	Model7911 = Model{Name: "CP-7911G", Term: "11", DeviceType: "307"}
	Models    = []Model{Model7906, Model7911}
)

// Known reports whether m is one of Models.
func (m Model) Known() bool { return m.Name != "" }

// TermFile is the default-load file this model asks for after a factory
// reset: term06.default.loads or term11.default.loads.
func (m Model) TermFile() string { return "term" + m.Term + ".default.loads" }

// ModelFromVendorClass finds the model in DHCP option 60
// ("Cisco Systems, Inc. IP Phone CP-7906G\x00") or any string naming it
// (CP-7906G, CP7906G, 7906). It returns false for other phones.
func ModelFromVendorClass(s string) (Model, bool) {
	u := strings.ToUpper(strings.TrimRight(s, "\x00 "))
	for _, m := range Models {
		num := strings.TrimSuffix(strings.TrimPrefix(m.Name, "CP-"), "G")
		if strings.Contains(u, num) {
			return m, true
		}
	}
	return Model{}, false
}

// modelFromTerm maps "06"/"11" to a model.
func modelFromTerm(nn string) (Model, bool) {
	for _, m := range Models {
		if m.Term == nn {
			return m, true
		}
	}
	return Model{}, false
}

// CurrentKind says how much the appliance knows about what a phone runs.
type CurrentKind string

// What the appliance may know about a phone's firmware.
const (
	// CurrentUnknown: nothing known; its loader may be older than 8.3(3)
	// (a phone in default-load mode after a factory reset).
	CurrentUnknown CurrentKind = "unknown"
	// CurrentOldLoader: its loader refused a 9.x load, so it is older than
	// 8.3(3) and needs the stepping stone.
	CurrentOldLoader CurrentKind = "old-loader"
	// CurrentNewLoader: its loader is taken to accept the target directly
	// (the "direct" policy, or a phone that boots normally and asks for its
	// config), load name unknown.
	CurrentNewLoader CurrentKind = "new-loader"
	// CurrentLoad: it runs the named load.
	CurrentLoad CurrentKind = "load"
)

// Current is what a phone runs, as far as the appliance knows.
type Current struct {
	Kind CurrentKind `json:"kind"`
	Load string      `json:"load,omitempty"` // with CurrentLoad
}

// String is the form shown in logs and the report.
func (c Current) String() string {
	switch c.Kind {
	case CurrentLoad:
		return c.Load
	case CurrentOldLoader:
		return "old loader (<8.3(3))"
	case CurrentNewLoader:
		return "unknown (loader >= 8.3(3))"
	}
	return "unknown"
}

// Catalog is what a session needs of the firmware store. The firmware
// package's store satisfies it through a thin adapter in appliance.
type Catalog interface {
	// Plan returns the loads to install, in order, to take a phone of this
	// model from current to target; empty when it already runs target. Its
	// error is shown to the operator verbatim (for a missing stepping stone
	// it names the file to import).
	Plan(model Model, current Current, target string) ([]string, error)
	// Images returns the .sbn files of a load, in .loads order.
	Images(load string) ([]string, bool)
	// TermFile returns the load's own default-load file for the model
	// (term06.default.loads / term11.default.loads), if the load has one.
	TermFile(load string, model Model) (string, bool)
	// FileSize returns the size of one file of a load, 0 when unknown.
	FileSize(load, file string) int64
	// Has reports whether the store holds the load.
	Has(load string) bool
	// LoadOfImage returns the load a .sbn file belongs to.
	LoadOfImage(file string) (load string, ok bool)
}

// Configs renders the configuration files a phone asks for. Implementations
// must be deterministic: Step calls them. provision.Provisioner satisfies it.
type Configs interface {
	// Stepping is SEP<MAC>.cnf.xml for a phone not yet on the target: it
	// names load in <loadInformation> so the phone upgrades itself.
	Stepping(mac, model, load string) ([]byte, error)
	// SIP is SEP<MAC>.cnf.xml on the target, with the phone's account
	// (account is the key Accounts.Assign returned, "" for none). label
	// names the account for people ("" when none); note is a reason to
	// show (no account, password refused or long), "" when all is well.
	SIP(mac, port, model, load, account string) (data []byte, label, note string, err error)
	// Default is XMLDefault.cnf.xml: loadInformation307/369 per device type.
	Default(loads map[string]string) ([]byte, error)
}

// Accounts assigns rows of the operator's account table to phones.
type Accounts interface {
	// Assign returns the key of the row for this phone: by MAC, by port,
	// else the next row whose key taken reports false.
	Assign(mac, port string, taken func(key string) bool) (key string, ok bool)
}

// Policy chooses how a phone of unknown history is upgraded.
type Policy string

// The upgrade policies.
const (
	// PolicyStepping (default): a phone of unknown history gets the
	// stepping stone first.
	PolicyStepping Policy = "stepping"
	// PolicyDirect: phones of unknown history get the target directly; a
	// loader that refuses it still falls back to the stepping stone.
	PolicyDirect Policy = "direct"
)

// ParsePolicy parses "stepping" or "direct".
func ParsePolicy(s string) (Policy, error) {
	switch Policy(s) {
	case PolicyStepping, PolicyDirect:
		return Policy(s), nil
	case "":
		return PolicyStepping, nil
	}
	return "", fmt.Errorf("policy %q: use stepping or direct", s)
}
