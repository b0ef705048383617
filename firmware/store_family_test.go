package firmware_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/phoneflash/phoneflash/firmware"
	"github.com/phoneflash/phoneflash/firmware/fwgen"
)

// TestImportFamilies: every family's stepping stone and SIP package import
// into one store, each load with the term files and models of its pair,
// and the store verifies.
func TestImportFamilies(t *testing.T) {
	s := newStore(t)
	var srcs []string
	for _, f := range fwgen.Families() {
		srcs = append(srcs, source(t, "cop", f.Stone()), source(t, "zip", f.Target()))
	}
	if _, err := s.Import(srcs...); err != nil {
		t.Fatal(err)
	}
	if n := len(s.Loads()); n != 2*len(fwgen.Families()) {
		t.Errorf("%d loads, want %d", n, 2*len(fwgen.Families()))
	}
	for _, f := range fwgen.Families() {
		rows := firmware.BuiltinModels().Family(f.Family)
		for _, gl := range []fwgen.Load{f.Stone(), f.Target()} {
			l, ok := s.Load(gl.Name)
			if !ok {
				t.Fatalf("no %s", gl.Name)
			}
			var want []firmware.ModelName
			for _, m := range rows {
				if l.TermFile(m) != m.TermFile() {
					t.Errorf("%s: no %s for the %s", l.Name, m.TermFile(), m.Name)
				}
				want = append(want, m.Name) // by its term file or its loadNNN.txt
			}
			slices.Sort(want)
			if d := diff(want, l.Models); d != "" {
				t.Errorf("%s models (-want +got):\n%s", l.Name, d)
			}
			if l.Family() != f.Family {
				t.Errorf("%s: family %q", l.Name, l.Family())
			}
		}
	}
	if rep := s.Verify(); len(rep.Problems) > 0 || rep.Loads != 2*len(fwgen.Families()) {
		t.Errorf("verify: %d loads, %v", rep.Loads, rep.Problems)
	}
	l, _ := s.Load("SIP42.9-4-2SR3-1S")
	var files []string
	for _, f := range l.Files {
		files = append(files, f.Name)
	}
	want := []string{"SIP42.9-4-2SR3-1S.loads", "term42.default.loads", "term62.default.loads",
		"jar42sip.9-4-2ES26.sbn", "cnu42.9-4-2ES26.sbn", "apps42.9-4-2ES26.sbn", "dsp42.9-4-2ES26.sbn", "cvm42sip.9-4-2ES26.sbn"}
	if d := diff(want, files); d != "" {
		t.Errorf("the 7942/7962 SIP package (-want +got):\n%s", d)
	}
}

// TestRenamedTermFilePerFamily: a load's own .loads, or another model's
// term file, copied to a term file of any family is refused by import and
// named by verify.
func TestRenamedTermFilePerFamily(t *testing.T) {
	for _, f := range fwgen.Families() {
		l := f.Target()
		term := l.TermFiles()[len(l.TermFiles())-1]
		t.Run(f.Family, func(t *testing.T) {
			dir := source(t, "folder", l)
			own, err := os.ReadFile(filepath.Join(dir, l.LoadsFile()))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, term), own, 0o644); err != nil {
				t.Fatal(err)
			}
			s := newStore(t)
			want := term + " is " + l.LoadsFile() + " renamed (its signed header says " + l.LoadsFile() + ")"
			if _, err := s.Import(dir); err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("import: %v, want %q", err, want)
			}
			s = storeWith(t, l)
			stored := filepath.Join(s.Dir(), l.Name)
			first := l.TermFiles()[0]
			other, _ := os.ReadFile(filepath.Join(stored, first))
			if first == term {
				other = own
				first = l.LoadsFile()
			}
			if err := os.WriteFile(filepath.Join(stored, term), other, 0o644); err != nil {
				t.Fatal(err)
			}
			rep := s.Verify()
			want = l.Name + "/" + term + ": " + term + " is " + first + " renamed"
			if len(rep.Problems) != 1 || !strings.HasPrefix(rep.Problems[0].String(), want) {
				t.Errorf("verify: %v, want one problem starting %q", rep.Problems, want)
			}
		})
	}
}

// TestImportUserFamily: a family only a user's row names imports once the
// store knows the row; a term file of a model no row names travels with
// its load.
func TestImportUserFamily(t *testing.T) {
	table := append(firmware.BuiltinModels(), firmware.Model{Name: "CP-7999G", Family: "99", Term: "99", DeviceType: 999,
		XMLModel: "Cisco IP Phone 7999", Password: firmware.PasswordLimit{Max: 30, Warn: 12}})
	l := fwgen.FamilyOf(table, "99").SIP("9-4-2SR3-1")
	src := source(t, "cop", l)
	s := newStore(t)
	if _, err := s.Import(src); err == nil || !strings.Contains(err.Error(), "SIP99.9-4-2SR3-1S is for phone family 99, which no model of the table runs") {
		t.Errorf("without the row: %v", err)
	}
	s.SetModels(table)
	if _, err := s.Import(src); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Load(l.Name)
	if d := diff([]firmware.ModelName{"CP-7999G"}, got.Models); d != "" || got.TermFile(table[len(table)-1]) != "term99.default.loads" {
		t.Errorf("models (-want +got):\n%s", d)
	}
	// The 7942 package with the term file of a model the table lacks.
	dir := source(t, "folder", fwgen.Builtin("42").Target())
	files, _ := fwgen.Files(fwgen.Builtin("42").Target(), testScale)
	data, _ := fwgen.Signed("term43.default.loads", files[1].Data[len(files[1].Data)-len(fwgen.LoadsBody(fwgen.Builtin("42").Target())):])
	if err := os.WriteFile(filepath.Join(dir, "term43.default.loads"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	s = newStore(t)
	if _, err := s.Import(dir); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Load("SIP42.9-4-2SR3-1S")
	if _, ok := got.File("term43.default.loads"); !ok || slices.Contains(got.Models, "") || len(got.Models) != 2 {
		t.Errorf("term43: files %v, models %v", got.Files, got.Models)
	}
}
