package main

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const sipConfig = `<?xml version="1.0" encoding="UTF-8"?>
<device>
  <deviceProtocol>SIP</deviceProtocol>
  <devicePool><callManagerGroup><members><member priority="0"><callManager>
    <ports><ethernetPhonePort>2000</ethernetPhonePort><sipPort>5060</sipPort></ports>
    <processNodeName>10.79.1.1</processNodeName>
  </callManager></member></members></callManagerGroup></devicePool>
  <sipProfile><sipLines><line button="1">
    <authName>201</authName><authPassword>%s</authPassword>
  </line></sipLines><dialTemplate>dialplan.xml</dialTemplate></sipProfile>
  <loadInformation>SIP11.9-4-2SR1-1S</loadInformation>
</device>`

func sipCfg(t *testing.T, pw string) phoneConfig {
	t.Helper()
	cfg, err := parseConfig([]byte(fmt.Sprintf(sipConfig, pw)))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestWantedLoad(t *testing.T) {
	xmlDefault := `<Default><loadInformation307 model="Cisco IP Phone 7911">SCCP11.8-5-2S</loadInformation307>
<loadInformation369 model="Cisco IP Phone 7906">SIP11.9-4-2SR1-1S</loadInformation369></Default>`
	cfg, err := parseConfig([]byte(xmlDefault))
	if err != nil {
		t.Fatal(err)
	}
	if got := wantedLoad(cfg, Identity{MAC: testMAC, Model: "11"}); got != "SCCP11.8-5-2S" {
		t.Errorf("7911: %q", got)
	}
	if got := wantedLoad(cfg, Identity{MAC: testMAC, Model: "06"}); got != "SIP11.9-4-2SR1-1S" {
		t.Errorf("7906: %q", got)
	}
	if got := wantedLoad(sipCfg(t, "x"), Identity{MAC: testMAC, Model: "06"}); got != "SIP11.9-4-2SR1-1S" {
		t.Errorf("SEP config: %q", got)
	}
	if _, err := parseConfig([]byte("<html></html>")); err == nil {
		t.Error("an <html> file was taken for a config")
	}
}

func TestCheckSIPConfig(t *testing.T) {
	pw12, pw32 := "abcdefghijkl", "abcdefghijklmnopqrstuvwxyz012345"
	base := ConfigCheck{File: "SEP.cnf.xml", Protocol: "SIP", LoadInfo: "SIP11.9-4-2SR1-1S", ProcessNode: "10.79.1.1",
		SIPPort: "5060", AuthName: "201"}
	with := func(f func(*ConfigCheck)) ConfigCheck { c := base; f(&c); return c }
	for _, tc := range []struct {
		name  string
		cfg   phoneConfig
		pwMax int
		mode  string
		want  ConfigCheck
	}{
		{"12 within 30", sipCfg(t, pw12), 30, pwParseError, with(func(c *ConfigCheck) {
			c.PasswordLen, c.PwMax, c.PwMode, c.Password, c.Outcome = 12, 30, pwParseError, "ok", "provisioned"
		})},
		{"32 over 30 parse error", sipCfg(t, pw32), 30, pwParseError, with(func(c *ConfigCheck) {
			c.PasswordLen, c.PwMax, c.PwMode, c.Password, c.Outcome = 32, 30, pwParseError, "too-long", "unprovisioned"
			c.Reason = "config parse error: authPassword is 32 characters, more than 30"
		})},
		{"32 over 12 truncated", sipCfg(t, pw32), 12, pwTruncate, with(func(c *ConfigCheck) {
			c.PasswordLen, c.PwMax, c.PwMode, c.Password, c.Outcome = 32, 12, pwTruncate, "truncated", "provisioned"
		})},
		{"SCCP config", phoneConfig{"deviceProtocol": "SCCP", "processNodeName": "x", "authPassword": "a"}, 30, pwParseError, ConfigCheck{
			File: "SEP.cnf.xml", Protocol: "SCCP", ProcessNode: "x", SIPPort: "5060", PasswordLen: 1, PwMax: 30, PwMode: pwParseError,
			Password: "ok", Outcome: "unprovisioned", Reason: `deviceProtocol "SCCP" is not SIP`}},
		{"no process node", phoneConfig{"deviceProtocol": "SIP"}, 30, pwParseError, ConfigCheck{
			File: "SEP.cnf.xml", Protocol: "SIP", SIPPort: "5060", PwMax: 30, PwMode: pwParseError,
			Password: "missing", Outcome: "unprovisioned", Reason: "no processNodeName: nothing to register to"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := checkSIPConfig("SEP.cnf.xml", tc.cfg, tc.pwMax, tc.mode)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("check (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLocaleFiles(t *testing.T) {
	got := localeFiles(phoneConfig{"networkLocale": "United_Kingdom", "dialTemplate": "dialplan.xml"})
	if diff := cmp.Diff([]string{"g3-tones.xml", "dialplan.xml"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
