package main

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/phoneflash/phoneflash/appliance"
	"github.com/phoneflash/phoneflash/firmware/fwgen"
)

// The acceptance tests of issue 5 on the demo's rig: `phoneflash serve` in
// its own namespace, phonesim phones behind a bridge per bench port.

func macKey(mac string) string { return strings.ToUpper(strings.ReplaceAll(mac, ":", "")) }

// images are a load's images as requests that succeeded.
func images(l fwgen.Load) []string {
	var out []string
	for _, im := range l.Images {
		out = append(out, im.Name+":ok")
	}
	return out
}

// wantRequests is the expected request sequence of each kind of phone.
func wantRequests(scenario, model, mac string) []string {
	m := macKey(mac)
	term := "term06.default.loads:ok"
	if model == "7911" {
		term = "term11.default.loads:ok"
	}
	ctl := []string{"CTLSEP" + m + ".tlv:not-found", "ITLSEP" + m + ".tlv:not-found"}
	sipBoot := append(append([]string{}, ctl...), "ITLFile.tlv:not-found", "SEP"+m+".cnf.xml:ok", "dialplan.xml:ok") // the dial template SIP configs name
	toSIP := append(append(append([]string{}, ctl...), "SEP"+m+".cnf.xml:ok", "SIP11.9-4-2SR1-1S.loads:ok"), images(fwgen.SIP942())...)
	var seq []string
	switch scenario {
	case "old-cucm": // asks for the signed config; reset keyed; default load; stepping stone; target
		seq = append(append(append(ctl, "SEP"+m+".cnf.xml.sgn:not-found", term), images(fwgen.SCCP852())...), toSIP...)
	case "sccp852":
		seq = toSIP
	}
	return append(seq, sipBoot...)
}

func accounts(macs ...string) string {
	var b strings.Builder
	for i, m := range macs {
		fmt.Fprintf(&b, "%s,20%02d,pw20%02d,192.0.2.10\n", m, i+1, i+1)
	}
	return b.String()
}

// Issue 5: four simulated phones on two ports, two 7906G with old loaders,
// a 7911G on SCCP 8.5(2) and a 7906G already on SIP, all reach done on the
// target with exactly one keyed reset for each of the first two and none
// for the others; every phone's requests are the expected sequence.
func TestIntegrationAcceptFourPhones(t *testing.T) {
	fw := firmwareStore(t, 0.02, fwgen.SCCP852(), fwgen.SIP942())
	macs := []string{"00:22:90:ac:00:01", "00:22:90:ac:00:02", "00:22:90:ac:00:03", "00:22:90:ac:00:04"}
	b := newAccBench(t, fw, 2, accounts(macs...))
	b.serve()
	type spec struct {
		port            int
		model, scenario string
		resets          int
	}
	specs := []spec{{0, "7906", "old-cucm", 1}, {0, "7906", "old-cucm", 1}, {1, "7911", "sccp852", 0}, {1, "7906", "sip", 0}}
	var phones []*accPhone
	for i, s := range specs {
		phones = append(phones, b.phone(s.port, string(rune('a'+i)), macs[i], s.model, s.scenario))
	}
	stop := make(chan struct{})
	defer close(stop)
	keyed := b.operator(stop)
	for i, p := range phones {
		res, err := p.wait(t, 30*time.Second)
		if err != nil || res.State != "done" || res.Load != appliance.DefaultTarget || res.Exit != "until" {
			t.Errorf("%s: %v: state %s on %s (exit %s), want done on %s:\n%s", macs[i], err, res.State, res.Load, res.Exit, appliance.DefaultTarget, p.log())
		}
		if res.Resets != specs[i].resets {
			t.Errorf("%s: %d factory resets, want %d", macs[i], res.Resets, specs[i].resets)
		}
		if diff := cmp.Diff(wantRequests(specs[i].scenario, specs[i].model, macs[i]), requestNames(res)); diff != "" {
			t.Errorf("%s (%s): requests (-want +got):\n%s", macs[i], specs[i].scenario, diff)
		}
		if s, _ := b.summary(macKey(macs[i])); s.Stage != "done" || s.Result != "done" || s.Load != appliance.DefaultTarget {
			t.Errorf("%s: appliance says %s / %s on %s, want done on the target", macs[i], s.Stage, s.Result, s.Load)
		}
	}
	if diff := cmp.Diff(map[string]int{macKey(macs[0]): 1, macKey(macs[1]): 1}, keyed()); diff != "" {
		t.Errorf("resets keyed because the appliance asked (-want +got):\n%s", diff)
	}
}

// Issue 5: the appliance SIGKILLed while a phone is loading, then started
// again: the phone still ends done and its journal shows the restart.
func TestIntegrationAcceptApplianceKilled(t *testing.T) {
	fw := firmwareStore(t, 0.3, fwgen.SIP942()) // 2.5 MB: loading lasts long enough to be caught
	mac := "00:22:90:ac:01:01"
	b := newAccBench(t, fw, 1, accounts(mac))
	b.serve()
	// A phone at a tenth of real time with its TFTP timeout scaled too, so
	// the transfer cut by the kill times out in 0.4 s, not 16 s.
	p := b.phone(0, "k", mac, "7911", "sccp852", "-timescale", "10", "-scale-tftp", "-write-per-mb", "100ms",
		"-coldboot-max", "1s", "-reboot-time", "2s", "-retry-min", "1s", "-retry-max", "2s")
	b.waitStage(macKey(mac), 20*time.Second, "loading")
	b.kill()
	if s, _ := b.summary(macKey(mac)); s.Stage != "loading" {
		t.Fatalf("killed the appliance with the phone in %q, want loading", s.Stage)
	}
	time.Sleep(300 * time.Millisecond)
	b.serve()
	res, err := p.wait(t, 30*time.Second)
	if err != nil || res.State != "done" || res.Load != appliance.DefaultTarget {
		t.Errorf("after the restart: %v, state %s on %s, want done on the target:\n%s", err, res.State, res.Load, p.log())
	}
	s, _ := b.summary(macKey(mac))
	if s.Stage != "done" || s.Restarts < 1 {
		t.Errorf("journal: stage %s with %d restarts, want done with the restart recorded", s.Stage, s.Restarts)
	}
}

// Issue 5: a power cut during an image transfer; the phone recovers and
// ends done.
func TestIntegrationAcceptPowerCut(t *testing.T) {
	fw := firmwareStore(t, 0.02, fwgen.SCCP852(), fwgen.SIP942())
	mac := "00:22:90:ac:02:01"
	b := newAccBench(t, fw, 1, accounts(mac))
	b.serve()
	p := b.phone(0, "c", mac, "7911", "sccp852", "-cut-at", "image:3:20000")
	res, err := p.wait(t, 30*time.Second)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 || res.Exit != "power-cut" {
		t.Fatalf("first power-on: %v, exit %q, want the power cut (exit 3):\n%s", err, res.Exit, p.log())
	}
	p.sp.Extra = p.sp.Extra[:len(p.sp.Extra)-2] // power comes back: same flash, no cut
	p.start(t)
	res, err = p.wait(t, 30*time.Second)
	if err != nil || res.State != "done" || res.Load != appliance.DefaultTarget || res.PowerCuts != 1 {
		t.Errorf("after the power cut: %v, state %s on %s with %d power cuts, want done on the target after 1:\n%s",
			err, res.State, res.Load, res.PowerCuts, p.log())
	}
	if s, _ := b.summary(macKey(mac)); s.Stage != "done" {
		t.Errorf("appliance says %s, want done", s.Stage)
	}
}

// Issue 5: the target's stepping stone is not in the store: old-loader
// phones end failed with the hint to import it, and stay there instead of
// looping.
func TestIntegrationAcceptNoSteppingStone(t *testing.T) {
	fw := firmwareStore(t, 0.02, fwgen.SIP942())
	macs := []string{"00:22:90:ac:03:01", "00:22:90:ac:03:02"}
	b := newAccBench(t, fw, 1, accounts(macs...))
	b.serve()
	// retry_default_load of 0.6..0.8 s at this time scale: the loader asks
	// for its term file again quickly.
	retry := []string{"-retry-min", "30s", "-retry-max", "40s"}
	phones := []*accPhone{b.phone(0, "f", macs[0], "7906", "formatted-old", retry...), b.phone(0, "o", macs[1], "7906", "old-cucm", retry...)}
	stop := make(chan struct{})
	defer close(stop)
	b.operator(stop)
	records := map[string]int{}
	for _, mac := range macs {
		s := b.waitStage(macKey(mac), 20*time.Second, "failed")
		if !strings.Contains(s.Reason, "import cmterm-7911_7906-sccp.8-5-2.cop.sgn") {
			t.Errorf("%s: failed with %q, want the hint to import the stepping stone", mac, s.Reason)
		}
	}
	asked := map[string]int{}
	for i, mac := range macs {
		_, h := b.summary(macKey(mac))
		records[mac] = len(h.Records)
		asked[mac] = len(phones[i].requestsSoFar())
	}
	// The phones keep asking for their term files (retry_default_load);
	// the appliance answers, but it neither loops through stages nor
	// leaves failed.
	time.Sleep(2 * time.Second)
	for i, mac := range macs {
		s, h := b.summary(macKey(mac))
		if s.Stage != "failed" {
			t.Errorf("%s: 2 s after failing it is %s, want still failed", mac, s.Stage)
		}
		var stages []string
		for _, r := range h.Records[records[mac]:] {
			if r.Kind == "stage" {
				stages = append(stages, r.Stage)
			}
		}
		if len(stages) > 0 {
			t.Errorf("%s: stages after failing: %v, want none (no loop)", mac, stages)
		}
		if n := len(phones[i].requestsSoFar()); n <= asked[mac] {
			t.Errorf("%s: the phone made no request after failing (%d, then %d): the check above saw nothing", mac, asked[mac], n)
		}
	}
}

// Issue 5: a 40-character password: that phone's status names the limit;
// the other phone on the port is unaffected.
func TestIntegrationAcceptLongPassword(t *testing.T) {
	fw := firmwareStore(t, 0.02, fwgen.SCCP852(), fwgen.SIP942())
	macs := []string{"00:22:90:ac:04:01", "00:22:90:ac:04:02"}
	b := newAccBench(t, fw, 1, macs[0]+",2001,"+strings.Repeat("0123456789", 4)+",192.0.2.10\n"+macs[1]+",2002,pw2002,192.0.2.10\n")
	b.serve()
	long := b.phone(0, "l", macs[0], "7906", "sccp852")
	short := b.phone(0, "s", macs[1], "7906", "sccp852")
	for _, p := range []*accPhone{long, short} {
		if res, err := p.wait(t, 20*time.Second); err != nil || res.State != "done" {
			t.Errorf("%s: %v, state %s, want done:\n%s", p.name, err, res.State, p.log())
		}
	}
	s := b.waitStage(macKey(macs[0]), 5*time.Second, "done")
	if s.Result != "done (password refused)" || !strings.Contains(s.Reason, "40 characters; CP-7906G accepts at most 30") {
		t.Errorf("long password: %s, %q; want done (password refused) naming the limit of 30", s.Result, s.Reason)
	}
	s = b.waitStage(macKey(macs[1]), 5*time.Second, "done")
	if s.Result != "done" || s.Reason != "" || s.Account != "2002" {
		t.Errorf("the other phone: %s, %q, account %q; want done with its account and no reason", s.Result, s.Reason, s.Account)
	}
	// phoneflash status shows the limit too.
	var out strings.Builder
	if code := run(t.Context(), []string{"status", "-state", b.state}, &out, &out); code != exitOK ||
		!strings.Contains(out.String(), "accepts at most 30") {
		t.Errorf("phoneflash status: exit %d:\n%s", code, out.String())
	}
}
