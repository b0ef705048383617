package session

import (
	"fmt"
	"time"
)

// The appliance wires a Manager to the firmware store (through a Catalog
// adapter), the provisioner, the journal and the PSE, then feeds it the
// DHCP and TFTP servers' callbacks. A TFTP request is answered at once.
func ExampleManager() {
	now := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	m := NewManager(ManagerConfig{
		Machine: Machine{Catalog: newCatalog(true), Configs: fakeConfigs{}, Timeouts: DefaultTimeouts()},
		Target:  targetLoad,
		Now:     func() time.Time { return now },
	})
	m.Handle(Power{Port: "eth1", On: true})
	m.Handle(DHCP{Kind: DHCPDiscover, MAC: "00:11:22:aa:bb:cc", Port: "eth1", VendorClass: "Cisco Systems, Inc. IP Phone CP-7906G\x00"})
	a := m.Handle(TFTPRequest{MAC: "001122AABBCC", File: "term06.default.loads"})
	fmt.Println(a.Kind, a.Load, a.File)
	a = m.Handle(TFTPRequest{MAC: "001122AABBCC", File: "jar11sccp.8-5-2TH1-9.sbn"})
	fmt.Println(a.Kind, a.Load, a.File)
	p := m.Snapshot()[0]
	fmt.Println(p.MAC, p.Model, p.Stage, p.FileIndex, "of", p.FileCount, p.Plan)
	fmt.Println(m.Ports())
	// Output:
	// file SCCP11.8-5-2S term06.default.loads
	// file SCCP11.8-5-2S jar11sccp.8-5-2TH1-9.sbn
	// 001122AABBCC CP-7906G loading 1 of 5 [SCCP11.8-5-2S SIP11.9-4-2SR1-1S]
	// [{eth1 true false 2026-11-29 10:00:00 +0000 UTC}]
}
