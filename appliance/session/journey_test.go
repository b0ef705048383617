package session

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/phoneflash/phoneflash/firmware"
)

// stepSIP finishes the journey from the stepping stone: config names the
// target, the phone installs it, reboots as SIP and gets its SIP config.
func (r *rig) stepSIP(vci string) {
	r.t.Helper()
	r.reboot(vci)
	r.reboot(vci) // a CNU change costs a second reboot
	a := r.sccpBoot()
	r.wantAnswer(a, AnswerBytes, "", "stepping "+testMAC+" "+string(r.s.Model)+" "+targetLoad)
	r.want(StageStepping)
	r.targetFromConfig(vci)
}

// targetFromConfig: the phone fetches the target named in its config,
// reboots as SIP and is done.
func (r *rig) targetFromConfig(vci string) {
	r.t.Helper()
	r.targetFromConfigTo(vci)
	r.want(StageDone)
}

// targetFromConfigTo is targetFromConfig without wanting done: it ends at
// the SIP config.
func (r *rig) targetFromConfigTo(vci string) {
	r.t.Helper()
	r.wantAnswer(r.req(targetLoad+".loads"), AnswerFile, targetLoad, "")
	r.fetchAll(targetLoad)
	r.reboot(vci)
	r.wantAnswer(r.sipBoot(), AnswerBytes, "", "sip "+testMAC+" "+targetLoad)
}

// termLoop is the seed's symptom: the term file in pairs about 1 s apart,
// every two minutes, no image.
func (r *rig) termLoop(times int) Answer {
	r.t.Helper()
	var a Answer
	for i := 0; i < times; i++ {
		a = r.req("term06.default.loads")
		r.now = r.now.Add(time.Second)
		a2 := r.req("term06.default.loads")
		if a2.Load != a.Load && i < times-1 {
			r.t.Fatalf("pair answered %s then %s", a.Load, a2.Load)
		}
		a = a2
		r.wait(2 * time.Minute)
	}
	return a
}

// outcome is where a journey ends.
type outcome struct {
	stage    Stage
	load     string // what it runs, "" when unknown
	from     string
	result   string
	reasons  []string // substrings of the status line
	installs int
	cycles   int
}

// TestJourneys drives Step through whole journeys, one phone each, and
// checks where each ends; the scripts check the way there.
func TestJourneys(t *testing.T) {
	tests := []struct {
		name     string
		withStep bool
		power    bool
		policy   firmware.Policy
		script   func(r *rig)
		want     outcome
	}{
		{"old loader with a CUCM trust list, one reset", true, false, firmware.PolicyStepping, oldLoaderWithITL,
			outcome{StageDone, targetLoad, "SCCP with a CUCM trust list", "done (no account)", []string{"no account"}, 2, 0}},
		{"SCCP 8.5(2) upgrades through its config", true, false, firmware.PolicyStepping, sccp852,
			outcome{StageDone, targetLoad, "SCCP (load unknown)", "done (no account)", nil, 1, 0}},
		{"already on SIP", true, false, firmware.PolicyStepping, sipAlready,
			outcome{StageDone, targetLoad, targetLoad, "done (no account)", nil, 0, 0}},
		{"other SIP version upgrades", true, false, firmware.PolicyStepping, sipOtherVersion,
			outcome{StageDone, targetLoad, "SIP (load unknown)", "done (no account)", nil, 1, 0}},
		{"direct policy", true, false, firmware.PolicyDirect, direct,
			outcome{StageDone, targetLoad, "unknown (factory reset)", "done (no account)", nil, 1, 0}},
		{"term loop switches to the stepping stone", true, false, firmware.PolicyDirect, termLoopToStep,
			outcome{StageDone, targetLoad, "old loader (<8.3(3))", "done (no account)", nil, 2, 0}},
		{"missing stepping stone fails with the import hint", false, true, firmware.PolicyStepping, missingStep,
			outcome{StageFailed, "", "old loader (<8.3(3))", "failed", []string{stepHint, "refused " + targetLoad}, 0, 0}},
		{"old loader refuses the target named in its config", true, true, firmware.PolicyStepping, configRefused,
			outcome{StageDone, targetLoad, "old loader (<8.3(3))", "done (no account)", nil, 2, 1}},
		{"a .loads transfer that breaks off is no refusal", true, false, firmware.PolicyStepping, loadsCutOff,
			outcome{StageDone, targetLoad, "SCCP (load unknown)", "done (no account)", nil, 1, 0}},
		{"asking again without fetching means it runs the load", true, false, firmware.PolicyStepping, asksAgain,
			outcome{StageDone, targetLoad, targetLoad, "done (no account)", nil, 0, 0}},
		{"power cuts while it reads the term file are no loop", true, false, firmware.PolicyDirect, cutsDuringTerm,
			outcome{StageConfig, "", "unknown (factory reset)", "", nil, 0, 0}},
		{"loader refuses the stepping stone too", true, false, firmware.PolicyStepping, refusesStepToo,
			outcome{StageConfig, "", "old loader (<8.3(3))", "", nil, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, testMachine(tt.withStep, tt.power, tt.policy))
			tt.script(r)
			p := r.s.Phone()
			got := outcome{p.Stage, p.Load, r.s.From, p.Result, nil, r.s.Installs, r.cycles}
			want := tt.want
			want.reasons = nil
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(outcome{})); diff != "" {
				t.Errorf("outcome (-want +got):\n%s\nhistory:\n%s", diff, strings.Join(r.history, "\n"))
			}
			for _, sub := range tt.want.reasons {
				r.wantReason(sub)
			}
		})
	}
}

func oldLoaderWithITL(r *rig) {
	t := r.t
	r.boot(vci06)
	r.want(StageDHCP)
	r.probe("CTLSEP" + testMAC + ".tlv")
	r.probe("ITLSEP" + testMAC + ".tlv")
	r.probe("SEP" + testMAC + ".cnf.xml.sgn")
	r.want(StageNeedsReset)
	r.wantReason("3491672850*#")
	r.wantReason("hold #")
	// The operator keys the reset: power off, on, the formatted phone asks
	// for its term file.
	r.cut(vci06)
	r.want(StageNeedsReset)
	a := r.req("term06.default.loads")
	r.wantAnswer(a, AnswerFile, stepLoad, "")
	if a.File != "term06.default.loads" {
		t.Fatalf("served %s, want the load's own term06.default.loads", a.File)
	}
	r.want(StageConfig)
	if r.s.Reason != "" {
		t.Fatalf("reason %q survives the reset", r.s.Reason)
	}
	r.fetch(stepLoad, 0, 3, 0)
	r.want(StageLoading)
	if got, want := [4]int64{int64(r.s.FileIndex), int64(r.s.FileCount), r.s.Bytes, r.s.Total}, [4]int64{3, 5, 6000, 15000}; got != want {
		t.Fatalf("k, n, bytes, total = %v, want %v", got, want)
	}
	r.fetch(stepLoad, 3, 5, 0)
	r.want(StageApplying)
	r.stepSIP(vci06)
	want := Phone{MAC: testMAC, Port: "eth1", IP: "10.79.1.100", Model: "CP-7906G", Stage: StageDone,
		Load: targetLoad, Target: targetLoad, Reason: "no account", Since: r.now, Started: t0, Result: "done (no account)"}
	if diff := cmp.Diff(want, r.s.Phone()); diff != "" {
		t.Errorf("phone (-want +got):\n%s", diff)
	}
}

func sccp852(r *rig) {
	r.boot(vci11)
	r.wantAnswer(r.sccpBoot(), AnswerBytes, "", "stepping "+testMAC+" CP-7911G "+targetLoad)
	r.want(StageConfig)
	r.targetFromConfig(vci11)
}

func sipAlready(r *rig) {
	r.boot(vci06)
	r.wantAnswer(r.sipBoot(), AnswerBytes, "", "sip "+testMAC+" "+targetLoad)
	r.want(StageConfig)
	r.wait(19 * time.Second)
	r.want(StageConfig)
	r.wait(2 * time.Second)
	r.want(StageDone)
	// Asking again later: still its SIP config, still done.
	r.reboot(vci06)
	r.wantAnswer(r.sipBoot(), AnswerBytes, "", "sip ")
	r.want(StageDone)
}

func sipOtherVersion(r *rig) {
	r.boot(vci06)
	r.sipBoot()
	r.wantAnswer(r.req(targetLoad+".loads"), AnswerFile, targetLoad, "")
	r.wait(30 * time.Second) // settling does not apply once it fetched .loads
	r.want(StageConfig)
	r.fetchAll(targetLoad)
	r.reboot(vci06)
	r.sipBoot()
}

func direct(r *rig) {
	r.boot(vci11)
	r.wantAnswer(r.req("term11.default.loads"), AnswerFile, targetLoad, "")
	r.fetchAll(targetLoad)
	r.reboot(vci11)
	r.sipBoot()
}

func termLoopToStep(r *rig) {
	r.boot(vci06)
	r.wantAnswer(r.termLoop(2), AnswerFile, targetLoad, "")
	r.wantAnswer(r.req("term06.default.loads"), AnswerFile, stepLoad, "")
	r.wantReason("refused " + targetLoad)
	r.wantReason("switched to the stepping stone " + stepLoad)
	if !strings.Contains(strings.Join(r.history, "\n"), "stepping the phone's loader refused") {
		r.t.Errorf("history lacks the switch:\n%s", strings.Join(r.history, "\n"))
	}
	// The pair's second request gets the stepping stone too.
	r.now = r.now.Add(time.Second)
	r.wantAnswer(r.req("term06.default.loads"), AnswerFile, stepLoad, "")
	r.fetchAll(stepLoad)
	r.stepSIP(vci06)
}

func missingStep(r *rig) {
	r.boot(vci06)
	// Without a stepping stone the target is tried directly...
	r.wantAnswer(r.termLoop(2), AnswerFile, targetLoad, "")
	// ...and the loop ends in failed, with the import hint verbatim.
	r.probe("term06.default.loads")
	r.want(StageFailed)
	// It keeps asking; it stays failed and is not power-cycled.
	r.now = r.now.Add(time.Second)
	r.probe("term06.default.loads")
	r.wait(10 * time.Minute)
	r.do(DHCP{Kind: DHCPDiscover, MAC: testMAC, Port: "eth1", VendorClass: vci06})
	r.probe("term06.default.loads")
	r.want(StageFailed)
	// Once the operator imports the stepping stone the next request resumes.
	m := r.m
	m.Catalog = newCatalog(true)
	resumed := &rig{t: r.t, m: m, s: r.s, now: r.now}
	resumed.wantAnswer(resumed.req("term06.default.loads"), AnswerFile, stepLoad, "")
	resumed.want(StageConfig)
}

func configRefused(r *rig) {
	// An SCCP phone older than 8.3(3) without a trust list: its config
	// names the target, it fetches the .loads and no image (design step 9).
	r.targetLoads(vci11)
	r.wait(6 * time.Minute)
	r.wantReason("refused " + targetLoad)
	r.cut(vci11)
	r.wantAnswer(r.sccpBoot(), AnswerBytes, "", "stepping "+testMAC+" CP-7911G "+stepLoad)
	r.req(stepLoad + ".loads")
	r.fetchAll(stepLoad)
	r.stepSIP(vci11)
}

// loadsCutOff: the phone's .loads transfer breaks off (a power cut, the
// appliance restarting, too many lost packets); asking for its config again
// it is named the same load, not the stepping stone (found by the fault
// tests of issue 11: the phone sat on SCCP 8.5(2) with no way forward).
func loadsCutOff(r *rig) {
	r.boot(vci11)
	r.wantAnswer(r.sccpBoot(), AnswerBytes, "", "stepping "+testMAC+" CP-7911G "+targetLoad)
	r.wantAnswer(r.reqCut(targetLoad+".loads"), AnswerFile, targetLoad, "")
	r.do(TFTPFailed{MAC: testMAC, File: targetLoad + ".loads", Err: "timeout"})
	r.cut(vci11)
	r.wantAnswer(r.sccpBoot(), AnswerBytes, "", "stepping "+testMAC+" CP-7911G "+targetLoad)
	if r.s.Refused != "" {
		r.t.Errorf("refused = %q after a broken-off transfer", r.s.Refused)
	}
	r.targetFromConfig(vci11)
}

func asksAgain(r *rig) {
	r.boot(vci11)
	r.sccpBoot()
	r.reboot(vci11)
	r.sccpBoot()
}

func cutsDuringTerm(r *rig) {
	r.boot(vci06)
	for i := 0; i < 4; i++ {
		r.wantAnswer(r.req("term06.default.loads"), AnswerFile, targetLoad, "")
		r.cut(vci06)
	}
	r.wantAnswer(r.req("term06.default.loads"), AnswerFile, targetLoad, "")
	if r.s.Reason != "" {
		r.t.Fatalf("power cuts taken for a loop: %q", r.s.Reason)
	}
}

func refusesStepToo(r *rig) {
	r.boot(vci06)
	r.wantAnswer(r.termLoop(2), AnswerFile, stepLoad, "")
	r.probe("term06.default.loads")
	r.want(StageFailed)
	r.wantReason("the phone's loader refused " + stepLoad)
	r.wantReason("needs a stepping stone 8.3(3)-8.5(2) that this model accepts")
	r.now = r.now.Add(time.Minute)
	r.probe("term06.default.loads")
	r.want(StageFailed)
	// Power-cycled by a person, it gets another chance.
	r.cut(vci06)
	r.wantAnswer(r.req("term06.default.loads"), AnswerFile, stepLoad, "")
	r.want(StageConfig)
}
