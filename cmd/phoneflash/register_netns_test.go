package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/phoneflash/phoneflash/appliance"
	"github.com/phoneflash/phoneflash/appliance/session"
	"github.com/phoneflash/phoneflash/firmware/fwgen"
	"github.com/phoneflash/phoneflash/internal/kamailio"
)

// The registration tests of issue 16 (and item 4 of issue 17): the real
// `phoneflash serve` routes phonesim phones to Kamailio in an office
// namespace and follows their registrations. Each case is judged by the
// phone's own result, by Kamailio's location table and by the API.

// TestIntegrationRegister: four phones on two ports. A 7911G on SCCP
// 8.5(2) with a good password is flashed and registers: done, and in
// Kamailio's location table. A 7906G already on the target registers: done
// by its REGISTER alone, no upgrade. A wrong password in the account table
// ends failed with Kamailio's refusal. A phone without an account
// registers with the bench registrar: done (no account). Then the account
// table is replaced through the API with a new password for the first
// phone (Kamailio restarted with it) and the right one for the refused
// phone: both are sent NOTIFY check-sync, reboot, re-read their config and
// register with the new passwords; the phone whose config did not change is
// not asked.
func TestIntegrationRegister(t *testing.T) {
	fw := firmwareStore(t, 0.02, fwgen.SCCP852(), fwgen.SIP942())
	mA, mB, mC, mD := "00:22:90:ac:20:01", "00:22:90:ac:20:02", "00:22:90:ac:20:03", "00:22:90:ac:20:04"
	table := func(pwA, pwC string) string {
		return fmt.Sprintf("%s,1001,%s,%s\n%s,1002,pw1002,%s\n%s,1003,%s,%s\n", mA, pwA, officePBX, mB, officePBX, mC, pwC, officePBX)
	}
	b := newRegBench(t, fw, 2, table("pw1001", "wrong1003"))
	users := func(pwA string) []kamailio.User {
		return []kamailio.User{{Extension: "1001", Password: pwA}, {Extension: "1002", Password: "pw1002"}, {Extension: "1003", Password: "pw1003"}}
	}
	b.startPBX(t, users("pw1001")...)
	b.serveRouted()
	pA := b.regPhone(0, "a", mA, "7911", "sccp852", "registered:2")
	pB := b.regPhone(0, "b", mB, "7906", "sip", "registered")
	pC := b.regPhone(1, "c", mC, "7906", "sccp852", "registered")
	pD := b.regPhone(1, "d", mD, "7906", "sip", "registered")

	t.Run("good password", func(t *testing.T) {
		p := b.apiPhone(t, mA, 60*time.Second, session.StageDone, session.StageFailed)
		r := p.Registration
		if p.Stage != session.StageDone || p.Result != "done" || r == nil || r.State != session.RegRegistered ||
			r.Registrar != officePBX+":5060" || r.Extension != "1001" || r.At.IsZero() {
			t.Fatalf("API: %+v, registration %+v; want done, registered 1001 at %s:5060", p, r, officePBX)
		}
		if l, ok := b.location(t, "1001"); !ok || !strings.Contains(l.Contact, "10.79.1.") {
			t.Errorf("Kamailio's location table: %+v (found %v), want 1001 at its bench address", l, ok)
		}
		b.logLatency(t, mA, pA)
		var out, errs strings.Builder
		if code := run(t.Context(), []string{"status", "-state", b.state, "-csv", "-"}, &out, &errs); code != exitOK ||
			!strings.Contains(out.String(), macKey(mA)+",CP-7911G,SCCP (load unknown),"+appliance.DefaultTarget+",1001,done,") ||
			!strings.Contains(out.String(), ",registered,1001,"+officePBX+":5060,20") {
			t.Errorf("phoneflash status -csv -: exit %d, want 1001 registered at %s:5060 with its time:\n%s%s", code, officePBX, out.String(), errs.String())
		}
	})
	t.Run("already on the target", func(t *testing.T) {
		own := pB.own(t, 60*time.Second)
		if own.State != "registered" || own.SIP.Registrar != officePBX+":5060" {
			t.Errorf("phone B's own result: %s, registration %+v; want registered with the office PBX", own.State, own.SIP)
		}
		p := b.apiPhone(t, mB, 20*time.Second, session.StageDone)
		if p.Load != appliance.DefaultTarget || p.Registration == nil || p.Registration.State != session.RegRegistered {
			t.Errorf("API: %+v, want done on the target, registered", p)
		}
		if s, _ := b.summary(macKey(mB)); s.From != appliance.DefaultTarget {
			t.Errorf("journal: from %q, want the target (nothing installed)", s.From)
		}
		for _, r := range own.Requests {
			if strings.HasSuffix(r.Name, ".loads") || strings.HasSuffix(r.Name, ".sbn") {
				t.Errorf("phone B already on the target asked for %s", r.Name)
			}
		}
		if _, ok := b.location(t, "1002"); !ok {
			t.Error("1002 is not in Kamailio's location table")
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		p := b.apiPhone(t, mC, 60*time.Second, session.StageFailed, session.StageDone)
		want := officePBX + ":5060 refused the password for 1003 (403 Wrong password)"
		if p.Stage != session.StageFailed || p.Reason != want || p.Registration == nil || p.Registration.State != session.RegRefused {
			t.Errorf("API: stage %s, reason %q, registration %+v; want failed: %s", p.Stage, p.Reason, p.Registration, want)
		}
		if !strings.Contains(pC.log(), "state=refused") {
			t.Errorf("phone C's own log has no refusal:\n%s", pC.log())
		}
		if _, ok := b.location(t, "1003"); ok {
			t.Error("1003 is in Kamailio's location table with a wrong password")
		}
	})
	t.Run("no account", func(t *testing.T) {
		own := pD.own(t, 60*time.Second)
		if own.State != "registered" || own.SIP.Registrar != "10.79.2.1:5060" {
			t.Errorf("phone D's own result: %s, registration %+v; want registered with the bench registrar 10.79.2.1:5060", own.State, own.SIP)
		}
		p := b.apiPhone(t, mD, 20*time.Second, session.StageDone)
		if p.Result != "done (no account)" || p.Registration == nil || !p.Registration.Bench || p.Registration.State != session.RegRegistered {
			t.Errorf("API: %+v, registration %+v; want done (no account), registered at the bench registrar", p, p.Registration)
		}
	})
	if t.Failed() {
		return
	}

	t.Run("check-sync", func(t *testing.T) {
		b.startPBX(t, users("new1001")...) // the office changed 1001's password
		answer := b.uploadAccounts(t, "MAC,Extension,Password,PBX_Host\n"+table("new1001", "pw1003"))
		for _, w := range []string{"account table loaded: 3 rows", macKey(mA), macKey(mC)} {
			if !strings.Contains(answer, w) {
				t.Errorf("upload answer %q lacks %q", answer, w)
			}
		}
		if strings.Contains(answer, macKey(mB)) {
			t.Errorf("upload answer %q names B, whose config did not change", answer)
		}
		ownA, ownC := pA.own(t, 60*time.Second), pC.own(t, 60*time.Second)
		if ownA.State != "registered" || ownA.SIP.CheckSyncs != 1 || ownA.SIP.Registered != 2 {
			t.Errorf("phone A's own result: %s, registration %+v; want registered again after one check-sync", ownA.State, ownA.SIP)
		}
		if ownC.State != "registered" || ownC.SIP.CheckSyncs != 1 || ownC.SIP.Attempts < 2 {
			t.Errorf("phone C's own result: %s, registration %+v; want registered after refusals and one check-sync", ownC.State, ownC.SIP)
		}
		for _, aor := range []string{"1001", "1003"} {
			if _, ok := b.location(t, aor); !ok {
				t.Errorf("%s is not in the restarted Kamailio's location table: it did not register with the new password", aor)
			}
		}
		for _, mac := range []string{mA, mC} {
			p := b.apiPhone(t, mac, 20*time.Second, session.StageDone)
			c := p.CheckSync
			if c == nil || c.Answer != "200 OK" || c.Reread.IsZero() || p.Registration == nil || p.Registration.State != session.RegRegistered {
				t.Errorf("%s: API check-sync %+v, registration %+v; want asked, 200 OK, re-read, registered", mac, c, p.Registration)
			}
		}
		if p := b.apiPhone(t, mB, 5*time.Second, session.StageDone); p.CheckSync != nil {
			t.Errorf("B was asked to re-read an unchanged config: %+v", p.CheckSync)
		}
	})
}

// logLatency logs, for the report, how long the appliance took from
// serving a phone's SIP config to showing it registered in its journal,
// beside the time the phone itself took from its config check to the PBX's
// 200 (its REGISTER, the challenge, the answer), read from the phone's log.
func (b *regBench) logLatency(t *testing.T, mac string, p *accPhone) {
	t.Helper()
	_, h := b.summary(macKey(mac))
	var config, registered time.Time
	for _, r := range h.Records {
		switch {
		case r.Kind == "config" && strings.HasPrefix(r.Detail, "SIP "):
			config, registered = r.At, time.Time{}
		case r.Kind == "registration" && strings.HasPrefix(r.Detail, "registered") && registered.IsZero():
			registered = r.At
		}
	}
	asked, answered := logTime(p.log(), "state=registering"), logTime(p.log(), "state=registered")
	if config.IsZero() || registered.IsZero() || asked.IsZero() || answered.IsZero() {
		t.Logf("latency: not measured (config %v, registered %v, phone %v..%v)", config, registered, asked, answered)
		return
	}
	own := answered.Sub(asked)
	t.Logf("latency %s: SIP config served -> registered in the journal %v; the phone's own REGISTER..200 %v; beyond it %v",
		mac, registered.Sub(config), own, registered.Sub(config)-own)
}

// logTime is the time of the first slog line of log containing s.
func logTime(log, s string) time.Time {
	for _, l := range strings.Split(log, "\n") {
		if !strings.Contains(l, s) {
			continue
		}
		v, _, _ := strings.Cut(strings.TrimPrefix(l, "time="), " ")
		at, err := time.Parse(time.RFC3339Nano, v)
		if err == nil {
			return at
		}
	}
	return time.Time{}
}

// TestIntegrationRegisterNoPBX: the office PBX is stopped; a phone flashed
// to the target registers into silence and ends done, not registered, with
// the PBX named, after the bounded wait (-register-timeout). Then, with
// -route=false and with no uplink at all, phones end done as before the
// bench watched registrations: "not checked (no uplink)".
func TestIntegrationRegisterNoPBX(t *testing.T) {
	fw := firmwareStore(t, 0.02, fwgen.SCCP852(), fwgen.SIP942())
	macs := []string{"00:22:90:ac:21:01", "00:22:90:ac:21:02", "00:22:90:ac:21:03"}
	b := newRegBench(t, fw, 1, accounts(macs...))
	b.startPBX(t, kamailio.User{Extension: "2001", Password: "pw2001"}).Stop() // the office's PBX is down
	b.serveRouted()
	p := b.regPhone(0, "n", macs[0], "7911", "sccp852", "unreachable", "-reg-timeout", "4s")
	reg := b.apiPhone(t, macs[0], 60*time.Second, session.StageRegistering, session.StageDone)
	got := b.apiPhone(t, macs[0], 60*time.Second, session.StageDone, session.StageFailed)
	want := "done (not registered: PBX unreachable at " + officePBX + ":5060)"
	if got.Result != want || got.Registration == nil || got.Registration.State != session.RegUnreachable ||
		!strings.Contains(got.Reason, "no answer to REGISTER within "+regTimeout.String()) {
		t.Errorf("API: %s, %q, registration %+v; want %s, the watcher's reason", got.Result, got.Reason, got.Registration, want)
	}
	if reg.Stage == session.StageRegistering {
		t.Logf("bounded wait: registering since %v, done after %v (-register-timeout %v)", reg.Since.Format(time.StampMilli),
			got.Since.Sub(reg.Since).Round(time.Millisecond), regTimeout)
	}
	if own := p.own(t, 60*time.Second); own.State != "unreachable" || own.SIP.Attempts < 1 {
		t.Errorf("the phone's own result: %s, registration %+v; want unreachable", own.State, own.SIP)
	}

	for i, mode := range []struct{ name, flag string }{{"-route=false", "-route=false"}, {"no uplink", "-uplink="}} {
		b.kill()
		b.serveRouted(mode.flag)
		q := b.regPhone(0, fmt.Sprint("q", i), macs[i+1], "7911", "sccp852", "done")
		if own := q.own(t, 60*time.Second); own.State != "done" {
			t.Errorf("%s: the phone's own result: %s, want done", mode.name, own.State)
		}
		got := b.apiPhone(t, macs[i+1], 20*time.Second, session.StageDone, session.StageRegistering)
		if got.Stage != session.StageDone || got.Result != "done" || got.Registration == nil ||
			got.Registration.State != session.RegNotChecked || got.Registration.Text != "not checked (no uplink)" {
			t.Errorf("%s: API %s %s, registration %+v; want done, not checked (no uplink)", mode.name, got.Stage, got.Result, got.Registration)
		}
	}
}
