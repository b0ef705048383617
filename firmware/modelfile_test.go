package firmware_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/phoneflash/phoneflash/firmware"
)

// TestParseModelsAddsAndOverrides: a row adds a model the table lacks, or
// changes some facts of one it has and keeps the others.
func TestParseModelsAddsAndOverrides(t *testing.T) {
	file := `{"models": [
		{"name": "CP-7999G", "family": "99", "term": "99", "device_type": 999, "xml_model": "Cisco IP Phone 7999",
		 "vendor_class": "CP-7999G", "cop": "7999", "stall": {"applying": "25m"}, "quirks": {"few_power_cycles": true}},
		{"name": "CP-7941G", "path": ["8.5(2)", "8.5(2)SR1", "8.5(3)"], "password": {"max": 12}},
		{"name": "CP-7970G", "quirks": {"more_power": false}}
	]}`
	table, mistakes := firmware.ParseModels([]byte(file), firmware.BuiltinModels())
	if len(mistakes) > 0 {
		t.Fatalf("mistakes: %v", mistakes)
	}
	if len(table) != len(firmware.BuiltinModels())+1 {
		t.Errorf("%d rows", len(table))
	}
	m, ok := table.Named("CP-7999G")
	want := firmware.Model{Name: "CP-7999G", Family: "99", Term: "99", DeviceType: 999, XMLModel: "Cisco IP Phone 7999",
		VendorClass: "CP-7999G", COP: "7999", Password: firmware.PasswordLimit{Max: 30, Warn: 12},
		Stall: firmware.StallTimers{Applying: 25 * time.Minute}, Quirks: firmware.Quirks{FewPowerCycles: true}}
	if d := diff(want, m); !ok || d != "" {
		t.Errorf("new row (-want +got):\n%s", d)
	}
	if got, ok := table.ForTermFile("term99.default.loads"); !ok || got.Name != "CP-7999G" {
		t.Errorf("ForTermFile(term99) = %s", got)
	}
	m41, _ := table.Named("CP-7941G")
	base41 := model(t, "CP-7941G")
	if d := diff([]string{"8.5(2)", "8.5(2)SR1", "8.5(3)"}, m41.Path); d != "" || m41.Password != (firmware.PasswordLimit{Max: 12, Warn: 12}) ||
		m41.DeviceType != base41.DeviceType || m41.Stall != base41.Stall {
		t.Errorf("overridden 7941: %+v", m41)
	}
	if m70, _ := table.Named("CP-7970G"); m70.Quirks.MorePower || m70.Term != "70" {
		t.Errorf("overridden 7970: %+v", m70)
	}
	if !firmware.BuiltinModels().Family("41")[0].Quirks.FewPowerCycles && firmware.BuiltinModels().Family("41")[0].Path != nil {
		t.Error("the built-in table changed")
	}
}

// TestParseModelsMistakes: every mistake is one line naming its row.
func TestParseModelsMistakes(t *testing.T) {
	tests := []struct {
		name, file string
		want       []string
	}{
		{"not JSON", "{\"models\": [\n{\"name\": \"CP-7999G\",}\n]}", []string{"line 2: not JSON: invalid character '}'"}},
		{"no list", `{}`, []string{`no "models" list`}},
		{"unknown top field", `{"models": [], "modles": []}`, []string{`unknown field "modles": the fields are models`}},
		{"unknown fields", `{"models": [{"name": "CP-7999G", "famly": "99", "stall": {"aplying": "1m"}}]}`, []string{
			`row 1 (CP-7999G): unknown field "famly": the fields are name, family, term,`,
			`row 1 (CP-7999G): unknown field "stall.aplying": the fields are dhcp, config, loading, applying, boot`}},
		{"duplicate name", `{"models": [{"name": "CP-7942G", "cop": "x"}, {"name": "CP-7942G", "cop": "y"}]}`, []string{
			"row 2 (CP-7942G): CP-7942G is in row 1 already: give each model one row"}},
		{"missing facts", `{"models": [{"name": "CP-7999G", "term": "99"}]}`, []string{
			"row 1 (CP-7999G): no device_type: a model the built-in table lacks needs family, term, device_type and xml_model",
			"row 1 (CP-7999G): no family:", "row 1 (CP-7999G): no xml_model:"}},
		{"another family's term", `{"models": [{"name": "CP-7999G", "family": "99", "term": "42", "device_type": 999, "xml_model": "x"}]}`, []string{
			`row 1 (CP-7999G): term "42" is the CP-7942G's (family 42): a term file belongs to one family`}},
		{"password out of range", `{"models": [{"name": "CP-7942G", "password": {"max": 0}}, {"name": "CP-7962G", "password": {"warn": 31}}]}`, []string{
			"row 1 (CP-7942G): password.max 0: out of range, want 1 to 64", "row 2 (CP-7962G): password.warn 31: out of range, want 1 to password.max (30)"}},
		{"bad types and values", `{"models": [{"name": "CP-7942G", "device_type": "434"}, {"name": "CP-7945G", "stall": {"boot": "soon"}}, {"name": "CP-7965G", "path": ["8.5"]}, {"name": "a b"}]}`, []string{
			"row 1 (CP-7942G): device_type: a JSON string where a number belongs",
			`row 2 (CP-7945G): stall.boot "soon": want a duration like 90s or 20m`,
			`row 3 (CP-7965G): path: "8.5": want a version like 8.5(2)SR1 or a range like 8.3(3)-8.5(2)`,
			`row 4 (a b): name "a b": give the model's name as Cisco writes it`}},
		{"vendor class with the prefix", `{"models": [{"name": "CP-7942G", "vendor_class": "Cisco Systems, Inc. IP Phone CP-7942G"}]}`, []string{
			`row 1 (CP-7942G): vendor_class "Cisco Systems, Inc. IP Phone CP-7942G": write only what follows`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got := firmware.ParseModels([]byte(tt.file), firmware.BuiltinModels())
			if len(got) != len(tt.want) {
				t.Fatalf("%d mistakes, want %d:\n%s", len(got), len(tt.want), strings.Join(got, "\n"))
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) || strings.Contains(got[i], "\n") {
					t.Errorf("mistake %d:\n  %s\nwant it to start\n  %s", i+1, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestLoadModels(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, firmware.ModelFileName)
	table, err := firmware.LoadModels(path, firmware.BuiltinModels())
	if err != nil || len(table) != len(firmware.BuiltinModels()) {
		t.Fatalf("no file: %d rows, %v", len(table), err)
	}
	if err := os.WriteFile(path, []byte(`{"models": [{"name": "CP-7999G"}, {"name": "CP-7942G", "famly": "1"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = firmware.LoadModels(path, firmware.BuiltinModels())
	var me *firmware.ModelFileError
	if !errors.As(err, &me) || len(me.Mistakes) != 5 {
		t.Fatalf("bad file: %v", err)
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		if !strings.HasPrefix(line, path+": row ") {
			t.Errorf("line %q does not name the file and row", line)
		}
	}
}
