package provision

import (
	"encoding/xml"
	"fmt"
	"testing"

	"github.com/phoneflash/phoneflash/firmware"
)

// TestDefaultEveryModel: XMLDefault.cnf.xml has a loadInformationNNN line
// for every model of the table it is given (the session gives those with a
// target in the store), by device type, with the row's XML model name; the
// phone reads its own device type's line.
func TestDefaultEveryModel(t *testing.T) {
	var loads []firmware.ModelLoad
	want := map[string]loadInfo{}
	for _, m := range firmware.BuiltinModels() {
		load := "SIP" + m.Family + ".9-4-2SR3-1S"
		loads = append(loads, firmware.ModelLoad{Model: m, Load: load})
		want[fmt.Sprintf("loadInformation%d", m.DeviceType)] = loadInfo{Model: m.XMLModel, Load: load}
	}
	data, err := (&Provisioner{}).Default(loads)
	if err != nil {
		t.Fatal(err)
	}
	var got xmlDefault
	if err := xml.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Loads) != len(want) {
		t.Errorf("%d lines, want %d:\n%s", len(got.Loads), len(want), data)
	}
	prev := 0
	for _, l := range got.Loads {
		w, ok := want[l.XMLName.Local]
		if !ok || l.Model != w.Model || l.Load != w.Load {
			t.Errorf("%s model %q load %q; want %+v", l.XMLName.Local, l.Model, l.Load, w)
		}
		var dt int
		fmt.Sscanf(l.XMLName.Local, "loadInformation%d", &dt)
		if dt < prev {
			t.Errorf("%s out of device type order", l.XMLName.Local)
		}
		prev = dt
	}
	for name, dt := range map[string]int{"CP-7942G": 434, "CP-7962G": 404, "CP-7945G": 435, "CP-7965G": 436,
		"CP-7970G": 30006, "CP-7971G-GE": 119, "CP-7975G": 437, "CP-7941G": 115, "CP-7941G-GE": 309, "CP-7961G": 30018, "CP-7961G-GE": 308} {
		if _, ok := want[fmt.Sprintf("loadInformation%d", dt)]; !ok {
			t.Errorf("no loadInformation%d for the %s", dt, name)
		}
	}
}
