// Package provision makes the configuration files phones ask for by TFTP
// (SEP<MAC>.cnf.xml for the stepping phase and on SIP, XMLDefault.cnf.xml)
// and reads the operator's account table, which gives each phone its SIP
// line. It checks passwords against the limit of each phone model.
package provision

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Account is one row of the operator's account table.
type Account struct {
	Line        int    // line in the file, for messages
	MAC         string // normalised (001122AABBCC); "" matches any phone
	Port        string // bench port name; "" matches any port
	Extension   string // the row's key: unique
	DisplayName string
	AuthName    string
	Password    string
	PBXHost     string
	PBXPort     int
}

// Table is the operator's account table.
type Table struct {
	Rows []Account
}

// columns maps the accepted header names (lower case, '-' and ' ' as '_')
// to whether the column is required.
var columns = map[string]bool{
	"mac": false, "port": false, "extension": true, "display_name": false,
	"auth_name": false, "password": false, "pbx_host": true, "pbx_port": false,
}

// LoadTable reads the account table from a file.
func LoadTable(name string) (*Table, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("provision: account table: %w", err)
	}
	defer f.Close()
	t, err := ParseTable(f)
	if err != nil {
		return nil, fmt.Errorf("provision: account table %s: %w", name, err)
	}
	return t, nil
}

// ParseTable reads a CSV account table with a header line. Header names are
// case-insensitive (mac, port, extension, display_name, auth_name, password,
// pbx_host, pbx_port); extension and pbx_host are required. Lines starting
// with # are comments. Every error names its line.
func ParseTable(r io.Reader) (*Table, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = 0
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("empty file: the first line must be a header such as extension,password,pbx_host")
	}
	if err != nil {
		return nil, csvError(err)
	}
	idx, err := parseHeader(header)
	if err != nil {
		line, _ := cr.FieldPos(0)
		return nil, fmt.Errorf("line %d: %w", line, err)
	}
	t := &Table{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return t, nil
		}
		if err != nil {
			return nil, csvError(err)
		}
		line, _ := cr.FieldPos(0)
		a, err := parseRow(rec, idx, line)
		if err == nil {
			err = t.check(a)
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		t.Rows = append(t.Rows, a)
	}
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("line %d: %v", pe.Line, pe.Err)
	}
	return err
}

func parseHeader(header []string) (map[string]int, error) {
	idx := map[string]int{}
	for i, h := range header {
		h = strings.TrimPrefix(h, "\ufeff")
		name := strings.NewReplacer("-", "_", " ", "_").Replace(strings.ToLower(strings.TrimSpace(h)))
		if _, ok := columns[name]; !ok {
			return nil, fmt.Errorf("header: unknown column %q; use mac, port, extension, display_name, auth_name, password, pbx_host, pbx_port", h)
		}
		if _, dup := idx[name]; dup {
			return nil, fmt.Errorf("header: column %q appears twice", h)
		}
		idx[name] = i
	}
	for name, required := range columns {
		if _, ok := idx[name]; required && !ok {
			return nil, fmt.Errorf("header: column %s is missing", name)
		}
	}
	return idx, nil
}

func parseRow(rec []string, idx map[string]int, line int) (Account, error) {
	get := func(name string) string {
		if i, ok := idx[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	a := Account{Line: line, Port: get("port"), Extension: get("extension"), DisplayName: get("display_name"),
		AuthName: get("auth_name"), Password: get("password"), PBXHost: get("pbx_host"), PBXPort: 5060}
	for name, v := range map[string]string{"port": a.Port, "extension": a.Extension, "display_name": a.DisplayName,
		"auth_name": a.AuthName, "password": a.Password, "pbx_host": a.PBXHost} {
		if err := printable(v); err != nil {
			return a, fmt.Errorf("%s: %w", name, err)
		}
	}
	if mac := get("mac"); mac != "" {
		n, ok := normalizeMAC(mac)
		if !ok {
			return a, fmt.Errorf("mac %q: not a MAC address; write it like 00:11:22:AA:BB:CC", mac)
		}
		a.MAC = n
	}
	if a.Extension == "" {
		return a, errors.New("extension is empty")
	}
	if len(a.Extension) > 30 || strings.ContainsAny(a.Extension, " \t@:;<>\"") {
		return a, fmt.Errorf("extension %q: use at most 30 characters without spaces, @, :, ;, <, > or quotes", a.Extension)
	}
	if a.PBXHost == "" {
		return a, errors.New("pbx_host is empty: give the PBX's address or host name")
	}
	if len(a.PBXHost) > 50 || (net.ParseIP(a.PBXHost) == nil && !hostname(a.PBXHost)) {
		return a, fmt.Errorf("pbx_host %q: not an IP address or host name of at most 50 characters", a.PBXHost)
	}
	if p := get("pbx_port"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return a, fmt.Errorf("pbx_port %q: not a port number from 1 to 65535", p)
		}
		a.PBXPort = n
	}
	if a.DisplayName == "" {
		a.DisplayName = a.Extension
	}
	if a.AuthName == "" {
		a.AuthName = a.Extension
	}
	return a, nil
}

// check rejects duplicate extensions and MACs.
func (t *Table) check(a Account) error {
	for _, o := range t.Rows {
		if o.Extension == a.Extension {
			return fmt.Errorf("extension %s is already on line %d", a.Extension, o.Line)
		}
		if a.MAC != "" && o.MAC == a.MAC {
			return fmt.Errorf("mac %s is already on line %d", a.MAC, o.Line)
		}
	}
	return nil
}

// printable rejects text XML cannot carry or a phone cannot show.
func printable(s string) error {
	if !utf8.ValidString(s) {
		return errors.New("not valid UTF-8")
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("contains the control character %U", r)
		}
	}
	return nil
}

func hostname(s string) bool {
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

// normalizeMAC accepts 00:11:22:aa:bb:cc, 00-11-22-AA-BB-CC, 0011.22aa.bbcc
// and 001122aabbcc.
func normalizeMAC(s string) (string, bool) {
	n := strings.NewReplacer(":", "", "-", "", ".", "").Replace(strings.ToUpper(strings.TrimSpace(s)))
	if len(n) != 12 {
		return "", false
	}
	for _, r := range n {
		if !strings.ContainsRune("0123456789ABCDEF", r) {
			return "", false
		}
	}
	return n, true
}

// Lookup returns the row of an extension.
func (t *Table) Lookup(extension string) (Account, bool) {
	if t == nil {
		return Account{}, false
	}
	for _, a := range t.Rows {
		if a.Extension == extension {
			return a, true
		}
	}
	return Account{}, false
}

// Assign returns the extension of the row for a phone: the row with its
// MAC; else a free row for its port (rows with a MAC are reserved for that
// phone); else the next free row with neither MAC nor port. taken reports
// rows other phones hold.
func (t *Table) Assign(mac, port string, taken func(extension string) bool) (string, bool) {
	if t == nil {
		return "", false
	}
	mac, _ = normalizeMAC(strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(mac)), "SEP"))
	for _, a := range t.Rows {
		if mac != "" && a.MAC == mac {
			return a.Extension, true
		}
	}
	for _, a := range t.Rows {
		if a.MAC == "" && a.Port != "" && a.Port == port && !taken(a.Extension) {
			return a.Extension, true
		}
	}
	for _, a := range t.Rows {
		if a.MAC == "" && a.Port == "" && !taken(a.Extension) {
			return a.Extension, true
		}
	}
	return "", false
}
