package web

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/phoneflash/phoneflash/appliance/session"
)

func TestSummarize(t *testing.T) {
	at := func(st session.Stage, took time.Duration, result, reason string) session.Phone {
		return session.Phone{Stage: st, Started: t0, Since: t0.Add(took), Result: result, Reason: reason}
	}
	tests := []struct {
		name   string
		phones []session.Phone
		want   Summary
	}{
		{"empty", nil, Summary{Target: target, Text: "no phones yet"}},
		{"bench", []session.Phone{
			at(session.StageDone, 3*time.Minute, "done", ""),
			at(session.StageDone, 5*time.Minute, "done (not registered: PBX unreachable at 192.0.2.10:5060)", "not registered: ..."),
			at(session.StageDone, 4*time.Minute, "done (no account)", "no account"),
			at(session.StageRegistering, time.Minute, "", ""),
			at(session.StageLoading, time.Minute, "", ""),
			at(session.StageFailed, time.Minute, "failed", "192.0.2.10:5060 refused the password for 1006 (403 Wrong password)"),
			at(session.StageNeedsReset, time.Minute, "needs-reset", "hold #"),
			at(session.StageEmpty, time.Minute, "", ""),
		}, Summary{Phones: 8, Done: 3, Warnings: 2, Registering: 1, Working: 1, Person: 2, PerPhone: 240, Target: target,
			Text: "8 phones: 3 done (2 with a warning), 1 registering, 1 on their way, 2 needing a person; 4 min 0 s per phone"}},
		{"one done", []session.Phone{at(session.StageDone, 45*time.Second, "done", "")},
			Summary{Phones: 1, Done: 1, PerPhone: 45, Target: target, Text: "1 phone: 1 done; 45 s per phone"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Summarize(tt.phones, target)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestRegistrationMetrics: phones with their SIP config are counted by how
// their registration ended, every outcome present; /api/summary answers.
func TestRegistrationMetrics(t *testing.T) {
	reg := func(st session.Stage, rs session.RegState) session.Phone {
		return session.Phone{Stage: st, Registration: &session.RegistrationView{Registration: session.Registration{State: rs}}}
	}
	phones := newFakePhones(reg(session.StageDone, session.RegRegistered), reg(session.StageDone, session.RegRegistered),
		reg(session.StageFailed, session.RegRefused), reg(session.StageRegistering, session.RegWaiting), loading)
	ts, _ := newTestServer(t, Options{Phones: phones, Target: target})
	_, body, _ := do(t, newReq(t, "GET", ts.URL+"/metrics", nil))
	for _, want := range []string{
		`phoneflash_registrations{outcome="registered"} 2`,
		`phoneflash_registrations{outcome="refused"} 1`,
		`phoneflash_registrations{outcome="waiting"} 1`,
		`phoneflash_registrations{outcome="unreachable"} 0`,
		`phoneflash_phones{stage="registering"} 1`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("metrics lack %q", want)
		}
	}
	code, body, _ := do(t, newReq(t, "GET", ts.URL+"/api/summary", nil))
	if code != 200 || !strings.Contains(body, `"text": "5 phones: 2 done, 1 registering, 1 on their way, 1 needing a person; 0 s per phone"`) {
		t.Errorf("GET /api/summary: %d %s", code, body)
	}
}

// TestSummaryTargets: the target line names the phones' targets, one per
// family, else the bench's.
func TestSummaryTargets(t *testing.T) {
	ph := func(target string) session.Phone { return session.Phone{Stage: session.StageLoading, Target: target} }
	got := Summarize([]session.Phone{ph("SIP42.9-4-2SR3-1S"), ph(target), ph(target)}, "bench")
	if got.Target != target+", SIP42.9-4-2SR3-1S" {
		t.Errorf("target %q", got.Target)
	}
	if got := Summarize(nil, "SIP11.9-4-2SR1-1S, SIP45.9-4-2SR3-1S"); got.Target != "SIP11.9-4-2SR1-1S, SIP45.9-4-2SR3-1S" {
		t.Errorf("no phones: target %q", got.Target)
	}
}
