package provision

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the same zone data on every machine
)

// TestTimeZones: every IANA zone of the table keeps the clock of its Cisco
// zone in 2025: the same standard offset, and daylight saving time exactly
// when the Cisco name has it.
func TestTimeZones(t *testing.T) {
	jan := time.Date(2025, time.January, 15, 12, 0, 0, 0, time.UTC)
	jul := time.Date(2025, time.July, 15, 12, 0, 0, 0, time.UTC)
	seen := map[string]string{}
	for _, z := range ciscoZones {
		if z.DST != strings.Contains(z.Name, "Daylight") && z.Name != "Pacific SA Daylight Time" {
			t.Errorf("%s: DST %v does not match its name", z.Name, z.DST)
		}
		for _, name := range z.IANA {
			if other, dup := seen[strings.ToLower(name)]; dup {
				t.Errorf("%s is in %s and %s", name, other, z.Name)
			}
			seen[strings.ToLower(name)] = z.Name
			loc, err := time.LoadLocation(name)
			if err != nil {
				t.Errorf("%s (%s): %v", name, z.Name, err)
				continue
			}
			_, a := jan.In(loc).Zone()
			_, b := jul.In(loc).Zone()
			std, dst := min(a, b)/60, a != b
			if std != z.Offset || dst != z.DST || (dst && max(a, b)/60 != std+60) {
				t.Errorf("%s: UTC%+d min, DST %v; its Cisco zone %s is UTC%+d min, DST %v", name, std, dst, z.Name, z.Offset, z.DST)
			}
		}
	}
}

func TestCiscoTimeZone(t *testing.T) {
	for in, want := range map[string]string{
		"Europe/London": "GMT Standard/Daylight Time", "europe/berlin": "W. Europe Standard/Daylight Time",
		" America/New_York ": "Eastern Standard/Daylight Time", "UTC": "Greenwich Standard Time",
		"gmt standard/daylight time": "GMT Standard/Daylight Time", "Asia/Shanghai": "Taipei Standard Time",
	} {
		got, err := CiscoTimeZone(in)
		if err != nil || got != want {
			t.Errorf("CiscoTimeZone(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "Europe/Londn", "Asia/Kathmandu", "Mars/Olympus", "GMT+1"} {
		if got, err := CiscoTimeZone(bad); err == nil {
			t.Errorf("CiscoTimeZone(%q) = %q, want an error", bad, got)
		}
	}
}
