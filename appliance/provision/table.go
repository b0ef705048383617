// Package provision makes the configuration files phones ask for by TFTP
// (SEP<MAC>.cnf.xml for the stepping phase and on SIP, XMLDefault.cnf.xml,
// the dialplan.xml every SIP config names) and reads the operator's account
// table, which gives each phone its SIP line and settings (transport,
// voicemail, NTP, time zone, label, PBX preset). It checks passwords against
// the limit of each phone model, knows what each kind of PBX needs
// (presets), which phones' configs a new table changes, and writes the
// office bundle: a TFTP root that keeps the phones working off the bench.
package provision

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

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
// case-insensitive, '-' and ' ' count as '_' (the columns are listed in
// columns.go); extension and pbx_host are required. Lines starting with #
// are comments. Every error names its line.
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
		if !slices.Contains(columnNames, name) {
			return nil, fmt.Errorf("header: unknown column %q; use %s", h, strings.Join(columnNames, ", "))
		}
		if _, dup := idx[name]; dup {
			return nil, fmt.Errorf("header: column %q appears twice", h)
		}
		idx[name] = i
	}
	for _, name := range requiredColumns {
		if _, ok := idx[name]; !ok {
			return nil, fmt.Errorf("header: column %s is missing", name)
		}
	}
	return idx, nil
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
