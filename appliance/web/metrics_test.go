package web

import (
	"bytes"
	"os/exec"
	"testing"

	"github.com/phoneflash/phoneflash/appliance/web/webtest"
)

// TestMetricsPromtool has Prometheus's own promtool parse and lint the
// /metrics page, with label values that need escaping.
func TestMetricsPromtool(t *testing.T) {
	promtool := webtest.Program(t, "prometheus", "promtool")
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
