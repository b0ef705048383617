package main

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/phoneflash/phoneflash/firmware"
	"github.com/phoneflash/phoneflash/firmware/fwgen"
)

var soak = flag.Bool("soak", false, "TestIntegrationFaults with the long setting of `make soak`: 32 phones, five cycles")

// faultPlan is how hard a fault run is.
type faultPlan struct {
	Ports, PhonesPerPort, Cycles int
	FWScale                      float64
	Loss, Reorder                float64       // per frame, each direction
	CutEvery, KillEvery          time.Duration // mean time between power cuts, daemon kills
	MaxCuts                      int           // per phone
	DiskFull, ReadOnly           time.Duration // how long each lasts, once per cycle
	DiskFullAt, ReadOnlyAt       time.Duration // when in the cycle (± 50%)
	CycleTimeout                 time.Duration
	// MinDone is the share of phones that must end done, by their own
	// result and the appliance's journal alike; the others may end with
	// an honest reason. See TestIntegrationFaults.
	MinDone float64
}

// shortPlan is the run of `make test`; soakPlan of `make soak`. Daemon
// kills come less often than the appliance's stall limits (config 18 s at
// this time scale): a restarted appliance cannot know how long a phone
// stalled before (no clock to trust), so it starts the limit over.
var (
	shortPlan = faultPlan{Ports: 2, PhonesPerPort: 2, Cycles: 1, FWScale: 0.002, Loss: 0.05, Reorder: 0.1,
		CutEvery: 3 * time.Second, KillEvery: 25 * time.Second, MaxCuts: 1,
		DiskFull: 2 * time.Second, ReadOnly: 2 * time.Second, DiskFullAt: 2 * time.Second, ReadOnlyAt: 5 * time.Second,
		CycleTimeout: 2 * time.Minute, MinDone: 0.75}
	soakPlan = faultPlan{Ports: 4, PhonesPerPort: 8, Cycles: 5, FWScale: 0.005, Loss: 0.05, Reorder: 0.1,
		CutEvery: 700 * time.Millisecond, KillEvery: 30 * time.Second, MaxCuts: 2,
		DiskFull: 4 * time.Second, ReadOnly: 4 * time.Second, DiskFullAt: 5 * time.Second, ReadOnlyAt: 15 * time.Second,
		CycleTimeout: 8 * time.Minute, MinDone: 0.95}
)

// faultReport is what a run says at the end.
type faultReport struct {
	Phones, Done, Honest   int
	Retries, PowerCuts     int
	Restarts               int // daemon SIGKILLed and started again
	DiskFull, ReadOnly     int // phases survived
	Replugs                int // power cuts that were the operator's replugs
	WriteErrors            int // the daemon's log lines about a full or read-only state directory
	JournalChecks          int
	PeakRSSKB, PeakThreads int
	Link                   string
	Elapsed                time.Duration
}

func (r faultReport) String() string {
	return fmt.Sprintf("soak report: %d phones, %d done, %d failed with a reason, %d retries, %d power cuts (%d of them operator replugs), "+
		"%d daemon restarts survived (SIGKILL), %d disk-full and %d read-only phases (%d write errors logged), "+
		"%d journal checks after kills, peak RSS %.1f MB, peak threads %d, link faults by %s, %s",
		r.Phones, r.Done, r.Honest, r.Retries, r.PowerCuts, r.Replugs, r.Restarts, r.DiskFull, r.ReadOnly, r.WriteErrors, r.JournalChecks,
		float64(r.PeakRSSKB)/1024, r.PeakThreads, r.Link, r.Elapsed.Round(time.Second))
}

// Issue 11, faults: phones through full upgrade cycles while their power is
// cut at random points, the bench links lose 5% of frames and reorder
// others, the daemon is SIGKILLed at random moments and started again, and
// its state directory (a small tmpfs) fills up and goes read-only. Every
// phone ends done (or with a reason), no journal is corrupt after any
// kill, and the firmware store and account table are intact. `make test`
// runs four phones through one cycle; `make soak` (-soak) 32 through five.
//
// A run where every phone ends failed with a reason would be honest but
// useless, so a minimum share must end done, judged by each phone's own
// result and the appliance's journal together (issue 14): 3 of the 4
// phones of `make test` (75%), and 95% of the soak's 160. Every fault here
// is one a phone recovers from (a cut costs at most a replug, the daemon
// picks up its journal, loss costs retransmissions), and the soak of
// 2026-11-29 ended 160 of 160 done; the allowance is for a phone unlucky
// enough to need a person for longer than the simulated operator waits
// (four replugs, then it is taken off the bench with the appliance's
// reason), which with four phones is one in four.
func TestIntegrationFaults(t *testing.T) {
	t.Parallel() // mostly waiting for phones: overlaps the hostile tests
	plan := shortPlan
	if *soak {
		plan = soakPlan
	}
	rep := runFaults(t, plan)
	t.Log(rep)
	if *soak {
		fmt.Println(rep)
	}
}

// faultPhone is one phonesim process under a supervisor that cuts its power
// on request and powers it on again.
type faultPhone struct {
	sp      simPhone
	cut     chan struct{} // power cut, then power on
	remove  chan struct{} // the operator takes it off the bench
	done    chan struct{}
	cuts    int
	err     error
	removed bool
	started atomic.Int64 // unix nanoseconds of the process's last start: its -max-time runs from there

	// the operator's, from the journal
	replugs int
	seen    time.Time // the needs-reset record acted on
}

func (p *faultPhone) supervise(r *rand.Rand) {
	defer close(p.done)
	for {
		p.started.Store(time.Now().UnixNano())
		cmd, err := p.sp.start()
		if err != nil {
			p.err = err
			return
		}
		end := make(chan error, 1)
		go func() { end <- cmd.Wait() }()
		select {
		case p.err = <-end:
			return
		case <-p.remove:
			cmd.Process.Kill()
			<-end
			p.removed = true
			return
		case <-p.cut:
			cmd.Process.Kill() // power cut
			<-end
			p.cuts++
			time.Sleep(time.Duration(50+r.IntN(300)) * time.Millisecond)
		}
	}
}

func (p *faultPhone) result() (phoneResult, error) { return readPhoneResult(p.sp.Result) }

// wait waits until the phone's process has ended for good, or until grace
// after its own -max-time (maxTime from its last start, since a power cut
// starts it again) has passed; it reports whether the phone ended.
func (p *faultPhone) wait(maxTime, grace time.Duration) bool {
	for {
		last := time.Unix(0, p.started.Load())
		select {
		case <-p.done:
			return true
		case <-time.After(time.Until(last.Add(maxTime + grace))):
			if p.started.Load() == last.UnixNano() {
				return false
			}
		}
	}
}

// retries counts the phone's TFTP requests that timed out or failed and
// its DHCP retransmissions.
func (r phoneResult) retries() int {
	n := 0
	for _, q := range r.Requests {
		if q.Outcome == "timeout" || q.Outcome == "error" {
			n++
		}
	}
	for _, d := range r.DHCP {
		n += max(d.Discovers-1, 0) + max(d.Requests-1, 0)
	}
	return n
}

func runFaults(t *testing.T, plan faultPlan) faultReport {
	start := time.Now()
	stateDir := filepath.Join(t.TempDir(), "state")
	// Room for every phone's journal (about 32 kB each): the disk is full
	// only while the disk-full phase fills it.
	mountTmpfs(t, stateDir, "16m")
	fw := firmwareStore(t, plan.FWScale, fwgen.SCCP852(), fwgen.SIP942())
	var macs []string
	for c := range plan.Cycles {
		for i := range plan.Ports * plan.PhonesPerPort {
			macs = append(macs, fmt.Sprintf("00:22:90:cc:%02x:%02x", c, i))
		}
	}
	b := newHostileBench(t, fw, plan.Ports, accounts(macs...))
	b.state = stateDir
	// Phones 20 times faster than real ones, the appliance's stall limits
	// as much shorter: the phones' TFTP timeout stays a real 4 s, so that
	// a lost packet costs what it costs a real phone, and the limits stay
	// above it (loading 3 s, DHCP 6 s, config 18 s).
	b.timeScale = 0.05
	before := uploads(t, fw, b.accounts)
	rep := faultReport{Phones: len(macs)}
	for p := range plan.Ports {
		rep.Link = b.impair(t, p, plan.Loss, plan.Reorder, uint64(p))
	}
	b.serve()
	ch := &chaos{b: b, plan: plan, rnd: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 11)), rep: &rep}
	ch.pid.Store(int64(b.srv.Process.Pid))
	stopSampling := ch.sample()
	for c := range plan.Cycles {
		ch.cycle(t, c, macs[c*plan.Ports*plan.PhonesPerPort:(c+1)*plan.Ports*plan.PhonesPerPort])
	}
	stopSampling()
	if b.srv != nil {
		b.kill()
	}
	if need := int(math.Ceil(plan.MinDone * float64(rep.Phones))); rep.Done < need {
		t.Errorf("%d of %d phones done by their own result and the appliance's; want at least %d (%.0f%%)",
			rep.Done, rep.Phones, need, plan.MinDone*100)
	}
	if rep.Restarts == 0 || rep.DiskFull < plan.Cycles || rep.ReadOnly < plan.Cycles {
		t.Errorf("faults injected: %d restarts, %d disk-full and %d read-only phases; want each in every cycle", rep.Restarts, rep.DiskFull, rep.ReadOnly)
	}
	if rep.PeakRSSKB == 0 || rep.PeakRSSKB > maxRSSKB || rep.PeakThreads > maxThreads {
		t.Errorf("daemon peak RSS %d kB, threads %d; want at most %d kB and %d threads", rep.PeakRSSKB, rep.PeakThreads, maxRSSKB, maxThreads)
	}
	ch.checkJournal(t, true)
	log := b.srvLog.String()
	rep.WriteErrors = strings.Count(log, "no space left on device") + strings.Count(log, "read-only file system") +
		strings.Count(log, "directory is not writable")
	if diff := uploads(t, fw, b.accounts); diff != before {
		t.Errorf("the firmware store or the account table changed:\n%s\nwant\n%s", diff, before)
	}
	st, _ := firmware.OpenStore(fw)
	if rep := st.Verify(); len(rep.Problems) > 0 {
		t.Errorf("firmware store after the run: %v", rep.Problems)
	}
	rep.Elapsed = time.Since(start)
	return rep
}

// uploads sums up what the operator gave the appliance: every file of the
// firmware store and the account table, with their hashes.
func uploads(t *testing.T, fw, accounts string) string {
	t.Helper()
	var b strings.Builder
	for _, root := range []string{fw, accounts} {
		filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
			if err != nil || fi.IsDir() {
				return err
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, "%x %s\n", sha256.Sum256(data), p)
			return nil
		})
	}
	return b.String()
}

// mountTmpfs mounts a tmpfs of the given size on dir (created) and unmounts
// it when the test ends.
func mountTmpfs(t *testing.T, dir, size string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0755", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs for the state directory: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
}
