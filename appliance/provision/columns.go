package provision

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Account is one row of the operator's account table. Optional settings
// left empty take the row's preset, then the bench's (see Provisioner).
type Account struct {
	Line          int    // line in the file, for messages
	MAC           string // normalised (001122AABBCC); "" matches any phone
	Port          string // bench port name; "" matches any port
	Extension     string // the row's key: unique
	DisplayName   string
	AuthName      string
	Password      string
	PBXHost       string
	PBXPort       int    // 0: the preset's port
	Transport     string // "udp", "tcp", or "" for the preset's
	Preset        string // a PBX preset's name, "" for the bench's
	Voicemail     string // what the messages key dials; "" for the preset's
	NTP           string // NTP server; "" for the bench's
	TimeZone      string // the phone's own time zone name (mapped from IANA); "" for the bench's
	Label         string // phoneLabel; "" shows the extension
	PhonePassword string // unlocks the phone's settings menu; "" none
	SSHUser       string // the phone's SSH login; "" leaves SSH off
	SSHPassword   string
}

// Table is the operator's account table.
type Table struct {
	Rows []Account
}

// columnNames are the accepted header names (lower case, '_' for '-' and
// ' '), in the order messages list them; requiredColumns must be present.
var (
	columnNames = []string{"mac", "port", "extension", "display_name", "auth_name", "password", "pbx_host", "pbx_port",
		"transport", "preset", "voicemail", "ntp", "timezone", "label", "phone_password", "ssh_user", "ssh_password"}
	requiredColumns = []string{"extension", "pbx_host"}
)

// Field limits. 30 characters is what the 79xx take for name, authName,
// authPassword and featureLabel, 12 (no spaces) for phoneLabel, 50 for
// processNodeName (usecallmanager's SEPMAC.cnf.xml notes); maxField bounds
// everything else an operator can type.
const (
	maxName  = 30
	maxLabel = 12
	maxHost  = 50
	maxField = 128
)

// parseRow reads and checks one row; every error names the column.
func parseRow(rec []string, idx map[string]int, line int) (Account, error) {
	get := func(name string) string {
		if i, ok := idx[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	for _, name := range columnNames {
		if err := printable(get(name)); err != nil {
			return Account{}, fmt.Errorf("%s: %w", name, err)
		}
	}
	a := Account{Line: line, Port: get("port"), Extension: get("extension"), DisplayName: get("display_name"),
		AuthName: get("auth_name"), Password: get("password"), PBXHost: get("pbx_host"),
		Voicemail: get("voicemail"), NTP: get("ntp"), Label: get("label"),
		PhonePassword: get("phone_password"), SSHUser: get("ssh_user"), SSHPassword: get("ssh_password")}
	if mac := get("mac"); mac != "" {
		n, ok := normalizeMAC(mac)
		if !ok {
			return a, fmt.Errorf("mac %q: not a MAC address; write it like 00:11:22:AA:BB:CC", mac)
		}
		a.MAC = n
	}
	if err := a.checkLine(get("pbx_port")); err != nil {
		return a, err
	}
	if err := a.checkSettings(get("transport"), get("preset"), get("timezone")); err != nil {
		return a, err
	}
	if a.DisplayName == "" {
		a.DisplayName = a.Extension
	}
	if a.AuthName == "" {
		a.AuthName = a.Extension
	}
	return a, nil
}

// checkLine checks what the line registers with: extension, names and PBX.
func (a *Account) checkLine(port string) error {
	if a.Extension == "" {
		return errors.New("extension is empty")
	}
	if len([]rune(a.Extension)) > maxName || strings.ContainsAny(a.Extension, " \t@:;<>\"") {
		return fmt.Errorf("extension %q: use at most %d characters without spaces, @, :, ;, <, > or quotes", a.Extension, maxName)
	}
	for _, f := range []struct{ name, v string }{{"display_name", a.DisplayName}, {"auth_name", a.AuthName}} {
		if n := len([]rune(f.v)); n > maxName {
			return fmt.Errorf("%s is %d characters; the phone takes at most %d", f.name, n, maxName)
		}
	}
	if a.PBXHost == "" {
		return errors.New("pbx_host is empty: give the PBX's address or host name")
	}
	if !host(a.PBXHost, maxHost) {
		return fmt.Errorf("pbx_host %q: not an IP address or host name of at most %d characters", a.PBXHost, maxHost)
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("pbx_port %q: not a port number from 1 to 65535", port)
		}
		a.PBXPort = n
	}
	return nil
}

// checkSettings checks the optional settings and normalises transport,
// preset and time zone.
func (a *Account) checkSettings(transport, preset, tz string) error {
	switch t := strings.ToLower(transport); t {
	case "", "udp", "tcp":
		a.Transport = t
	default:
		return fmt.Errorf("transport %q: use udp or tcp", transport)
	}
	if preset != "" {
		p, err := LookupPreset(preset)
		if err != nil {
			return fmt.Errorf("preset: %w", err)
		}
		a.Preset = p.Name
	}
	if tz != "" {
		z, err := CiscoTimeZone(tz)
		if err != nil {
			return err
		}
		a.TimeZone = z
	}
	if len(a.Voicemail) > maxName || strings.Trim(a.Voicemail, "0123456789*#+") != "" {
		return fmt.Errorf("voicemail %q: a number to dial of at most %d digits, *, # or +", a.Voicemail, maxName)
	}
	if a.NTP != "" && !host(a.NTP, maxHost) {
		return fmt.Errorf("ntp %q: not an IP address or host name of at most %d characters", a.NTP, maxHost)
	}
	if n := len([]rune(a.Label)); n > maxLabel || strings.ContainsAny(a.Label, " \t") {
		return fmt.Errorf("label %q: the phone shows at most %d characters and no spaces", a.Label, maxLabel)
	}
	for _, f := range []struct{ name, v string }{{"phone_password", a.PhonePassword}, {"ssh_user", a.SSHUser}, {"ssh_password", a.SSHPassword}} {
		if n := len([]rune(f.v)); n > maxName || (f.name == "ssh_user" && strings.ContainsAny(f.v, " \t")) {
			return fmt.Errorf("%s: use at most %d characters (no spaces in ssh_user)", f.name, maxName)
		}
	}
	if (a.SSHUser == "") != (a.SSHPassword == "") {
		return errors.New("ssh_user and ssh_password: give both or neither")
	}
	return nil
}

// printable rejects text XML cannot carry or a phone cannot show, and text
// longer than any field takes.
func printable(s string) error {
	if !utf8.ValidString(s) {
		return errors.New("not valid UTF-8")
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("contains the control character %U", r)
		}
		if r == 0xFFFE || r == 0xFFFF {
			return fmt.Errorf("contains %U, which XML cannot carry", r)
		}
	}
	if n := utf8.RuneCountInString(s); n > maxField {
		return fmt.Errorf("is %d characters; no field takes more than %d", n, maxField)
	}
	return nil
}

// host reports whether s is an IP address or a host name of at most max
// characters.
func host(s string, max int) bool {
	if len(s) > max {
		return false
	}
	if net.ParseIP(s) != nil {
		return true
	}
	if s == "" || strings.HasPrefix(s, "-") || strings.HasPrefix(s, ".") {
		return false
	}
	for _, r := range s {
		if !(r == '-' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}
