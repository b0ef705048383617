package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/phoneflash/phoneflash/firmware"
)

// TestPasswordLimit is the phone's side of the model rows' password limit
// (provision's TestPasswordBoundaries is the appliance's): without
// -pw-max a simulated phone takes exactly its row's limit and refuses one
// character more.
func TestPasswordLimit(t *testing.T) {
	for _, m := range firmware.BuiltinModels() {
		id := Identity{MAC: testMAC, Model: string(m.Name)}
		max := id.PasswordMax(0)
		if max != m.Password.Max || id.ModelString() != m.VendorClass {
			t.Fatalf("%s: simulated phone takes %d (model %s), the table says %d", m, max, id.ModelString(), m.Password.Max)
		}
		for n, want := range map[int]string{max: "provisioned", max + 1: "unprovisioned"} {
			c := checkSIPConfig("SEP.cnf.xml", sipCfg(t, strings.Repeat("p", n)), max, pwParseError)
			if c.Outcome != want {
				t.Errorf("%s, %d characters: %s (%s), want %s", m, n, c.Outcome, c.Reason, want)
			}
		}
	}
	if got := (Identity{MAC: testMAC, Model: "06"}).PasswordMax(12); got != 12 {
		t.Errorf("-pw-max 12 gave %d", got)
	}
}

// TestModelFile: -models adds a fictional model the phone can play, with
// its own term file, family loads and option 60; -vendor-class changes or
// drops option 60.
func TestModelFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "models.json")
	row := `{"models": [{"name": "CP-7999G", "family": "99", "term": "99", "device_type": 999, "xml_model": "Cisco IP Phone 7999", "vendor_class": "CP-7999G"}]}`
	if err := os.WriteFile(path, []byte(row), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	c, err := parseFlags([]string{"-iface", "e", "-flash", "f.json", "-models", path, "-model", "7999", "-scenario", "old-cucm"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	f, err := c.initialFlash()
	if err != nil || f.Model != "CP-7999G" || f.Load != "SCCP99.8-0-3S" {
		t.Fatalf("flash %+v, %v", f, err)
	}
	id := Identity{MAC: testMAC, Model: f.Model, Table: c.Table}
	if id.Info().TermFile() != "term99.default.loads" || id.VendorClass() != firmware.VendorClassPrefix+"CP-7999G" || id.DeviceType() != "999" {
		t.Errorf("identity: %s %q %s", id.Info().TermFile(), id.VendorClass(), id.DeviceType())
	}
	for vendor, want := range map[string]string{"none": "", "79XX": firmware.VendorClassPrefix + "79XX"} {
		id.Vendor = vendor
		req, err := dhcpv4.FromBytes(buildDHCP(id, msgDiscover, 1, 0, nil, nil))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimRight(string(req.Options.Get(dhcpv4.OptionClassIdentifier)), "\x00"); got != want {
			t.Errorf("-vendor-class %s: option 60 %q, want %q", vendor, got, want)
		}
	}
	if _, err := parseFlags([]string{"-iface", "e", "-flash", "f.json", "-models", path, "-model", "7998"}, &out); err == nil {
		t.Error("a model of neither table accepted")
	}
}
