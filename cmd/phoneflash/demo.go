package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/phoneflash/phoneflash/firmware/fwgen"
	"github.com/phoneflash/phoneflash/internal/namespace"
)

// demoFlags are the flags of `phoneflash demo` (outer and inner).
type demoFlags struct {
	timeScale float64
	fwScale   float64
	keep      bool
	phonesim  string
	http      string
	web       string // this machine's address forwarded to -http in the appliance's namespace
	timeout   time.Duration
	stagger   time.Duration
	linger    time.Duration // keep the appliance and its page up after the phones finish
	powerCuts int           // cut a working phone's power this many times
	prefix    string        // hidden: namespace and interface prefix (tests)
	inner     bool          // hidden: the half that runs inside the appliance's namespace
	dir       string        // hidden with -inner: the work directory
}

func parseDemoFlags(args []string, stderr io.Writer) (demoFlags, error) {
	var f demoFlags
	fs := flag.NewFlagSet("phoneflash demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Float64Var(&f.timeScale, "time-scale", 0.25, "`factor` for every phone-side delay and the appliance's timeouts: 1 is real time, 0.25 is 4 times faster")
	fs.Float64Var(&f.fwScale, "firmware-scale", 0.02, "size `factor` of the synthetic firmware: 1 is the real sizes (8 MB for the SIP load)")
	fs.BoolVar(&f.keep, "keep", false, "keep the work directory (firmware, state, journal, phone logs) for inspection")
	fs.StringVar(&f.phonesim, "phonesim", "", "the phone simulator `binary`; default: phonesim next to phoneflash, else on PATH")
	fs.StringVar(&f.http, "http", "127.0.0.1:8079", "web page `address` inside the appliance's namespace")
	fs.StringVar(&f.web, "web", "127.0.0.1:8079", "`address` on this machine forwarded to the web page inside the namespace; empty for none")
	fs.DurationVar(&f.timeout, "timeout", 110*time.Second, "give up after this `duration`")
	fs.IntVar(&f.powerCuts, "power-cuts", 0, "a careless operator pulls a working phone's cable this many `times`, through the simulated PSE")
	fs.DurationVar(&f.linger, "linger", 0, "keep the appliance and its web page running this `duration` after the phones finish, to look around")
	fs.DurationVar(&f.stagger, "stagger", time.Second, "`delay` between powering one port and the next")
	fs.StringVar(&f.prefix, "prefix", "pfd", "")
	fs.BoolVar(&f.inner, "inner", false, "")
	fs.StringVar(&f.dir, "dir", "", "")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: phoneflash demo [flags]\n\nRuns the whole job on simulated hardware, as root: generates and imports synthetic\nfirmware, builds four bench ports in network namespaces, powers simulated phones one\nafter another, shows the OLED and every phone's progress, and ends with the report.\nExit 0 when every phone ends as expected. Everything it creates is removed at the end.\n\nFlags:\n")
		fs.VisitAll(func(fl *flag.Flag) {
			if fl.Usage != "" {
				name, usage := flag.UnquoteUsage(fl)
				def := ""
				if fl.DefValue != "" && fl.DefValue != "false" {
					def = " (default " + fl.DefValue + ")"
				}
				fmt.Fprintf(fs.Output(), "  -%s %s\n    \t%s%s\n", fl.Name, name, usage, def)
			}
		})
	}
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	switch {
	case fs.NArg() > 0:
		return f, fmt.Errorf("unexpected argument %q (see phoneflash demo -h)", fs.Arg(0))
	case f.timeScale <= 0 || f.timeScale > 1:
		return f, fmt.Errorf("-time-scale %v: want more than 0 and at most 1", f.timeScale)
	case f.fwScale <= 0 || f.fwScale > 1:
		return f, fmt.Errorf("-firmware-scale %v: want more than 0 and at most 1", f.fwScale)
	case len(f.prefix) < 1 || len(f.prefix) > 10:
		return f, fmt.Errorf("-prefix %q: want 1 to 10 characters (interface names are at most 15)", f.prefix)
	}
	return f, nil
}

// exitInterrupted is the demo's exit code after Ctrl-C or SIGTERM, as a
// shell reports a command killed by SIGINT.
const exitInterrupted = 130

// euid is the effective user id; tests replace it.
var euid = os.Geteuid

// needsRoot is the one line a user without root sees.
const needsRoot = "phoneflash demo: needs root to create network namespaces and virtual Ethernet links; run it as root: sudo make demo"

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f, err := parseDemoFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		fmt.Fprintf(stderr, "phoneflash demo: %v\n", err)
		return exitUsage
	}
	if f.inner {
		return runDemoInner(ctx, f, stdout, stderr)
	}
	if euid() != 0 {
		fmt.Fprintln(stderr, needsRoot)
		return exitFailure
	}
	if _, err := exec.LookPath("ip"); err != nil {
		fmt.Fprintln(stderr, "phoneflash demo: needs the ip command; install it with: apt-get install iproute2")
		return exitFailure
	}
	if !haveKamailio() {
		fmt.Fprintln(stderr, needsKamailio)
		return exitFailure
	}
	if f.phonesim, err = findPhonesim(f.phonesim); err != nil {
		fmt.Fprintf(stderr, "phoneflash demo: %v\n", err)
		return exitFailure
	}
	return demoOuter(ctx, f, stdout, stderr)
}

// demoOuter prepares the bench, runs the inner half in the appliance's
// namespace and removes everything again, also when interrupted.
func demoOuter(ctx context.Context, f demoFlags, stdout, stderr io.Writer) int {
	unlock, err := lockDemo(f.prefix)
	if err != nil {
		fmt.Fprintf(stderr, "phoneflash demo: %v\n", err)
		return exitFailure
	}
	defer unlock()
	if gone, err := namespace.RemoveStale(f.prefix); len(gone) > 0 || err != nil {
		fmt.Fprintf(stdout, "removed namespaces left by an earlier run: %v\n", gone)
		if err != nil {
			fmt.Fprintf(stderr, "phoneflash demo: %v\n", err)
			return exitFailure
		}
	}
	dir, err := os.MkdirTemp("", "phoneflash-demo-"+f.prefix+"-")
	if err != nil {
		fmt.Fprintf(stderr, "phoneflash demo: %v\n", err)
		return exitFailure
	}
	l := demoLayout{prefix: f.prefix, dir: dir}
	r := newRig(f.prefix)
	code := exitFailure
	err = prepareDemo(ctx, f, l, r, stdout, stderr)
	stopPBX := func() {}
	if err == nil {
		stopPBX, err = startDemoPBX(l, demoPhones)
	}
	if err == nil {
		var stop func()
		f.web, stop = forwardWeb(f, l, stderr)
		code = runInner(ctx, f, l, stdout, stderr)
		slowStep(stderr, "closing the web page's forwarder", stop)
		slowStep(stderr, "stopping the office PBX", stopPBX)
	} else {
		fmt.Fprintf(stderr, "phoneflash demo: %v\n", err)
	}
	var cerr error
	slowStep(stderr, "removing the namespaces", func() { cerr = r.close() })
	if cerr != nil {
		fmt.Fprintf(stderr, "phoneflash demo: cleaning up: %v\n", cerr)
		code = exitFailure
	}
	if f.keep {
		fmt.Fprintf(stdout, "kept the work directory %s (firmware, state/journal, phone logs)\n", dir)
	} else {
		os.RemoveAll(dir)
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stdout, "interrupted: removed every namespace, link and process of the demo")
		return exitInterrupted
	}
	return code
}

// slowStep runs one step of the clean-up and says so when it took longer
// than a user waiting after Ctrl-C would expect.
func slowStep(stderr io.Writer, what string, step func()) {
	start := time.Now()
	step()
	if d := time.Since(start); d > 2*time.Second {
		fmt.Fprintf(stderr, "phoneflash demo: cleaning up: %s took %s\n", what, d.Round(100*time.Millisecond))
	}
}

// lockDemo makes sure only one demo with this prefix runs at a time: the
// second one would remove the first one's namespaces as stale. The lock is
// an abstract unix socket: no file to leave behind, gone with the process.
func lockDemo(prefix string) (func(), error) {
	l, err := net.Listen("unix", "@phoneflash/demo/"+prefix)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, errors.New("another phoneflash demo is running; wait for it to end or stop it")
	}
	if err != nil {
		return nil, fmt.Errorf("demo lock: %w", err)
	}
	return func() { l.Close() }, nil
}

// prepareDemo generates and imports the firmware, writes the account table
// and builds the namespaces and links.
func prepareDemo(ctx context.Context, f demoFlags, l demoLayout, r *rig, stdout, stderr io.Writer) error {
	fmt.Fprintf(stdout, "1. generating synthetic firmware (scale %g) and importing it\n", f.fwScale)
	cops := filepath.Join(l.dir, "cop")
	if err := os.MkdirAll(cops, 0o755); err != nil {
		return err
	}
	args := []string{"firmware", "import", "-firmware", l.firmwareDir()}
	var loads []fwgen.Load
	for _, fam := range demoFamilies {
		loads = append(loads, fwgen.Builtin(fam).Stone(), fwgen.Builtin(fam).Target())
	}
	for _, load := range loads {
		p, err := fwgen.WriteCOP(cops, load, f.fwScale)
		if err != nil {
			return fmt.Errorf("generating %s: %w", load.Name, err)
		}
		args = append(args, p)
	}
	if code := run(ctx, args, stdout, stderr); code != exitOK {
		return fmt.Errorf("phoneflash firmware import failed (exit %d)", code)
	}
	if err := writeAccounts(l.accounts(), demoPhones); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "2. bench: namespace %s with ports %s, one namespace per phone; the office behind its uplink:\n"+
		"   namespace %s, Kamailio at %s with the accounts, but another password for 1004\n", l.appNS(), l.ports(), l.officeNS(), demoPBXAddr)
	if err := buildDemoBench(r, l); err != nil {
		return err
	}
	return ctx.Err()
}

func buildDemoBench(r *rig, l demoLayout) error {
	app, err := r.addNS("app")
	if err != nil {
		return err
	}
	if err := buildDemoOffice(r, app, l); err != nil {
		return err
	}
	for _, p := range demoPhones {
		ns, err := r.addNS(fmt.Sprintf("ph%d", p.Port+1))
		if err != nil {
			return err
		}
		if err := namespace.Veth(app, l.portIf(p.Port), ns, phoneIf); err != nil {
			return err
		}
	}
	return nil
}

// forwardWeb starts the proxy to the web page and returns the address it
// listens on ("" when it could not) and how to stop it.
func forwardWeb(f demoFlags, l demoLayout, stderr io.Writer) (string, func()) {
	if f.web == "" {
		return "", func() {}
	}
	p, err := startWebProxy(f.web, l.appNS(), f.http)
	if err != nil {
		fmt.Fprintf(stderr, "phoneflash demo: %v; the web page stays inside namespace %s\n", err, l.appNS())
		return "", func() {}
	}
	return p.Addr(), func() { p.Close() }
}

// runInner runs `phoneflash demo -inner` in the appliance's namespace. A
// signal to this process is passed on as SIGTERM; the inner half stops its
// phones, writes the report and exits.
func runInner(ctx context.Context, f demoFlags, l demoLayout, stdout, stderr io.Writer) int {
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "phoneflash demo: %v\n", err)
		return exitFailure
	}
	args := []string{"netns", "exec", l.appNS(), self, "demo", "-inner", "-dir", l.dir, "-prefix", f.prefix,
		"-phonesim", f.phonesim, "-time-scale", strconv.FormatFloat(f.timeScale, 'g', -1, 64),
		"-http", f.http, "-web", f.web, "-timeout", f.timeout.String(), "-stagger", f.stagger.String(), "-linger", f.linger.String(), "-power-cuts", strconv.Itoa(f.powerCuts)}
	cmd := exec.Command("ip", args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(stderr, "phoneflash demo: %v\n", err)
		return exitFailure
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var werr error
	select {
	case werr = <-done:
	case <-ctx.Done():
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case werr = <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			werr = <-done
		}
	}
	var ee *exec.ExitError
	switch {
	case werr == nil:
		return exitOK
	case errors.As(werr, &ee) && ee.ExitCode() > 0:
		return ee.ExitCode()
	}
	fmt.Fprintf(stderr, "phoneflash demo: %v\n", werr)
	return exitFailure
}
