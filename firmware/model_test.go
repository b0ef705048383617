package firmware_test

import (
	"encoding/json"
	"net"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/phoneflash/phoneflash/firmware"
)

// model is the built-in table's row of name.
func model(t testing.TB, name firmware.ModelName) firmware.Model {
	t.Helper()
	m, ok := firmware.BuiltinModels().Named(name)
	if !ok {
		t.Fatalf("no %s in the model table", name)
	}
	return m
}

// TestModelTable checks the rows against the domain notes and that every
// row is complete and tells models apart: a row issue 18 adds is checked
// the same way.
func TestModelTable(t *testing.T) {
	type facts struct {
		Family, Term string
		DeviceType   int
		XMLModel     string
		VendorClass  string
		COP          string
		Password     firmware.PasswordLimit
	}
	want := map[firmware.ModelName]facts{
		"CP-7906G": {"11", "06", 369, "Cisco IP Phone 7906", "CP-7906G", "7911_7906", firmware.PasswordLimit{Max: 30, Warn: 12}},
		"CP-7911G": {"11", "11", 307, "Cisco IP Phone 7911", "CP-7911G", "7911_7906", firmware.PasswordLimit{Max: 30, Warn: 12}},
	}
	seen := map[string]firmware.ModelName{}
	unique := func(kind, v string, m firmware.ModelName) {
		if other, dup := seen[kind+" "+v]; dup {
			t.Errorf("%s and %s have the same %s %s", other, m, kind, v)
		}
		seen[kind+" "+v] = m
	}
	for _, m := range firmware.BuiltinModels() {
		if w, ok := want[m.Name]; ok {
			got := facts{m.Family, m.Term, m.DeviceType, m.XMLModel, m.VendorClass, m.COP, m.Password}
			if d := diff(w, got); d != "" {
				t.Errorf("%s (-want +got):\n%s", m.Name, d)
			}
		}
		if _, err := strconv.Atoi(m.Family); err != nil || m.Name == "" || len(m.Term) != 2 || m.DeviceType <= 0 ||
			m.XMLModel == "" || m.VendorClass == "" || m.COP == "" || m.Password.Warn <= 0 || m.Password.Max < m.Password.Warn {
			t.Errorf("incomplete row %+v", m)
		}
		unique("name", string(m.Name), m.Name)
		unique("vendor class", m.VendorClass, m.Name)
		unique("device type", strconv.Itoa(m.DeviceType), m.Name)
	}
	for name := range want {
		model(t, name)
	}
}

func TestModelLookups(t *testing.T) {
	models := firmware.BuiltinModels()
	for in, want := range map[string]firmware.ModelName{
		"7906": "CP-7906G", "CP-7906G": "CP-7906G", "cp-7906g": "CP-7906G", "7906G": "CP-7906G", "06": "CP-7906G", "369": "CP-7906G",
		"Cisco Systems, Inc. IP Phone CP-7906G\x00": "CP-7906G",
		"Cisco Systems, Inc. IP Phone CP-7911G":     "CP-7911G",
		"7911":                                      "CP-7911G", "11": "CP-7911G", "term11.default.loads": "CP-7911G", "307": "CP-7911G",
	} {
		got, err := models.Parse(in)
		if err != nil || got.Name != want {
			t.Errorf("Parse(%q) = %v, %v; want %v", in, got.Name, err, want)
		}
	}
	for _, bad := range []string{"", "7941", "CP-7941G", "Cisco Systems, Inc. IP Phone CP-7941G\x00", "6", "G"} {
		if m, err := models.Parse(bad); err == nil {
			t.Errorf("Parse(%q) = %s", bad, m)
		}
	}
	m := model(t, "CP-7906G")
	if m.Number() != "7906" || m.TermFile() != "term06.default.loads" || m.String() != "CP-7906G" {
		t.Errorf("7906: %s %s %s", m.Number(), m.TermFile(), m)
	}
	if got, ok := models.ForTermFile("term11.default.loads"); !ok || got.Name != "CP-7911G" {
		t.Errorf("ForTermFile(term11) = %s, %v", got, ok)
	}
	if got, ok := models.ForDeviceType(369); !ok || got.Name != "CP-7906G" {
		t.Errorf("ForDeviceType(369) = %s, %v", got, ok)
	}
	if _, ok := models.ForTermFile("term42.default.loads"); ok {
		t.Error("ForTermFile(term42) found a model")
	}
	if !models.HasFamily("11") || models.HasFamily("42") || models.Names() != "CP-7906G, CP-7911G" {
		t.Errorf("families or names wrong: %s", models.Names())
	}
	if !firmware.IsTermFile("term41.default.loads") || firmware.IsTermFile("termxx.default.loads") || firmware.IsTermFile("SIP11.9-4-2SR1-1S.loads") {
		t.Errorf("IsTermFile wrong")
	}
}

// TestVendorClass is the one parser of DHCP option 60.
func TestVendorClass(t *testing.T) {
	tests := []struct {
		in, str string
		ok      bool
		model   firmware.ModelName // "" for no row
	}{
		{"Cisco Systems, Inc. IP Phone CP-7906G\x00", "CP-7906G", true, "CP-7906G"},
		{"Cisco Systems, Inc. IP Phone CP-7906G", "CP-7906G", true, "CP-7906G"},
		{"Cisco Systems, Inc. IP Phone CP-7911G\x00", "CP-7911G", true, "CP-7911G"},
		{"Cisco Systems, Inc. IP Phone CP-7942G\x00", "CP-7942G", true, ""}, // a phone, not in the table
		{"Cisco Systems, Inc. IP Phone 79XX\x00", "79XX", true, ""},         // the firmware's default model
		{"Cisco Systems, Inc. IP Phone \x01bad", "", false, ""},
		{"Cisco Systems, Inc. IP Phone \x00", "", false, ""},
		{"udhcp 1.36.1", "", false, ""},
		{"CP-7906G", "", false, ""},
		{"", "", false, ""},
	}
	for _, tt := range tests {
		str, ok := firmware.ParseVendorClass(tt.in)
		m, known := firmware.BuiltinModels().ForVendorClass(tt.in)
		if str != tt.str || ok != tt.ok || m.Name != tt.model || known != (tt.model != "") {
			t.Errorf("%q: ParseVendorClass = %q %v, ForVendorClass = %q %v; want %q %v, %q", tt.in, str, ok, m.Name, known, tt.str, tt.ok, tt.model)
		}
	}
}

func TestIsPhone(t *testing.T) {
	mac := net.HardwareAddr{0x00, 0x1b, 0xd4, 0x11, 0x22, 0x33}
	tests := []struct {
		vc, host string
		want     bool
	}{
		{"Cisco Systems, Inc. IP Phone CP-7911G\x00", "", true},
		{"Cisco Systems, Inc. IP Phone CP-8945\x00", "", true}, // a phone the table does not know
		{"", "SEP001BD4112233", true},
		{"", "sep001bd4112233", true},
		{"", "SEP001BD4445566", false}, // another MAC
		{"udhcp 1.35.0", "laptop", false},
	}
	for _, tt := range tests {
		if got := firmware.IsPhone(tt.vc, tt.host, mac); got != tt.want {
			t.Errorf("IsPhone(%q, %q) = %v, want %v", tt.vc, tt.host, got, tt.want)
		}
	}
	if firmware.IsPhone("", "SEP", nil) {
		t.Error("a client without a MAC is a phone")
	}
}

// TestModelNameJSON reads the forms state directories of 2026-11-29 hold.
func TestModelNameJSON(t *testing.T) {
	for in, want := range map[string]firmware.ModelName{
		`"CP-7906G"`: "CP-7906G",
		`7911`:       "CP-7911G",
		`{"name":"CP-7906G","term":"06","device_type":"369"}`: "CP-7906G",
		`{"name":"","term":"","device_type":""}`:              "",
	} {
		var got firmware.ModelName
		if err := json.Unmarshal([]byte(in), &got); err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", in, got, err, want)
		}
	}
	var n firmware.ModelName
	if err := json.Unmarshal([]byte(`[1]`), &n); err == nil {
		t.Error("an array decoded as a model")
	}
	if b, _ := json.Marshal(firmware.ModelName("CP-7906G")); string(b) != `"CP-7906G"` {
		t.Errorf("marshalled %s", b)
	}
}

// TestManifestsOf20261129 reads the manifests phoneflash wrote on
// 2026-11-29 ("models":[7906,7911]) and plans with them.
func TestManifestsOf20261129(t *testing.T) {
	s, err := firmware.OpenStore(filepath.Join("..", "testdata", "state-2026-11-29", "firmware"))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(s.Loads()); n != 2 {
		t.Errorf("%d loads read, want 2 (no manifest may be unreadable)", n)
	}
	for _, name := range []string{"SCCP11.8-5-2S", "SIP11.9-4-2SR1-1S"} {
		l, ok := s.Load(name)
		if !ok {
			t.Fatalf("no %s in the store", name)
		}
		if d := diff([]firmware.ModelName{"CP-7906G", "CP-7911G"}, l.Models); d != "" {
			t.Errorf("%s models (-want +got):\n%s", name, d)
		}
		if l.TermFile(model(t, "CP-7906G")) != "term06.default.loads" || !l.HasModel("CP-7911G") || len(l.Images) != 5 {
			t.Errorf("%s: term file %q, images %v", name, l.TermFile(model(t, "CP-7906G")), l.Images)
		}
	}
	plan, err := firmware.Plan(model(t, "CP-7906G"), firmware.Current{Kind: firmware.CurrentUnknown}, "SIP11.9-4-2SR1-1S", s.Loads())
	if d := diff([]string{"SCCP11.8-5-2S", "SIP11.9-4-2SR1-1S"}, plan); err != nil || d != "" {
		t.Errorf("plan %v (-want +got):\n%s", err, d)
	}
}
