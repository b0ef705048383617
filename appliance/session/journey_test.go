package session

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// stepSIP finishes the journey from the stepping stone: config names the
// target, the phone installs it, reboots as SIP and gets its SIP config.
func (r *rig) stepSIP(vci string) {
	r.t.Helper()
	r.reboot(vci)
	r.reboot(vci) // a CNU change costs a second reboot
	a := r.sccpBoot()
	r.wantAnswer(a, AnswerBytes, "", "stepping "+testMAC+" "+r.s.Model.Name+" "+targetLoad)
	r.want(StageStepping)
	r.targetFromConfig(vci)
}

// targetFromConfig: the phone fetches the target named in its config,
// reboots as SIP and is done.
func (r *rig) targetFromConfig(vci string) {
	r.t.Helper()
	r.wantAnswer(r.req(targetLoad+".loads"), AnswerFile, targetLoad, "")
	r.fetchAll(targetLoad)
	r.reboot(vci)
	r.wantAnswer(r.sipBoot(), AnswerBytes, "", "sip "+testMAC+" "+targetLoad)
	r.want(StageDone)
}

func TestJourneyOldLoaderWithITL(t *testing.T) {
	r := newRig(t, testMachine(true, false, PolicyStepping))
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
	p := r.s.Phone()
	want := Phone{MAC: testMAC, Port: "eth1", IP: "10.79.1.100", Model: "CP-7906G", Stage: StageDone,
		Load: targetLoad, Target: targetLoad, Reason: "no account", Since: r.now, Result: "done (no account)"}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("phone (-want +got):\n%s", diff)
	}
	if r.cycles != 0 {
		t.Errorf("%d power cycles, want 0", r.cycles)
	}
	if r.s.From != "SCCP with a CUCM trust list" || r.s.Installs != 2 {
		t.Errorf("from %q installs %d, want the trust list and 2", r.s.From, r.s.Installs)
	}
}

func TestJourneySCCP852(t *testing.T) {
	r := newRig(t, testMachine(true, false, PolicyStepping))
	r.boot(vci11)
	a := r.sccpBoot()
	r.wantAnswer(a, AnswerBytes, "", "stepping "+testMAC+" CP-7911G "+targetLoad)
	r.want(StageConfig)
	r.targetFromConfig(vci11)
	if r.s.Installs != 1 || r.cycles != 0 {
		t.Fatalf("installs %d cycles %d, want 1 and 0", r.s.Installs, r.cycles)
	}
}

func TestJourneySIPAlready(t *testing.T) {
	r := newRig(t, testMachine(true, false, PolicyStepping))
	r.boot(vci06)
	r.wantAnswer(r.sipBoot(), AnswerBytes, "", "sip "+testMAC+" "+targetLoad)
	r.want(StageConfig)
	r.wait(19 * time.Second)
	r.want(StageConfig)
	r.wait(2 * time.Second)
	r.want(StageDone)
	if r.s.From != targetLoad || r.s.Installs != 0 || r.s.Phone().Load != targetLoad {
		t.Fatalf("from %q installs %d load %q", r.s.From, r.s.Installs, r.s.Phone().Load)
	}
	// Asking again later: still its SIP config, still done.
	r.reboot(vci06)
	r.wantAnswer(r.sipBoot(), AnswerBytes, "", "sip ")
	r.want(StageDone)
}

func TestJourneySIPOtherVersionUpgrades(t *testing.T) {
	r := newRig(t, testMachine(true, false, PolicyStepping))
	r.boot(vci06)
	r.sipBoot()
	r.wantAnswer(r.req(targetLoad+".loads"), AnswerFile, targetLoad, "")
	r.wait(30 * time.Second) // settle does not apply once it fetched .loads
	r.want(StageConfig)
	r.fetchAll(targetLoad)
	r.reboot(vci06)
	r.sipBoot()
	r.want(StageDone)
}

func TestJourneyDirectPolicy(t *testing.T) {
	r := newRig(t, testMachine(true, false, PolicyDirect))
	r.boot(vci11)
	r.wantAnswer(r.req("term11.default.loads"), AnswerFile, targetLoad, "")
	r.fetchAll(targetLoad)
	r.reboot(vci11)
	r.sipBoot()
	r.want(StageDone)
	if r.s.Installs != 1 {
		t.Fatalf("installs %d, want 1", r.s.Installs)
	}
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

func TestJourneyTermLoopSwitchesToSteppingStone(t *testing.T) {
	r := newRig(t, testMachine(true, false, PolicyDirect))
	r.boot(vci06)
	a := r.termLoop(2)
	r.wantAnswer(a, AnswerFile, targetLoad, "")
	a = r.req("term06.default.loads")
	r.wantAnswer(a, AnswerFile, stepLoad, "")
	r.wantReason("refused " + targetLoad)
	r.wantReason("switched to the stepping stone " + stepLoad)
	if !strings.Contains(strings.Join(r.history, "\n"), "stepping the phone's loader refused") {
		t.Errorf("history lacks the switch:\n%s", strings.Join(r.history, "\n"))
	}
	// The pair's second request gets the stepping stone too.
	r.now = r.now.Add(time.Second)
	r.wantAnswer(r.req("term06.default.loads"), AnswerFile, stepLoad, "")
	r.fetchAll(stepLoad)
	r.stepSIP(vci06)
	if r.s.From != "old loader (<8.3(3))" {
		t.Errorf("from %q", r.s.From)
	}
}

func TestJourneyMissingSteppingStone(t *testing.T) {
	r := newRig(t, testMachine(false, true, PolicyStepping))
	r.boot(vci06)
	// Without a stepping stone the target is tried directly...
	r.wantAnswer(r.termLoop(2), AnswerFile, targetLoad, "")
	// ...and the loop ends in failed, with the import hint verbatim.
	r.probe("term06.default.loads")
	r.want(StageFailed)
	r.wantReason(stepHint)
	r.wantReason("refused " + targetLoad)
	// It keeps asking; it stays failed and is not power-cycled.
	r.now = r.now.Add(time.Second)
	r.probe("term06.default.loads")
	r.wait(10 * time.Minute)
	r.do(DHCP{Kind: DHCPDiscover, MAC: testMAC, Port: "eth1", VendorClass: vci06})
	r.probe("term06.default.loads")
	r.want(StageFailed)
	if r.cycles != 0 || r.s.Phone().Result != "failed" {
		t.Fatalf("cycles %d result %q", r.cycles, r.s.Phone().Result)
	}
	// The operator imports the stepping stone: the next request resumes.
	r.m.Catalog = newCatalog(true)
	r.wantAnswer(r.req("term06.default.loads"), AnswerFile, stepLoad, "")
	r.want(StageConfig)
}

func TestJourneyConfigRefusedByOldLoader(t *testing.T) {
	// An SCCP phone older than 8.3(3) without a trust list: its config
	// names the target, it fetches the .loads and no image (design step 9).
	r := newRig(t, testMachine(true, true, PolicyStepping))
	r.boot(vci11)
	r.sccpBoot()
	r.req(targetLoad + ".loads")
	r.wait(6 * time.Minute)
	if r.cycles != 1 {
		t.Fatalf("%d power cycles, want 1", r.cycles)
	}
	r.wantReason("refused " + targetLoad)
	r.cut(vci11)
	r.wantAnswer(r.sccpBoot(), AnswerBytes, "", "stepping "+testMAC+" CP-7911G "+stepLoad)
	r.req(stepLoad + ".loads")
	r.fetchAll(stepLoad)
	r.stepSIP(vci11)
}

func TestJourneyRunsNamedLoadWhenAskingAgain(t *testing.T) {
	// Asking for its config again without fetching the named load means it
	// runs that load (design step 9).
	r := newRig(t, testMachine(true, false, PolicyStepping))
	r.boot(vci11)
	r.sccpBoot()
	r.reboot(vci11)
	r.sccpBoot()
	if r.s.Current != (Current{Kind: CurrentLoad, Load: targetLoad}) {
		t.Fatalf("current %+v", r.s.Current)
	}
	r.want(StageDone)
}

func TestPowerCutsDuringTermAreNoLoop(t *testing.T) {
	r := newRig(t, testMachine(true, false, PolicyDirect))
	r.boot(vci06)
	for i := 0; i < 4; i++ {
		r.wantAnswer(r.req("term06.default.loads"), AnswerFile, targetLoad, "")
		r.cut(vci06)
	}
	if r.s.Reason != "" || r.s.Current.Kind != CurrentUnknown {
		t.Fatalf("power cuts taken for a loop: %q %+v", r.s.Reason, r.s.Current)
	}
}

func TestLoaderRefusesSteppingStoneToo(t *testing.T) {
	r := newRig(t, testMachine(true, false, PolicyStepping))
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
