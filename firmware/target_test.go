package firmware_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/phoneflash/phoneflash/firmware"
)

func TestParseTargets(t *testing.T) {
	for in, want := range map[string]string{
		"":                                       "",
		"SIP11.9-4-2SR1-1S":                      "SIP11.9-4-2SR1-1S",
		" SIP11.9-4-2SR1-1S , SIP42.9-4-2SR3-1S": "SIP11.9-4-2SR1-1S,SIP42.9-4-2SR3-1S",
		"9.4(2)SR3,SIP11.9-4-2SR1-1S":            "SIP11.9-4-2SR1-1S,9.4(2)SR3",
		"9-4-2SR3-1":                             "9.4(2)SR3",
	} {
		got, err := firmware.ParseTargets(in)
		if err != nil || got.String() != want {
			t.Errorf("ParseTargets(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"SIP11.9-4-2SR1-1S,SIP11.9-4-2SR3-1S": "are both of family 11",
		"a/b":                                 `"a/b" is not a load name or a release`,
		"SIP11.9-4-2SR1-1S,":                  `"" is not a load name`,
		"9.4(2)SR1,9.4(2)SR3":                 "two releases",
	} {
		if _, err := firmware.ParseTargets(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseTargets(%q) = %v, want %q", in, err, want)
		}
	}
}

// TestTargetsFor: the load named for the family, else the store's SIP load
// of the configured release, else the newest; never another family's.
func TestTargetsFor(t *testing.T) {
	m7911, m7942, m7962, m7965 := model(t, "CP-7911G"), model(t, "CP-7942G"), model(t, "CP-7962G"), model(t, "CP-7965G")
	loads := []firmware.Load{
		mkLoad(t, "SIP11.9-4-2SR1-1S", m7911), mkLoad(t, "SIP11.9-4-2SR3-1S", m7911),
		mkLoad(t, "SIP42.9-4-2SR1-1S", m7942, m7962), mkLoad(t, "SIP42.9-4-2SR3-1S", m7942, m7962), mkLoad(t, "SIP42.9-4-2SR3-2S", m7942),
		mkLoad(t, "SCCP45.9-4-2SR3-1S", m7965), mkLoad(t, "SIP45.9-3-1S", m7965), mkLoad(t, "SIP45.9-4-2SR3-1S", m7965),
	}
	tests := []struct {
		target string
		m      firmware.Model
		want   string
	}{
		{"SIP11.9-4-2SR1-1S", m7911, "SIP11.9-4-2SR1-1S"},
		{"SIP11.9-4-2SR1-1S", m7942, "SIP42.9-4-2SR1-1S"}, // the release of the named load
		{"SIP11.9-4-2SR1-1S", m7965, "SIP45.9-4-2SR3-1S"}, // no 45 load of it: the newest SIP one
		{"", m7911, "SIP11.9-4-2SR3-1S"},
		{"", m7942, "SIP42.9-4-2SR3-2S"},
		{"", m7962, "SIP42.9-4-2SR3-1S"}, // SR3-2 has no term62
		{"9.4(2)SR3,SIP11.9-4-2SR1-1S", m7942, "SIP42.9-4-2SR3-2S"},
		{"SIP11.9-4-2SR1-1S,SIP42.9-4-2SR9-1S", m7942, "SIP42.9-4-2SR9-1S"}, // named, even when the store lacks it
	}
	for _, tt := range tests {
		ts, err := firmware.ParseTargets(tt.target)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ts.For(tt.m, loads)
		if err != nil || got != tt.want {
			t.Errorf("-target %q for %s: %q, %v; want %s", tt.target, tt.m, got, err, tt.want)
		}
	}
	_, err := firmware.Targets{}.For(model(t, "CP-7975G"), loads)
	var h *firmware.ImportHintError
	if want := "the CP-7975G needs a SIP load of family 75 (SIP75.*) in the firmware store: import cmterm-7975-sip.9-4-2SR3-1.cop.sgn"; !errors.As(err, &h) || err.Error() != want {
		t.Errorf("no 7975 load: %v, want %q", err, want)
	}
}

func TestTargetSummary(t *testing.T) {
	for want, in := range map[string][]string{
		"newest SIP per family": nil,
		"SIP11.9-4-2SR1-1S":     {"SIP11.9-4-2SR1-1S", "", "SIP11.9-4-2SR1-1S"},
		"SIP*.9-4-2SR3-1S":      {"SIP42.9-4-2SR3-1S", "SIP45.9-4-2SR3-1S", "SIP42.9-4-2SR3-1S"},
		"SIP 9.4(2)SR1/SR3":     {"SIP11.9-4-2SR1-1S", "SIP42.9-4-2SR3-1S", "SIP45.9-4-2SR3-1S"},
		"2 target loads":        {"SIP11.9-4-2SR1-1S", "SIP42.9-3-1S"},
	} {
		if got := firmware.TargetSummary(in); got != want {
			t.Errorf("TargetSummary(%v) = %q, want %q", in, got, want)
		}
	}
}
