package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/phoneflash/phoneflash/appliance/nettest"
	"github.com/phoneflash/phoneflash/internal/logtest"
	"github.com/phoneflash/phoneflash/internal/namespace"
)

// buildSim builds phoneflash and phonesim into a directory everyone may
// read and returns their paths.
func buildSim(t *testing.T) (phoneflash, phonesim string) {
	t.Helper()
	dir := t.TempDir()
	for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		os.Chmod(d, 0o755) // for the test that runs it as nobody
	}
	out, err := exec.Command("go", "build", "-o", dir+"/", "../phonesim", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return filepath.Join(dir, "phoneflash"), filepath.Join(dir, "phonesim")
}

// leftovers lists what carries the prefix: namespaces, links in our
// namespace, processes and the demo's work directories.
func leftovers(t *testing.T, prefix string) []string {
	t.Helper()
	var found []string
	names, err := namespace.List()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if strings.HasPrefix(n, prefix) {
			found = append(found, "netns "+n)
		}
	}
	links, err := exec.Command("ip", "-o", "link").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(links), "\n") {
		if strings.Contains(l, prefix) {
			found = append(found, "link "+l)
		}
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, _ := os.ReadFile(p)
		if cmd := strings.ReplaceAll(string(b), "\x00", " "); strings.Contains(cmd, prefix) {
			found = append(found, "process "+cmd)
		}
	}
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "phoneflash-demo-"+prefix+"-*"))
	for _, d := range dirs {
		found = append(found, "directory "+d)
	}
	return found
}

func demoCmd(t *testing.T, prefix string, extra ...string) (*exec.Cmd, *logtest.Buffer) {
	bin, sim := buildSim(t)
	args := append([]string{"demo", "-prefix", prefix, "-phonesim", sim, "-web", "127.0.0.1:0", "-time-scale", "0.02", "-stagger", "200ms", "-timeout", "60s"}, extra...)
	cmd := exec.Command(bin, args...)
	out := &logtest.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	return cmd, out
}

func TestIntegrationDemo(t *testing.T) {
	nettest.RequireRoot(t)
	prefix := nettest.Unique("pfdt")
	before := leftovers(t, prefix)
	cmd, out := demoCmd(t, prefix)
	t.Cleanup(func() { namespace.RemoveStale(prefix) })
	// An earlier run that crashed left a namespace with a process in it.
	stale := prefix + "-ph9"
	if err := namespace.IP("", "netns", "add", stale); err != nil {
		t.Fatal(err)
	}
	sleeper := exec.Command("ip", "netns", "exec", stale, "sleep", "300")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	go sleeper.Wait()
	start := time.Now()
	err := cmd.Run()
	t.Logf("phoneflash demo in %s:\n%s", time.Since(start).Round(time.Millisecond), out)
	if err != nil {
		t.Fatalf("phoneflash demo: %v, want exit 0", err)
	}
	for _, want := range []string{
		"removed namespaces left by an earlier run: [" + stale + "]",
		"1. generating synthetic firmware",
		"web page: http://127.0.0.1:",
		"added SCCP11.8-5-2S",
		"added SIP11.9-4-2SR1-1S",
		"added SCCP42.8-5-2S",
		"added SIP45.9-4-2SR3-1S",
		"operator: port 1 002290DE0001 asks for its factory reset; keying 3491672850*#",
		// The appliance's result, then the phone's own: both must agree.
		"1     002290DE0001  CP-7906G  done               registered, line 1001                SCCP with a CUCM trust list -> SCCP11.8-5-2S -> SIP11.9-4-2SR1-1S",
		"2     002290DE0002  CP-7942G  done (no account)  registered, line without a password  unknown (factory reset) -> SCCP42.8-5-2S -> SIP42.9-4-2SR3-1S",
		"3     002290DE0003  CP-7911G  done               registered, line 1003                SCCP (load unknown) -> SIP11.9-4-2SR1-1S",
		"4     002290DE0004  CP-7965G  failed             refused, line 1004                   SCCP (load unknown) -> SIP45.9-4-2SR3-1S",
		"port 4 002290DE0004: 192.0.2.10:5060 refused the password for 1004 (403 Wrong password)",
		"registered 1001 at 192.0.2.10:5060 (UDP)",
		"outcome: as expected (exit 0)",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(out.String(), "NOT as expected") {
		t.Error("the report names a disagreement")
	}
	if after := leftovers(t, prefix); strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Errorf("left behind:\n%s", strings.Join(after, "\n"))
	}
}

func TestIntegrationDemoInterrupted(t *testing.T) {
	nettest.RequireRoot(t)
	prefix := nettest.Unique("pfdt")
	cmd, out := demoCmd(t, prefix, "-time-scale", "0.5") // slow: still working when interrupted
	t.Cleanup(func() { namespace.RemoveStale(prefix) })
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), " dhcp") {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-done
			t.Fatalf("no phone in dhcp after 30 s:\n%s", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if l := leftovers(t, prefix); len(l) == 0 {
		t.Fatal("the demo runs but nothing carries its prefix: the leftover check cannot see anything")
	}
	cmd.Process.Signal(syscall.SIGINT) // Ctrl-C, to the demo alone
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		// Where it waits: the processes left in its namespaces, and every
		// goroutine of the demo (SIGQUIT makes Go print them).
		left := leftovers(t, prefix)
		cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		t.Fatalf("phoneflash demo still running 30 s after SIGINT; left in its namespaces:\n%s\noutput and goroutines:\n%s",
			strings.Join(left, "\n"), out)
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Errorf("exit after SIGINT: %v, want 130", err)
	}
	if !strings.Contains(out.String(), "outcome: interrupted (exit 130)") ||
		!strings.Contains(out.String(), "interrupted: removed every namespace, link and process of the demo") {
		t.Errorf("output lacks the interruption line:\n%s", out)
	}
	if l := leftovers(t, prefix); len(l) > 0 {
		t.Errorf("left behind after SIGINT:\n%s", strings.Join(l, "\n"))
	}
}

func TestIntegrationDemoNotRoot(t *testing.T) {
	nettest.RequireRoot(t) // to become nobody
	bin, _ := buildSim(t)
	cmd := exec.Command(bin, "demo")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() == 0 {
		t.Errorf("as nobody: %v, want a non-zero exit", err)
	}
	if string(out) != needsRoot+"\n" {
		t.Errorf("as nobody it says %q, want the one line %q", out, needsRoot)
	}
}

// TestIntegrationDemoPowerCuts: a careless operator pulls working phones'
// cables through the simulated PSE (their phonesim is killed mid-transfer or
// mid-flash and started again with the same flash when power returns); the
// demo still ends with every phone's expected result.
func TestIntegrationDemoPowerCuts(t *testing.T) {
	nettest.RequireRoot(t)
	prefix := nettest.Unique("pfdc")
	t.Cleanup(func() { namespace.RemoveStale(prefix) })
	cmd, out := demoCmd(t, prefix, "-power-cuts", "3", "-time-scale", "0.05", "-firmware-scale", "0.3")
	err := cmd.Run()
	t.Logf("phoneflash demo -power-cuts 3:\n%s", out)
	if err != nil {
		t.Fatalf("phoneflash demo: %v, want exit 0", err)
	}
	if n := strings.Count(out.String(), "pulls the cable of port"); n == 0 {
		t.Errorf("no power cut happened")
	}
	if !strings.Contains(out.String(), "outcome: as expected (exit 0)") {
		t.Errorf("the outcome is not the expected one")
	}
	if left := leftovers(t, prefix); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}
