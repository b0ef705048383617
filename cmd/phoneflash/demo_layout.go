package main

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/phoneflash/phoneflash/appliance"
	"github.com/phoneflash/phoneflash/appliance/provision"
	"github.com/phoneflash/phoneflash/appliance/session"
)

// demoPhone is one simulated phone of the demo bench and the result the
// demo expects of it: from the appliance (Want) and from the phone itself
// (Own).
type demoPhone struct {
	Port     int    // 0-based bench port
	MAC      string // aa:bb:cc:dd:ee:ff
	Model    string // phonesim -model: 7906, 7942, ...
	Scenario string // phonesim -scenario
	About    string // what the newcomer is told about it
	Password string // "" = no row in the account table
	Target   string // the load it ends on; "" for demoTarget
	Want     string // expected result in the appliance's journal
	Own      phoneWant
}

// demoTarget is the load the 7906/7911 end on (appliance's default
// -target); the other families end on their newest SIP load, the demo's
// 9.4(2)SR3 (demoPhone.Target).
const demoTarget = appliance.DefaultTarget

// demoPhones is a mixed bench: a 7906G with an old loader that trusts a
// CUCM (the operator keys its reset when the display asks), a 7942G with
// an old loader (through its own family's stepping stone, SCCP42), a 7911G
// on SCCP 8.5(2), and a 7965G on SCCP 8.5(2) whose password in the account
// table is not the office PBX's (demo_office.go). By their own account the
// phones with an account register with the office PBX, the one without a
// row with the bench registrar on its port (a line without a password),
// and the PBX refuses the fourth one's password.
var demoPhones = []demoPhone{
	{Port: 0, MAC: "00:22:90:de:00:01", Model: "7906", Scenario: "old-cucm",
		About: "7906G, old loader, trusts a CUCM: needs its reset keyed", Password: "demo1001", Want: provision.ResultDone,
		Own: phoneWant{State: "registered", Line: "1001", Registrar: demoOffice}},
	{Port: 1, MAC: "00:22:90:de:00:02", Model: "7942", Scenario: "formatted-old", Target: "SIP42.9-4-2SR3-1S",
		About: "7942G, old loader, already formatted; no account row", Want: provision.ResultNoAccount,
		Own: phoneWant{State: "registered", Line: "without a password", Registrar: "10.79.2.1:5060"}},
	{Port: 2, MAC: "00:22:90:de:00:03", Model: "7911", Scenario: "sccp852",
		About: "7911G on SCCP 8.5(2)", Password: "demo1003", Want: provision.ResultDone,
		Own: phoneWant{State: "registered", Line: "1003", Registrar: demoOffice}},
	{Port: 3, MAC: "00:22:90:de:00:04", Model: "7965", Scenario: "sccp852", Target: "SIP45.9-4-2SR3-1S",
		About: "7965G on SCCP 8.5(2), the office PBX has another password for its line", Password: "demo1004", Want: "failed",
		Own: phoneWant{State: "refused", Line: "1004", Registrar: demoOffice}},
}

// demoFamilies are the load families of the demo's phones: the firmware it
// generates is their stepping stones and targets.
var demoFamilies = []string{"11", "42", "45"}

// target is the load the phone ends on.
func (p demoPhone) target() string { return cmp.Or(p.Target, demoTarget) }

// extension is the phone's line in the account table.
func (p demoPhone) extension() string { return fmt.Sprintf("10%02d", p.Port+1) }

// key is the MAC as sessions show it: 002290DE0001.
func (p demoPhone) key() string { return session.NormalizeMAC(p.MAC) }

// demoLayout names everything of a demo run: namespaces, interfaces and
// files. The demo itself uses prefix "pfd"; its tests use their own.
type demoLayout struct {
	prefix string
	dir    string // work directory: firmware, state, phones' flash and logs
}

func (l demoLayout) appNS() string           { return l.prefix + "-app" }
func (l demoLayout) phoneNS(port int) string { return fmt.Sprintf("%s-ph%d", l.prefix, port+1) }
func (l demoLayout) portIf(port int) string  { return fmt.Sprintf("%sp%d", l.prefix, port+1) }
func (l demoLayout) uplink() string          { return l.prefix + "up" }
func (l demoLayout) firmwareDir() string     { return filepath.Join(l.dir, "firmware") }
func (l demoLayout) stateDir() string        { return filepath.Join(l.dir, "state") }
func (l demoLayout) accounts() string        { return filepath.Join(l.dir, "accounts.csv") }
func (l demoLayout) oledPNG() string         { return filepath.Join(l.dir, "oled.png") }
func (l demoLayout) applianceLog() string    { return filepath.Join(l.dir, "appliance.log") }
func (l demoLayout) phoneFile(port int, ext string) string {
	return filepath.Join(l.dir, fmt.Sprintf("phone%d.%s", port+1, ext))
}

// phoneIf is the phone's interface name inside its own namespace.
const phoneIf = "eth0"

func (l demoLayout) ports() string {
	var names []string
	for i := range demoPhones {
		names = append(names, l.portIf(i))
	}
	return strings.Join(names, ",")
}

// accountTable is the operator's CSV: a MAC-matched row for every phone
// with a password.
func accountTable(phones []demoPhone) string {
	var b strings.Builder
	b.WriteString("MAC,Extension,Display Name,Auth_Name,Password,PBX_Host,PBX_Port\n")
	for _, p := range phones {
		if p.Password == "" {
			continue
		}
		fmt.Fprintf(&b, "%s,%s,Demo %s,%s,%s,192.0.2.10,5060\n", p.MAC, p.extension(), p.extension(), p.extension(), p.Password)
	}
	return b.String()
}

func writeAccounts(name string, phones []demoPhone) error {
	if err := os.WriteFile(name, []byte(accountTable(phones)), 0o644); err != nil {
		return fmt.Errorf("account table: %w", err)
	}
	return nil
}
