package board

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// Profile describes how a bench is wired: the I²C bus, the PSE and OLED on
// it, and for every bench port its interface, PoE channel and LED. board/pi
// builds the hardware from it; `phoneflash serve -board pi -board-profile
// FILE` validates it at start-up.
type Profile struct {
	I2CBus    string        `json:"i2c_bus"`              // e.g. /dev/i2c-1 (or I2C1)
	PSE       *PSEProfile   `json:"pse,omitempty"`        // nil: power is switched by hand
	OLED      *OLEDProfile  `json:"oled,omitempty"`       // nil: no display
	Ports     []PortProfile `json:"ports"`                // bench ports
	SystemLED string        `json:"system_led,omitempty"` // GPIO name, e.g. GPIO24
	// LEDActiveLow is set when the LEDs light with the pin low.
	LEDActiveLow bool `json:"led_active_low,omitempty"`
}

// PSEProfile is the TPS23861 on the bus.
type PSEProfile struct {
	Addr          Addr   `json:"addr"`                 // 7-bit address, "0x20"
	IntPin        string `json:"int_pin,omitempty"`    // GPIO wired to INT; empty: poll
	ShuntMilliOhm int    `json:"shunt_mohm,omitempty"` // 255 (default) or 250
	// OnExit is the PoE policy when phoneflash stops: "keep" (default; a phone
	// writing its flash must not lose power during an update) or "off".
	OnExit string `json:"on_exit,omitempty"`
}

// OLEDProfile is the SSD1306 on the bus.
type OLEDProfile struct {
	Addr Addr `json:"addr"` // 0x3C (SA0 low) or 0x3D (SA0 high)
}

// PortProfile is one bench port.
type PortProfile struct {
	Interface  string `json:"interface"`             // network interface name, e.g. eth1
	PoEChannel *int   `json:"poe_channel,omitempty"` // PSE channel 0-3; absent: no switched power
	LED        string `json:"led,omitempty"`         // GPIO name of the port's LED
	// MAC or USBPath pins the port to one NIC: the NIC with that hardware
	// address, or the USB NIC in that USB port (as `boardcheck` lists it,
	// e.g. "1-1.3"), is given Interface as its name, whatever order the
	// kernel found the NICs in. At most one of the two.
	MAC     string `json:"mac,omitempty"`
	USBPath string `json:"usb_path,omitempty"`
}

// usbPath is a USB port chain as Linux names it: bus-port[.port...].
var usbPath = regexp.MustCompile(`^[0-9]+-[0-9]+(\.[0-9]+)*$`)

// Addr is a 7-bit I²C address. In JSON it is a hex string ("0x3C") or a
// number.
type Addr uint16

// UnmarshalJSON accepts "0x3C", "60" or 60.
func (a *Addr) UnmarshalJSON(b []byte) error {
	s := string(b)
	if uq, err := strconv.Unquote(s); err == nil {
		s = uq
	}
	v, err := strconv.ParseUint(s, 0, 16)
	if err != nil {
		return fmt.Errorf("I²C address %s: write it like \"0x3C\"", b)
	}
	*a = Addr(v)
	return nil
}

// MarshalJSON writes the address as a hex string.
func (a Addr) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(a.String())), nil }

func (a Addr) String() string { return fmt.Sprintf("0x%02X", uint16(a)) }

// PSE channels of the TPS23861.
const profileChannels = 4

// LoadProfile reads, strictly decodes and validates a profile file.
func LoadProfile(name string) (Profile, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return Profile{}, fmt.Errorf("board profile: %w", err)
	}
	p, err := ParseProfile(b)
	if err != nil {
		return Profile{}, fmt.Errorf("board profile %s: %w", name, err)
	}
	return p, nil
}

// ParseProfile decodes a profile, rejecting unknown fields and trailing
// data, and validates it.
func ParseProfile(b []byte) (Profile, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p Profile
	if err := dec.Decode(&p); err != nil {
		return Profile{}, fmt.Errorf("not valid profile JSON: %s", oneLine(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Profile{}, errors.New("not valid profile JSON: data after the closing brace")
	}
	return p, p.Validate()
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", " ") }

// Validate checks the profile on its own. Each error is one line naming the
// field.
func (p Profile) Validate() error {
	if (p.PSE != nil || p.OLED != nil) && strings.TrimSpace(p.I2CBus) == "" {
		return errors.New("i2c_bus: empty; name the bus the PSE and OLED are on, e.g. /dev/i2c-1")
	}
	if err := p.validateBusDevices(); err != nil {
		return err
	}
	if len(p.Ports) == 0 {
		return errors.New("ports: none; describe each bench port: {\"interface\": \"eth1\", \"poe_channel\": 0, \"led\": \"GPIO17\"}")
	}
	pins := map[string]string{}
	usePin := func(field, pin string) error {
		if pin == "" {
			return nil
		}
		if strings.ContainsAny(pin, " \t/") {
			return fmt.Errorf("%s %q: not a GPIO name; write it like GPIO17", field, pin)
		}
		if other, dup := pins[pin]; dup {
			return fmt.Errorf("%s %q: already used by %s; give each LED and the interrupt its own pin", field, pin, other)
		}
		pins[pin] = field
		return nil
	}
	if p.PSE != nil {
		if err := usePin("pse.int_pin", p.PSE.IntPin); err != nil {
			return err
		}
	}
	if err := usePin("system_led", p.SystemLED); err != nil {
		return err
	}
	return p.validatePorts(usePin)
}

func (p Profile) validateBusDevices() error {
	if p.PSE != nil {
		if p.PSE.Addr < 0x08 || p.PSE.Addr > 0x77 {
			return fmt.Errorf("pse.addr %s: not a 7-bit device address (0x08-0x77); the TPS23861 answers at 0x20 with its address pins grounded", p.PSE.Addr)
		}
		switch p.PSE.ShuntMilliOhm {
		case 0, 250, 255:
		default:
			return fmt.Errorf("pse.shunt_mohm %d: the TPS23861 supports 255 or 250", p.PSE.ShuntMilliOhm)
		}
		switch p.PSE.OnExit {
		case "", "keep", "off":
		default:
			return fmt.Errorf("pse.on_exit %q: use \"keep\" (leave phones powered) or \"off\"", p.PSE.OnExit)
		}
	}
	if p.OLED != nil {
		if p.OLED.Addr != 0x3C && p.OLED.Addr != 0x3D {
			return fmt.Errorf("oled.addr %s: the SSD1306 answers at 0x3C (SA0 low) or 0x3D (SA0 high); silkscreens often print 0x78/0x7A, which are the same addresses shifted left", p.OLED.Addr)
		}
		if p.PSE != nil && p.PSE.Addr == p.OLED.Addr {
			return fmt.Errorf("oled.addr %s: the same as pse.addr; two devices cannot share an address", p.OLED.Addr)
		}
	}
	return nil
}

func (p Profile) validatePorts(usePin func(field, pin string) error) error {
	names := map[string]int{}
	channels := map[int]int{}
	pinned := nicPins{}
	for i, port := range p.Ports {
		field := fmt.Sprintf("ports[%d]", i)
		switch {
		case port.Interface == "":
			return fmt.Errorf("%s.interface: empty; name the bench NIC, e.g. eth1", field)
		case len(port.Interface) > 15 || strings.ContainsAny(port.Interface, " /:"):
			return fmt.Errorf("%s.interface %q: not a Linux interface name (at most 15 characters, no spaces, / or :)", field, port.Interface)
		}
		if j, dup := names[port.Interface]; dup {
			return fmt.Errorf("%s.interface %q: also ports[%d].interface; list each NIC once", field, port.Interface, j)
		}
		names[port.Interface] = i
		if ch := port.PoEChannel; ch != nil {
			if p.PSE == nil {
				return fmt.Errorf("%s.poe_channel: set, but the profile has no pse; add \"pse\" or drop the channel", field)
			}
			if *ch < 0 || *ch >= profileChannels {
				return fmt.Errorf("%s.poe_channel %d: the TPS23861 has channels 0 to %d", field, *ch, profileChannels-1)
			}
			if j, dup := channels[*ch]; dup {
				return fmt.Errorf("%s.poe_channel %d: also ports[%d].poe_channel; each channel powers one port", field, *ch, j)
			}
			channels[*ch] = i
		}
		if err := usePin(field+".led", port.LED); err != nil {
			return err
		}
		if err := pinned.check(field, port); err != nil {
			return err
		}
	}
	return nil
}

// nicPins are the NICs the ports are pinned to, to find a NIC pinned twice.
type nicPins map[string]string // "mac 00:..." or "usb 1-1.3" -> field

func (n nicPins) check(field string, port PortProfile) error {
	if port.MAC != "" && port.USBPath != "" {
		return fmt.Errorf("%s: both mac and usb_path; pin the port by one of them", field)
	}
	var key string
	switch {
	case port.MAC != "":
		hw, err := net.ParseMAC(port.MAC)
		if err != nil || len(hw) != 6 {
			return fmt.Errorf("%s.mac %q: not a MAC address; write it like 00:e0:4c:68:01:02 (boardcheck lists the NICs)", field, port.MAC)
		}
		key = "mac " + hw.String()
	case port.USBPath != "":
		if !usbPath.MatchString(port.USBPath) {
			return fmt.Errorf("%s.usb_path %q: not a USB port path; write it like 1-1.3 (boardcheck lists the NICs with their paths)", field, port.USBPath)
		}
		key = "usb " + port.USBPath
	default:
		return nil
	}
	if other, dup := n[key]; dup {
		return fmt.Errorf("%s: pinned to the same NIC as %s; pin each port to its own NIC", field, other)
	}
	n[key] = field
	return nil
}

// CheckPorts checks that every bench port the appliance serves (-ports, in
// order) is described in the profile.
func (p Profile) CheckPorts(names []string) error {
	var have []string
	for _, port := range p.Ports {
		have = append(have, port.Interface)
	}
	for _, n := range names {
		if _, ok := p.Port(n); !ok {
			return fmt.Errorf("-ports %s: not in the board profile's ports (it has %s); add it to the profile or fix -ports", n, strings.Join(have, ", "))
		}
	}
	return nil
}

// Port returns the profile of the port with that interface name.
func (p Profile) Port(iface string) (PortProfile, bool) {
	for _, port := range p.Ports {
		if port.Interface == iface {
			return port, true
		}
	}
	return PortProfile{}, false
}
