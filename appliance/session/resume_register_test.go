package session

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// lostAnswer is a phone registering when the appliance is killed: the
// PBX's 200 OK to its REGISTER came, but its record never reached the
// disk, so the restarted appliance resumes the phone from the journal's
// last state, registering, while the phone itself is registered and sends
// nothing until it refreshes its registration.
func lostAnswer(t *testing.T) *rig {
	r := newRig(t, regMachine(""))
	onTarget(r, "1006")
	r.sip(SIPRegister, 0, "")
	raw, err := json.Marshal(r.s) // the journal's last record of it
	if err != nil {
		t.Fatal(err)
	}
	r.sip(SIPRegistered, 200, "OK") // lost with the process
	s, err := DecodeState(raw)
	if err != nil {
		t.Fatal(err)
	}
	r.now = r.now.Add(time.Second)
	var acts []Action
	r.s, acts = r.m.Resume(s, r.now)
	for _, a := range acts {
		if j, ok := a.(Journal); ok {
			r.history = append(r.history, j.Kind+" "+j.Detail)
		}
	}
	r.want(StageRegistering)
	return r
}

// TestResumedRegisteringWaitsForTheNextREGISTER: a phone resumed
// registering is never called unreachable for the restart's sake: past the
// ordinary bound it still waits, saying why, and its next REGISTER (the
// refresh, an hour at most) settles it.
func TestResumedRegisteringWaitsForTheNextREGISTER(t *testing.T) {
	r := lostAnswer(t)
	r.wait(10 * (DefaultRegisterTimeout + registerSlack))
	r.want(StageRegistering)
	if text := r.s.Phone().Registration.Text; !strings.Contains(text, "waiting for its next REGISTER") {
		t.Errorf("registration of a resumed phone says %q, want that it waits for its next REGISTER", text)
	}
	r.wait(resumedRegisterWait - 20*(DefaultRegisterTimeout+registerSlack))
	r.sip(SIPRegister, 0, "")
	r.sip(SIPRegistered, 200, "OK")
	r.want(StageDone)
	if p := r.s.Phone(); p.Result != "done" || p.Registration.State != RegRegistered {
		t.Fatalf("after the refresh: %s, registration %s; want done, registered\nhistory:\n%s", p.Result, p.Registration.State,
			strings.Join(r.history, "\n"))
	}
}

// TestResumedRegisteringWithoutREGISTER: a resumed phone that sends no
// REGISTER within the longest registration ends done, its registration not
// checked, with why (not "PBX unreachable": nothing says the PBX is).
func TestResumedRegisteringWithoutREGISTER(t *testing.T) {
	r := lostAnswer(t)
	r.wait(resumedRegisterWait + registerSlack - time.Second)
	r.want(StageRegistering)
	r.wait(time.Second)
	r.want(StageDone)
	p := r.s.Phone()
	if p.Registration.State != RegNotChecked || strings.Contains(p.Result+p.Reason, "unreachable") ||
		!strings.Contains(p.Reason, "appliance restarted") {
		t.Fatalf("resumed phone without a REGISTER: result %q, reason %q, registration %s", p.Result, p.Reason, p.Registration.State)
	}
}

// TestResumedRegisteringSeesTheWatchersVerdict: after the restart the
// watcher's own conclusions count at once, unreachable included (it saw a
// REGISTER go unanswered).
func TestResumedRegisteringSeesTheWatchersVerdict(t *testing.T) {
	r := lostAnswer(t)
	r.sip(SIPRegister, 0, "")
	r.sip(SIPUnreachable, 0, "UDP: no answer to REGISTER within 32s")
	r.want(StageDone)
	if p := r.s.Phone(); p.Registration.State != RegUnreachable {
		t.Fatalf("registration %s, want the watcher's unreachable", p.Registration.State)
	}
}
