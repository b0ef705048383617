package session

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/phoneflash/phoneflash/firmware"
)

// familyImages are synthetic image names of a family's load.
func familyImages(family, proto, ver string) []string {
	var out []string
	for _, k := range []string{"jar" + family + proto, "cnu" + family, "apps" + family, "dsp" + family, "cvm" + family + proto} {
		out = append(out, k+"."+ver+".sbn")
	}
	return out
}

// benchCatalog holds every family's stepping stone SCCPNN.8-5-2S and SIP
// target SIPNN.9-4-2SR3-1S, and the 7906/7911 SIP 9.4(2)SR1.
func benchCatalog() fakeCatalog {
	c := newCatalog(true)
	for _, fam := range firmware.BuiltinModels().Families() {
		if fam != "11" {
			c = c.with(fakeLoad("SCCP"+fam+".8-5-2S", familyImages(fam, "sccp", "8-5-2")))
		}
		c = c.with(fakeLoad("SIP"+fam+".9-4-2SR3-1S", familyImages(fam, "sip", "9-4-2SR3")))
	}
	return c
}

// perFamily is a machine on the bench catalog whose targets come from
// -target SIP11.9-4-2SR1-1S (the others: their family's newest SIP load).
func perFamily(t *testing.T, power bool) Machine {
	m := testMachine(true, power, firmware.PolicyStepping)
	m.Catalog = benchCatalog()
	ts, err := firmware.ParseTargets(targetLoad)
	if err != nil {
		t.Fatal(err)
	}
	m.Targets = &ts
	return m
}

func vciOf(m firmware.Model) string { return firmware.VendorClassPrefix + m.VendorClass + "\x00" }

// TestEveryModelJourney: every model of the table, detected by its option
// 60 or, without one, by its first TFTP request, takes its own family's
// stepping stone and SIP target, never another family's; its XMLDefault
// names a load for every model with a target in the store.
func TestEveryModelJourney(t *testing.T) {
	for _, md := range firmware.BuiltinModels() {
		for _, how := range []string{"option 60", "term file", "unknown option 60"} {
			t.Run(string(md.Name)+"/"+how, func(t *testing.T) {
				r := newRig(t, perFamily(t, false))
				switch how {
				case "option 60":
					r.boot(vciOf(md))
					if r.s.Model != md.Name {
						t.Fatalf("model %q after DHCP", r.s.Model)
					}
				case "term file":
					r.boot("")
				default:
					r.boot(firmware.VendorClassPrefix + "79XX\x00")
				}
				a := r.req(md.TermFile())
				if how != "option 60" {
					first, _ := firmware.BuiltinModels().ForTermFile(md.TermFile())
					md = first // the GE models share a term file: without option 60 it is the first row's
				}
				stone, target := "SCCP"+md.Family+".8-5-2S", "SIP"+md.Family+".9-4-2SR3-1S"
				if md.Family == "11" {
					target = targetLoad
				}
				if r.s.Model != md.Name || r.s.Target != target {
					t.Fatalf("model %q, target %q; want %s, %s", r.s.Model, r.s.Target, md.Name, target)
				}
				r.wantAnswer(a, AnswerFile, stone, "")
				if a.File != md.TermFile() {
					t.Fatalf("served %s", a.File)
				}
				r.fetchAll(stone)
				r.reboot(vciOf(md))
				if md.Family == "11" {
					r.wantAnswer(r.sccpBoot(), AnswerBytes, "", "stepping "+testMAC+" "+string(md.Name)+" "+target)
				} else {
					// XMLDefault: this model's next load, every other model's target.
					d := string(r.req("XMLDefault.cnf.xml").Data)
					for _, other := range firmware.BuiltinModels() {
						want := fmt.Sprintf(" %d=SIP%s.9-4-2SR3-1S", other.DeviceType, other.Family)
						if other.Family == "11" {
							want = fmt.Sprintf(" %d=%s", other.DeviceType, targetLoad)
						}
						if !strings.Contains(d, want) {
							t.Errorf("XMLDefault %q lacks %q", d, want)
						}
					}
				}
				r.req(target + ".loads")
				r.fetchAll(target)
				r.reboot(vciOf(md))
				r.wantAnswer(r.sipBoot(), AnswerBytes, "", "sip "+testMAC+" "+target)
				r.want(StageDone)
			})
		}
	}
}

// TestNeverAnotherFamilysStone: a 7942 whose store holds the 7911's
// stepping stone but not its own fails with the package to import; the
// 7911's term file and stone are never offered to it.
func TestNeverAnotherFamilysStone(t *testing.T) {
	m := perFamily(t, false)
	m.Catalog = newCatalog(true).with(fakeLoad("SIP42.9-4-2SR3-1S", familyImages("42", "sip", "9-4-2SR3")))
	r := newRig(t, m)
	r.boot(vciOf(firmware.Model{VendorClass: "CP-7942G"}))
	for range 4 { // the target first (a loader that takes it needs no stone); it refuses
		if a := r.req("term42.default.loads"); strings.Contains(a.Load, "11") {
			t.Fatalf("a 7942 got %+v", a)
		}
		r.now = r.now.Add(time.Minute)
	}
	r.want(StageFailed)
	r.wantReason("SIP42.9-4-2SR3-1S needs a stepping stone 8.3(3)-8.5(2) for phones older than 8.3(3): import cmterm-7942_7962-sccp.8-5-2.cop.sgn")
	if a := r.req("SEP" + testMAC + ".cnf.xml"); strings.Contains(string(a.Data), "SCCP11") {
		t.Fatalf("config names the 7911's stone: %q", a.Data)
	}
}

// TestTargetMissing: a store without a family's SIP load says which
// package to import, per model.
func TestTargetMissing(t *testing.T) {
	m := perFamily(t, false)
	m.Catalog = newCatalog(true)
	r := newRig(t, m)
	r.boot(vciOf(firmware.Model{VendorClass: "CP-7965G"}))
	r.probe("term65.default.loads")
	r.want(StageFailed)
	r.wantReason("the CP-7965G needs a SIP load of family 45 (SIP45.*) in the firmware store: import cmterm-7945_7965-sip.9-4-2SR3-1.cop.sgn")
	// Imported, the phone's next request carries on.
	m.Catalog = benchCatalog()
	r.m = m
	r.wantAnswer(r.req("term65.default.loads"), AnswerFile, "SCCP45.8-5-2S", "")
	r.want(StageConfig)
}

// TestGEKeepsItsModel: the 7941G-GE asks for the 7941G's term file; its
// option 60 keeps it a 7941G-GE.
func TestGEKeepsItsModel(t *testing.T) {
	r := newRig(t, perFamily(t, false))
	r.boot(firmware.VendorClassPrefix + "CP-7941G-GE\x00")
	r.wantAnswer(r.req("term41.default.loads"), AnswerFile, "SCCP41.8-5-2S", "")
	if r.s.Model != "CP-7941G-GE" {
		t.Fatalf("model %s", r.s.Model)
	}
}

// TestUnsupportedPhones: a phone the table does not know is failed with
// what it asked for and what to do, never left to stall; its requests are
// answered not found.
func TestUnsupportedPhones(t *testing.T) {
	tests := []struct {
		name, vci, file, reason string
	}{
		{"7960 by its files", "", "OS79XX.TXT", "a 7940/7960 asks for OS79XX.TXT: not supported yet: a different journey: SIP via OS79XX.TXT and P0S3 loads, not handled by phoneflash"},
		{"7960 by option 60", "CP-7960G", "SIPDefault.cnf", "CP-7960G (DHCP option 60) asks for SIPDefault.cnf: not supported yet: a different journey"},
		{"8945", "CP-8945", "SEP" + testMAC + ".cnf.xml", "CP-8945 (DHCP option 60) asks for SEP" + testMAC + ".cnf.xml: not supported yet: add a row for CP-8945 to models.json"},
		{"unknown term file", "", "term99.default.loads", "asks for term99.default.loads: not supported yet: no row of the model table has term99.default.loads; add one"},
		{"no option 60, normal boot", "", "SEP" + testMAC + ".cnf.xml", "named no model (no DHCP option 60 the table knows) asks for SEP" + testMAC + ".cnf.xml: not supported yet: key its factory reset"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, perFamily(t, true))
			vci := ""
			if tt.vci != "" {
				vci = firmware.VendorClassPrefix + tt.vci + "\x00"
			}
			r.boot(vci)
			r.probe("CTLSEP" + testMAC + ".tlv")
			r.probe(tt.file)
			r.want(StageFailed)
			r.wantReason(tt.reason)
			if ph := r.s.Phone(); tt.vci != "" && ph.Model != tt.vci {
				t.Errorf("shown as model %q, want %q", ph.Model, tt.vci)
			}
			r.probe(tt.file) // asked again: still not found, no new stage
			n := len(r.history)
			r.do(DHCP{Kind: DHCPDiscover, MAC: testMAC, Port: "eth1", VendorClass: vci})
			r.wait(10 * time.Minute)
			r.want(StageFailed)
			if len(r.history) != n || r.cycles != 0 {
				t.Errorf("after failing: history %v, %d power cycles", r.history[n:], r.cycles)
			}
		})
	}
	// A model the table lacks that asks for nothing after DHCP.
	r := newRig(t, perFamily(t, true))
	r.boot(firmware.VendorClassPrefix + "CP-8945\x00")
	r.wait(DefaultTimeouts().DHCP + 2*time.Second)
	r.want(StageFailed)
	r.wantReason("CP-8945 (DHCP option 60) asked for no file after DHCP: not supported yet")
	if r.cycles != 0 {
		t.Errorf("%d power cycles of an unsupported phone", r.cycles)
	}
}

// TestFN63772: the 7942/7945/7962/7965/7975 are never power-cycled on a
// stall; one that stays silent after a cut is said to maybe have the
// FN63772 defect. Another model is cycled and shows no such reason.
func TestFN63772(t *testing.T) {
	for _, md := range firmware.BuiltinModels() {
		t.Run(string(md.Name), func(t *testing.T) {
			r := newRig(t, perFamily(t, true))
			r.boot(vciOf(md))
			r.req(md.TermFile())
			r.fetch("SCCP"+md.Family+".8-5-2S", 0, 2, 500)
			r.wait(DefaultTimeouts().Loading + 2*time.Second)
			if md.Quirks.FewPowerCycles {
				r.want(StageNeedsReset)
				r.wantReason("not power-cycled automatically: some " + string(md.Name) + " units do not boot again after a power cut, Cisco field notice FN63772")
				if r.cycles != 0 {
					t.Fatalf("%d power cycles", r.cycles)
				}
			} else if r.cycles != 1 {
				t.Fatalf("%d power cycles, want the one automatic", r.cycles)
			}
			// A person cuts its power; it never asks for DHCP again.
			r.do(Power{Port: "eth1", On: false})
			r.now = r.now.Add(5 * time.Second)
			r.do(Power{Port: "eth1", On: true})
			r.wait(DefaultTimeouts().Boot + 2*time.Second)
			if !md.Quirks.FewPowerCycles {
				r.want(StagePowered) // no watch: as before the model table
				return
			}
			r.want(StageNeedsReset)
			r.wantReason("stopped answering after a power cut: no DHCP request within 3m0s of its power coming back: may be the FN63772 memory defect: some " + string(md.Name) + " units do not boot again")
			// It does come back: the journey goes on.
			r.boot(vciOf(md))
			r.wantAnswer(r.req(md.TermFile()), AnswerFile, "SCCP"+md.Family+".8-5-2S", "")
		})
	}
}

// TestMorePower: a 797x stalling during a factory reset on PoE may lack
// power; the same stall on another model says nothing of power.
func TestMorePower(t *testing.T) {
	for _, tt := range []struct {
		model firmware.ModelName
		poe   bool
		want  string
	}{
		{"CP-7970G", true, "the CP-7970G may need more power than 802.3af without CDP: power it with its own supply"},
		{"CP-7971G-GE", false, "if it is powered over PoE, the CP-7971G-GE may need more power than 802.3af without CDP"},
		{"CP-7975G", true, "the CP-7975G may need more power than 802.3af without CDP"},
		{"CP-7942G", true, ""},
	} {
		t.Run(string(tt.model), func(t *testing.T) {
			md, _ := firmware.BuiltinModels().Named(tt.model)
			r := newRig(t, perFamily(t, tt.poe))
			r.boot(vciOf(md))
			r.req(md.TermFile())
			r.fetchAll("SCCP" + md.Family + ".8-5-2S")
			for range 4 { // stall on: cycled where it may be, then a person
				r.wait(DefaultTimeouts().Applying + 2*time.Second)
			}
			r.want(StageNeedsReset)
			if tt.want == "" {
				if strings.Contains(r.s.Reason, "802.3af") {
					t.Fatalf("reason %q speaks of power", r.s.Reason)
				}
				return
			}
			r.wantReason(tt.want)
		})
	}
}

// TestTwoHopPath: a row whose path has two hops takes a phone through both
// before the target.
func TestTwoHopPath(t *testing.T) {
	m := perFamily(t, false)
	m.Models = firmware.BuiltinModels()
	for i := range m.Models {
		if m.Models[i].Name == "CP-7941G" {
			m.Models[i].Path = []string{"8.5(2)", "8.5(3)"}
		}
	}
	m.Catalog = benchCatalog().with(fakeLoad("SCCP41.8-5-3S", familyImages("41", "sccp", "8-5-3")))
	r := newRig(t, m)
	vci := firmware.VendorClassPrefix + "CP-7941G\x00"
	r.boot(vci)
	r.wantAnswer(r.req("term41.default.loads"), AnswerFile, "SCCP41.8-5-2S", "")
	if got := strings.Join(r.s.Plan, " "); got != "SCCP41.8-5-2S SCCP41.8-5-3S SIP41.9-4-2SR3-1S" {
		t.Fatalf("plan %s", got)
	}
	r.fetchAll("SCCP41.8-5-2S")
	for _, next := range []string{"SCCP41.8-5-3S", "SIP41.9-4-2SR3-1S"} {
		r.reboot(vci)
		r.wantAnswer(r.sccpBoot(), AnswerBytes, "", "stepping "+testMAC+" CP-7941G "+next)
		r.req(next + ".loads")
		r.fetchAll(next)
	}
	r.reboot(vci)
	r.wantAnswer(r.sipBoot(), AnswerBytes, "", "sip "+testMAC+" SIP41.9-4-2SR3-1S")
	r.want(StageDone)
	if r.s.Installs != 3 {
		t.Errorf("%d installs, want 3", r.s.Installs)
	}
}

// TestPasswordLimitPerModel: the SIP config is made with the phone's own
// row (its password limit).
func TestPasswordLimitPerModel(t *testing.T) {
	m := perFamily(t, false)
	m.Configs = fakeConfigs{accounts: map[string]string{"2001": "done (password refused)"}}
	m.Models = firmware.BuiltinModels()
	for i := range m.Models {
		if m.Models[i].Name == "CP-7962G" {
			m.Models[i].Password.Max = 12
		}
	}
	r := newRig(t, m)
	r.s.Account = "2001"
	vci := firmware.VendorClassPrefix + "CP-7962G\x00"
	r.boot(vci)
	r.sccpBoot() // a phone on a new loader: straight to the target
	r.req("SIP42.9-4-2SR3-1S.loads")
	r.fetchAll("SIP42.9-4-2SR3-1S")
	r.reboot(vci)
	r.sipBoot()
	r.want(StageDone)
	r.wantReason("CP-7962G accepts at most 12")
}

// TestStallTimersOfTheTable: the 7941/7961 rows give their slow loaders
// twice the default time to write flash; a 7942 has the default.
func TestStallTimersOfTheTable(t *testing.T) {
	for model, limit := range map[firmware.ModelName]time.Duration{"CP-7961G": 20 * time.Minute, "CP-7942G": DefaultTimeouts().Applying} {
		md, _ := firmware.BuiltinModels().Named(model)
		r := newRig(t, perFamily(t, false))
		r.boot(vciOf(md))
		r.req(md.TermFile())
		r.fetchAll("SCCP" + md.Family + ".8-5-2S")
		r.wait(limit - 2*time.Second)
		r.want(StageApplying)
		r.wait(4 * time.Second)
		r.want(StageNeedsReset)
	}
}
