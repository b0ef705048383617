package main

import (
	"fmt"
	"net/netip"
	"os/exec"

	"github.com/phoneflash/phoneflash/internal/kamailio"
	"github.com/phoneflash/phoneflash/internal/namespace"
)

// The demo's office: a namespace behind the appliance's uplink where
// Debian's Kamailio is the office PBX. The appliance routes the bench to
// it, so the demo's phones register there and the bench shows each
// registration; the PBX has its own account table, in which one line's
// password is not the one the bench's table has (the office changed it),
// so that phone shows the PBX's refusal.

// The office's addresses: the appliance's uplink and the PBX.
const (
	demoUplinkAddr = "192.0.2.1/24"
	demoPBXAddr    = "192.0.2.10"
	demoOffice     = demoPBXAddr + ":5060" // where the phones with an account register
)

// demoPBXPasswords are the PBX's passwords that differ from the bench's
// account table, by extension.
var demoPBXPasswords = map[string]string{"1004": "office1004"}

func (l demoLayout) officeNS() string { return l.prefix + "-off" }

// needsKamailio is the line a machine without Kamailio gets.
const needsKamailio = "phoneflash demo: needs Kamailio for the office PBX; install it with: apt-get install kamailio (make demo does)"

func haveKamailio() bool {
	_, err := exec.LookPath("kamailio")
	return err == nil
}

// buildDemoOffice makes the office namespace behind the appliance's uplink.
func buildDemoOffice(r *rig, app string, l demoLayout) error {
	office, err := r.addNS("off")
	if err != nil {
		return err
	}
	if err := namespace.Veth(app, l.uplink(), office, "eth0"); err != nil {
		return err
	}
	if err := namespace.IP(app, "addr", "add", demoUplinkAddr, "dev", l.uplink()); err != nil {
		return fmt.Errorf("demo office: %w", err)
	}
	if err := namespace.IP(office, "addr", "add", demoPBXAddr+"/24", "dev", "eth0"); err != nil {
		return fmt.Errorf("demo office: %w", err)
	}
	return nil
}

// demoPBXUsers is the office PBX's account table: every demo phone with an
// account, with the PBX's own password.
func demoPBXUsers(phones []demoPhone) []kamailio.User {
	var users []kamailio.User
	for _, p := range phones {
		if p.Password == "" {
			continue
		}
		pw, ok := demoPBXPasswords[p.extension()]
		if !ok {
			pw = p.Password
		}
		users = append(users, kamailio.User{Extension: p.extension(), Password: pw})
	}
	return users
}

// startDemoPBX starts Kamailio in the office namespace; stop ends it.
func startDemoPBX(l demoLayout, phones []demoPhone) (stop func(), err error) {
	k, err := kamailio.Start(l.officeNS(), kamailio.Config{Addr: netip.MustParseAddr(demoPBXAddr), Users: demoPBXUsers(phones)})
	if err != nil {
		return nil, fmt.Errorf("demo office PBX: %w", err)
	}
	return func() { k.Stop() }, nil
}
