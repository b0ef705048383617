package fwgen

import (
	"fmt"
	"slices"
	"strings"

	"github.com/phoneflash/phoneflash/firmware"
)

// Family is what a synthetic load takes from its family's rows of a model
// table: the load family, its models' term files and device types, and the
// name of its packages.
type Family struct {
	Family      string   // 42
	Terms       []string // 42, 62: one term file per model, in term order
	DeviceTypes []int    // 404, 434: one loadNNN.txt per model, ascending
	Names       []string // per device type, the loadNNN.txt name: 7962G, 7942G
	COP         string   // 7942_7962
	For         string   // "7942 and 7962", for the .loads comment
}

// FamilyOf collects family's rows of table. It panics on a family the
// table lacks (a test's mistake).
func FamilyOf(table firmware.Models, family string) Family {
	rows := table.Family(family)
	if len(rows) == 0 {
		panic(fmt.Sprintf("fwgen: no model of family %s in the table", family))
	}
	f := Family{Family: family, COP: rows[0].COP}
	slices.SortFunc(rows, func(a, b firmware.Model) int { return a.DeviceType - b.DeviceType })
	var numbers []string
	for _, m := range rows {
		if !slices.Contains(f.Terms, m.Term) {
			f.Terms = append(f.Terms, m.Term)
		}
		f.DeviceTypes = append(f.DeviceTypes, m.DeviceType)
		f.Names = append(f.Names, strings.TrimPrefix(string(m.Name), "CP-"))
		if !slices.Contains(numbers, m.Number()) {
			numbers = append(numbers, m.Number())
		}
	}
	slices.Sort(f.Terms)
	slices.Sort(numbers)
	f.For = strings.Join(numbers, " and ")
	if f.COP == "" {
		f.COP = strings.Join(numbers, "_")
	}
	return f
}

// Builtin is the family of phoneflash's own model table: "42" for the
// 7942/7962.
func Builtin(family string) Family { return FamilyOf(firmware.BuiltinModels(), family) }

// Families are every family of phoneflash's own model table, in table
// order (11 first).
func Families() []Family {
	t := firmware.BuiltinModels()
	var out []Family
	for _, f := range t.Families() {
		out = append(out, FamilyOf(t, f))
	}
	return out
}

// releases are the image releases of the loads whose release is known:
// the 7906/7911 9.4(2)SR1 images are *.9-4-2ES9.sbn (protocol notes §7), the
// 9.4(2)SR3 ones *.9-4-2ES26.sbn (families notes), the invented SCCP 8.5(2)
// ones *.8-5-2TH1-9.sbn. Other versions get an invented release.
var releases = map[string]string{
	"SIP 9-4-2SR1-1": "9-4-2ES9",
	"SIP 9-4-2SR3-1": "9-4-2ES26",
	"SCCP 8-5-2":     "8-5-2TH1-9",
}

// Release is the image release fwgen gives a load of protocol and version
// (dashed, as in load names: 8-5-2, 9-4-2SR3-1).
func Release(protocol firmware.Protocol, version string) string {
	if r, ok := releases[string(protocol)+" "+version]; ok {
		return r
	}
	if protocol == firmware.SIP {
		return version + "ES1"
	}
	return version + "TH1-1"
}

// SCCP is the family's SCCP load of version (dashed: 8-5-2 for the
// stepping stone SCCP42.8-5-2S).
func (f Family) SCCP(version string) Load {
	return f.load(firmware.SCCP, version, SCCP852())
}

// SIP is the family's SIP load of version (dashed: 9-4-2SR3-1 for
// SIP42.9-4-2SR3-1S).
func (f Family) SIP(version string) Load {
	return f.load(firmware.SIP, version, SIP942())
}

// Stone is the family's stepping stone, SCCP 8.5(2).
func (f Family) Stone() Load { return f.SCCP("8-5-2") }

// Target is the family's SIP 9.4(2) target: SR1 for the 7906/7911 (the
// load of the domain notes' known hashes), SR3 for the others (the
// newest, families notes).
func (f Family) Target() Load {
	if f.Family == "11" {
		return f.SIP("9-4-2SR1-1")
	}
	return f.SIP("9-4-2SR3-1")
}

// load builds the family's load of protocol and version on the image
// sizes and layout of like, the family 11 load of the protocol.
func (f Family) load(protocol firmware.Protocol, version string, like Load) Load {
	rel := Release(protocol, version)
	p := strings.ToLower(string(protocol))
	kinds := []string{"jar" + f.Family + p, "cnu" + f.Family, "apps" + f.Family, "dsp" + f.Family, "cvm" + f.Family + p}
	l := Load{Name: string(protocol) + f.Family + "." + version + "S", Release: rel, Trailing: like.Trailing,
		Models: f.DeviceTypes, Terms: f.Terms, ModelNames: f.Names, COP: f.COP, For: f.For}
	for i, k := range kinds {
		l.Images = append(l.Images, Image{Name: k + "." + rel + ".sbn", Size: like.Images[i].Size})
	}
	return l
}
