package firmware

import (
	"fmt"
	"strings"
)

// Model is a phone model of the 79x1 family that phoneflash handles. Its
// value is the model number.
type Model int

// The supported models.
const (
	Model7906 Model = 7906
	Model7911 Model = 7911
)

// Models lists the supported models.
func Models() []Model { return []Model{Model7906, Model7911} }

// String is the model number, e.g. "7906".
func (m Model) String() string { return fmt.Sprintf("%d", int(m)) }

// DeviceType is Cisco's device type: 369 for the 7906, 307 for the 7911.
func (m Model) DeviceType() int {
	switch m {
	case Model7906:
		return 369
	case Model7911:
		return 307
	}
	return 0
}

// Term is the number in the model's default-load file: "06" or "11".
func (m Model) Term() string {
	switch m {
	case Model7906:
		return "06"
	case Model7911:
		return "11"
	}
	return ""
}

// TermFile is the file a factory-reset phone asks for: term06.default.loads.
func (m Model) TermFile() string { return "term" + m.Term() + ".default.loads" }

// Product is the model string the phone sends in DHCP: "CP-7906G".
func (m Model) Product() string { return "CP-" + m.String() + "G" }

// VendorClassPrefix starts the DHCP option 60 of every 79x1 phone.
const VendorClassPrefix = "Cisco Systems, Inc. IP Phone "

// ParseModel accepts "7906", "CP-7906G", "06", "term06.default.loads", the
// device type "369", and the DHCP vendor class
// "Cisco Systems, Inc. IP Phone CP-7906G" with or without its trailing NUL.
func ParseModel(s string) (Model, error) {
	t := strings.TrimRight(s, "\x00")
	t = strings.TrimPrefix(t, VendorClassPrefix)
	for _, m := range Models() {
		switch t {
		case m.String(), m.Product(), m.Term(), m.TermFile(), fmt.Sprint(m.DeviceType()):
			return m, nil
		}
	}
	return 0, fmt.Errorf("phone model %q: want 7906 or 7911 (also CP-7906G, 06, 369, or the DHCP vendor class)", s)
}

// ModelForDeviceType returns the model of a Cisco device type (369, 307).
func ModelForDeviceType(dt int) (Model, bool) {
	for _, m := range Models() {
		if m.DeviceType() == dt {
			return m, true
		}
	}
	return 0, false
}

// ModelForTermFile returns the model whose default-load file is name.
func ModelForTermFile(name string) (Model, bool) {
	for _, m := range Models() {
		if m.TermFile() == name {
			return m, true
		}
	}
	return 0, false
}

// IsTermFile reports whether name is a termNN.default.loads file, of any
// model (term41.default.loads is one too, for another family).
func IsTermFile(name string) bool {
	nn, ok := strings.CutPrefix(name, "term")
	nn, ok2 := strings.CutSuffix(nn, ".default.loads")
	_, num := number(nn)
	return ok && ok2 && num
}
