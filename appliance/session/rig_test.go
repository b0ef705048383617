package session

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/phoneflash/phoneflash/firmware"
)

var t0 = time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)

// rig drives one phone's session through Step, as the Manager would, and
// keeps what a test wants to look at.
type rig struct {
	t       *testing.T
	m       Machine
	s       State
	now     time.Time
	cycles  int
	history []string
	logs    []string
}

const testMAC = "001122AABBCC"

func testMachine(withStep bool, power bool, policy firmware.Policy) Machine {
	m := Machine{Catalog: newCatalog(withStep), Configs: fakeConfigs{}, Policy: policy, Timeouts: DefaultTimeouts()}
	if power {
		m.PowerControl = func(string) bool { return true }
	}
	return m
}

func newRig(t *testing.T, m Machine) *rig {
	s := NewState(testMAC, targetLoad, t0)
	s.Port = "eth1"
	return &rig{t: t, m: m, s: s, now: t0}
}

// stoneRig is a 7906 fetching the stepping stone: its first image done,
// the second cut halfway.
func stoneRig(t *testing.T) *rig {
	t.Helper()
	r := newRig(t, testMachine(true, false, firmware.PolicyStepping))
	r.boot(vci06)
	r.req("term06.default.loads")
	r.fetch(stepLoad, 0, 2, 300)
	return r
}

func (r *rig) do(e Event) []Action {
	r.t.Helper()
	next, acts := r.m.Step(r.s, e, r.now)
	r.s = next
	answers := 0
	for _, a := range acts {
		switch a := a.(type) {
		case Answer:
			answers++
		case PowerCycle:
			r.cycles++
		case Journal:
			r.history = append(r.history, a.Kind+" "+a.Detail)
		case Log:
			r.logs = append(r.logs, a.Msg+" "+a.Reason)
		}
	}
	_, isReq := e.(TFTPRequest)
	if isReq && answers != 1 {
		r.t.Fatalf("%v: %d answers, want exactly 1", e, answers)
	}
	if !isReq && answers != 0 {
		r.t.Fatalf("%v: %d answers to a non-request", e, answers)
	}
	return acts
}

// req asks for file; a .loads file served is transferred whole.
func (r *rig) req(file string) Answer {
	r.t.Helper()
	a := r.reqCut(file)
	if a.Kind == AnswerFile && strings.HasSuffix(file, ".loads") {
		r.do(TFTPDone{MAC: testMAC, File: file})
	}
	return a
}

// reqCut asks for file, and its transfer never completes.
func (r *rig) reqCut(file string) Answer {
	r.t.Helper()
	for _, a := range r.do(TFTPRequest{MAC: testMAC, File: file}) {
		if a, ok := a.(Answer); ok {
			return a
		}
	}
	return Answer{}
}

// wait lets d pass in one-second ticks.
func (r *rig) wait(d time.Duration) {
	r.t.Helper()
	for end := r.now.Add(d); r.now.Before(end); {
		r.now = r.now.Add(time.Second)
		r.do(Tick{})
	}
}

func (r *rig) boot(vci string) {
	r.t.Helper()
	r.do(Power{Port: "eth1", On: true})
	r.do(Link{Port: "eth1", Up: true})
	r.do(DHCP{Kind: DHCPDiscover, MAC: testMAC, Port: "eth1", VendorClass: vci})
	r.do(DHCP{Kind: DHCPAck, MAC: testMAC, Port: "eth1", IP: "10.79.1.100", VendorClass: vci})
	r.now = r.now.Add(2 * time.Second)
}

// reboot is the phone restarting on its own: link drops, DHCP again.
func (r *rig) reboot(vci string) {
	r.t.Helper()
	r.do(Link{Port: "eth1", Up: false})
	r.now = r.now.Add(20 * time.Second)
	r.boot(vci)
}

func (r *rig) cut(vci string) {
	r.t.Helper()
	r.do(Power{Port: "eth1", On: false})
	r.now = r.now.Add(5 * time.Second)
	r.boot(vci)
}

// fetch fetches images [from, to) of load in order; a partial last file
// when cutAt > 0.
func (r *rig) fetch(load string, from, to int, cutAt int64) {
	r.t.Helper()
	imgs := r.m.images(load)
	for i := from; i < to; i++ {
		a := r.req(imgs[i])
		if a.Kind != AnswerFile || a.Load != load || a.File != imgs[i] {
			r.t.Fatalf("request %s: answer %+v", imgs[i], a)
		}
		size := r.m.fileSize(load, imgs[i])
		r.do(TFTPProgress{MAC: testMAC, File: imgs[i], Bytes: size / 2, Total: size})
		if cutAt > 0 && i == to-1 {
			return
		}
		r.now = r.now.Add(time.Second)
		r.do(TFTPDone{MAC: testMAC, File: imgs[i]})
	}
}

func (r *rig) fetchAll(load string) {
	r.t.Helper()
	r.fetch(load, 0, 5, 0)
	r.want(StageApplying)
}

// sccpBoot is a normal SCCP boot up to its config; it returns the config.
func (r *rig) sccpBoot() Answer {
	r.t.Helper()
	r.probe("CTLSEP" + testMAC + ".tlv")
	r.probe("ITLSEP" + testMAC + ".tlv")
	return r.req("SEP" + testMAC + ".cnf.xml")
}

// targetLoads boots the phone as SCCP up to its config, which names the
// target, and has it take the target's .loads (none of its images yet).
func (r *rig) targetLoads(vci string) {
	r.t.Helper()
	r.boot(vci)
	r.sccpBoot()
	r.req(targetLoad + ".loads")
}

func (r *rig) sipBoot() Answer {
	r.t.Helper()
	r.probe("CTLSEP" + testMAC + ".tlv")
	r.probe("ITLSEP" + testMAC + ".tlv")
	r.probe("ITLFile.tlv")
	return r.req("SEP" + testMAC + ".cnf.xml")
}

func (r *rig) probe(file string) {
	r.t.Helper()
	if a := r.req(file); a.Kind != AnswerNotFound {
		r.t.Fatalf("%s: answer %+v, want not found", file, a)
	}
}

func (r *rig) want(st Stage) {
	r.t.Helper()
	if r.s.Stage != st {
		r.t.Fatalf("stage %s, want %s (reason %q)\nhistory:\n%s", r.s.Stage, st, r.s.Reason, strings.Join(r.history, "\n"))
	}
}

func (r *rig) wantAnswer(a Answer, kind AnswerKind, load, dataPrefix string) {
	r.t.Helper()
	if a.Kind != kind || a.Load != load || !strings.HasPrefix(string(a.Data), dataPrefix) {
		r.t.Fatalf("answer %s %s %q, want %s %s %q...", a.Kind, a.Load, a.Data, kind, load, dataPrefix)
	}
}

func (r *rig) wantReason(sub string) {
	r.t.Helper()
	if !strings.Contains(r.s.Reason, sub) {
		r.t.Fatalf("reason %q does not contain %q", r.s.Reason, sub)
	}
}

const (
	vci06 = "Cisco Systems, Inc. IP Phone CP-7906G\x00"
	vci11 = "Cisco Systems, Inc. IP Phone CP-7911G\x00"
)

func (r *rig) String() string { return fmt.Sprintf("%+v", r.s) }
