package firmware_test

import (
	"strings"
	"testing"

	"github.com/phoneflash/phoneflash/firmware"
)

func TestParseLoadName(t *testing.T) {
	tests := []struct {
		in   string
		want firmware.LoadName
		str  string
		cop  string
	}{
		{"SCCP11.8-5-2S", firmware.LoadName{Name: "SCCP11.8-5-2S", Protocol: firmware.SCCP, Family: "11",
			Version: firmware.Version{Major: 8, Minor: 5, Maint: 2}}, "8.5(2)", "cmterm-7911_7906-sccp.8-5-2.cop.sgn"},
		{"SIP11.9-4-2SR1-1S.loads", firmware.LoadName{Name: "SIP11.9-4-2SR1-1S", Protocol: firmware.SIP, Family: "11",
			Version: firmware.Version{Major: 9, Minor: 4, Maint: 2, SR: 1, Build: 1}}, "9.4(2)SR1", "cmterm-7911_7906-sip.9-4-2SR1-1.cop.sgn"},
		{"SCCP11.8-3-3SR2S", firmware.LoadName{Name: "SCCP11.8-3-3SR2S", Protocol: firmware.SCCP, Family: "11",
			Version: firmware.Version{Major: 8, Minor: 3, Maint: 3, SR: 2}}, "8.3(3)SR2", "cmterm-7911_7906-sccp.8-3-3SR2.cop.sgn"},
		{"SCCP41.8-2-1S", firmware.LoadName{Name: "SCCP41.8-2-1S", Protocol: firmware.SCCP, Family: "41",
			Version: firmware.Version{Major: 8, Minor: 2, Maint: 1}}, "8.2(1)", ""}, // no row of the table has family 41 yet
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := firmware.ParseLoadName(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if d := diff(tt.want, got); d != "" {
				t.Errorf("ParseLoadName (-want +got):\n%s", d)
			}
			if s := got.Version.String(); s != tt.str {
				t.Errorf("Version.String() = %q, want %q", s, tt.str)
			}
			if s := model(t, "CP-7911G").COPName(got); tt.cop != "" && s != tt.cop {
				t.Errorf("COPName() = %q, want %q", s, tt.cop)
			}
		})
	}
	for _, bad := range []string{"", "term06.default", "SIP11.9-4-2SR1-1", "SIP.9-4-2S", "SIP11.9-4S", "SIP11.9-4-2XX1S", "H323.9-4-2S", "SIP11.9-4-2SR0S"} {
		if _, err := firmware.ParseLoadName(bad); err == nil || !strings.Contains(err.Error(), "load name") {
			t.Errorf("ParseLoadName(%q) = %v, want a load name error", bad, err)
		}
	}
}

func TestVersionOrder(t *testing.T) {
	// Sorted ascending.
	order := []string{"8.2(2)", "8.3(3)", "8.3(3)SR2", "8-5-2", "8.5(3)", "9.2(3)", "9.4(2)", "9.4(2)SR1", "9-4-2SR1-1", "9.4(2)SR3", "10.0(0)"}
	var vs []firmware.Version
	for _, s := range order {
		v, err := firmware.ParseVersion(s)
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	for i := range vs {
		for j := range vs {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := vs[i].Compare(vs[j]); got != want {
				t.Errorf("%s.Compare(%s) = %d, want %d", order[i], order[j], got, want)
			}
		}
	}
	for _, bad := range []string{"", "8.5", "8.5(2", "8.5(x)", "8-5", "9.4(2)ES9", "9.4(2)SR", "a.b(c)"} {
		if _, err := firmware.ParseVersion(bad); err == nil {
			t.Errorf("ParseVersion(%q) succeeded", bad)
		}
	}
}
