package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/phoneflash/phoneflash/internal/namespace"
)

// rig is a simulated bench built from network namespaces: the appliance in
// one, phones in others, veth pairs (and bridges where phones share a port)
// between them, made with internal/namespace. Every name starts with the
// rig's prefix, so a crashed run's leftovers are found again
// (namespace.RemoveStale) and concurrent rigs with other prefixes never
// collide. Links are only ever created inside the rig's namespaces, never
// in the caller's, so deleting the namespaces removes everything.
type rig struct {
	prefix string

	mu  sync.Mutex
	nss []string // namespaces created, in order
}

func newRig(prefix string) *rig { return &rig{prefix: prefix} }

// addNS creates namespace prefix-suffix with its loopback up and returns its
// name.
func (r *rig) addNS(suffix string) (string, error) {
	ns := r.prefix + "-" + suffix
	if err := namespace.Add(ns); err != nil {
		return "", fmt.Errorf("rig: %w", err)
	}
	r.mu.Lock()
	r.nss = append(r.nss, ns)
	r.mu.Unlock()
	return ns, nil
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
		errs = append(errs, namespace.Remove(nss[i]))
	}
	return errors.Join(errs...)
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
