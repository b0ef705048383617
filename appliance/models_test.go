package appliance

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/phoneflash/phoneflash/firmware"
	"github.com/phoneflash/phoneflash/firmware/fwgen"
	"github.com/phoneflash/phoneflash/internal/fwtest"
)

// TestBenchTargets: the status header names the bench's targets; a load
// -target names that the store lacks is a problem of the status line; a
// non-phone TFTP client asking for a term file gets its family's target.
func TestBenchTargets(t *testing.T) {
	store := fwtest.NewStore(t)
	dir := t.TempDir()
	var srcs []string
	for _, l := range []fwgen.Load{fwgen.SIP942(), fwgen.Builtin("42").Target()} {
		p, err := fwgen.WriteCOP(dir, l, 1.0/256)
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, p)
	}
	if _, err := store.Import(srcs...); err != nil {
		t.Fatal(err)
	}
	b := &bench{cfg: Config{Target: DefaultTarget + ",SIP45.9-4-2SR3-1S"}, store: store}
	var err error
	if b.targets, err = benchTargets(b.cfg); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		phones []string
		want   string
	}{
		{nil, "SIP 9.4(2)SR1/SR3"}, // no phone yet: the two -target names
		{[]string{DefaultTarget, ""}, DefaultTarget},
		{[]string{"SIP42.9-4-2SR3-1S", "SIP45.9-4-2SR3-1S"}, "SIP*.9-4-2SR3-1S"},
	} {
		if got := b.targetSummary(tt.phones); got != tt.want {
			t.Errorf("targets of %v: %q, want %q", tt.phones, got, tt.want)
		}
	}
	if got := b.missingTarget(); got != "SIP45.9-4-2SR3-1S" {
		t.Errorf("missing target %q", got)
	}
	for term, want := range map[string]string{"term06.default.loads": DefaultTarget, "term62.default.loads": "SIP42.9-4-2SR3-1S", "term99.default.loads": ""} {
		if got := b.termLoad(term); got != want {
			t.Errorf("termLoad(%s) = %q, want %q", term, got, want)
		}
	}
}

// TestLoadModels: the bench's table is the built-in rows and the state
// directory's models.json; a bad file says so, one line a mistake.
func TestLoadModels(t *testing.T) {
	state := t.TempDir()
	if table, err := LoadModels(state); err != nil || len(table) != len(firmware.BuiltinModels()) {
		t.Fatalf("no file: %d rows, %v", len(table), err)
	}
	path := filepath.Join(state, firmware.ModelFileName)
	os.WriteFile(path, []byte(`{"models": [{"name": "CP-7942G", "password": {"max": 16}}]}`), 0o644)
	table, err := LoadModels(state)
	if m, _ := table.Named("CP-7942G"); err != nil || m.Password.Max != 16 {
		t.Fatalf("override: %+v, %v", m.Password, err)
	}
	os.WriteFile(path, []byte(`{"models": [{"name": "CP-7942G", "pasword": {}}]}`), 0o644)
	var me *firmware.ModelFileError
	if _, err := LoadModels(state); !errors.As(err, &me) || me.Path != path || len(me.Mistakes) != 1 {
		t.Errorf("bad file: %v", err)
	}
	if _, err := benchModels(Config{StateDir: state}); err == nil {
		t.Error("the bench started on a bad models.json")
	}
}
