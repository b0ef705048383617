package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// phoneConfig is the part of SEP<MAC>.cnf.xml / XMLDefault.cnf.xml the
// simulated phone acts on: the first text of each element, by local name,
// and the first <line>'s elements again as "line/<name>".
type phoneConfig map[string]string

// parseConfig reads a config file. Element names are kept as written
// (loadInformation307 stays distinct from loadInformation).
func parseConfig(b []byte) (phoneConfig, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	cfg := phoneConfig{}
	var stack []string
	root := ""
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("config: XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = t.Name.Local
			}
			stack = append(stack, t.Name.Local)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				continue
			}
			name := stack[len(stack)-1]
			if s := strings.TrimSpace(string(t)); s != "" {
				if _, seen := cfg[name]; !seen {
					cfg[name] = s
				}
				if _, seen := cfg["line/"+name]; !seen && slices.Contains(stack, "line") {
					cfg["line/"+name] = s // the first line's own fields (name, proxy, port, ...)
				}
			}
		}
	}
	if root != "device" && root != "Default" {
		return nil, fmt.Errorf("config: root element <%s>, want <device> or <Default>", root)
	}
	return cfg, nil
}

// wantedLoad is the load a config names for this phone: loadInformation in
// SEP<MAC>.cnf.xml, loadInformation<type> in XMLDefault.cnf.xml (either is
// accepted in both).
func wantedLoad(cfg phoneConfig, id Identity) string {
	if v := cfg["loadInformation"+id.DeviceType()]; v != "" {
		return v
	}
	return cfg["loadInformation"]
}

// Password failure modes (-pw-mode).
const (
	pwParseError = "parse_error" // the config is refused: line unprovisioned
	pwTruncate   = "truncate"    // the digest would use the first pw_max characters
)

// ConfigCheck is the outcome of the SIP config check.
type ConfigCheck struct {
	File        string `json:"file"`
	Protocol    string `json:"protocol"`
	LoadInfo    string `json:"load_information,omitempty"`
	ProcessNode string `json:"process_node,omitempty"`
	SIPPort     string `json:"sip_port,omitempty"`
	AuthName    string `json:"auth_name,omitempty"`
	PasswordLen int    `json:"password_len"`
	PwMax       int    `json:"pw_max"`
	PwMode      string `json:"pw_mode"`
	Password    string `json:"password"` // ok, too-long, truncated, missing
	Outcome     string `json:"outcome"`  // provisioned, unprovisioned
	Reason      string `json:"reason,omitempty"`
}

// checkSIPConfig decides whether a SIP phone is provisioned by cfg: SIP
// protocol, a processNodeName to register to, and a line password within
// pwMax (else, in parse_error mode, no registration at all).
func checkSIPConfig(file string, cfg phoneConfig, pwMax int, mode string) ConfigCheck {
	c := ConfigCheck{File: file, Protocol: cfg["deviceProtocol"], LoadInfo: cfg["loadInformation"],
		ProcessNode: cfg["processNodeName"], SIPPort: cfg["sipPort"], AuthName: cfg["authName"],
		PasswordLen: len(cfg["authPassword"]), PwMax: pwMax, PwMode: mode, Outcome: "unprovisioned"}
	if c.SIPPort == "" {
		c.SIPPort = "5060"
	}
	_, hasPw := cfg["authPassword"]
	switch {
	case !hasPw:
		c.Password = "missing"
	case c.PasswordLen > pwMax && mode == pwTruncate:
		c.Password = "truncated"
	case c.PasswordLen > pwMax:
		c.Password = "too-long"
	default:
		c.Password = "ok"
	}
	switch {
	case !strings.EqualFold(c.Protocol, "SIP"):
		c.Reason = fmt.Sprintf("deviceProtocol %q is not SIP", c.Protocol)
	case c.ProcessNode == "":
		c.Reason = "no processNodeName: nothing to register to"
	case c.Password == "too-long":
		c.Reason = fmt.Sprintf("config parse error: authPassword is %d characters, more than %d", c.PasswordLen, pwMax)
	default:
		c.Outcome = "provisioned"
	}
	return c
}
