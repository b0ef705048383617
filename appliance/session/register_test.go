package session

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/phoneflash/phoneflash/firmware"
)

const (
	pbx     = "192.0.2.10:5060"
	contact = "sip:1006@10.79.1.100:5060;transport=udp"
)

// regMachine is the test machine whose phones' registrations the bench
// watches: with an account at the office PBX, without one at the bench
// registrar; notChecked says why not ("" watches).
func regMachine(notChecked string) Machine {
	m := testMachine(true, false, firmware.PolicyStepping)
	m.Configs = fakeConfigs{accounts: map[string]string{"1006": "done", "1007": "done (password long)"}}
	m.Registration = func(port, account string) RegisterPlan {
		if account == "" {
			return RegisterPlan{Registrar: "10.79.1.1:5060", Bench: true, NotChecked: notChecked}
		}
		return RegisterPlan{Registrar: pbx, NotChecked: notChecked}
	}
	return m
}

// onTarget takes the phone with account from SCCP 8.5(2) to its SIP config
// on the target, which it is known to run.
func onTarget(r *rig, account string) {
	r.t.Helper()
	r.s.Account = account
	r.boot(vci06)
	r.sccpBoot()
	r.targetFromConfigTo(vci06)
}

func (r *rig) sip(kind SIPKind, status int, reason string) []Action {
	r.t.Helper()
	return r.do(SIP{Kind: kind, MAC: testMAC, Extension: r.s.Account, PBX: "192.0.2.10:5060", Transport: "UDP",
		Contact: contact, Status: status, Reason: reason})
}

// regOutcome is where a registration ends.
type regOutcome struct {
	Stage    Stage
	Result   string
	Reason   string
	Reg      RegState
	Text     string
	Installs int
}

func TestRegistration(t *testing.T) {
	tests := []struct {
		name       string
		notChecked string
		script     func(r *rig)
		want       regOutcome
	}{
		{"registered", "", func(r *rig) {
			onTarget(r, "1006")
			r.want(StageRegistering)
			r.sip(SIPRegister, 0, "")
			r.now = r.now.Add(300 * time.Millisecond)
			r.sip(SIPRegistered, 200, "OK")
		}, regOutcome{StageDone, "done", "", RegRegistered, "registered 1006 at 192.0.2.10:5060 (UDP)", 1}},
		{"wrong password", "", func(r *rig) {
			onTarget(r, "1006")
			r.sip(SIPRegister, 0, "")
			r.sip(SIPRefused, 403, "Wrong password")
			n := len(r.history)
			r.wait(time.Minute) // the phone's registration loop: the same answer again
			r.sip(SIPRefused, 403, "Wrong password")
			if len(r.history) != n {
				r.t.Errorf("the same refusal again added history: %v", r.history[n:])
			}
		}, regOutcome{StageFailed, "failed", "192.0.2.10:5060 refused the password for 1006 (403 Wrong password)", RegRefused,
			"192.0.2.10:5060 refused the password for 1006 (403 Wrong password)", 1}},
		{"unknown extension", "", func(r *rig) {
			onTarget(r, "1006")
			r.sip(SIPUnknownExtension, 404, "Not Found")
		}, regOutcome{StageFailed, "failed", "192.0.2.10:5060 does not know extension 1006 (404 Not Found)", RegUnknown,
			"192.0.2.10:5060 does not know extension 1006 (404 Not Found)", 1}},
		{"refused, then the password is fixed", "", func(r *rig) {
			onTarget(r, "1006")
			r.sip(SIPRefused, 401, "Unauthorized")
			r.want(StageFailed)
			r.reboot(vci06)
			r.sipBoot()
			r.want(StageRegistering)
			r.sip(SIPRegistered, 200, "OK")
		}, regOutcome{StageDone, "done", "", RegRegistered, "registered 1006 at 192.0.2.10:5060 (UDP)", 1}},
		{"no answer to the REGISTER", "", func(r *rig) {
			onTarget(r, "1006")
			r.wait(20 * time.Second)
			r.sip(SIPRegister, 0, "") // the wait runs from here
			r.wait(DefaultRegisterTimeout + registerSlack - time.Second)
			r.want(StageRegistering)
			r.wait(time.Second)
		}, regOutcome{StageDone, "done (not registered: PBX unreachable at 192.0.2.10:5060)",
			"not registered: PBX unreachable at 192.0.2.10:5060 (no answer to its REGISTER within 32s)", RegUnreachable,
			"not registered: PBX unreachable at 192.0.2.10:5060 (no answer to its REGISTER within 32s)", 1}},
		{"the watcher says unreachable", "", func(r *rig) {
			onTarget(r, "1006")
			r.sip(SIPRegister, 0, "")
			r.sip(SIPUnreachable, 0, "UDP: no answer to REGISTER within 32s")
		}, regOutcome{StageDone, "done (not registered: PBX unreachable at 192.0.2.10:5060)",
			"not registered: PBX unreachable at 192.0.2.10:5060 (UDP: no answer to REGISTER within 32s)", RegUnreachable,
			"not registered: PBX unreachable at 192.0.2.10:5060 (UDP: no answer to REGISTER within 32s)", 1}},
		{"no REGISTER at all", "", func(r *rig) {
			onTarget(r, "1006")
			r.wait(DefaultRegisterTimeout + registerSlack)
		}, regOutcome{StageDone, "done (not registered: PBX unreachable at 192.0.2.10:5060)",
			"not registered: PBX unreachable at 192.0.2.10:5060 (the phone sent no REGISTER within 34s of its config)", RegUnreachable,
			"not registered: PBX unreachable at 192.0.2.10:5060 (the phone sent no REGISTER within 34s of its config)", 1}},
		{"already on the target: its REGISTER proves it", "", func(r *rig) {
			r.s.Account = "1006"
			r.boot(vci06)
			r.wantAnswer(r.sipBoot(), AnswerBytes, "", "sip "+testMAC+" "+targetLoad+" 1006")
			r.want(StageConfig)
			r.now = r.now.Add(time.Second) // well within the settle time
			r.sip(SIPRegister, 0, "")
			r.want(StageRegistering)
			r.sip(SIPRegistered, 200, "OK")
		}, regOutcome{StageDone, "done", "", RegRegistered, "registered 1006 at 192.0.2.10:5060 (UDP)", 0}},
		{"already on the target, settled without a word", "", func(r *rig) {
			r.s.Account = "1006"
			r.boot(vci06)
			r.sipBoot()
			r.wait(21 * time.Second)
			r.want(StageRegistering)
			r.sip(SIPRegistered, 200, "OK") // its REGISTER was missed
		}, regOutcome{StageDone, "done", "", RegRegistered, "registered 1006 at 192.0.2.10:5060 (UDP)", 0}},
		{"password long: the prediction, then the PBX's answer", "", func(r *rig) {
			onTarget(r, "1007")
			r.want(StageRegistering)
			r.wantReason("password for 1007 is 40 characters")
			r.sip(SIPRegistered, 200, "OK")
		}, regOutcome{StageDone, "done", "", RegRegistered, "registered 1007 at 192.0.2.10:5060 (UDP)", 1}},
		{"no account: the bench registrar", "", func(r *rig) {
			onTarget(r, "")
			r.want(StageRegistering)
			r.do(SIP{Kind: SIPRegistered, MAC: testMAC, Extension: testMAC, PBX: "10.79.1.1:5060", Transport: "UDP", Status: 200,
				Reason: "OK", Bench: true})
		}, regOutcome{StageDone, "done (no account)", "no account", RegRegistered,
			"registered 001122AABBCC with the bench registrar at 10.79.1.1:5060 (no account)", 1}},
		{"not checked without an uplink", "no uplink", func(r *rig) {
			onTarget(r, "1006")
		}, regOutcome{StageDone, "done", "", RegNotChecked, "not checked (no uplink)", 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, regMachine(tt.notChecked))
			tt.script(r)
			p := r.s.Phone()
			got := regOutcome{p.Stage, p.Result, p.Reason, "", "", r.s.Installs}
			if p.Registration != nil {
				got.Reg, got.Text = p.Registration.State, p.Registration.Text
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("outcome (-want +got):\n%s\nhistory:\n%s", diff, strings.Join(r.history, "\n"))
			}
		})
	}
}

// TestRegistrationDetails: the registration as the API shows it, and the
// history of the way there.
func TestRegistrationDetails(t *testing.T) {
	r := newRig(t, regMachine(""))
	onTarget(r, "1006")
	sent := r.now
	r.sip(SIPRegister, 0, "")
	r.now = r.now.Add(time.Second)
	r.sip(SIPRegistered, 200, "OK")
	want := &RegistrationView{Registration: Registration{State: RegRegistered, Registrar: pbx, Extension: "1006",
		PBX: "192.0.2.10:5060", Transport: "UDP", Contact: contact, Status: 200, Reason: "OK", Sent: sent, At: r.now},
		Text: "registered 1006 at 192.0.2.10:5060 (UDP)"}
	if diff := cmp.Diff(want, r.s.Phone().Registration); diff != "" {
		t.Errorf("registration (-want +got):\n%s", diff)
	}
	h := strings.Join(r.history, "\n")
	for _, w := range []string{"stage registering", "sip REGISTER for 1006 to 192.0.2.10:5060 (UDP)",
		"registration registered 1006 at 192.0.2.10:5060 (UDP)", "stage done"} {
		if !strings.Contains(h, w) {
			t.Errorf("history lacks %q:\n%s", w, h)
		}
	}
	// A refresh an hour later changes its time only.
	n := len(r.history)
	r.now = r.now.Add(time.Hour)
	r.sip(SIPRegistered, 200, "OK")
	if len(r.history) != n || !r.s.Reg.At.Equal(r.now) {
		t.Errorf("refresh: history %v, at %v", r.history[n:], r.s.Reg.At)
	}
	// The state round-trips through the journal's JSON.
	raw := RecordOf(r.s, "x", "", r.now).State
	back, err := DecodeState(raw)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r.s, back, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("decoded state (-want +got):\n%s", diff)
	}
}

// TestCheckSync: a registered phone whose config changed is sent a NOTIFY
// check-sync to its contact; its answer and its re-read are recorded.
func TestCheckSync(t *testing.T) {
	r := newRig(t, regMachine(""))
	onTarget(r, "1006")
	r.sip(SIPRegistered, 200, "OK")
	asked := r.now
	var got []CheckSync
	for _, a := range r.do(ConfigChanged{MAC: testMAC}) {
		if c, ok := a.(CheckSync); ok {
			got = append(got, c)
		}
	}
	if diff := cmp.Diff([]CheckSync{{MAC: testMAC, Contact: contact, Transport: "UDP"}}, got); diff != "" {
		t.Fatalf("actions (-want +got):\n%s", diff)
	}
	r.now = r.now.Add(100 * time.Millisecond)
	r.do(CheckSyncAnswered{MAC: testMAC, Answer: "200 OK", OK: true})
	r.now = r.now.Add(5 * time.Second) // it reboots and asks for its config
	r.reboot(vci06)
	r.sipBoot()
	want := &Sync{Asked: asked, Answer: "200 OK", Reread: r.now}
	if diff := cmp.Diff(want, r.s.Phone().CheckSync); diff != "" {
		t.Errorf("check-sync (-want +got):\n%s", diff)
	}
	r.want(StageRegistering)

	// A phone the bench never saw register has no contact to ask.
	q := newRig(t, regMachine(""))
	onTarget(q, "1006")
	for _, a := range q.do(ConfigChanged{MAC: testMAC}) {
		if _, ok := a.(CheckSync); ok {
			t.Errorf("asked a phone without a contact: %+v", a)
		}
	}
	if q.s.Phone().CheckSync != nil {
		t.Errorf("check-sync recorded without a NOTIFY: %+v", q.s.Phone().CheckSync)
	}
}
