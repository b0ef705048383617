package firmware_test

import (
	"errors"
	"strings"
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
	l := firmware.Load{Name: ln.Name, Protocol: ln.Protocol, Version: ln.Version,
		Files: []firmware.FileInfo{{Name: ln.FileName()}}}
	for _, m := range models {
		l.Models = append(l.Models, m.Name)
		l.Files = append(l.Files, firmware.FileInfo{Name: m.TermFile()})
	}
	return l
}

func TestPlan(t *testing.T) {
	m7906, m7911 := model(t, "CP-7906G"), model(t, "CP-7911G")
	both := []firmware.Model{m7906, m7911}
	sip := mkLoad(t, "SIP11.9-4-2SR1-1S", both...)
	sccp852 := mkLoad(t, "SCCP11.8-5-2S", both...)
	sccp833 := mkLoad(t, "SCCP11.8-3-3SR2S", both...)
	sccp853 := mkLoad(t, "SCCP11.8-5-3S", both...)     // newer than the range
	sccp852only11 := mkLoad(t, "SCCP11.8-5-2S", m7911) // no term06
	sip853 := mkLoad(t, "SIP11.8-5-3S", both...)
	sip852 := mkLoad(t, "SIP11.8-5-2S", both...) // in the stepping range, but SIP: never a stepping stone
	sip7911 := mkLoad(t, "SIP11.9-4-2SR1-1S", m7911)
	unknown := firmware.Current{Kind: firmware.CurrentUnknown}
	old := firmware.Current{Kind: firmware.CurrentOldLoader}
	newLoader := firmware.Current{Kind: firmware.CurrentNewLoader}
	running := func(l string) firmware.Current { return firmware.Current{Kind: firmware.CurrentLoad, Load: l} }
	const hint = "SIP11.9-4-2SR1-1S needs a stepping stone 8.3(3)-8.5(2) for phones older than 8.3(3): import cmterm-7911_7906-sccp.8-5-2.cop.sgn"
	tests := []struct {
		name    string
		model   firmware.Model
		current firmware.Current
		target  string
		loads   []firmware.Load
		want    []string
		err     string
		hint    bool
	}{
		{"unknown goes through the stone", m7906, unknown, sip.Name, []firmware.Load{sip, sccp852}, []string{"SCCP11.8-5-2S", "SIP11.9-4-2SR1-1S"}, "", false},
		{"old loader", m7911, old, sip.Name, []firmware.Load{sip, sccp852}, []string{"SCCP11.8-5-2S", "SIP11.9-4-2SR1-1S"}, "", false},
		{"newest stone in range", m7906, unknown, sip.Name, []firmware.Load{sccp833, sip, sccp853, sccp852}, []string{"SCCP11.8-5-2S", "SIP11.9-4-2SR1-1S"}, "", false},
		{"8.3(3) is a stone", m7906, unknown, sip.Name, []firmware.Load{sccp833, sip}, []string{"SCCP11.8-3-3SR2S", "SIP11.9-4-2SR1-1S"}, "", false},
		{"missing stone", m7906, unknown, sip.Name, []firmware.Load{sip}, nil, hint, true},
		{"stone out of range only", m7906, old, sip.Name, []firmware.Load{sip, sccp853, sip853}, nil, hint, true},
		{"a SIP load in the range is no stone", m7906, unknown, sip.Name, []firmware.Load{sip, sip852}, nil, hint, true},
		{"a SIP load in the range is no stone for an old loader", m7911, old, sip.Name, []firmware.Load{sip852, sip}, nil, "SIP11.9-4-2SR1-1S needs a stepping stone", true},
		{"the SCCP stone, not a newer SIP load in the range", m7906, unknown, sip.Name, []firmware.Load{sccp833, sip852, sip}, []string{"SCCP11.8-3-3SR2S", "SIP11.9-4-2SR1-1S"}, "", false},
		{"stone lacks the model's term file", m7906, unknown, sip.Name, []firmware.Load{sip, sccp852only11}, nil, hint, true},
		{"stone with the 7911 term file", m7911, unknown, sip.Name, []firmware.Load{sip, sccp852only11}, []string{"SCCP11.8-5-2S", "SIP11.9-4-2SR1-1S"}, "", false},
		{"new loader", m7906, newLoader, sip.Name, []firmware.Load{sip}, []string{"SIP11.9-4-2SR1-1S"}, "", false},
		{"direct policy", m7906, firmware.PolicyDirect.Assume(unknown), sip.Name, []firmware.Load{sip}, []string{"SIP11.9-4-2SR1-1S"}, "", false},
		{"direct policy keeps an old loader", m7906, firmware.PolicyDirect.Assume(old), sip.Name, []firmware.Load{sip, sccp852}, []string{"SCCP11.8-5-2S", "SIP11.9-4-2SR1-1S"}, "", false},
		{"already on target", m7906, running("SIP11.9-4-2SR1-1S"), sip.Name, nil, nil, "", false},
		{"running the stone", m7906, running("SCCP11.8-5-2S"), sip.Name, []firmware.Load{sip}, []string{"SIP11.9-4-2SR1-1S"}, "", false},
		{"running 8.3(3)", m7906, running("SCCP11.8-3-3S"), sip.Name, []firmware.Load{sip}, []string{"SIP11.9-4-2SR1-1S"}, "", false},
		{"running older than 8.3(3)", m7906, running("SCCP11.8-0-3S"), sip.Name, []firmware.Load{sip, sccp852}, []string{"SCCP11.8-5-2S", "SIP11.9-4-2SR1-1S"}, "", false},
		{"running 8.3(2) with no stone", m7906, running("SCCP11.8-3-2S"), sip.Name, []firmware.Load{sip}, nil, hint, true},
		{"target in the range needs no stone", m7906, unknown, sccp852.Name, []firmware.Load{sccp852}, []string{"SCCP11.8-5-2S"}, "", false},
		{"target not in store", m7906, unknown, sip.Name, []firmware.Load{sccp852}, nil,
			"SIP11.9-4-2SR1-1S needs its own files in the firmware store: import cmterm-7911_7906-sip.9-4-2SR1-1.cop.sgn", true},
		{"target for the other model", m7906, unknown, sip.Name, []firmware.Load{sip7911, sccp852}, nil,
			"plan: SIP11.9-4-2SR1-1S in the store is for CP-7911G, not the CP-7906G (it has no term06.default.loads)", false},
		{"bad target", m7906, unknown, "SIP11", nil, nil, `plan: target: load name "SIP11": no family number and dot after the protocol`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := firmware.Plan(tt.model, tt.current, tt.target, tt.loads)
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
		"old-loader":              {Kind: firmware.CurrentOldLoader},
		"new":                     {Kind: firmware.CurrentNewLoader},
		"SCCP11.8-5-2S":           {Kind: firmware.CurrentLoad, Load: "SCCP11.8-5-2S"},
		"SIP11.9-4-2SR1-1S.loads": {Kind: firmware.CurrentLoad, Load: "SIP11.9-4-2SR1-1S"},
	} {
		got, err := firmware.ParseCurrent(in)
		if err != nil || got != want {
			t.Errorf("ParseCurrent(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := firmware.ParseCurrent("newest"); err == nil {
		t.Error("ParseCurrent(newest) succeeded")
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

// TestPlanPerFamily: every model's stepping stone is its own family's SCCP
// 8.5(2), never another family's (the store holds all of them), and a
// store without it names the family's package.
func TestPlanPerFamily(t *testing.T) {
	var loads []firmware.Load
	for _, fam := range firmware.BuiltinModels().Families() {
		rows := firmware.BuiltinModels().Family(fam)
		loads = append(loads, mkLoad(t, "SCCP"+fam+".8-5-2S", rows...), mkLoad(t, "SIP"+fam+".9-4-2SR3-1S", rows...))
	}
	cops := map[string]string{"11": "7911_7906", "41": "7941_7961", "42": "7942_7962", "45": "7945_7965", "70": "7970_7971", "75": "7975"}
	unknown := firmware.Current{Kind: firmware.CurrentUnknown}
	for _, m := range firmware.BuiltinModels() {
		t.Run(string(m.Name), func(t *testing.T) {
			target := "SIP" + m.Family + ".9-4-2SR3-1S"
			got, err := firmware.Plan(m, unknown, target, loads)
			if d := diff([]string{"SCCP" + m.Family + ".8-5-2S", target}, got); err != nil || d != "" {
				t.Errorf("plan %v (-want +got):\n%s", err, d)
			}
			var rest []firmware.Load // every other family's stone, not this one's
			for _, l := range loads {
				if l.Name != "SCCP"+m.Family+".8-5-2S" {
					rest = append(rest, l)
				}
			}
			_, err = firmware.Plan(m, unknown, target, rest)
			want := target + " needs a stepping stone 8.3(3)-8.5(2) for phones older than 8.3(3): import cmterm-" + cops[m.Family] + "-sccp.8-5-2.cop.sgn"
			var h *firmware.ImportHintError
			if err == nil || err.Error() != want || !errors.As(err, &h) {
				t.Errorf("without its stone: %v, want %q", err, want)
			}
			_, err = firmware.Plan(m, unknown, "SIP"+m.Family+".9-4-2SR2-1S", loads)
			if want := "needs its own files in the firmware store: import cmterm-" + cops[m.Family] + "-sip.9-4-2SR2-1.cop.sgn"; err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("target not in the store: %v, want %q", err, want)
			}
		})
	}
	m7942 := model(t, "CP-7942G")
	if _, err := firmware.Plan(m7942, unknown, "SIP11.9-4-2SR3-1S", loads); err == nil || !strings.Contains(err.Error(), "SIP11.9-4-2SR3-1S is a load of family 11; the CP-7942G runs family 42 loads") {
		t.Errorf("a 7911 target for a 7942: %v", err)
	}
}

// TestPlanPath: a row's path makes a plan of several hops, each the newest
// SCCP load of the family in it, skipping what the phone has reached.
func TestPlanPath(t *testing.T) {
	m := model(t, "CP-7941G")
	m.Path = []string{"8.5(2)", "8.5(2)SR1", "8.5(3)"}
	stone, sr1, s853 := mkLoad(t, "SCCP41.8-5-2S", m), mkLoad(t, "SCCP41.8-5-2SR1S", m), mkLoad(t, "SCCP41.8-5-3S", m)
	s853b := mkLoad(t, "SCCP41.8-5-3SR1S", m) // not 8.5(3) itself: the hop is one release
	other := mkLoad(t, "SCCP11.8-5-2SR1S", model(t, "CP-7911G"))
	sip := mkLoad(t, "SIP41.9-4-2SR3-1S", m)
	all := []firmware.Load{sip, s853b, s853, sr1, stone, other}
	run := func(l string) firmware.Current { return firmware.Current{Kind: firmware.CurrentLoad, Load: l} }
	tests := []struct {
		name    string
		current firmware.Current
		loads   []firmware.Load
		want    []string
		err     string
	}{
		{"unknown: every hop", firmware.Current{Kind: firmware.CurrentUnknown}, all, []string{stone.Name, sr1.Name, s853.Name, sip.Name}, ""},
		{"old loader", firmware.Current{Kind: firmware.CurrentOldLoader}, all, []string{stone.Name, sr1.Name, s853.Name, sip.Name}, ""},
		{"on the first hop", run(stone.Name), all, []string{sr1.Name, s853.Name, sip.Name}, ""},
		{"on the second", run(sr1.Name), all, []string{s853.Name, sip.Name}, ""},
		{"past the path", run(s853.Name), all, []string{sip.Name}, ""},
		{"new loader", firmware.Current{Kind: firmware.CurrentNewLoader}, all, []string{sip.Name}, ""},
		{"a hop missing", run(stone.Name), []firmware.Load{sip, stone, s853, other}, nil,
			"SIP41.9-4-2SR3-1S needs SCCP 8.5(2)SR1 of family 41, on the path of the CP-7941G's row (8.5(2), 8.5(2)SR1, 8.5(3)): import cmterm-7941_7961-sccp.8-5-2SR1.cop.sgn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := firmware.Plan(m, tt.current, sip.Name, tt.loads)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Errorf("Plan = %v, %v; want %q", got, err, tt.err)
				}
				return
			}
			if d := diff(tt.want, got); err != nil || d != "" {
				t.Errorf("Plan %v (-want +got):\n%s", err, d)
			}
		})
	}
	// A range takes the newest in it; a target inside a hop skips it.
	m.Path = []string{"8.3(3)-8.5(2)", "8.5(3)"}
	got, err := firmware.Plan(m, firmware.Current{Kind: firmware.CurrentUnknown}, sip.Name, all)
	if d := diff([]string{sr1.Name, s853.Name, sip.Name}, got); err != nil || d != "" {
		t.Errorf("range path %v (-want +got):\n%s", err, d)
	}
	got, err = firmware.Plan(m, firmware.Current{Kind: firmware.CurrentUnknown}, s853.Name, all)
	if d := diff([]string{sr1.Name, s853.Name}, got); err != nil || d != "" {
		t.Errorf("target on the path %v (-want +got):\n%s", err, d)
	}
	m.Path = []string{}
	got, err = firmware.Plan(m, firmware.Current{Kind: firmware.CurrentUnknown}, sip.Name, all)
	if d := diff([]string{sip.Name}, got); err != nil || d != "" {
		t.Errorf("an empty path %v (-want +got):\n%s", err, d)
	}
}

func TestParseHop(t *testing.T) {
	for in, want := range map[string]string{"8.3(3)-8.5(2)": "8.3(3)-8.5(2)", " 8.5(2)SR1 ": "8.5(2)SR1", "8.5(2)-8.5(2)": "8.5(2)"} {
		h, err := firmware.ParseHop(in)
		if err != nil || h.String() != want {
			t.Errorf("ParseHop(%q) = %v, %v; want %s", in, h, err, want)
		}
	}
	for _, bad := range []string{"", "8.5", "8-5-2", "8.5(3)-8.5(2)", "8.3(3)-", "SCCP41.8-5-2S"} {
		if _, err := firmware.ParseHop(bad); err == nil {
			t.Errorf("ParseHop(%q) succeeded", bad)
		}
	}
}
