package firmware_test

import (
	"errors"
	"testing"

	"github.com/phoneflash/phoneflash/firmware"
)

// mkLoad is a store load with term files for the given models.
func mkLoad(t *testing.T, name string, models ...firmware.Model) firmware.Load {
	t.Helper()
	ln, err := firmware.ParseLoadName(name)
	if err != nil {
		t.Fatal(err)
	}
	l := firmware.Load{Name: ln.Name, Protocol: ln.Protocol, Version: ln.Version, Models: models,
		Files: []firmware.FileInfo{{Name: ln.FileName()}}}
	for _, m := range models {
		l.Files = append(l.Files, firmware.FileInfo{Name: m.TermFile()})
	}
	return l
}

func TestPlan(t *testing.T) {
	both := []firmware.Model{firmware.Model7906, firmware.Model7911}
	sip := mkLoad(t, "SIP11.9-4-2SR1-1S", both...)
	sccp852 := mkLoad(t, "SCCP11.8-5-2S", both...)
	sccp833 := mkLoad(t, "SCCP11.8-3-3SR2S", both...)
	sccp853 := mkLoad(t, "SCCP11.8-5-3S", both...)                  // newer than the range
	sccp852only11 := mkLoad(t, "SCCP11.8-5-2S", firmware.Model7911) // no term06
	sip853 := mkLoad(t, "SIP11.8-5-3S", both...)
	sip7911 := mkLoad(t, "SIP11.9-4-2SR1-1S", firmware.Model7911)
	unknown := firmware.Current{Kind: firmware.CurrentUnknown}
	old := firmware.Current{Kind: firmware.CurrentOldLoader}
	running := func(l string) firmware.Current { return firmware.Current{Kind: firmware.CurrentLoad, Load: l} }
	const hint = "SIP11.9-4-2SR1-1S needs a stepping stone 8.3(3)-8.5(2) for phones older than 8.3(3): import cmterm-7911_7906-sccp.8-5-2.cop.sgn"
	tests := []struct {
		name    string
		model   firmware.Model
		current firmware.Current
		target  string
		loads   []firmware.Load
		policy  firmware.Policy
		want    []string
		err     string
		hint    bool
	}{
		{"unknown goes through the stone", firmware.Model7906, unknown, sip.Name, []firmware.Load{sip, sccp852}, firmware.PolicyStepping, []string{"SCCP11.8-5-2S", "SIP11.9-4-2SR1-1S"}, "", false},
		{"old loader", firmware.Model7911, old, sip.Name, []firmware.Load{sip, sccp852}, firmware.PolicyStepping, []string{"SCCP11.8-5-2S", "SIP11.9-4-2SR1-1S"}, "", false},
		{"newest stone in range", firmware.Model7906, unknown, sip.Name, []firmware.Load{sccp833, sip, sccp853, sccp852}, firmware.PolicyStepping, []string{"SCCP11.8-5-2S", "SIP11.9-4-2SR1-1S"}, "", false},
		{"8.3(3) is a stone", firmware.Model7906, unknown, sip.Name, []firmware.Load{sccp833, sip}, firmware.PolicyStepping, []string{"SCCP11.8-3-3SR2S", "SIP11.9-4-2SR1-1S"}, "", false},
		{"missing stone", firmware.Model7906, unknown, sip.Name, []firmware.Load{sip}, firmware.PolicyStepping, nil, hint, true},
		{"stone out of range only", firmware.Model7906, old, sip.Name, []firmware.Load{sip, sccp853, sip853}, firmware.PolicyStepping, nil, hint, true},
		{"stone lacks the model's term file", firmware.Model7906, unknown, sip.Name, []firmware.Load{sip, sccp852only11}, firmware.PolicyStepping, nil, hint, true},
		{"stone with the 7911 term file", firmware.Model7911, unknown, sip.Name, []firmware.Load{sip, sccp852only11}, firmware.PolicyStepping, []string{"SCCP11.8-5-2S", "SIP11.9-4-2SR1-1S"}, "", false},
		{"direct policy", firmware.Model7906, unknown, sip.Name, []firmware.Load{sip}, firmware.PolicyDirect, []string{"SIP11.9-4-2SR1-1S"}, "", false},
		{"already on target", firmware.Model7906, running("SIP11.9-4-2SR1-1S"), sip.Name, nil, firmware.PolicyStepping, nil, "", false},
		{"running the stone", firmware.Model7906, running("SCCP11.8-5-2S"), sip.Name, []firmware.Load{sip}, firmware.PolicyStepping, []string{"SIP11.9-4-2SR1-1S"}, "", false},
		{"running 8.3(3)", firmware.Model7906, running("SCCP11.8-3-3S"), sip.Name, []firmware.Load{sip}, firmware.PolicyStepping, []string{"SIP11.9-4-2SR1-1S"}, "", false},
		{"running older than 8.3(3)", firmware.Model7906, running("SCCP11.8-0-3S"), sip.Name, []firmware.Load{sip, sccp852}, firmware.PolicyStepping, []string{"SCCP11.8-5-2S", "SIP11.9-4-2SR1-1S"}, "", false},
		{"running 8.3(2) with no stone", firmware.Model7906, running("SCCP11.8-3-2S"), sip.Name, []firmware.Load{sip}, firmware.PolicyStepping, nil, hint, true},
		{"target in the range needs no stone", firmware.Model7906, unknown, sccp852.Name, []firmware.Load{sccp852}, firmware.PolicyStepping, []string{"SCCP11.8-5-2S"}, "", false},
		{"target not in store", firmware.Model7906, unknown, sip.Name, []firmware.Load{sccp852}, firmware.PolicyStepping, nil,
			"SIP11.9-4-2SR1-1S needs its own files in the firmware store: import cmterm-7911_7906-sip.9-4-2SR1-1.cop.sgn", true},
		{"target for the other model", firmware.Model7906, unknown, sip.Name, []firmware.Load{sip7911, sccp852}, firmware.PolicyStepping, nil,
			"plan: SIP11.9-4-2SR1-1S in the store is for 7911, not the 7906 (it has no term06.default.loads)", false},
		{"bad target", firmware.Model7906, unknown, "SIP11", nil, firmware.PolicyStepping, nil, `plan: target: load name "SIP11": no family number and dot after the protocol`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := firmware.Plan(tt.model, tt.current, tt.target, tt.loads, tt.policy)
			if tt.err != "" {
				if err == nil {
					t.Fatalf("Plan = %v, want error %q", got, tt.err)
				}
				if len(err.Error()) < len(tt.err) || err.Error()[:len(tt.err)] != tt.err {
					t.Errorf("error\n  %v\nwant\n  %s", err, tt.err)
				}
				var h *firmware.ImportHintError
				if errors.As(err, &h) != tt.hint {
					t.Errorf("error is an ImportHintError: %v, want %v", !tt.hint, tt.hint)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := diff(tt.want, got); d != "" {
				t.Errorf("Plan (-want +got):\n%s", d)
			}
		})
	}
}

func TestParseCurrentAndPolicy(t *testing.T) {
	for in, want := range map[string]firmware.Current{
		"":                        {Kind: firmware.CurrentUnknown},
		"unknown":                 {Kind: firmware.CurrentUnknown},
		"old":                     {Kind: firmware.CurrentOldLoader},
		"SCCP11.8-5-2S":           {Kind: firmware.CurrentLoad, Load: "SCCP11.8-5-2S"},
		"SIP11.9-4-2SR1-1S.loads": {Kind: firmware.CurrentLoad, Load: "SIP11.9-4-2SR1-1S"},
	} {
		got, err := firmware.ParseCurrent(in)
		if err != nil || got != want {
			t.Errorf("ParseCurrent(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := firmware.ParseCurrent("new"); err == nil {
		t.Error("ParseCurrent(new) succeeded")
	}
	for in, want := range map[string]firmware.Policy{"": firmware.PolicyStepping, "stepping": firmware.PolicyStepping, "direct": firmware.PolicyDirect} {
		if got, err := firmware.ParsePolicy(in); err != nil || got != want {
			t.Errorf("ParsePolicy(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := firmware.ParsePolicy("fast"); err == nil {
		t.Error("ParsePolicy(fast) succeeded")
	}
}
