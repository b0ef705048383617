// Package nettest has helpers for tests that need network namespaces: create
// a throwaway namespace, veth pairs straight inside namespaces (never in the
// test's own), addresses, commands run inside a namespace, and functions that
// open sockets inside one. Everything is removed in t.Cleanup, also when the
// test fails. Tests that use it call RequireRoot first. The namespace work
// itself is internal/namespace's, shared with the demo and the benchmarks.
package nettest

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"testing"

	"github.com/vishvananda/netns"

	"github.com/phoneflash/phoneflash/internal/namespace"
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
	if err := namespace.Add(name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { namespace.Delete(name) })
	return name
}

// Veth creates a veth pair with end a in namespace nsA and end b in nsB,
// both up. It never exists in the test's own namespace.
func Veth(t testing.TB, nsA, a, nsB, b string) {
	t.Helper()
	if err := namespace.Veth(nsA, a, nsB, b); err != nil {
		t.Fatal(err)
	}
}

// Addr adds prefix (e.g. 10.79.1.100/24) to dev in namespace ns.
func Addr(t testing.TB, ns, dev, prefix string) {
	t.Helper()
	Must(t, ns, "ip", "addr", "add", prefix, "dev", dev)
}

// Command returns a command that runs inside namespace ns ("" = ours).
func Command(ns string, args ...string) *exec.Cmd { return namespace.Command(ns, args...) }

// Run runs a command inside ns and returns its combined output.
func Run(ns string, args ...string) (string, error) { return namespace.Run(ns, args...) }

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
// sockets and netlink handles there: they stay in ns after fn returns.
func Do(ns string, fn func() error) error { return namespace.Do(ns, fn) }

// Open returns what open returns, called inside namespace ns: the socket
// it opens stays there.
func Open[T any](ns string, open func() (T, error)) (T, error) { return namespace.Open(ns, open) }

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
