package main

import (
	"fmt"
	"net"
	"strings"
)

// Identity is what makes one simulated phone: its MAC and model.
type Identity struct {
	MAC   net.HardwareAddr
	Model string // "06" (CP-7906G) or "11" (CP-7911G)
}

// MACU is the MAC in uppercase hex without separators, as in SEP<MACU>.
func (id Identity) MACU() string {
	return strings.ToUpper(strings.ReplaceAll(id.MAC.String(), ":", ""))
}

// ModelString is the model as the phone names it in DHCP option 60.
func (id Identity) ModelString() string { return "CP-79" + id.Model + "G" }

// DeviceType is the Cisco device-type id of loadInformationNNN.
func (id Identity) DeviceType() string {
	if id.Model == "06" {
		return "369"
	}
	return "307"
}

// Hostname is DHCP option 12: "SEP" + uppercase MAC.
func (id Identity) Hostname() string { return "SEP" + id.MACU() }

// VendorClass is DHCP option 60 without its trailing NUL.
func (id Identity) VendorClass() string { return "Cisco Systems, Inc. IP Phone " + id.ModelString() }

// parseModel accepts 7906, 7906G, CP-7906G, 06 (and the same for 7911).
func parseModel(s string) (string, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	u = strings.TrimPrefix(u, "CP-")
	u = strings.TrimSuffix(u, "G")
	u = strings.TrimPrefix(u, "79")
	switch u {
	case "06", "11":
		return u, nil
	}
	return "", fmt.Errorf("model %q: want 7906 or 7911", s)
}

// ciscoMAC is a MAC in Cisco's 00:22:90 OUI (seen on a 7906G) with the low
// three bytes from r.
func ciscoMAC(r uint32) net.HardwareAddr {
	return net.HardwareAddr{0x00, 0x22, 0x90, byte(r >> 16), byte(r >> 8), byte(r)}
}
