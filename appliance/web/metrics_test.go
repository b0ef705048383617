package web

import (
	"bytes"
	"os"
	"os/exec"
	"testing"
)

// promtoolPath finds promtool (Debian package prometheus, in the
// Makefile's TEST_DEPS), or skips when it is missing and the test cannot
// install it; as root (CI, which installs TEST_DEPS) a missing promtool
// fails, as a missing chromium does.
func promtoolPath(t *testing.T) string {
	p, err := exec.LookPath("promtool")
	if err == nil {
		return p
	}
	if os.Geteuid() != 0 {
		t.Skip("promtool is not installed (Debian package prometheus; .ci/run installs it as root): skipping the /metrics check")
	}
	t.Fatal("promtool is not installed: apt-get install prometheus (.ci/run does)")
	return ""
}

// TestMetricsPromtool has Prometheus's own promtool parse and lint the
// /metrics page, with label values that need escaping.
func TestMetricsPromtool(t *testing.T) {
	promtool := promtoolPath(t)
	m := NewMetrics()
	ts, _ := newTestServer(t, Options{Metrics: m})
	m.TransferDone("eth1", 1234)
	m.TransferDone(`odd "port" \ with`+"\nnewline", 12345678901)
	m.TransferFailed("eth1")
	m.DHCPLease("eth1", 2)
	m.Error("tftp")
	m.PoECurrent("eth1", 0.125)
	code, body, _ := do(t, newReq(t, "GET", ts.URL+"/metrics", nil))
	if code != 200 {
		t.Fatalf("GET /metrics: %d", code)
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader([]byte(body))
	out, err := cmd.CombinedOutput()
	if err != nil || len(out) != 0 {
		t.Errorf("promtool check metrics: %v\n%s\nthe page:\n%s", err, out, body)
	}
}
