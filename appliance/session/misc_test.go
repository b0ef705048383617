package session

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/phoneflash/phoneflash/firmware"
)

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// throughJSON is s encoded as JSON and decoded again by DecodeState.
func throughJSON(t *testing.T, s State) State {
	t.Helper()
	back, err := DecodeState(mustJSON(t, s))
	if err != nil {
		t.Fatal(err)
	}
	return back
}

func TestNormalizeMAC(t *testing.T) {
	for in, want := range map[string]string{
		"00:11:22:aa:bb:cc": "001122AABBCC",
		"00-11-22-AA-BB-CC": "001122AABBCC",
		"0011.22aa.bbcc":    "001122AABBCC",
		"SEP001122AABBCC":   "001122AABBCC",
		" 001122aabbcc ":    "001122AABBCC",
	} {
		if got := NormalizeMAC(in); got != want || !ValidMAC(in) {
			t.Errorf("NormalizeMAC(%q) = %q (valid %v), want %q", in, got, ValidMAC(in), want)
		}
	}
	for _, bad := range []string{"", "0011", "00:11:22:aa:bb:cg", "001122AABBCCDD"} {
		if ValidMAC(bad) {
			t.Errorf("ValidMAC(%q) = true", bad)
		}
	}
}

// TestModelDetection: option 60 names the model through the table; a
// phone the table does not know keeps no model.
func TestModelDetection(t *testing.T) {
	for vci, want := range map[string]firmware.ModelName{
		vci06:                                   "CP-7906G",
		vci11:                                   "CP-7911G",
		"Cisco Systems, Inc. IP Phone CP-7911G": "CP-7911G", // without its NUL
		"Cisco Systems, Inc. IP Phone CP-7942G\x00": "CP-7942G",
		"Cisco Systems, Inc. IP Phone CP-8945\x00":  "",
		"udhcp 1.36.1": "",
		"":             "",
	} {
		r := newRig(t, testMachine(true, false, firmware.PolicyStepping))
		r.boot(vci)
		if r.s.Model != want {
			t.Errorf("%q: model %q, want %q", vci, r.s.Model, want)
		}
	}
}

func TestAnswers(t *testing.T) {
	r := newRig(t, testMachine(true, false, firmware.PolicyStepping))
	r.boot(vci06)
	for _, f := range []string{"CTLSEP" + testMAC + ".tlv", "ITLSEP" + testMAC + ".tlv", "ITLFile.tlv",
		"SEP001122334455.cnf.xml", "g3-tones.xml", "SCCP11.8-0-3S.loads", "nosuch.sbn", "../etc/passwd"} {
		r.probe(f)
	}
	r.want(StageDHCP)
	// XMLDefault names the next load for this model and the target for the other.
	r = newRig(t, testMachine(true, false, firmware.PolicyStepping))
	r.boot(vci06)
	r.wantAnswer(r.req("XMLDefault.cnf.xml"), AnswerBytes, "", "default 369="+targetLoad+" 307="+targetLoad)
	r.req(targetLoad + ".loads")
	r.fetchAll(targetLoad)
	// A leading slash is ignored.
	r.reboot(vci06)
	r.wantAnswer(r.req("/SEP"+testMAC+".cnf.xml"), AnswerBytes, "", "sip ")
	r.want(StageDone)
}

func TestStateJSONRoundTrip(t *testing.T) {
	r := stoneRig(t)
	got := throughJSON(t, r.s)
	if diff := cmp.Diff(r.s, got); diff != "" {
		t.Fatalf("round trip (-want +got):\n%s", diff)
	}
	if _, err := DecodeState([]byte(`{"stage":"done"}`)); err == nil {
		t.Fatal("a state without mac decoded")
	}
}

func TestTransferFailures(t *testing.T) {
	r := newRig(t, testMachine(true, false, firmware.PolicyStepping))
	r.boot(vci06)
	r.probe("CTLSEP" + testMAC + ".tlv")
	r.do(TFTPFailed{MAC: testMAC, File: "CTLSEP" + testMAC + ".tlv", Err: "not found"})
	if len(r.history) != 1 { // stage dhcp only
		t.Fatalf("a not-found probe reached the history: %q", r.history)
	}
	r.req("term06.default.loads")
	r.fetch(stepLoad, 0, 2, 100)
	r.do(TFTPFailed{MAC: testMAC, File: "/cnu11.8-5-2TH1-9.sbn", Err: "timeout"})
	if last := r.history[len(r.history)-1]; last != "file-failed cnu11.8-5-2TH1-9.sbn at 2000 of 15000 bytes: timeout" {
		t.Fatalf("history ends %q", last)
	}
	r.do(TFTPDone{MAC: testMAC, File: "/cnu11.8-5-2TH1-9.sbn"}) // names with a slash count too
	if r.s.Offer.Images != 2 {
		t.Fatalf("images done %d", r.s.Offer.Images)
	}
}

func TestOtherModels(t *testing.T) {
	r := newRig(t, testMachine(true, false, firmware.PolicyStepping))
	r.boot("Cisco Systems, Inc. IP Phone CP-8945\x00")
	r.probe("term89.default.loads")
	r.want(StageFailed)
	r.wantReason("CP-8945 (DHCP option 60) asks for term89.default.loads: not supported yet: no row of the model table has term89.default.loads")

	r = newRig(t, testMachine(true, false, firmware.PolicyStepping))
	r.boot("Cisco Systems, Inc. IP Phone CP-8945\x00")
	r.probe("SEP" + testMAC + ".cnf.xml")
	r.want(StageFailed)
	r.wantReason("not supported yet: add a row for CP-8945 to models.json")
	// Seen properly after a replug, it carries on.
	r.cut(vci11)
	r.wantAnswer(r.sccpBoot(), AnswerBytes, "", "stepping "+testMAC+" CP-7911G "+targetLoad)
}

// TestStoneIsSCCP: a SIP load in the stepping range (SIP11.8-5-2S) is never
// the stepping stone, neither for a factory-reset phone nor for a loader
// known to be old; the SCCP one is, when the store has it too.
func TestStoneIsSCCP(t *testing.T) {
	sip852 := fakeLoad("SIP11.8-5-2S", []string{"jar11sip.8-5-2.sbn", "cnu11.8-5-2.sbn", "apps11.8-5-2.sbn", "dsp11.8-5-2.sbn", "cvm11sip.8-5-2.sbn"})
	m := testMachine(false, false, firmware.PolicyStepping)
	m.Catalog = newCatalog(false).with(sip852)
	r := newRig(t, m)
	r.boot(vci06)
	for range 3 { // the loader refuses the target: it is old, and still no SIP stone
		if a := r.req("term06.default.loads"); a.Load == sip852.Name {
			t.Fatalf("term file of %s served: %+v", a.Load, a)
		}
		r.now = r.now.Add(time.Minute)
	}
	r.want(StageFailed)
	r.wantReason("needs a stepping stone 8.3(3)-8.5(2)")
	if r.s.Current.Kind != firmware.CurrentOldLoader {
		t.Fatalf("current %v, want an old loader", r.s.Current)
	}

	m.Catalog = newCatalog(true).with(sip852)
	r = newRig(t, m)
	r.boot(vci06)
	r.wantAnswer(r.req("term06.default.loads"), AnswerFile, stepLoad, "")
}

// TestDialPlanAnswer: dialplan.xml is answered with the Configs' dial
// plan, and asking for it right after a SIP config still proves the phone
// runs the load that config named (it is done at once).
func TestDialPlanAnswer(t *testing.T) {
	r := newRig(t, testMachine(true, false, firmware.PolicyStepping))
	r.boot(vci06)
	r.wantAnswer(r.sipBoot(), AnswerBytes, "", "sip "+testMAC+" "+targetLoad)
	r.want(StageConfig)
	r.wantAnswer(r.req("dialplan.xml"), AnswerBytes, "", "dialplan")
	r.want(StageDone)
	r.wantAnswer(r.req("/DialPlan.XML"), AnswerBytes, "", "dialplan")
}
