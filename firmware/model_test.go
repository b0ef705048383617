package firmware_test

import (
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

// TestModelTable checks every row against the domain notes
// (cisco-79xx-families.md, "Models") and that the table has no problems:
// complete rows that tell models apart.
func TestModelTable(t *testing.T) {
	type facts struct {
		Family, Term string
		DeviceType   int
		VendorClass  string
		COP          string
		Password     firmware.PasswordLimit
		FewCycles    bool
		MorePower    bool
	}
	pw := firmware.PasswordLimit{Max: 30, Warn: 12}
	want := map[firmware.ModelName]facts{
		"CP-7906G":    {"11", "06", 369, "CP-7906G", "7911_7906", pw, false, false},
		"CP-7911G":    {"11", "11", 307, "CP-7911G", "7911_7906", pw, false, false},
		"CP-7941G":    {"41", "41", 115, "CP-7941G", "7941_7961", pw, false, false},
		"CP-7941G-GE": {"41", "41", 309, "CP-7941G-GE", "7941_7961", pw, false, false},
		"CP-7961G":    {"41", "61", 30018, "CP-7961G", "7941_7961", pw, false, false},
		"CP-7961G-GE": {"41", "61", 308, "CP-7961G-GE", "7941_7961", pw, false, false},
		"CP-7942G":    {"42", "42", 434, "CP-7942G", "7942_7962", pw, true, false},
		"CP-7962G":    {"42", "62", 404, "CP-7962G", "7942_7962", pw, true, false},
		"CP-7945G":    {"45", "45", 435, "CP-7945G", "7945_7965", pw, true, false},
		"CP-7965G":    {"45", "65", 436, "CP-7965G", "7945_7965", pw, true, false},
		"CP-7970G":    {"70", "70", 30006, "CP-7970G", "7970_7971", pw, false, true},
		"CP-7971G-GE": {"70", "71", 119, "CP-7971G-GE", "7970_7971", pw, false, true},
		"CP-7975G":    {"75", "75", 437, "CP-7975G", "7975", pw, true, true},
	}
	table := firmware.BuiltinModels()
	if len(table) != len(want) {
		t.Errorf("%d rows, want %d", len(table), len(want))
	}
	for _, m := range table {
		w, ok := want[m.Name]
		if !ok {
			t.Errorf("row %s is not in the notes' table", m.Name)
			continue
		}
		got := facts{m.Family, m.Term, m.DeviceType, m.VendorClass, m.COP, m.Password, m.Quirks.FewPowerCycles, m.Quirks.MorePower}
		if d := diff(w, got); d != "" {
			t.Errorf("%s (-want +got):\n%s", m.Name, d)
		}
		if m.XMLModel == "" || m.Path != nil {
			t.Errorf("%s: XML model %q, path %v", m.Name, m.XMLModel, m.Path)
		}
	}
	if p := table.Problems(); len(p) > 0 {
		t.Errorf("the built-in table has problems:\n%s", strings.Join(p, "\n"))
	}
	if m := model(t, "CP-7961G"); m.Stall.Applying < 20*time.Minute {
		t.Errorf("7961 flash write limit %s: its loader takes minutes (families notes)", m.Stall.Applying)
	}
	if d := diff([]string{"11", "41", "42", "45", "70", "75"}, table.Families()); d != "" {
		t.Errorf("families (-want +got):\n%s", d)
	}
}

// TestModelTableProblems: Problems catches what a broken row would do.
func TestModelTableProblems(t *testing.T) {
	bad := append(firmware.BuiltinModels(), firmware.Model{Name: "CP-7999G", Family: "x", Term: "42", DeviceType: 434,
		XMLModel: "", VendorClass: "CP-7942G", Password: firmware.PasswordLimit{Max: 99, Warn: 12}, Path: []string{"8.5"}})
	got := strings.Join(bad.Problems(), "\n")
	for _, want := range []string{`CP-7999G: family "x"`, `CP-7999G: term "42" is the CP-7942G's (family 42)`,
		"CP-7999G: device_type 434 is the CP-7942G's", "CP-7999G: no xml_model", `CP-7999G: vendor_class "CP-7942G" is the CP-7942G's`,
		"CP-7999G: password.max 99: out of range", `CP-7999G: path: "8.5": want a version`} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q:\n%s", want, got)
		}
	}
}

func TestModelLookups(t *testing.T) {
	models := firmware.BuiltinModels()
	for in, want := range map[string]firmware.ModelName{
		"7906": "CP-7906G", "CP-7906G": "CP-7906G", "cp-7906g": "CP-7906G", "7906G": "CP-7906G", "06": "CP-7906G", "369": "CP-7906G",
		"Cisco Systems, Inc. IP Phone CP-7906G\x00": "CP-7906G",
		"Cisco Systems, Inc. IP Phone CP-7911G":     "CP-7911G",
		"7911":                                      "CP-7911G", "11": "CP-7911G", "term11.default.loads": "CP-7911G", "307": "CP-7911G",
		"7942": "CP-7942G", "62": "CP-7962G", "term65.default.loads": "CP-7965G", "30006": "CP-7970G", "7971G-GE": "CP-7971G-GE",
		"CP-7941G-GE": "CP-7941G-GE", "7941": "CP-7941G", "Cisco Systems, Inc. IP Phone CP-7975G\x00": "CP-7975G",
	} {
		got, err := models.Parse(in)
		if err != nil || got.Name != want {
			t.Errorf("Parse(%q) = %v, %v; want %v", in, got.Name, err, want)
		}
	}
	for _, bad := range []string{"", "7960", "CP-7960G", "Cisco Systems, Inc. IP Phone CP-8945\x00", "6", "G"} {
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
	if got, ok := models.ForTermFile("term42.default.loads"); !ok || got.Name != "CP-7942G" {
		t.Errorf("ForTermFile(term42) = %s, %v", got, ok)
	}
	if got, ok := models.ForTermFile("term41.default.loads"); !ok || got.Name != "CP-7941G" {
		t.Errorf("ForTermFile(term41) = %s, %v: the 7941G-GE shares it, the 7941G comes first", got, ok)
	}
	if _, ok := models.ForTermFile("term99.default.loads"); ok {
		t.Error("ForTermFile(term99) found a model")
	}
	if !models.HasFamily("11") || !models.HasFamily("42") || models.HasFamily("99") || !strings.HasPrefix(models.Names(), "CP-7906G, CP-7911G, CP-7941G") {
		t.Errorf("families or names wrong: %s", models.Names())
	}
	if d := diff([]firmware.ModelName{"CP-7942G", "CP-7962G"}, []firmware.ModelName{models.Family("42")[0].Name, models.Family("42")[1].Name}); d != "" {
		t.Errorf("Family(42) (-want +got):\n%s", d)
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
		{"Cisco Systems, Inc. IP Phone CP-7942G\x00", "CP-7942G", true, "CP-7942G"},
		{"Cisco Systems, Inc. IP Phone CP-7941G-GE", "CP-7941G-GE", true, "CP-7941G-GE"},
		{"Cisco Systems, Inc. IP Phone CP-7960G\x00", "CP-7960G", true, ""}, // a phone, not in the table
		{"Cisco Systems, Inc. IP Phone CP-8945\x00", "CP-8945", true, ""},
		{"Cisco Systems, Inc. IP Phone 79XX\x00", "79XX", true, ""}, // the firmware's default model
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
