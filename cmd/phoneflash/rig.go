package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// rig is a simulated bench built from network namespaces: the appliance in
// one, phones in others, veth pairs (and bridges where phones share a port)
// between them. Every name starts with the rig's prefix, so a crashed run's
// leftovers are found again and concurrent rigs with other prefixes never
// collide. Links are only ever created inside the rig's namespaces, never
// in the caller's, so deleting the namespaces removes everything.
type rig struct {
	prefix string

	mu  sync.Mutex
	nss []string // namespaces created, in order
}

func newRig(prefix string) *rig { return &rig{prefix: prefix} }

// name is the rig's name for a namespace: prefix-suffix.
func (r *rig) name(suffix string) string { return r.prefix + "-" + suffix }

// ip runs the ip command, optionally inside a namespace.
func ip(ns string, args ...string) error {
	if ns != "" {
		args = append([]string{"-n", ns}, args...)
	}
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// addNS creates namespace prefix-suffix with its loopback up and returns its
// name.
func (r *rig) addNS(suffix string) (string, error) {
	ns := r.name(suffix)
	if err := ip("", "netns", "add", ns); err != nil {
		return "", fmt.Errorf("rig: %w", err)
	}
	r.mu.Lock()
	r.nss = append(r.nss, ns)
	r.mu.Unlock()
	if err := ip(ns, "link", "set", "lo", "up"); err != nil {
		return "", fmt.Errorf("rig: %w", err)
	}
	return ns, nil
}

// veth creates a veth pair with end a in namespace nsA and end b in nsB,
// both up.
func (r *rig) veth(nsA, a, nsB, b string) error {
	for _, n := range []string{a, b} {
		if len(n) > 15 {
			return fmt.Errorf("rig: interface name %q is longer than 15 characters", n)
		}
	}
	steps := [][]string{
		{nsA, "link", "add", a, "type", "veth", "peer", "name", b, "netns", nsB},
		{nsA, "link", "set", "dev", a, "up"},
		{nsB, "link", "set", "dev", b, "up"},
	}
	for _, s := range steps {
		if err := ip(s[0], s[1:]...); err != nil {
			return fmt.Errorf("rig: %w", err)
		}
	}
	return nil
}

// bridge creates bridge br in ns with the given interfaces of ns on it, all
// up: the Ethernet switch between a bench port and several phones.
func (r *rig) bridge(ns, br string, members ...string) error {
	steps := [][]string{{"link", "add", br, "type", "bridge", "forward_delay", "0"}, {"link", "set", "dev", br, "up"}}
	for _, m := range members {
		steps = append(steps, []string{"link", "set", "dev", m, "master", br}, []string{"link", "set", "dev", m, "up"})
	}
	for _, s := range steps {
		if err := ip(ns, s...); err != nil {
			return fmt.Errorf("rig: %w", err)
		}
	}
	return nil
}

// close kills every process left in the rig's namespaces and deletes them,
// newest first; deleting a namespace removes its links.
func (r *rig) close() error {
	r.mu.Lock()
	nss := r.nss
	r.nss = nil
	r.mu.Unlock()
	var errs []error
	for i := len(nss) - 1; i >= 0; i-- {
		errs = append(errs, removeNS(nss[i]))
	}
	return errors.Join(errs...)
}

// removeNS kills the processes inside ns (SIGKILL, waiting until they are
// gone) and deletes it.
func removeNS(ns string) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		pids := nsPIDs(ns)
		if len(pids) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("rig: processes %v in namespace %s do not die", pids, ns)
		}
		for _, pid := range pids {
			if pid != os.Getpid() {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := ip("", "netns", "del", ns); err != nil {
		return fmt.Errorf("rig: %w", err)
	}
	return nil
}

// nsPIDs lists the processes in a namespace, like `ip netns pids`, without
// zombies.
func nsPIDs(ns string) []int {
	out, err := exec.Command("ip", "netns", "pids", ns).Output()
	if err != nil {
		return nil
	}
	var pids []int
	for _, f := range strings.Fields(string(out)) {
		pid, err := strconv.Atoi(f)
		if err != nil || zombie(pid) {
			continue
		}
		pids = append(pids, pid)
	}
	return pids
}

func zombie(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return true // gone
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] == 'Z'
	}
	return false
}

// listNS returns the names of the machine's network namespaces.
func listNS() ([]string, error) {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return nil, fmt.Errorf("rig: ip netns list: %w", err)
	}
	var names []string
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			names = append(names, f[0])
		}
	}
	return names, nil
}

// removeStale removes the namespaces a crashed run with this prefix left
// behind and returns their names.
func removeStale(prefix string) ([]string, error) {
	names, err := listNS()
	if err != nil {
		return nil, err
	}
	var gone []string
	var errs []error
	for _, n := range names {
		if !strings.HasPrefix(n, prefix+"-") {
			continue
		}
		if err := removeNS(n); err != nil {
			errs = append(errs, err)
			continue
		}
		gone = append(gone, n)
	}
	return gone, errors.Join(errs...)
}

// simPhone is one phonesim process's command line.
type simPhone struct {
	NS, Iface       string
	MAC, Model      string // MAC as aa:bb:..; model 7906 or 7911
	Scenario        string // old-cucm, formatted-old, sccp852, sip
	Flash, Result   string // files
	Timescale       float64
	Until           string // "" = never
	Extra           []string
	Bin             string // the phonesim binary
	LogFile, Stdout string // "" discards
}

// command returns the phonesim command inside the phone's namespace (NS ""
// runs it in ours, for tests of the launcher).
func (p simPhone) command() *exec.Cmd {
	until := p.Until
	if until == "" {
		until = "never"
	}
	args := []string{"-iface", p.Iface, "-mac", p.MAC, "-model", p.Model,
		"-scenario", p.Scenario, "-flash", p.Flash, "-timescale", strconv.FormatFloat(p.Timescale, 'g', -1, 64),
		"-until", until}
	if p.Result != "" {
		args = append(args, "-result", p.Result)
	}
	args = append(args, p.Extra...)
	if p.NS == "" {
		return exec.Command(p.Bin, args...)
	}
	return exec.Command("ip", append([]string{"netns", "exec", p.NS, p.Bin}, args...)...)
}

// start starts the phone with its stderr appended to LogFile.
func (p simPhone) start() (*exec.Cmd, error) {
	cmd := p.command()
	if p.LogFile != "" {
		f, err := os.OpenFile(p.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, fmt.Errorf("phonesim %s: %w", p.MAC, err)
		}
		defer f.Close()
		cmd.Stderr, cmd.Stdout = f, f
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("phonesim %s: %w", p.MAC, err)
	}
	return cmd, nil
}

// findPhonesim returns the phonesim binary: flag, else next to this
// executable, else on PATH.
func findPhonesim(flagValue string) (string, error) {
	if flagValue != "" {
		p, err := filepath.Abs(flagValue)
		if err == nil {
			_, err = os.Stat(p)
		}
		if err != nil {
			return "", fmt.Errorf("-phonesim %s: %w", flagValue, err)
		}
		return p, nil
	}
	if self, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(self), "phonesim")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	if p, err := exec.LookPath("phonesim"); err == nil {
		return filepath.Abs(p)
	}
	return "", errors.New("the phone simulator is not built: run `go build -o build/ ./cmd/phoneflash ./cmd/phonesim` and then build/phoneflash demo (or make demo), or pass -phonesim PATH")
}
