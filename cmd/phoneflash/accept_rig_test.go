package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/phoneflash/phoneflash/appliance"
	"github.com/phoneflash/phoneflash/appliance/nettest"
	"github.com/phoneflash/phoneflash/appliance/session"
	"github.com/phoneflash/phoneflash/firmware/fwgen"
	"github.com/phoneflash/phoneflash/internal/logtest"
	"github.com/phoneflash/phoneflash/internal/namespace"
)

// accBench is the bench of the acceptance tests on the demo's rig: the
// appliance's namespace with its bench ports, behind each port a switch (a
// namespace with a bridge), and behind the switch one namespace per phone.
// `phoneflash serve` runs as its own process, so it can be SIGKILLed and
// started again.
type accBench struct {
	t         *testing.T
	r         *rig
	app       string
	ports     []string // the appliance's interfaces
	switches  []string // namespaces
	dir       string
	fw, state string
	accounts  string
	bin, sim  string
	timeScale float64

	srv    *exec.Cmd
	srvLog *logtest.Buffer
	srvEnd chan error
	phones []*accPhone
}

// accPhone is one phonesim process.
type accPhone struct {
	sp   simPhone
	name string
	cmd  *exec.Cmd
	end  chan error
}

// firmwareStore imports the synthetic loads named into a new store.
func firmwareStore(t *testing.T, scale float64, loads ...fwgen.Load) string {
	t.Helper()
	dir := t.TempDir()
	fw := filepath.Join(dir, "fw")
	args := []string{"firmware", "import", "-firmware", fw}
	for _, l := range loads {
		p, err := fwgen.WriteCOP(dir, l, scale)
		if err != nil {
			t.Fatal(err)
		}
		args = append(args, p)
	}
	if code := run(t.Context(), args, io.Discard, os.Stderr); code != exitOK {
		t.Fatalf("firmware import: exit %d", code)
	}
	return fw
}

func newAccBench(t *testing.T, fw string, ports int, accounts string) *accBench {
	t.Helper()
	return newBenchWithPrefix(t, "pfda", fw, ports, accounts)
}

// newBenchWithPrefix builds the bench with namespaces and links named from
// a unique prefix that starts with base (each kind of test has its own).
func newBenchWithPrefix(t *testing.T, base, fw string, ports int, accounts string) *accBench {
	t.Helper()
	nettest.RequireRoot(t)
	prefix := nettest.Unique(base)
	b := &accBench{t: t, r: newRig(prefix), dir: t.TempDir(), fw: fw, timeScale: 0.02}
	b.bin, b.sim = buildSim(t)
	t.Cleanup(func() {
		b.stopAll()
		if err := b.r.close(); err != nil {
			t.Error(err)
		}
	})
	b.state = filepath.Join(b.dir, "state")
	b.accounts = filepath.Join(b.dir, "accounts.csv")
	if err := os.WriteFile(b.accounts, []byte("MAC,Extension,Password,PBX_Host\n"+accounts), 0o644); err != nil {
		t.Fatal(err)
	}
	var err error
	if b.app, err = b.r.addNS("app"); err != nil {
		t.Fatal(err)
	}
	for i := range ports {
		sw, err := b.r.addNS(fmt.Sprintf("sw%d", i+1))
		if err == nil {
			err = namespace.Veth(b.app, fmt.Sprintf("%sp%d", prefix, i+1), sw, "up")
		}
		if err == nil {
			err = namespace.Bridge(sw, "br0", "up")
		}
		if err != nil {
			t.Fatal(err)
		}
		b.ports = append(b.ports, fmt.Sprintf("%sp%d", prefix, i+1))
		b.switches = append(b.switches, sw)
	}
	return b
}

// serve starts `phoneflash serve` in the appliance's namespace.
func (b *accBench) serve(extra ...string) {
	b.t.Helper()
	args := append([]string{"netns", "exec", b.app, b.bin, "serve", "-ports", strings.Join(b.ports, ","),
		"-uplink", "none0", "-firmware", b.fw, "-state", b.state, "-board", "none", "-http", "",
		"-accounts", b.accounts, "-time-scale", fmt.Sprint(b.timeScale)}, extra...)
	if b.srvLog == nil {
		b.srvLog = &logtest.Buffer{}
	}
	b.srv = exec.Command("ip", args...)
	b.srv.Stderr = b.srvLog
	if err := b.srv.Start(); err != nil {
		b.t.Fatal(err)
	}
	b.srvEnd = make(chan error, 1)
	go func(c *exec.Cmd, end chan error) { end <- c.Wait() }(b.srv, b.srvEnd)
}

// kill SIGKILLs the appliance.
func (b *accBench) kill() {
	b.srv.Process.Kill()
	<-b.srvEnd
	b.srv = nil
}

// phone adds a phone on a bench port (through its switch) and powers it on.
func (b *accBench) phone(port int, name, mac, model, scenario string, extra ...string) *accPhone {
	b.t.Helper()
	ns := b.plugPhone(b.t, port, name)
	p := &accPhone{name: name, sp: b.simPhone(ns, name, mac, model, scenario, append([]string{"-max-time", "60s"}, extra...))}
	b.phones = append(b.phones, p)
	p.start(b.t)
	return p
}

// plugPhone makes a phone's namespace, cabled to port's switch, and
// returns its name.
func (b *accBench) plugPhone(t *testing.T, port int, name string) string {
	t.Helper()
	ns, err := b.r.addNS("ph" + name)
	if err == nil {
		err = namespace.Veth(b.switches[port], "d"+name, ns, phoneIf)
	}
	if err == nil {
		err = namespace.IP(b.switches[port], "link", "set", "dev", "d"+name, "master", "br0")
	}
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

// simPhone is the phonesim of a phone named name in namespace ns, with its
// flash, result and log files in the bench's directory; it runs until done.
func (b *accBench) simPhone(ns, name, mac, model, scenario string, extra []string) simPhone {
	return simPhone{NS: ns, Iface: phoneIf, MAC: mac, Model: model, Scenario: scenario,
		Flash: filepath.Join(b.dir, name+".flash.json"), Result: filepath.Join(b.dir, name+".result.json"),
		Timescale: 1 / b.timeScale, Until: "done", Bin: b.sim, LogFile: filepath.Join(b.dir, name+".log"),
		Extra: extra}
}

func (p *accPhone) start(t *testing.T) {
	t.Helper()
	cmd, err := p.sp.start()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd, p.end = cmd, make(chan error, 1)
	go func() { p.end <- cmd.Wait() }()
}

// wait waits for the phone to exit and reads its result.
func (p *accPhone) wait(t *testing.T, timeout time.Duration) (phoneResult, error) {
	t.Helper()
	var err error
	select {
	case err = <-p.end:
		p.end <- err
	case <-time.After(timeout):
		return phoneResult{}, fmt.Errorf("phone %s still running after %s; log:\n%s", p.name, timeout, p.log())
	}
	res, rerr := readPhoneResult(p.sp.Result)
	if rerr != nil {
		return res, rerr
	}
	return res, err
}

// requestsSoFar are the TFTP requests in the phone's log while it runs.
func (p *accPhone) requestsSoFar() []string {
	var out []string
	for _, l := range strings.Split(p.log(), "\n") {
		if strings.Contains(l, "tftp: RRQ") {
			out = append(out, l)
		}
	}
	return out
}

func (p *accPhone) log() string {
	b, _ := os.ReadFile(p.sp.LogFile)
	return string(b)
}

func (b *accBench) stopAll() {
	for _, p := range b.phones {
		if p.cmd != nil {
			p.cmd.Process.Kill()
			<-p.end
			p.end <- nil
		}
	}
	if b.srv != nil {
		b.kill()
	}
}

// operator keys the factory reset of a phone when the journal says it
// needs one, once per phone, until stop is closed. It returns how many
// resets it keyed per MAC.
func (b *accBench) operator(stop <-chan struct{}) func() map[string]int {
	var mu sync.Mutex
	keyed := map[string]int{}
	byMAC := map[string]*accPhone{}
	for _, p := range b.phones {
		byMAC[strings.ToUpper(strings.ReplaceAll(p.sp.MAC, ":", ""))] = p
	}
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			hs, _ := appliance.Histories(b.state)
			for _, h := range hs {
				p := byMAC[h.MAC]
				mu.Lock()
				if session.Summarize(h).Stage == "needs-reset" && keyed[h.MAC] == 0 && p != nil {
					keyed[h.MAC]++
					p.cmd.Process.Signal(syscall.SIGUSR1)
				}
				mu.Unlock()
			}
		}
	}()
	return func() map[string]int {
		mu.Lock()
		defer mu.Unlock()
		out := map[string]int{}
		for k, v := range keyed {
			out[k] = v
		}
		return out
	}
}

// summary is a phone's summary from the journal.
func (b *accBench) summary(mac string) (session.Summary, session.History) {
	hs, err := appliance.Histories(b.state)
	if err != nil {
		b.t.Fatal(err)
	}
	for _, h := range hs {
		if h.MAC == mac {
			return session.Summarize(h), h
		}
	}
	return session.Summary{}, session.History{}
}

// waitStage polls the journal until the phone is in one of the stages.
func (b *accBench) waitStage(mac string, timeout time.Duration, stages ...string) session.Summary {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s, _ := b.summary(mac)
		for _, st := range stages {
			if s.Stage == st {
				return s
			}
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: stage %q after %s, want one of %v; appliance log:\n%s", mac, s.Stage, timeout, stages, b.srvLog)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// requestNames are a phone's file requests as name:outcome.
func requestNames(r phoneResult) []string {
	var out []string
	for _, q := range r.Requests {
		out = append(out, q.Name+":"+q.Outcome)
	}
	return out
}
