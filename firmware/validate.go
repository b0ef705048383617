package firmware

import (
	"fmt"
	"strings"
)

// Limits of a row's password limit: Cisco's SIP stack keeps the password in
// a 32-byte buffer (protocol §0.9), so no real limit is far above it.
const (
	minPasswordMax = 1
	maxPasswordMax = 64
)

// Problems lists what is wrong with the table, one line per mistake
// ("CP-7942G: term "11" is ..."): every row must name a numeric family and
// term, a device type and XML model name, a vendor class, term and device
// type no other row has (the models of one family may share a term file),
// a password limit in range and a path that parses.
func (t Models) Problems() []string {
	var out []string
	seen := map[ModelName]bool{}
	for _, m := range t {
		if seen[m.Name] {
			out = append(out, fmt.Sprintf("%s: two rows have this name", m.Name))
		}
		seen[m.Name] = true
		for _, p := range t.rowProblems(m) {
			out = append(out, fmt.Sprintf("%s: %s", m.Name, p))
		}
	}
	return out
}

// rowProblems checks row m against itself and the other rows of t.
func (t Models) rowProblems(m Model) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if _, ok := number(m.Family); !ok {
		add("family %q: want the number of its loads' names, e.g. \"42\" for SIP42.* (1 to 4 digits)", m.Family)
	}
	if _, ok := number(m.Term); !ok {
		add("term %q: want the number of its term file, e.g. \"62\" for term62.default.loads (1 to 4 digits)", m.Term)
	}
	if m.DeviceType <= 0 {
		add("device_type %d: want Cisco's device type, the NNN of loadInformationNNN (434 for the 7942)", m.DeviceType)
	}
	if strings.TrimSpace(m.XMLModel) == "" {
		add("no xml_model: want the model attribute of its loadInformationNNN, e.g. \"Cisco IP Phone 7942\"")
	}
	if vc, ok := strings.CutPrefix(m.VendorClass, VendorClassPrefix); ok {
		add("vendor_class %q: write only what follows %q, e.g. %q", m.VendorClass, VendorClassPrefix, strings.TrimRight(vc, "\x00"))
	} else if s, ok := ParseVendorClass(VendorClassPrefix + m.VendorClass); m.VendorClass != "" && (!ok || s != m.VendorClass) {
		add("vendor_class %q: want the printable model string of DHCP option 60, e.g. \"CP-7942G\"", m.VendorClass)
	}
	if p := m.Password; p.Max < minPasswordMax || p.Max > maxPasswordMax {
		add("password.max %d: out of range, want %d to %d (the SIP stack holds at most 31)", p.Max, minPasswordMax, maxPasswordMax)
	} else if p.Warn < 1 || p.Warn > p.Max {
		add("password.warn %d: out of range, want 1 to password.max (%d)", p.Warn, p.Max)
	}
	if _, err := m.Hops(); err != nil {
		add("%v", strings.TrimPrefix(err.Error(), string(m.Name)+": "))
	}
	for _, o := range t {
		if o.Name == m.Name {
			continue
		}
		if o.Term == m.Term && o.Family != m.Family && m.Term != "" {
			add("term %q is the %s's (family %s): a term file belongs to one family; give this model its own", m.Term, o.Name, o.Family)
		}
		if o.DeviceType == m.DeviceType && m.DeviceType > 0 {
			add("device_type %d is the %s's: each model has its own", m.DeviceType, o.Name)
		}
		if m.VendorClass != "" && strings.EqualFold(o.VendorClass, m.VendorClass) {
			add("vendor_class %q is the %s's: DHCP option 60 could not tell them apart", m.VendorClass, o.Name)
		}
	}
	return out
}
