package firmware

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ModelName is a phone model as Cisco names the product: CP-7906G. Loads,
// sessions and manifests refer to a row of the model table by it.
type ModelName string

// UnmarshalJSON reads a model name, and the forms that phoneflash wrote
// before the model table (state directories of 2026-11-29 hold them): the
// model number of a manifest's "models" (7906) and a session's model object
// in the journal ({"name":"CP-7906G","term":"06","device_type":"369"}).
func (n *ModelName) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*n = ModelName(s)
		return nil
	}
	var num int
	if err := json.Unmarshal(b, &num); err == nil {
		*n = ModelName(fmt.Sprintf("CP-%dG", num)) // the only numbers written were 7906 and 7911
		return nil
	}
	var obj struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		return fmt.Errorf("phone model %s: want a name such as \"CP-7906G\"", b)
	}
	*n = ModelName(obj.Name)
	return nil
}

// Model is one row of the model table: what phoneflash knows of one phone
// model, as data. Facts that the domain notes tag M, L or U are defaults a
// row may change, never assumptions written into code.
type Model struct {
	Name ModelName // Cisco's product name
	// Family is the load family, the number in load and image names
	// (SIP11.*, SCCP11.*, jar11sip.*): the models of a family run the same
	// loads and the same stepping stone.
	Family string
	// Term is the number of the default-load file a factory-reset phone
	// asks for: "06" for term06.default.loads.
	Term string
	// DeviceType is Cisco's device type: the NNN of loadInformationNNN in
	// XMLDefault.cnf.xml and of loadNNN.txt in a COP file.
	DeviceType int
	// XMLModel is the model attribute of that loadInformationNNN element.
	XMLModel string
	// VendorClass is the model string the phone sends in DHCP option 60,
	// after VendorClassPrefix.
	VendorClass string
	// COP is the models part of the names of Cisco's COP files for the
	// family: "7911_7906" in cmterm-7911_7906-sip.9-4-2SR1-1.cop.sgn.
	COP string
	// Password is the authPassword length the SIP load accepts.
	Password PasswordLimit
	// Stall overrides the session's stall limits for this model.
	Stall StallTimers
	// Quirks are what a bench must do differently for this model.
	Quirks Quirks
	// Path lists the loads a phone of this model passes through before a
	// target newer than them, in order: each a version (8.5(2)SR1) or a
	// range (8.3(3)-8.5(2)) of SCCP loads of its family. A phone that runs
	// a load older than a hop gets the newest load of the store in it.
	// nil means DefaultPath: the stepping stone for loaders older than
	// 8.3(3).
	Path []string
}

// PasswordLimit is the authPassword length a model accepts: a longer one is
// refused (Max), one above Warn is accepted with a warning.
type PasswordLimit struct {
	Max  int
	Warn int
}

// StallTimers override the session's stall limits (session.Timeouts) for
// one model; a zero field keeps the default. A loader that takes minutes to
// write flash needs a longer Applying.
type StallTimers struct {
	DHCP     time.Duration // after the DHCP ack, no TFTP request
	Config   time.Duration // a config or term file named a load, nothing fetched
	Loading  time.Duration // no progress during an image transfer
	Applying time.Duration // after the last image, until the phone is back
	Boot     time.Duration // after a power cut and power back on, no DHCP (watched for FewPowerCycles models)
}

// Quirks are model facts that change what the bench does.
type Quirks struct {
	// FewPowerCycles: some units do not boot again after a power cut
	// (Cisco field notice FN63772): cut power only where the journey needs
	// it, and say so when one stops answering after a cut.
	FewPowerCycles bool
	// MorePower: the phone may need more than 802.3af gives without CDP
	// power negotiation, and may not finish a factory reset on it.
	MorePower bool
}

// String is the model's name.
func (m Model) String() string { return string(m.Name) }

// Number is the model number in the name: "7906" for CP-7906G.
func (m Model) Number() string {
	n := strings.TrimPrefix(string(m.Name), "CP-")
	end := strings.IndexFunc(n, func(r rune) bool { return r < '0' || r > '9' })
	if end < 0 {
		return n
	}
	return n[:end]
}

// TermFile is the file the model asks for after a factory reset:
// term06.default.loads.
func (m Model) TermFile() string { return "term" + m.Term + ".default.loads" }

// COPName is the name Cisco gives the COP file of load ln for this model's
// family: cmterm-7911_7906-sip.9-4-2SR1-1.cop.sgn for SIP11.9-4-2SR1-1S.
// Without a COP in the row it describes the package instead.
func (m Model) COPName(ln LoadName) string {
	_, ver, _ := strings.Cut(ln.Name, ".")
	if m.COP == "" {
		return fmt.Sprintf("the Cisco package (COP or zip) holding %s.loads and %s", ln.Name, m.TermFile())
	}
	return fmt.Sprintf("cmterm-%s-%s.%s.cop.sgn", m.COP, strings.ToLower(string(ln.Protocol)), strings.TrimSuffix(ver, "S"))
}

// DefaultPath is the path of a model whose row names none: the stepping
// stone, an SCCP load from 8.3(3) to 8.5(2), for phones older than 8.3(3)
// (families "Stepping stone", H).
func DefaultPath() []string { return []string{SteppingRange()} }

// Hops is the model's path, parsed.
func (m Model) Hops() ([]Hop, error) {
	path := m.Path
	if path == nil {
		path = DefaultPath()
	}
	hops := make([]Hop, 0, len(path))
	for _, p := range path {
		h, err := ParseHop(p)
		if err != nil {
			return nil, fmt.Errorf("%s: path: %w", m.Name, err)
		}
		hops = append(hops, h)
	}
	return hops, nil
}

// ModelLoad is the load that phones of a model are to run: one
// loadInformationNNN element of XMLDefault.cnf.xml.
type ModelLoad struct {
	Model Model
	Load  string
}

// Models is a model table.
type Models []Model

// BuiltinModels returns the model table phoneflash ships (a copy: callers
// may extend it).
func BuiltinModels() Models { return slices.Clone(builtinModels) }

// Named returns the row of the model called name.
func (t Models) Named(name ModelName) (Model, bool) {
	return t.find(func(m Model) bool { return m.Name == name && name != "" })
}

// ForVendorClass returns the row of the model named in DHCP option 60.
func (t Models) ForVendorClass(vendorClass string) (Model, bool) {
	s, ok := ParseVendorClass(vendorClass)
	if !ok {
		return Model{}, false
	}
	return t.find(func(m Model) bool { return strings.EqualFold(m.VendorClass, s) })
}

// ForTermFile returns the row of the model whose default-load file is name.
func (t Models) ForTermFile(name string) (Model, bool) {
	return t.find(func(m Model) bool { return strings.EqualFold(m.TermFile(), name) })
}

// ForDeviceType returns the row of the model of a Cisco device type (369).
func (t Models) ForDeviceType(dt int) (Model, bool) {
	return t.find(func(m Model) bool { return m.DeviceType == dt })
}

// HasFamily reports whether a model of the table runs loads of family.
func (t Models) HasFamily(family string) bool {
	_, ok := t.find(func(m Model) bool { return m.Family == family })
	return ok
}

// Family returns the rows of a load family, in table order.
func (t Models) Family(family string) Models {
	var out Models
	for _, m := range t {
		if m.Family == family {
			out = append(out, m)
		}
	}
	return out
}

// Families lists the table's load families in table order: 11, 41, ...
func (t Models) Families() []string {
	var out []string
	for _, m := range t {
		if !slices.Contains(out, m.Family) {
			out = append(out, m.Family)
		}
	}
	return out
}

// Names lists the table's model names for messages: "CP-7906G, CP-7911G".
func (t Models) Names() string {
	s := make([]string, len(t))
	for i, m := range t {
		s[i] = m.String()
	}
	return strings.Join(s, ", ")
}

// Parse finds a model the way a person names it: "CP-7906G", "7906G",
// "7906", the term number "06", its term file, the device type "369", or
// the DHCP vendor class.
func (t Models) Parse(s string) (Model, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	if vc, ok := ParseVendorClass(s); ok {
		u = strings.ToUpper(vc)
	}
	m, ok := t.find(func(m Model) bool {
		name := strings.ToUpper(string(m.Name))
		for _, form := range []string{name, strings.TrimPrefix(name, "CP-"), m.Number(), m.Term,
			strings.ToUpper(m.TermFile()), fmt.Sprint(m.DeviceType), strings.ToUpper(m.VendorClass)} {
			if u != "" && u == form {
				return true
			}
		}
		return false
	})
	if !ok {
		return Model{}, fmt.Errorf("phone model %q: want one of %s (or its number, term number, device type or DHCP vendor class)", s, t.Names())
	}
	return m, nil
}

func (t Models) find(match func(Model) bool) (Model, bool) {
	for _, m := range t {
		if match(m) {
			return m, true
		}
	}
	return Model{}, false
}

// IsTermFile reports whether name is a termNN.default.loads file, of any
// model (term41.default.loads is one too, for another family).
func IsTermFile(name string) bool {
	nn, ok := strings.CutPrefix(name, "term")
	nn, ok2 := strings.CutSuffix(nn, ".default.loads")
	_, num := number(nn)
	return ok && ok2 && num
}
