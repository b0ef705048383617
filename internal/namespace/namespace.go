// Package namespace builds simulated benches out of Linux network
// namespaces for the module's tests, the demo and the benchmarks: it
// creates and removes namespaces, veth pairs straight between two
// namespaces (never in the caller's own), bridges, commands run inside a
// namespace, and runs functions on a thread switched into one so that the
// sockets they open stay there. It needs root (CAP_SYS_ADMIN) and the ip
// command of iproute2; appliance/nettest wraps it for tests.
package namespace

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vishvananda/netns"
)

// MaxIfName is the longest interface name Linux takes.
const MaxIfName = 15

// Command returns a command that runs inside namespace ns ("" = ours).
func Command(ns string, args ...string) *exec.Cmd {
	if ns == "" {
		return exec.Command(args[0], args[1:]...)
	}
	return exec.Command("ip", append([]string{"netns", "exec", ns}, args...)...)
}

// Run runs a command inside ns and returns its combined output; the error
// names the command and carries the output.
func Run(ns string, args ...string) (string, error) {
	out, err := Command(ns, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// IP runs the ip command on namespace ns ("" = ours): `ip -n ns args...`.
func IP(ns string, args ...string) error {
	if ns != "" {
		args = append([]string{"-n", ns}, args...)
	}
	_, err := Run("", append([]string{"ip"}, args...)...)
	return err
}

// Add creates namespace name with its loopback up.
func Add(name string) error {
	if err := IP("", "netns", "add", name); err != nil {
		return fmt.Errorf("namespace: %w", err)
	}
	if err := IP(name, "link", "set", "lo", "up"); err != nil {
		Delete(name)
		return fmt.Errorf("namespace: %w", err)
	}
	return nil
}

// Delete deletes namespace name, and with it the links inside.
func Delete(name string) error {
	if err := IP("", "netns", "del", name); err != nil {
		return fmt.Errorf("namespace: %w", err)
	}
	return nil
}

// Veth creates a veth pair with end a in namespace nsA and end b in nsB,
// both up. It never exists in the caller's namespace.
func Veth(nsA, a, nsB, b string) error {
	for _, n := range []string{a, b} {
		if len(n) > MaxIfName {
			return fmt.Errorf("namespace: interface name %q is longer than %d characters", n, MaxIfName)
		}
	}
	return steps(
		[]string{nsA, "link", "add", a, "type", "veth", "peer", "name", b, "netns", nsB},
		[]string{nsA, "link", "set", "dev", a, "up"},
		[]string{nsB, "link", "set", "dev", b, "up"})
}

// Bridge creates bridge br in ns with the given interfaces of ns on it,
// all up: the Ethernet switch between a bench port and several phones.
func Bridge(ns, br string, members ...string) error {
	s := [][]string{{ns, "link", "add", br, "type", "bridge", "forward_delay", "0"}, {ns, "link", "set", "dev", br, "up"}}
	for _, m := range members {
		s = append(s, []string{ns, "link", "set", "dev", m, "master", br}, []string{ns, "link", "set", "dev", m, "up"})
	}
	return steps(s...)
}

// steps runs ip commands, each {namespace, args...}, until one fails.
func steps(s ...[]string) error {
	for _, st := range s {
		if err := IP(st[0], st[1:]...); err != nil {
			return fmt.Errorf("namespace: %w", err)
		}
	}
	return nil
}

// Do runs fn on an OS thread switched into namespace ns, for opening
// sockets and netlink handles there: they stay in ns after fn returns.
// The thread is switched back afterwards; if that fails it is discarded.
func Do(ns string, fn func() error) error {
	h, err := netns.GetFromName(ns)
	if err != nil {
		return fmt.Errorf("namespace %s: %w", ns, err)
	}
	defer h.Close()
	if err := DoHandle(h, fn); err != nil {
		return fmt.Errorf("namespace %s: %w", ns, err)
	}
	return nil
}

// Open returns what open returns, called inside namespace ns as Do calls
// fn: the socket or handle it opens stays in ns.
func Open[T any](ns string, open func() (T, error)) (T, error) {
	var v T
	err := Do(ns, func() error {
		var err error
		v, err = open()
		return err
	})
	return v, err
}

// DoHandle is Do for the namespace behind an open handle.
func DoHandle(h netns.NsHandle, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			errc <- fmt.Errorf("current network namespace: %w", err)
			return // the thread dies with the locked goroutine
		}
		defer orig.Close()
		if err := netns.Set(h); err != nil {
			errc <- fmt.Errorf("entering the network namespace: %w", err)
			return
		}
		ferr := fn()
		if err := netns.Set(orig); err != nil {
			errc <- errors.Join(ferr, fmt.Errorf("leaving the network namespace: %w", err))
			return // never reuse a thread stuck in the wrong namespace
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// List returns the names of the machine's network namespaces.
func List() ([]string, error) {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return nil, fmt.Errorf("namespace: ip netns list: %w", err)
	}
	var names []string
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			names = append(names, f[0])
		}
	}
	return names, nil
}

// Remove kills the processes inside ns (SIGKILL, waiting until they are
// gone) and deletes it.
func Remove(ns string) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		pids := PIDs(ns)
		if len(pids) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("namespace: processes %v in namespace %s do not die", pids, ns)
		}
		for _, pid := range pids {
			if pid != os.Getpid() {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return Delete(ns)
}

// RemoveStale removes the namespaces named prefix-... (what a crashed run
// with that prefix left behind) and returns their names.
func RemoveStale(prefix string) ([]string, error) {
	names, err := List()
	if err != nil {
		return nil, err
	}
	var gone []string
	var errs []error
	for _, n := range names {
		if !strings.HasPrefix(n, prefix+"-") {
			continue
		}
		if err := Remove(n); err != nil {
			errs = append(errs, err)
			continue
		}
		gone = append(gone, n)
	}
	return gone, errors.Join(errs...)
}

// PIDs lists the processes in a namespace, like `ip netns pids`, without
// zombies.
func PIDs(ns string) []int {
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
