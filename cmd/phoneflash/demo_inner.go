package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/phoneflash/phoneflash/appliance"
	"github.com/phoneflash/phoneflash/appliance/session"
	"github.com/phoneflash/phoneflash/appliance/status"
	"github.com/phoneflash/phoneflash/board"
	"github.com/phoneflash/phoneflash/board/sim"
)

// runDemoInner is the half of the demo that runs inside the appliance's
// namespace: the appliance in-process on the simulated board, whose PSE
// starts and stops phonesim processes, the terminal view, the operator who
// keys a reset when asked, and the report.
func runDemoInner(ctx context.Context, f demoFlags, stdout, stderr io.Writer) int {
	l := demoLayout{prefix: f.prefix, dir: f.dir}
	logf, err := os.Create(l.applianceLog())
	if err == nil {
		err = os.MkdirAll(l.stateDir(), 0o755)
	}
	if err != nil {
		fmt.Fprintf(stderr, "phoneflash demo: %v\n", err)
		return exitFailure
	}
	defer logf.Close()
	log := slog.New(slog.NewTextHandler(logf, nil))
	phones := map[board.Channel]simPhone{}
	for _, p := range demoPhones {
		phones[board.Channel(p.Port)] = simPhone{NS: l.phoneNS(p.Port), Iface: phoneIf, MAC: p.MAC, Model: p.Model,
			Scenario: p.Scenario, Flash: l.phoneFile(p.Port, "flash.json"), Result: l.phoneFile(p.Port, "result.json"),
			Timescale: 1 / f.timeScale, Until: p.Own.State, Bin: f.phonesim, LogFile: l.phoneFile(p.Port, "log")}
	}
	ln := newLauncher(phones, f.stagger)
	hw := sim.NewWith(len(demoPhones), sim.Options{Phones: ln, PNG: l.oledPNG(), Log: log})
	header := demoHeader(f, l)
	view := newDemoView(stdout, isTTY(stdout), hw.SimDisplay().Text, header)
	if !view.tty {
		io.WriteString(stdout, header)
	}
	w := newDemoWatch(ln, view)
	ports, err := appliance.ParsePorts(l.ports())
	if err != nil {
		fmt.Fprintf(stderr, "phoneflash demo: %v\n", err)
		return exitFailure
	}
	cfg := appliance.Config{Ports: ports, Uplink: l.uplink(), FirmwareDir: l.firmwareDir(), StateDir: l.stateDir(),
		HTTPAddr: f.http, Target: appliance.DefaultTarget, AccountsFile: l.accounts(), Board: "sim",
		LeaseTime: time.Hour, Policy: "stepping", TimeScale: f.timeScale, OnStatus: w.observe}
	start := time.Now()
	if f.powerCuts > 0 {
		chaosCtx, stopChaos := context.WithCancel(ctx)
		defer stopChaos()
		go carelessOperator(chaosCtx, f.powerCuts, f.timeScale, hw.SimPSE(), w)
	}
	outcome := runDemoAppliance(ctx, cfg, hw, log, view, w, f.timeout, f.linger)
	if err := ln.Close(); err != nil {
		fmt.Fprintf(stderr, "phoneflash demo: phones: %v\n", err)
	}
	view.draw()
	if outcome != "" && ctx.Err() == nil {
		fmt.Fprintf(stdout, "\n%s; the appliance's log: %s (run with -keep to keep it)\n", outcome, l.applianceLog())
	}
	hs, err := appliance.Histories(l.stateDir())
	if err != nil {
		fmt.Fprintf(stderr, "phoneflash demo: reading the journal: %v\n", err)
		return exitFailure
	}
	own := func(p demoPhone) (phoneResult, error) { return readPhoneResult(l.phoneFile(p.Port, "result.json")) }
	ok := writeDemoReport(stdout, demoResults(demoPhones, hs, own), time.Since(start), ctx.Err() != nil)
	switch {
	case ctx.Err() != nil:
		return exitInterrupted
	case !ok || outcome != "":
		return exitFailure
	}
	return exitOK
}

func demoHeader(f demoFlags, l demoLayout) string {
	h := fmt.Sprintf("phoneflash demo: 4 bench ports in namespace %s, phones in %s..%s, time scale %g\n",
		l.appNS(), l.phoneNS(0), l.phoneNS(len(demoPhones)-1), f.timeScale)
	for _, p := range demoPhones {
		h += fmt.Sprintf("  port %d: %s %s\n", p.Port+1, p.key(), p.About)
	}
	if f.web != "" {
		h += fmt.Sprintf("web page: http://%s/ (forwarded to %s inside namespace %s)", f.web, f.http, l.appNS())
	} else {
		h += fmt.Sprintf("web page: http://%s/ inside namespace %s (ip netns exec %s curl -s http://%s/api/phones)", f.http, l.appNS(), l.appNS(), f.http)
	}
	return h + fmt.Sprintf("\n  actions (power-cycle, retry, uploads) take the password in %s\n", filepath.Join(l.stateDir(), "web-password"))
}

// runDemoAppliance runs the appliance until every phone has finished, by
// the appliance's account and then by its own (its phonesim reached its
// final state and exited), the timeout passes, the appliance fails or ctx
// is done. It returns "" when the phones finished.
func runDemoAppliance(ctx context.Context, cfg appliance.Config, hw board.Hardware, log *slog.Logger,
	view *demoView, w *demoWatch, timeout, linger time.Duration) string {
	appCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- appliance.Run(appCtx, cfg, hw, log) }()
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	limit := time.After(timeout)
	finished, appDone := w.finished, false
	outcome := ""
loop:
	for {
		select {
		case <-t.C:
			view.draw()
			if appDone && w.ln.Settled() {
				break loop
			}
			continue
		case <-finished:
			finished, appDone = nil, true
			view.note("the appliance has a result for every phone; waiting for the phones to finish by their own account")
			continue
		case err := <-errc:
			errc <- err
			outcome = fmt.Sprintf("the appliance stopped: %v", err)
		case <-limit:
			outcome = fmt.Sprintf("gave up after %s", timeout)
			if appDone {
				outcome += " waiting for the phones to finish by their own account"
			}
		case <-ctx.Done():
			outcome = "interrupted"
		}
		break loop
	}
	if outcome == "" && linger > 0 {
		fmt.Fprintf(view.out, "\nphones finished; the appliance and its web page stay up for %s (Ctrl-C ends it)\n", linger)
		select {
		case <-time.After(linger):
		case <-ctx.Done():
		}
	}
	cancel()
	if err := <-errc; err != nil && outcome == "" {
		outcome = fmt.Sprintf("the appliance stopped: %v", err)
	}
	return outcome
}

// demoWatch follows the snapshots: it updates the view, keys the factory
// reset of a phone that asks for it (the operator at the bench) and says
// when every phone has finished.
type demoWatch struct {
	ln       *launcher
	view     *demoView
	finished chan struct{}

	mu    sync.Mutex
	keyed map[string]bool // MAC -> reset keyed in this needs-reset episode
	done  bool
	last  status.Snapshot
}

func newDemoWatch(ln *launcher, view *demoView) *demoWatch {
	return &demoWatch{ln: ln, view: view, finished: make(chan struct{}), keyed: map[string]bool{}}
}

func (w *demoWatch) observe(s status.Snapshot) {
	w.view.update(s)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.last = s
	finished := 0
	for _, pv := range s.Ports {
		for _, ph := range pv.Phones {
			w.keyIfAsked(pv.Index, ph)
			if demoPhoneOf(ph.MAC) && (ph.Stage == session.StageDone || ph.Stage == session.StageFailed) {
				finished++
			}
		}
	}
	if finished == len(demoPhones) && !w.done {
		w.done = true
		close(w.finished)
	}
}

// keyIfAsked keys the reset once per needs-reset episode, a moment after
// the display asked for it.
func (w *demoWatch) keyIfAsked(port int, ph session.Phone) {
	if ph.Stage != session.StageNeedsReset {
		delete(w.keyed, ph.MAC)
		return
	}
	if w.keyed[ph.MAC] {
		return
	}
	w.keyed[ph.MAC] = true
	go func() {
		time.Sleep(500 * time.Millisecond)
		w.view.note(fmt.Sprintf("operator: port %d %s asks for its factory reset; keying 3491672850*#", port+1, ph.MAC))
		if err := w.ln.KeyReset(board.Channel(port)); err != nil {
			w.view.note("operator: " + err.Error())
		}
	}()
}

func demoPhoneOf(mac string) bool {
	for _, p := range demoPhones {
		if p.key() == mac {
			return true
		}
	}
	return false
}

// isTTY reports whether w is a terminal.
func isTTY(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
