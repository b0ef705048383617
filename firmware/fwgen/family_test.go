package fwgen_test

import (
	"bytes"
	"testing"

	"github.com/phoneflash/phoneflash/firmware"
	"github.com/phoneflash/phoneflash/firmware/fwgen"
)

// TestFamilyPackages: each family's packages hold the term files of all its
// models and the family's own images, as Cisco's do (the 7942/7962 SIP
// package: SIP42.9-4-2SR3-1S.loads, term42 and term62, five *42* images).
func TestFamilyPackages(t *testing.T) {
	want := map[string][]string{
		"11": {"SIP11.9-4-2SR1-1S.loads", "term06.default.loads", "term11.default.loads",
			"jar11sip.9-4-2ES9.sbn", "cnu11.9-4-2ES9.sbn", "apps11.9-4-2ES9.sbn", "dsp11.9-4-2ES9.sbn", "cvm11sip.9-4-2ES9.sbn"},
		"41": {"SIP41.9-4-2SR3-1S.loads", "term41.default.loads", "term61.default.loads",
			"jar41sip.9-4-2ES26.sbn", "cnu41.9-4-2ES26.sbn", "apps41.9-4-2ES26.sbn", "dsp41.9-4-2ES26.sbn", "cvm41sip.9-4-2ES26.sbn"},
		"42": {"SIP42.9-4-2SR3-1S.loads", "term42.default.loads", "term62.default.loads",
			"jar42sip.9-4-2ES26.sbn", "cnu42.9-4-2ES26.sbn", "apps42.9-4-2ES26.sbn", "dsp42.9-4-2ES26.sbn", "cvm42sip.9-4-2ES26.sbn"},
		"45": {"SIP45.9-4-2SR3-1S.loads", "term45.default.loads", "term65.default.loads",
			"jar45sip.9-4-2ES26.sbn", "cnu45.9-4-2ES26.sbn", "apps45.9-4-2ES26.sbn", "dsp45.9-4-2ES26.sbn", "cvm45sip.9-4-2ES26.sbn"},
		"70": {"SIP70.9-4-2SR3-1S.loads", "term70.default.loads", "term71.default.loads",
			"jar70sip.9-4-2ES26.sbn", "cnu70.9-4-2ES26.sbn", "apps70.9-4-2ES26.sbn", "dsp70.9-4-2ES26.sbn", "cvm70sip.9-4-2ES26.sbn"},
		"75": {"SIP75.9-4-2SR3-1S.loads", "term75.default.loads",
			"jar75sip.9-4-2ES26.sbn", "cnu75.9-4-2ES26.sbn", "apps75.9-4-2ES26.sbn", "dsp75.9-4-2ES26.sbn", "cvm75sip.9-4-2ES26.sbn"},
	}
	cops := map[string]string{"11": "cmterm-7911_7906-sip.9-4-2SR1-1.cop.sgn", "41": "cmterm-7941_7961-sip.9-4-2SR3-1.cop.sgn",
		"42": "cmterm-7942_7962-sip.9-4-2SR3-1.cop.sgn", "45": "cmterm-7945_7965-sip.9-4-2SR3-1.cop.sgn",
		"70": "cmterm-7970_7971-sip.9-4-2SR3-1.cop.sgn", "75": "cmterm-7975-sip.9-4-2SR3-1.cop.sgn"}
	fams := fwgen.Families()
	if len(fams) != len(want) {
		t.Errorf("%d families, want %d", len(fams), len(want))
	}
	for _, f := range fams {
		l := f.Target()
		files, err := fwgen.Files(l, 1.0/256)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, file := range files {
			names = append(names, file.Name)
			h, err := firmware.ParseHeader(file.Data)
			if err != nil || h.FileName != file.Name {
				t.Errorf("%s: header %v, embedded %q", file.Name, err, h.FileName)
			}
		}
		if d := diff(want[f.Family], names); d != "" {
			t.Errorf("family %s files (-want +got):\n%s", f.Family, d)
		}
		if l.COPName() != cops[f.Family] {
			t.Errorf("family %s COP %s, want %s", f.Family, l.COPName(), cops[f.Family])
		}
		stone := f.Stone()
		if ln, err := firmware.ParseLoadName(stone.Name); err != nil || ln.Family != f.Family || ln.Protocol != firmware.SCCP ||
			ln.Version != (firmware.Version{Major: 8, Minor: 5, Maint: 2}) {
			t.Errorf("family %s stone %s: %+v %v", f.Family, stone.Name, ln, err)
		}
	}
	// The 7941/7961 package's loadNNN.txt name every model of the family.
	f := fwgen.Builtin("41")
	if d := diff([]int{115, 308, 309, 30018}, f.DeviceTypes); d != "" {
		t.Errorf("41 device types (-want +got):\n%s", d)
	}
	if got := string(fwgen.LoadTxt(f.Stone(), 309).Data); got != "309 SCCP41.8-5-2S Cisco IP Phone 7941G-GE SCCP\n" {
		t.Errorf("load309.txt = %q", got)
	}
}

// TestFamily11IsTheOriginal: the family 11 loads Family builds are the
// SCCP852 and SIP942 loads byte for byte.
func TestFamily11IsTheOriginal(t *testing.T) {
	f := fwgen.Builtin("11")
	for _, pair := range [][2]fwgen.Load{{f.Stone(), fwgen.SCCP852()}, {f.Target(), fwgen.SIP942()}} {
		a, err := fwgen.COPBytes(pair[0], 1.0/64)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := fwgen.COPBytes(pair[1], 1.0/64)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: the family's COP differs from the original's", pair[1].Name)
		}
	}
}

// TestFamilyOfUserRow: a family only a user's row names gets loads too.
func TestFamilyOfUserRow(t *testing.T) {
	table := append(firmware.BuiltinModels(), firmware.Model{Name: "CP-7999G", Family: "99", Term: "99", DeviceType: 999, XMLModel: "Cisco IP Phone 7999"})
	f := fwgen.FamilyOf(table, "99")
	l := f.SIP("9-4-2SR3-1")
	if l.Name != "SIP99.9-4-2SR3-1S" || l.COPName() != "cmterm-7999-sip.9-4-2SR3-1.cop.sgn" || l.TermFiles()[0] != "term99.default.loads" {
		t.Errorf("user family: %s %s %v", l.Name, l.COPName(), l.TermFiles())
	}
}
