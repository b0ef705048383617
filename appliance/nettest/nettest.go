// Package nettest has helpers for tests that need network namespaces: create
// a throwaway namespace, veth pairs straight inside namespaces (never in the
// test's own), addresses, commands run inside a namespace, and functions that
// open sockets inside one. Everything is removed in t.Cleanup, also when the
// test fails. Tests that use it call RequireRoot first.
package nettest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/vishvananda/netns"
)

// RequireRoot skips the test unless it runs as root with the ip command.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for network namespaces (run as root or in CI)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs the ip command (iproute2) for network namespaces")
	}
}

// RequireCommand skips the test when a peer program is not installed.
func RequireCommand(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("needs %s (installed by .ci/run)", name)
	}
	return p
}

// Unique returns prefix followed by 4 random hex digits, for names of
// namespaces and interfaces that do not collide with parallel tests.
// Interface names must stay within 15 characters.
func Unique(prefix string) string {
	var b [2]byte
	rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// NS creates a network namespace named name with lo up and deletes it when
// the test ends.
func NS(t testing.TB, name string) string {
	t.Helper()
	Must(t, "", "ip", "netns", "add", name)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	Must(t, name, "ip", "link", "set", "lo", "up")
	return name
}

// Veth creates a veth pair with end a in namespace nsA and end b in nsB,
// both up. It never exists in the test's own namespace.
func Veth(t testing.TB, nsA, a, nsB, b string) {
	t.Helper()
	Must(t, nsA, "ip", "link", "add", a, "type", "veth", "peer", "name", b, "netns", nsB)
	Must(t, nsA, "ip", "link", "set", a, "up")
	Must(t, nsB, "ip", "link", "set", b, "up")
}

// Addr adds prefix (e.g. 10.79.1.100/24) to dev in namespace ns.
func Addr(t testing.TB, ns, dev, prefix string) {
	t.Helper()
	Must(t, ns, "ip", "addr", "add", prefix, "dev", dev)
}

// Command returns a command that runs inside namespace ns ("" = ours).
func Command(ns string, args ...string) *exec.Cmd {
	if ns == "" {
		return exec.Command(args[0], args[1:]...)
	}
	return exec.Command("ip", append([]string{"netns", "exec", ns}, args...)...)
}

// Run runs a command inside ns and returns its combined output.
func Run(ns string, args ...string) (string, error) {
	out, err := Command(ns, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s: %w: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// Must runs a command inside ns and fails the test if it fails.
func Must(t testing.TB, ns string, args ...string) string {
	t.Helper()
	out, err := Run(ns, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Do runs fn on an OS thread switched into namespace ns, for opening
// sockets and netlink handles there: they stay in ns after fn returns. The
// thread is switched back afterwards; if that fails the thread is discarded.
func Do(ns string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			errc <- fmt.Errorf("nettest: current namespace: %w", err)
			return // the thread dies with the locked goroutine
		}
		defer orig.Close()
		target, err := netns.GetFromName(ns)
		if err != nil {
			errc <- fmt.Errorf("nettest: namespace %s: %w", ns, err)
			return
		}
		defer target.Close()
		if err := netns.Set(target); err != nil {
			errc <- fmt.Errorf("nettest: entering %s: %w", ns, err)
			return
		}
		ferr := fn()
		if err := netns.Set(orig); err != nil {
			errc <- fmt.Errorf("nettest: leaving %s: %w", ns, err)
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// Handle returns a handle of namespace ns, closed when the test ends.
func Handle(t testing.TB, ns string) netns.NsHandle {
	t.Helper()
	h, err := netns.GetFromName(ns)
	if err != nil {
		t.Fatalf("nettest: namespace %s: %v", ns, err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}
