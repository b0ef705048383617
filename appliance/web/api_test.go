package web

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/phoneflash/phoneflash/appliance/session"
	"github.com/phoneflash/phoneflash/firmware/fwgen"
	"github.com/phoneflash/phoneflash/internal/fwtest"
)

func TestPhonesAPI(t *testing.T) {
	ts, _ := newTestServer(t, Options{})
	code, body, h := do(t, newReq(t, "GET", ts.URL+"/api/phones", nil))
	if code != 200 || h.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /api/phones: %d %s %q", code, h.Get("Content-Type"), body)
	}
	var raw []map[string]any
	if err := json.Unmarshal([]byte(body), &raw); err != nil || len(raw) != 1 {
		t.Fatalf("decoding %q: %v", body, err)
	}
	for _, f := range []string{"mac", "port", "model", "stage", "load", "target", "file", "bytes", "total", "reason", "since"} {
		if _, ok := raw[0][f]; !ok && f != "reason" {
			t.Errorf("field %q missing in %s", f, body)
		}
	}
	var got []session.Phone
	json.Unmarshal([]byte(body), &got)
	if diff := cmp.Diff([]session.Phone{loading}, got); diff != "" {
		t.Errorf("phones (-want +got):\n%s", diff)
	}

	code, body, _ = do(t, newReq(t, "GET", ts.URL+"/api/phones/00:11:22:aa:bb:cc", nil))
	var one session.Phone
	if err := json.Unmarshal([]byte(body), &one); code != 200 || err != nil || one.MAC != loading.MAC {
		t.Errorf("GET /api/phones/{mac}: %d %q", code, body)
	}
	if code, body, _ = do(t, newReq(t, "GET", ts.URL+"/api/phones/001122000000", nil)); code != 404 {
		t.Errorf("unknown MAC: %d %q, want 404", code, body)
	}
}

func TestHistoryAPI(t *testing.T) {
	ts, _ := newTestServer(t, Options{History: func(mac string) ([]session.Record, error) {
		if mac != "001122AABBCC" {
			return nil, errors.New("unexpected mac " + mac)
		}
		return []session.Record{{At: t0, MAC: mac, Kind: "stage", Detail: "dhcp", Stage: "dhcp", State: json.RawMessage(`{"secret":1}`)}}, nil
	}})
	code, body, _ := do(t, newReq(t, "GET", ts.URL+"/api/phones/SEP001122aabbcc/history", nil))
	var got []Event
	if err := json.Unmarshal([]byte(body), &got); code != 200 || err != nil {
		t.Fatalf("history: %d %q", code, body)
	}
	if diff := cmp.Diff([]Event{{At: t0, Kind: "stage", Detail: "dhcp", Stage: "dhcp"}}, got); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	if strings.Contains(body, "secret") {
		t.Errorf("history shows the saved state: %s", body)
	}
	if code, _, _ := do(t, newReq(t, "GET", ts.URL+"/api/phones/nope/history", nil)); code != 400 {
		t.Errorf("history of a non-MAC: %d, want 400", code)
	}
}

// newStore is an empty firmware store in a new temporary directory.
var newStore = fwtest.NewStore

func TestFirmwareAPI(t *testing.T) {
	st := newStore(t)
	cop, err := fwgen.WriteCOP(t.TempDir(), fwgen.SIP942(), 0.001)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Import(cop); err != nil {
		t.Fatal(err)
	}
	ts, _ := newTestServer(t, Options{Firmware: st})
	code, body, _ := do(t, newReq(t, "GET", ts.URL+"/api/firmware?verify=1", nil))
	var got FirmwareList
	if err := json.Unmarshal([]byte(body), &got); code != 200 || err != nil {
		t.Fatalf("GET /api/firmware: %d %q", code, body)
	}
	if len(got.Loads) != 1 || got.Loads[0].Name != fwgen.SIP942().Name || !got.Verified || len(got.Problems) != 0 {
		t.Errorf("firmware list %+v", got)
	}
}

func TestMetrics(t *testing.T) {
	m := NewMetrics()
	ts, _ := newTestServer(t, Options{Metrics: m})
	m.TransferDone("eth1", 1234)
	m.TransferFailed("eth1")
	m.DHCPLease("eth1", 2)
	m.Error("tftp")
	m.PoECurrent("eth1", 0.125)
	code, body, h := do(t, newReq(t, "GET", ts.URL+"/metrics", nil))
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("GET /metrics: %d %q", code, h.Get("Content-Type"))
	}
	for _, want := range []string{
		`phoneflash_phones{stage="loading"} 1`,
		`phoneflash_phones{stage="done"} 0`,
		`phoneflash_transfers_total{port="eth1",result="done"} 1`,
		`phoneflash_transfers_total{port="eth1",result="failed"} 1`,
		`phoneflash_bytes_served_total{port="eth1"} 1234`,
		`phoneflash_dhcp_leases{port="eth1"} 2`,
		`phoneflash_errors_total{kind="tftp"} 1`,
		`phoneflash_poe_current_amperes{port="eth1"} 0.125`,
		"go_goroutines ",
	} {
		if !strings.Contains(body, want+"\n") && !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestHealthzAndPage(t *testing.T) {
	ts, _ := newTestServer(t, Options{Password: password, ProtectPage: true})
	if code, body, _ := do(t, newReq(t, "GET", ts.URL+"/healthz", nil)); code != 200 || body != "ok\n" {
		t.Errorf("healthz with a protected page: %d %q", code, body)
	}
	open, _ := newTestServer(t, Options{})
	code, body, h := do(t, newReq(t, "GET", open.URL+"/", nil))
	if code != 200 || !strings.Contains(body, `<table id="phones">`) || !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'self'") {
		t.Errorf("GET /: %d %q", code, body)
	}
	if !strings.Contains(body, "Actions are disabled") {
		t.Errorf("page without a password does not say actions are disabled")
	}
	for _, a := range []string{"/assets/app.js", "/assets/style.css"} {
		if code, _, _ := do(t, newReq(t, "GET", open.URL+a, nil)); code != 200 {
			t.Errorf("GET %s: %d", a, code)
		}
	}
	if strings.Contains(body, "http://") || strings.Contains(body, "https://") {
		t.Errorf("the page fetches from elsewhere: %s", body)
	}
	code, _, h = do(t, newReq(t, "GET", open.URL+"/oled.png", nil))
	if code != 200 || h.Get("Content-Type") != "image/png" {
		t.Errorf("GET /oled.png: %d %s", code, h.Get("Content-Type"))
	}
}

func TestAssetsSelfContained(t *testing.T) {
	entries, err := assets.ReadDir("assets")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		b, _ := assets.ReadFile("assets/" + e.Name())
		for _, bad := range []string{"http://", "https://", "//cdn", "@import"} {
			if strings.Contains(string(b), bad) {
				t.Errorf("%s refers to %q: the page must not fetch from elsewhere", e.Name(), bad)
			}
		}
	}
	if want := []string{"app.js", "index.html", "style.css"}; !slices.Equal(want, names) {
		t.Errorf("assets %v, want %v", names, want)
	}
}
