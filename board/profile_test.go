package board

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func intp(i int) *int { return &i }

func TestReferenceProfile(t *testing.T) {
	p, err := LoadProfile(filepath.Join("..", "gokrazy", "phoneflash", "board.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := Profile{
		I2CBus: "/dev/i2c-1",
		PSE:    &PSEProfile{Addr: 0x20, IntPin: "GPIO25", ShuntMilliOhm: 255, OnExit: "keep"},
		OLED:   &OLEDProfile{Addr: 0x3C},
		Ports: []PortProfile{
			{Interface: "eth1", PoEChannel: intp(0), LED: "GPIO17"},
			{Interface: "eth2", PoEChannel: intp(1), LED: "GPIO27"},
			{Interface: "eth3", PoEChannel: intp(2), LED: "GPIO22"},
			{Interface: "eth4", PoEChannel: intp(3), LED: "GPIO23"},
		},
		SystemLED: "GPIO24",
	}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("reference profile (-want +got):\n%s", diff)
	}
	if err := p.CheckPorts([]string{"eth1", "eth2", "eth3", "eth4"}); err != nil {
		t.Error(err)
	}
}

const okPorts = `"ports": [{"interface": "eth1", "poe_channel": 0, "led": "GPIO17"}, {"interface": "eth2", "poe_channel": 1, "led": "GPIO27"}]`

func TestProfileErrors(t *testing.T) {
	tests := []struct {
		name, json, want string
	}{
		{"unknown field", `{"i2c_bus": "/dev/i2c-1", "olde": {}, ` + okPorts + `}`, `unknown field "olde"`},
		{"trailing data", `{` + okPorts + `} {}`, "data after the closing brace"},
		{"bad address syntax", `{"i2c_bus": "x", "oled": {"addr": "3c"}, ` + okPorts + `}`, `write it like "0x3C"`},
		{"no bus", `{"pse": {"addr": "0x20"}, ` + okPorts + `}`, "i2c_bus: empty"},
		{"pse address", `{"i2c_bus": "x", "pse": {"addr": "0x80"}, ` + okPorts + `}`, "pse.addr 0x80: not a 7-bit"},
		{"shunt", `{"i2c_bus": "x", "pse": {"addr": "0x20", "shunt_mohm": 100}, ` + okPorts + `}`, "pse.shunt_mohm 100"},
		{"on exit", `{"i2c_bus": "x", "pse": {"addr": "0x20", "on_exit": "cycle"}, ` + okPorts + `}`, `pse.on_exit "cycle"`},
		{"oled address", `{"i2c_bus": "x", "oled": {"addr": "0x78"}, ` + okPorts + `}`, "oled.addr 0x78: the SSD1306 answers at 0x3C"},
		{"address clash", `{"i2c_bus": "x", "pse": {"addr": "0x3C"}, "oled": {"addr": 60}, ` + okPorts + `}`, "oled.addr 0x3C: the same as pse.addr"},
		{"no ports", `{"i2c_bus": "x"}`, "ports: none"},
		{"empty interface", `{"ports": [{"led": "GPIO17"}]}`, "ports[0].interface: empty"},
		{"long interface", `{"ports": [{"interface": "enx00112233445566"}]}`, `ports[0].interface "enx00112233445566": not a Linux interface name`},
		{"duplicate interface", `{"ports": [{"interface": "eth1"}, {"interface": "eth1"}]}`, `ports[1].interface "eth1": also ports[0].interface`},
		{"channel without pse", `{"ports": [{"interface": "eth1", "poe_channel": 0}]}`, "ports[0].poe_channel: set, but the profile has no pse"},
		{"channel range", `{"i2c_bus": "x", "pse": {"addr": "0x20"}, "ports": [{"interface": "eth1", "poe_channel": 4}]}`, "ports[0].poe_channel 4: the TPS23861 has channels 0 to 3"},
		{"duplicate channel", `{"i2c_bus": "x", "pse": {"addr": "0x20"}, "ports": [{"interface": "eth1", "poe_channel": 1}, {"interface": "eth2", "poe_channel": 1}]}`, "ports[1].poe_channel 1: also ports[0].poe_channel"},
		{"duplicate led", `{"system_led": "GPIO17", "ports": [{"interface": "eth1", "led": "GPIO17"}]}`, `ports[0].led "GPIO17": already used by system_led`},
		{"led on int pin", `{"i2c_bus": "x", "pse": {"addr": "0x20", "int_pin": "GPIO4"}, "ports": [{"interface": "eth1", "led": "GPIO4"}]}`, `ports[0].led "GPIO4": already used by pse.int_pin`},
		{"bad pin name", `{"system_led": "GPIO 4", "ports": [{"interface": "eth1"}]}`, `system_led "GPIO 4": not a GPIO name`},
		{"wrong type", `{"ports": [{"interface": "eth1", "poe_channel": "one"}]}`, "poe_channel"},
		{"bad mac", `{"ports": [{"interface": "eth1", "mac": "00:e0:4c"}]}`, `ports[0].mac "00:e0:4c": not a MAC address`},
		{"bad usb path", `{"ports": [{"interface": "eth1", "usb_path": "usb1/1-1"}]}`, `ports[0].usb_path "usb1/1-1": not a USB port path`},
		{"mac and usb path", `{"ports": [{"interface": "eth1", "mac": "00:e0:4c:68:01:02", "usb_path": "1-1.3"}]}`, "ports[0]: both mac and usb_path"},
		{"same nic twice", `{"ports": [{"interface": "eth1", "mac": "00:E0:4C:68:01:02"}, {"interface": "eth2", "mac": "00:e0:4c:68:01:02"}]}`, "ports[1]: pinned to the same NIC as ports[0]"},
		{"same usb port twice", `{"ports": [{"interface": "eth1", "usb_path": "1-1.3"}, {"interface": "eth2", "usb_path": "1-1.3"}]}`, "ports[1]: pinned to the same NIC as ports[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseProfile([]byte(tt.json))
			if err == nil {
				t.Fatalf("ParseProfile accepted %s", tt.json)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not contain %q", msg, tt.want)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error is not one line: %q", msg)
			}
		})
	}
}

func TestProfilePins(t *testing.T) {
	p, err := ParseProfile([]byte(`{"ports": [{"interface": "eth1", "usb_path": "1-1.3"}, {"interface": "eth2", "mac": "00:E0:4C:68:01:02"}, {"interface": "eth3"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if p.Ports[0].USBPath != "1-1.3" || p.Ports[1].MAC != "00:E0:4C:68:01:02" {
		t.Errorf("pins = %+v", p.Ports)
	}
}

func TestProfileWithoutHardware(t *testing.T) {
	p, err := ParseProfile([]byte(`{"ports": [{"interface": "eth1"}]}`))
	if err != nil {
		t.Fatalf("a profile with ports only (no PSE, no OLED) = %v, want valid", err)
	}
	if err := p.CheckPorts([]string{"eth1", "eth9"}); err == nil || !strings.Contains(err.Error(), "-ports eth9: not in the board profile's ports (it has eth1)") {
		t.Errorf("CheckPorts = %v, want eth9 named", err)
	}
}

func TestLoadProfileNamesFile(t *testing.T) {
	name := filepath.Join(t.TempDir(), "board.json")
	if err := os.WriteFile(name, []byte(`{"ports": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadProfile(name)
	if err == nil || !strings.HasPrefix(err.Error(), "board profile "+name+": ports: none") {
		t.Errorf("LoadProfile = %v, want the file and field named", err)
	}
}
