package main

import (
	"net"
	"strconv"
	"strings"

	"github.com/phoneflash/phoneflash/firmware"
)

// Identity is what makes one simulated phone: its MAC and model.
type Identity struct {
	MAC net.HardwareAddr
	// Model names the phone's row of the model table as the flash file
	// keeps it: the model's name (CP-7942G), or its term number ("06",
	// "11") in flash files written before the other families.
	Model string
	// Table is the model table: phoneflash's own rows and those of a
	// -models file (a model the built-in table lacks); nil means the
	// built-in rows.
	Table firmware.Models
	// Vendor overrides the model string of DHCP option 60: "" sends the
	// row's, "none" sends no option 60.
	Vendor string
}

// table is the phone's model table.
func (id Identity) table() firmware.Models {
	if id.Table == nil {
		return firmware.BuiltinModels()
	}
	return id.Table
}

// Info is the phone's row of the model table; the appliance decides with
// the same row (a -models file is the appliance's models.json).
func (id Identity) Info() firmware.Model {
	if m, ok := id.table().Named(firmware.ModelName(id.Model)); ok {
		return m
	}
	m, _ := id.table().ForTermFile("term" + id.Model + ".default.loads")
	return m
}

// MACU is the MAC in uppercase hex without separators, as in SEP<MACU>.
func (id Identity) MACU() string {
	return strings.ToUpper(strings.ReplaceAll(id.MAC.String(), ":", ""))
}

// ModelString is the model as the phone names it in DHCP option 60: its
// row's, or -vendor-class's ("" for none).
func (id Identity) ModelString() string {
	switch id.Vendor {
	case "":
		return id.Info().VendorClass
	case "none":
		return ""
	}
	return id.Vendor
}

// DeviceType is the Cisco device-type id of loadInformationNNN.
func (id Identity) DeviceType() string { return strconv.Itoa(id.Info().DeviceType) }

// Hostname is DHCP option 12: "SEP" + uppercase MAC.
func (id Identity) Hostname() string { return "SEP" + id.MACU() }

// VendorClass is DHCP option 60 without its trailing NUL; "" when the
// phone sends none.
func (id Identity) VendorClass() string {
	if id.ModelString() == "" {
		return ""
	}
	return firmware.VendorClassPrefix + id.ModelString()
}

// PasswordMax is the longest authPassword the phone takes: flag (-pw-max)
// when set, else its model's limit in the model table, the limit the
// appliance checks against, so the two cannot drift apart.
func (id Identity) PasswordMax(flag int) int {
	if flag > 0 {
		return flag
	}
	return id.Info().Password.Max
}

// parseModel accepts what phoneflash's model table does (7942, 7942G,
// CP-7942G, 42, ...) and returns the model's name.
func parseModel(table firmware.Models, s string) (string, error) {
	m, err := table.Parse(s)
	if err != nil {
		return "", err
	}
	return string(m.Name), nil
}

// ciscoMAC is a MAC in Cisco's 00:22:90 OUI (seen on a 7906G) with the low
// three bytes from r.
func ciscoMAC(r uint32) net.HardwareAddr {
	return net.HardwareAddr{0x00, 0x22, 0x90, byte(r >> 16), byte(r >> 8), byte(r)}
}
