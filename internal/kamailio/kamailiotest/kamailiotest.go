// Package kamailiotest starts internal/kamailio's Kamailio for a test and
// stops it when the test ends. It is apart from package kamailio, which the
// demo links into the appliance's binary, so that the binary does not carry
// the testing package.
package kamailiotest

import (
	"os/exec"
	"testing"

	"github.com/phoneflash/phoneflash/internal/kamailio"
)

// Require skips the test when Kamailio is not installed.
func Require(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("kamailio"); err != nil {
		t.Skip("needs kamailio (Debian package kamailio, in TEST_DEPS)")
	}
}

// Start starts an instance in namespace ns for a test and stops it when the
// test ends; the test fails when Kamailio does not start. On failure its
// log is printed.
func Start(t testing.TB, ns string, c kamailio.Config) *kamailio.Instance {
	t.Helper()
	Require(t)
	k, err := kamailio.Start(ns, c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kamailio log (%s):\n%s", k.Dir, k.Log())
		}
		k.Stop()
	})
	return k
}
