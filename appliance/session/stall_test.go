package session

import (
	"strings"
	"testing"
	"time"

	"github.com/phoneflash/phoneflash/firmware"
)

func TestStallProbesOnly(t *testing.T) {
	for _, tt := range []struct {
		name   string
		power  bool
		cycles int
	}{
		{"with power control", true, 1},
		{"without power control", false, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, testMachine(true, tt.power, firmware.PolicyStepping))
			r.boot(vci11)
			r.probe("CTLSEP" + testMAC + ".tlv")
			r.probe("ITLSEP" + testMAC + ".tlv")
			r.wait(time.Minute)
			r.want(StageDHCP)
			r.wait(time.Minute + time.Second)
			if tt.power {
				r.want(StageDHCP)
				r.wantReason("power-cycled it automatically")
				r.cut(vci11)
				r.probe("CTLSEP" + testMAC + ".tlv")
				r.wait(2*time.Minute + time.Second)
			}
			r.want(StageNeedsReset)
			r.wantReason("3491672850*#")
			r.wantReason("asked for no term file or usable config")
			if tt.power {
				r.wantReason("also after an automatic power cycle")
			}
			if r.cycles != tt.cycles {
				t.Fatalf("%d power cycles, want %d", r.cycles, tt.cycles)
			}
			// No more cycles while it waits for a person.
			r.wait(10 * time.Minute)
			if r.cycles != tt.cycles {
				t.Fatalf("%d power cycles after waiting, want %d", r.cycles, tt.cycles)
			}
		})
	}
}

func TestStallLoading(t *testing.T) {
	r := newRig(t, testMachine(true, true, firmware.PolicyStepping))
	r.boot(vci06)
	r.req("term06.default.loads")
	r.fetch(stepLoad, 0, 2, 500)
	r.wait(59 * time.Second)
	if r.cycles != 0 {
		t.Fatal("power cycle before the loading timeout")
	}
	r.wait(2 * time.Second)
	if r.cycles != 1 {
		t.Fatalf("%d power cycles, want 1", r.cycles)
	}
	r.wantReason("transfer of cnu11.8-5-2TH1-9.sbn (file 2 of 5) stopped at 2000 of 15000 bytes")
	// The cycle did not help: the phone never comes back.
	r.do(Power{Port: "eth1", On: false})
	r.do(Power{Port: "eth1", On: true})
	r.want(StagePowered)
	r.do(DHCP{Kind: DHCPDiscover, MAC: testMAC, Port: "eth1"})
	r.wait(3 * time.Minute)
	r.want(StageNeedsReset)
	if r.cycles != 1 {
		t.Fatalf("%d power cycles, want 1", r.cycles)
	}
}

func TestStallApplyingWithoutPower(t *testing.T) {
	r := newRig(t, testMachine(true, false, firmware.PolicyStepping))
	r.boot(vci06)
	r.req("term06.default.loads")
	r.fetchAll(stepLoad)
	r.wait(9 * time.Minute)
	r.want(StageApplying)
	r.wait(time.Minute + time.Second)
	r.want(StageNeedsReset)
	r.wantReason("did not come back within 10m0s after receiving " + stepLoad)
	// Replugged by hand, it boots the stepping stone and carries on.
	r.cut(vci06)
	r.want(StageNeedsReset)
	r.wantAnswer(r.sccpBoot(), AnswerBytes, "", "stepping "+testMAC+" CP-7906G "+targetLoad)
	r.want(StageStepping)
	if r.s.Reason != "" {
		t.Fatalf("reason %q survives", r.s.Reason)
	}
}

func TestStallConfigNamesLoadNothingFetched(t *testing.T) {
	// Without power control a phone that does not ask again is shown as
	// needing a power cycle by hand (design step 9).
	r := newRig(t, testMachine(true, false, firmware.PolicyStepping))
	r.boot(vci11)
	r.sccpBoot()
	r.wait(6*time.Minute + time.Second)
	r.want(StageNeedsReset)
	r.wantReason("its config names " + targetLoad + " but it fetched nothing")
	r.wantReason("unplug and replug it so it asks for its config again")
}

func TestPowerCutDuringImage(t *testing.T) {
	t.Run("stepping stone from the term file", func(t *testing.T) {
		r := newRig(t, testMachine(true, false, firmware.PolicyStepping))
		r.boot(vci06)
		r.req("term06.default.loads")
		r.fetch(stepLoad, 0, 3, 700)
		r.cut(vci06)
		if !strings.Contains(strings.Join(r.history, "\n"), "interrupted power down during apps11.8-5-2TH1-9.sbn at 4500 of 15000 bytes") {
			t.Fatalf("history lacks the cut:\n%s", strings.Join(r.history, "\n"))
		}
		// The same request sequence again: not a loop, same load.
		for i := 0; i < 4; i++ {
			r.wantAnswer(r.req("term06.default.loads"), AnswerFile, stepLoad, "")
			r.fetch(stepLoad, 0, 1, 0)
			r.cut(vci06)
		}
		r.wantAnswer(r.req("term06.default.loads"), AnswerFile, stepLoad, "")
		r.fetchAll(stepLoad)
		r.stepSIP(vci06)
	})
	t.Run("target from the config", func(t *testing.T) {
		r := newRig(t, testMachine(true, false, firmware.PolicyStepping))
		r.targetLoads(vci11)
		r.fetch(targetLoad, 0, 4, 100)
		r.cut(vci11)
		r.wantAnswer(r.sccpBoot(), AnswerBytes, "", "stepping "+testMAC+" CP-7911G "+targetLoad)
		r.targetFromConfig(vci11)
	})
	t.Run("twice: during the flash write, then while fetching again", func(t *testing.T) {
		r := newRig(t, testMachine(true, false, firmware.PolicyStepping))
		r.targetLoads(vci11)
		r.fetchAll(targetLoad)
		r.cut(vci11) // the write is corrupted: it asks the load again
		r.wantAnswer(r.req(targetLoad+".loads"), AnswerFile, targetLoad, "")
		r.fetch(targetLoad, 0, 2, 100)
		r.cut(vci11) // and is cut again: it still runs 8.5(2)
		r.wantAnswer(r.sccpBoot(), AnswerBytes, "", "stepping "+testMAC+" CP-7911G "+targetLoad)
		if r.s.Installs != 0 {
			t.Fatalf("a cut fetch counted as installed")
		}
		r.targetFromConfig(vci11)
	})
	t.Run("during flash write the phone asks the load again", func(t *testing.T) {
		r := newRig(t, testMachine(true, false, firmware.PolicyStepping))
		r.targetLoads(vci11)
		r.fetchAll(targetLoad)
		r.cut(vci11)
		r.targetFromConfig(vci11)
	})
}

func TestResumeAfterRestart(t *testing.T) {
	r := stoneRig(t)
	s := throughJSON(t, r.s)
	r.now = r.now.Add(time.Hour) // the old process's times mean nothing
	next, acts := r.m.Resume(s, r.now)
	r.s = next
	if r.s.Stage != StageLoading || r.s.File != "cnu11.8-5-2TH1-9.sbn" || r.s.Restarts != 1 || !r.s.Since.Equal(r.now) {
		t.Fatalf("resumed %+v", r.s)
	}
	var kinds []string
	for _, a := range acts {
		if j, ok := a.(Journal); ok {
			kinds = append(kinds, j.Kind+" "+j.Detail)
		}
	}
	if len(kinds) != 1 || !strings.HasPrefix(kinds[0], "restart appliance restarted; continuing at stage loading") {
		t.Fatalf("journal %q", kinds)
	}
	r.wait(30 * time.Second)
	r.want(StageLoading) // the timer started afresh
	r.fetch(stepLoad, 1, 5, 0)
	r.stepSIP(vci06)
}

func TestTimeScale(t *testing.T) {
	m := testMachine(true, false, firmware.PolicyStepping)
	m.Timeouts.Scale = 0.05 // a simulation: 2 min become 6 s
	r := newRig(t, m)
	r.boot(vci11) // 2 s pass after the ack
	r.wait(2 * time.Second)
	r.want(StageDHCP)
	r.wait(3 * time.Second)
	r.want(StageNeedsReset)
	r.wantReason("within 6s")
}

func TestAutoCyclesAreBounded(t *testing.T) {
	r := newRig(t, testMachine(true, true, firmware.PolicyStepping))
	r.boot(vci06)
	for i := 0; i < 5; i++ {
		// Each time it gets a little further, then the transfer stalls.
		r.wantAnswer(r.req("term06.default.loads"), AnswerFile, stepLoad, "")
		r.fetch(stepLoad, 0, 1, 100)
		r.wait(61 * time.Second)
		if i < maxAutoCycles {
			r.want(StageLoading)
			r.cut(vci06)
			continue
		}
		r.want(StageNeedsReset)
		r.wantReason("after 3 automatic power cycles in this session")
		break
	}
	if r.cycles != maxAutoCycles {
		t.Fatalf("%d power cycles, want %d", r.cycles, maxAutoCycles)
	}
}

// TestStallTimersPerModel: a model's row may give its loader longer to
// write flash; other models keep the defaults.
func TestStallTimersPerModel(t *testing.T) {
	slow := firmware.BuiltinModels()
	for i := range slow {
		if slow[i].Name == "CP-7906G" {
			slow[i].Stall.Applying = 30 * time.Minute
		}
	}
	for _, tt := range []struct {
		name, vci, term string
		stall           time.Duration
	}{
		{"row with a longer Applying", vci06, "term06.default.loads", 30 * time.Minute},
		{"row with the defaults", vci11, "term11.default.loads", DefaultTimeouts().Applying},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := testMachine(true, false, firmware.PolicyStepping)
			m.Models = slow
			r := newRig(t, m)
			r.boot(tt.vci)
			r.req(tt.term)
			r.fetchAll(stepLoad)
			r.wait(tt.stall - time.Second)
			r.want(StageApplying)
			r.wait(2 * time.Second)
			r.want(StageNeedsReset)
			r.wantReason("did not come back within")
		})
	}
}
