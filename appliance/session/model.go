package session

import (
	"slices"

	"github.com/phoneflash/phoneflash/firmware"
)

// Catalog is what a session reads of the firmware store. *firmware.Store
// satisfies it, reading its manifests on every call, so a load imported
// while the appliance runs is used at once. Its answers must not change
// during one Step.
type Catalog interface {
	// Loads returns every load of the store, for plans.
	Loads() []firmware.Load
	// Load returns the named load (without ".loads").
	Load(name string) (firmware.Load, bool)
}

// Configs renders the configuration files a phone asks for. Implementations
// must be deterministic: Step calls them. provision.Provisioner satisfies it.
type Configs interface {
	// Stepping is SEP<MAC>.cnf.xml for a phone not yet on the target: it
	// names load in <loadInformation> so the phone upgrades itself.
	Stepping(mac string, model firmware.Model, load string) ([]byte, error)
	// SIP is SEP<MAC>.cnf.xml on the target, with the phone's account
	// (account is the key Accounts.Assign returned, "" for none). label
	// names the account for people ("" when none); note is a reason to
	// show (no account, password refused or long), "" when all is well.
	SIP(mac, port string, model firmware.Model, load, account string) (data []byte, label, note string, err error)
	// Default is XMLDefault.cnf.xml: one loadInformationNNN per model.
	Default(loads []firmware.ModelLoad) ([]byte, error)
	// DialPlan is dialplan.xml, the dial template SIP configs name.
	DialPlan() ([]byte, error)
}

// Accounts assigns rows of the operator's account table to phones.
type Accounts interface {
	// Assign returns the key of the row for this phone: by MAC, by port,
	// else the next row whose key taken reports false.
	Assign(mac, port string, taken func(key string) bool) (key string, ok bool)
}

// model returns the table's row of the phone's model.
func (m Machine) model(s *State) (firmware.Model, bool) { return m.Models.Named(s.Model) }

// known reports whether the phone's model is a row of the table.
func (m Machine) known(s *State) bool {
	_, ok := m.model(s)
	return ok
}

// planFor asks the firmware planner for the loads that take the phone from
// cur to its target. An unknown model has no plan; the error says so.
func (m Machine) planFor(s *State, cur firmware.Current) ([]string, error) {
	md, _ := m.model(s)
	return firmware.Plan(md, cur, s.Target, m.Catalog.Loads())
}

// images returns the .sbn files of load, in .loads order.
func (m Machine) images(load string) []string {
	l, _ := m.Catalog.Load(load)
	return l.Images
}

// fileSize is the size of one file of load, 0 when unknown.
func (m Machine) fileSize(load, file string) int64 {
	l, _ := m.Catalog.Load(load)
	f, _ := l.File(file)
	return f.Size
}

// loadOfImage names the load an image belongs to: the offered one when it
// lists the image (images may be shared by loads), else the first that does.
func (m Machine) loadOfImage(image, offered string) (string, bool) {
	if slices.Contains(m.images(offered), image) {
		return offered, true
	}
	for _, l := range m.Catalog.Loads() {
		if slices.Contains(l.Images, image) {
			return l.Name, true
		}
	}
	return "", false
}
