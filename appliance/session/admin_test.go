package session

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/phoneflash/phoneflash/firmware"
)

// TestRetryAndForget: a phone that needs a reset is retried by the
// operator and goes on; a forgotten phone leaves the sessions, keeps its
// history and is not resumed after a restart.
func TestRetryAndForget(t *testing.T) {
	b := newBench(t, "extension,pbx_host\n1001,192.0.2.10\n", false)
	p := &simPhone{b: b, mac: "001122000001", port: "eth1", vci: vci06}
	p.boot()
	p.req("CTLSEP" + p.mac + ".tlv")
	p.expect(p.req("SEP"+p.mac+".cnf.xml.sgn"), AnswerNotFound, "", "")
	if s, _ := b.m.State(p.mac); s.Stage != StageNeedsReset {
		t.Fatalf("stage %s, want needs-reset", s.Stage)
	}
	updates, stop := b.m.Subscribe()
	defer stop()
	if err := b.m.Retry("00:11:22:00:00:01"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-updates:
	case <-time.After(time.Second):
		t.Error("no update after a retry")
	}
	s, _ := b.m.State(p.mac)
	if s.Stage != StagePowered || s.Reason != "" || s.Model != "CP-7906G" {
		t.Fatalf("after retry: stage %s reason %q model %q, want powered, no reason, model kept", s.Stage, s.Reason, s.Model)
	}
	if err := b.m.Retry(p.mac); err == nil || !strings.Contains(err.Error(), "nothing to retry") {
		t.Errorf("second retry: %v, want nothing to retry", err)
	}
	p.boot() // the operator keyed the factory reset
	p.expect(p.req("term06.default.loads"), AnswerFile, stepLoad, "")
	if s, _ := b.m.State(p.mac); s.Stage != StageConfig {
		t.Fatalf("stage %s after retry and config, want config", s.Stage)
	}

	if err := b.m.Forget(p.mac); err != nil {
		t.Fatal(err)
	}
	if _, ok := b.m.State(p.mac); ok || len(b.m.Snapshot()) != 0 {
		t.Fatalf("forgotten phone still there: %+v", b.m.Snapshot())
	}
	for _, err := range []error{b.m.Forget(p.mac), b.m.Retry(p.mac)} {
		if err == nil || !strings.Contains(err.Error(), "no such phone") {
			t.Errorf("on a forgotten phone: %v, want no such phone", err)
		}
	}
	hs := b.histories()
	var kinds []string
	for _, r := range hs[0].Records {
		kinds = append(kinds, r.Kind)
	}
	if got := strings.Join(kinds, " "); !strings.Contains(got, "retry") || !strings.HasSuffix(got, ForgetKind) {
		t.Errorf("history kinds %q, want a retry and a forget at the end", got)
	}
	b.start(false)
	if n := len(b.m.Snapshot()); n != 0 {
		t.Errorf("%d phones resumed after a restart, want the forgotten one left out", n)
	}
}

func TestMachineRetry(t *testing.T) {
	m := testMachine(true, true, firmware.PolicyStepping)
	for _, st := range Stages {
		t.Run(string(st), func(t *testing.T) {
			s := NewState(testMAC, targetLoad, t0)
			s.Stage, s.Reason, s.Model, s.Plan = st, "why", "CP-7906G", []string{stepLoad, targetLoad}
			s.File, s.FileIndex, s.FileCount, s.Cycled, s.AutoCycles, s.Fatal = "x.sbn", 2, 5, true, 3, true
			s.Current = firmware.Current{Kind: firmware.CurrentLoad, Load: stepLoad}
			next, acts, err := m.Retry(s, t0.Add(time.Minute))
			if st != StageFailed && st != StageNeedsReset {
				if err == nil || len(acts) != 0 {
					t.Errorf("retry at %s: %v, %d actions; want an error and nothing done", st, err, len(acts))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := s
			want.Stage, want.Since, want.Active, want.Reason = StagePowered, t0.Add(time.Minute), t0.Add(time.Minute), ""
			want.File, want.FileIndex, want.FileCount, want.Cycled, want.AutoCycles, want.Fatal = "", 0, 0, false, 0, false
			if diff := cmp.Diff(want, next); diff != "" {
				t.Errorf("state after retry (-want +got):\n%s", diff)
			}
			var kinds []string
			for _, a := range acts {
				if j, ok := a.(Journal); ok {
					kinds = append(kinds, j.Kind)
				}
			}
			if diff := cmp.Diff([]string{"stage", "retry"}, kinds); diff != "" {
				t.Errorf("journal kinds (-want +got):\n%s", diff)
			}
		})
	}
}
