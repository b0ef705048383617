package main

import (
	"net"
	"strconv"
	"strings"

	"github.com/phoneflash/phoneflash/firmware"
)

// Identity is what makes one simulated phone: its MAC and model.
type Identity struct {
	MAC   net.HardwareAddr
	Model string // the term number, as the flash file keeps it: "06" (CP-7906G) or "11" (CP-7911G)
}

// Info is the phone's row of phoneflash's model table; the appliance
// decides with the same row.
func (id Identity) Info() firmware.Model {
	m, _ := firmware.BuiltinModels().ForTermFile("term" + id.Model + ".default.loads")
	return m
}

// MACU is the MAC in uppercase hex without separators, as in SEP<MACU>.
func (id Identity) MACU() string {
	return strings.ToUpper(strings.ReplaceAll(id.MAC.String(), ":", ""))
}

// ModelString is the model as the phone names it in DHCP option 60.
func (id Identity) ModelString() string { return id.Info().VendorClass }

// DeviceType is the Cisco device-type id of loadInformationNNN.
func (id Identity) DeviceType() string { return strconv.Itoa(id.Info().DeviceType) }

// Hostname is DHCP option 12: "SEP" + uppercase MAC.
func (id Identity) Hostname() string { return "SEP" + id.MACU() }

// VendorClass is DHCP option 60 without its trailing NUL.
func (id Identity) VendorClass() string { return firmware.VendorClassPrefix + id.ModelString() }

// PasswordMax is the longest authPassword the phone takes: flag (-pw-max)
// when set, else its model's limit in the model table, the limit the
// appliance checks against, so the two cannot drift apart.
func (id Identity) PasswordMax(flag int) int {
	if flag > 0 {
		return flag
	}
	return id.Info().Password.Max
}

// parseModel accepts what phoneflash's model table does (7906, 7906G,
// CP-7906G, 06, ...) and returns the model's term number.
func parseModel(s string) (string, error) {
	m, err := firmware.BuiltinModels().Parse(s)
	if err != nil {
		return "", err
	}
	return m.Term, nil
}

// ciscoMAC is a MAC in Cisco's 00:22:90 OUI (seen on a 7906G) with the low
// three bytes from r.
func ciscoMAC(r uint32) net.HardwareAddr {
	return net.HardwareAddr{0x00, 0x22, 0x90, byte(r >> 16), byte(r >> 8), byte(r)}
}
