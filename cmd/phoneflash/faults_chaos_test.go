package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/phoneflash/phoneflash/appliance"
	"github.com/phoneflash/phoneflash/appliance/journal"
	"github.com/phoneflash/phoneflash/appliance/session"
)

// chaos runs one cycle's phones and faults.
type chaos struct {
	b    *accBench
	plan faultPlan
	rnd  *rand.Rand
	pid  atomic.Int64 // the running daemon's
	mu   sync.Mutex   // guards rep's peaks
	rep  *faultReport
}

// sample keeps the daemon's peak RSS and threads, across restarts, until
// the returned function is called.
func (ch *chaos) sample() (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			if st, err := readProcStats(int(ch.pid.Load())); err == nil {
				ch.mu.Lock()
				ch.rep.PeakRSSKB = max(ch.rep.PeakRSSKB, st.RSSKB)
				ch.rep.PeakThreads = max(ch.rep.PeakThreads, st.Threads)
				ch.mu.Unlock()
			}
			select {
			case <-done:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}

func (ch *chaos) cycle(t *testing.T, c int, macs []string) {
	b, plan := ch.b, ch.plan
	scenarios := []string{"formatted-old", "sccp852", "sip", "formatted-old"}
	models := []string{"7906", "7911"}
	var phones []*faultPhone
	for i, mac := range macs {
		name := fmt.Sprintf("%d%02d", c, i)
		port := i % plan.Ports
		ns := b.plugPhone(t, port, name)
		p := &faultPhone{cut: make(chan struct{}, 1), remove: make(chan struct{}, 1), done: make(chan struct{}),
			sp: b.simPhone(ns, name, mac, models[i%2], scenarios[(i+c)%len(scenarios)],
				[]string{"-max-time", plan.CycleTimeout.String(), "-seed", fmt.Sprint(ch.rnd.Uint64())})}
		p.started.Store(time.Now().UnixNano())
		phones = append(phones, p)
		go p.supervise(rand.New(rand.NewPCG(ch.rnd.Uint64(), 1)))
	}
	stop := make(chan struct{})
	chaosDone := make(chan struct{})
	go func() {
		defer close(chaosDone)
		ch.run(t, stop, phones)
	}()
	// Each phone stops itself after -max-time (the cycle's timeout) from
	// its last start; one still running 30 s later is hung.
	for _, p := range phones {
		if !p.wait(plan.CycleTimeout, 30*time.Second) {
			t.Errorf("cycle %d: phone %s still running 30 s after its -max-time %s; log:\n%s", c, p.sp.MAC, plan.CycleTimeout, tail(p.sp.LogFile))
		}
	}
	close(stop)
	<-chaosDone
	ch.score(t, phones)
}

// run injects faults until stop: power cuts, daemon kills, one disk-full
// and one read-only phase.
func (ch *chaos) run(t *testing.T, stop <-chan struct{}, phones []*faultPhone) {
	cut := time.NewTimer(ch.jitter(ch.plan.CutEvery))
	kill := time.NewTimer(ch.jitter(ch.plan.KillEvery))
	full := time.NewTimer(ch.jitter(ch.plan.DiskFullAt))
	ro := time.NewTimer(ch.jitter(ch.plan.ReadOnlyAt))
	defer cut.Stop()
	defer kill.Stop()
	operator := time.NewTicker(200 * time.Millisecond)
	defer operator.Stop()
	for {
		select {
		case <-operator.C:
			ch.operate(phones)
		case <-stop:
			full.Stop()
			ro.Stop()
			return
		case <-cut.C:
			p := phones[ch.rnd.IntN(len(phones))]
			if p.cuts < ch.plan.MaxCuts {
				select {
				case p.cut <- struct{}{}:
				default:
				}
			}
			cut.Reset(ch.jitter(ch.plan.CutEvery))
		case <-kill.C:
			ch.restart(t, nil)
			kill.Reset(ch.jitter(ch.plan.KillEvery))
		case <-full.C:
			ch.diskFull(t)
		case <-ro.C:
			ch.readOnly(t)
		}
	}
}

// operate is the person at the bench: a phone the appliance has said for
// a few seconds needs a person (a phone may still recover on its own: its
// TFTP patience is 16 s) is unplugged and plugged in again (a power cut),
// up to four times; after that it is taken off the bench with the
// appliance's reason.
func (ch *chaos) operate(phones []*faultPhone) {
	hs, err := appliance.Histories(ch.b.state)
	if err != nil {
		return
	}
	last := map[string]session.Record{}
	for _, h := range hs {
		if len(h.Records) > 0 {
			last[h.MAC] = h.Last()
		}
	}
	for _, p := range phones {
		r, ok := last[macKey(p.sp.MAC)]
		if !ok || r.Stage != "needs-reset" || r.At.Equal(p.seen) || time.Since(r.At) < operatorDelay {
			continue
		}
		p.seen = r.At
		target := p.cut
		if p.replugs++; p.replugs > 4 {
			target = p.remove
		}
		select {
		case target <- struct{}{}:
		default:
		}
	}
}

// operatorDelay is how long a phone says it needs a person before the
// person acts: longer than a phone's TFTP patience (4 s, then 3
// retransmissions 4 s apart).
const operatorDelay = 17 * time.Second

// jitter is d ± 50%.
func (ch *chaos) jitter(d time.Duration) time.Duration {
	return d/2 + time.Duration(ch.rnd.Int64N(int64(d)))
}

// restart SIGKILLs the daemon, checks the journal, runs between (if set)
// while it is down, and starts it again with extra flags.
func (ch *chaos) restart(t *testing.T, between func(), extra ...string) {
	ch.b.kill()
	ch.checkJournal(t, false)
	if between != nil {
		between()
	}
	time.Sleep(time.Duration(100+ch.rnd.IntN(300)) * time.Millisecond)
	ch.b.serve(extra...)
	ch.pid.Store(int64(ch.b.srv.Process.Pid))
	ch.rep.Restarts++
}

// checkJournal fails on a journal line that does not parse: after a kill
// only the last line of a file may be torn (repaired at the next start);
// after a clean start none may be.
func (ch *chaos) checkJournal(t *testing.T, final bool) {
	ch.rep.JournalChecks++
	names, _ := filepath.Glob(filepath.Join(ch.b.state, journal.Subdir, "*.jsonl"))
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			t.Errorf("journal %s: %v", n, err)
			continue
		}
		lines := bytes.Split(data, []byte("\n"))
		for i, l := range lines {
			if len(l) == 0 && i == len(lines)-1 {
				continue
			}
			var r session.Record
			if err := json.Unmarshal(l, &r); err != nil && (i < len(lines)-1 || final) {
				t.Errorf("journal %s line %d of %d does not parse (%v): %q", filepath.Base(n), i+1, len(lines), err, l)
			}
		}
	}
}

// diskFull fills the state directory's tmpfs, holds it full, and frees it.
func (ch *chaos) diskFull(t *testing.T) {
	filler := filepath.Join(ch.b.state, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Errorf("disk full: %v", err)
		return
	}
	chunk := make([]byte, 64<<10)
	for err == nil {
		_, err = f.Write(chunk)
	}
	for size := 4096; size > 0 && errors.Is(err, syscall.ENOSPC); size /= 2 {
		_, err = f.Write(chunk[:size]) // up to the last bytes
		for err == nil {
			_, err = f.Write(chunk[:size])
		}
	}
	f.Close()
	time.Sleep(ch.plan.DiskFull)
	os.Remove(filler)
	ch.rep.DiskFull++
}

// readOnly kills the daemon, remounts the state directory read-only,
// starts the daemon as the gokrazy image does (-perm-fallback: it serves
// from a temporary directory and says so), then after a while does the
// same with the directory writable again. The journal must not change
// while it is read-only.
func (ch *chaos) readOnly(t *testing.T) {
	var before string
	ch.restart(t, func() {
		remount(t, ch.b.state, "ro")
		before = uploads(t, ch.b.state, "")
	}, "-perm-fallback")
	time.Sleep(ch.plan.ReadOnly)
	ch.restart(t, func() {
		if after := uploads(t, ch.b.state, ""); after != before {
			t.Errorf("the read-only state directory changed")
		}
		remount(t, ch.b.state, "rw")
	})
	ch.rep.ReadOnly++
}

func remount(t *testing.T, dir, mode string) {
	if out, err := exec.Command("mount", "-o", "remount,"+mode, dir).CombinedOutput(); err != nil {
		t.Errorf("remount %s %s: %v: %s", mode, dir, err, out)
	}
}

// score counts the cycle's phones, judged by the phone's own result and
// the appliance's journal together: done when both say done on the target,
// honest when the appliance gives a reason (failed, needs-reset) and the
// phone does not claim to be done; anything else, a disagreement above
// all, fails the test.
func (ch *chaos) score(t *testing.T, phones []*faultPhone) {
	for _, p := range phones {
		res, err := p.result()
		ch.rep.PowerCuts += p.cuts
		ch.rep.Replugs += min(p.replugs, p.cuts)
		ch.rep.Retries += res.retries()
		s, _ := ch.b.summary(macKey(p.sp.MAC))
		phoneDone := err == nil && res.State == "done" && res.Load == appliance.DefaultTarget
		appDone := s.Stage == "done" && s.Load == appliance.DefaultTarget
		switch {
		case phoneDone && appDone:
			ch.rep.Done++
			continue
		case !phoneDone && !appDone && (s.Stage == "failed" || s.Stage == "needs-reset") && s.Reason != "":
			ch.rep.Honest++
			t.Logf("%s (%s, %s) ended %s: %s; the phone says %s on %s; removed by the operator: %v; phone log:\n%s",
				p.sp.MAC, p.sp.Model, p.sp.Scenario, s.Stage, s.Reason, res.State, res.Load, p.removed, tail(p.sp.LogFile))
			continue
		}
		who := "neither says done"
		switch {
		case phoneDone:
			who = "the phone says done, the appliance does not"
		case appDone:
			who = "the appliance says done, the phone does not"
		}
		t.Errorf("%s (%s, %s): %s: phone %s on %s (%v, exit %v), appliance says %s on %s %q; phone log:\n%s\n%s",
			p.sp.MAC, p.sp.Model, p.sp.Scenario, who, res.State, res.Load, err, p.err, s.Stage, s.Load, s.Reason, tail(p.sp.LogFile),
			ch.evidence(p.sp.MAC))
	}
}

func tail(name string) string {
	b, _ := os.ReadFile(name)
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return string(b)
}

// evidence is what the appliance kept of a phone, for a disagreement: its
// journal, record by record, and the daemon's log lines that name it
// (across every restart) or a restart.
func (ch *chaos) evidence(colon string) string {
	var b strings.Builder
	mac := macKey(colon)
	_, h := ch.b.summary(mac)
	fmt.Fprintf(&b, "journal of %s (%d records, %d damaged):\n", mac, len(h.Records), h.Damaged)
	for _, r := range h.Records {
		fmt.Fprintf(&b, "  %s %s %s: %s\n", r.At.Format("15:04:05.000"), r.Stage, r.Kind, r.Detail)
	}
	var lines []string
	for _, l := range strings.Split(ch.b.srvLog.String(), "\n") {
		if strings.Contains(l, mac) || strings.Contains(l, colon) || strings.Contains(l, "resumed") || strings.Contains(l, "journal") {
			lines = append(lines, l)
		}
	}
	lines = lines[max(0, len(lines)-80):]
	fmt.Fprintf(&b, "daemon log about it:\n  %s", strings.Join(lines, "\n  "))
	return b.String()
}
