package appliance

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/phoneflash/phoneflash/appliance/status"
	"github.com/phoneflash/phoneflash/board/sim"
	"github.com/phoneflash/phoneflash/firmware/fwgen"
	"github.com/phoneflash/phoneflash/internal/servicetest"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func runFor(t *testing.T, cfg Config) (stop func()) {
	t.Helper()
	return servicetest.Start(t, func(ctx context.Context) error { return runLoopback(ctx, cfg, sim.New(len(cfg.Ports))) })
}

func httpDo(t *testing.T, method, url, body, password string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "text/csv")
	}
	if password != "" {
		req.SetBasicAuth("", password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestWebWiring runs the appliance with its web page on loopback: the page
// and API answer, actions need the password (read from the state
// directory), and an account table uploaded through the page is kept in the
// state directory and used again after a restart.
func TestWebWiring(t *testing.T) {
	cfg := testConfig(t, "test-web-a")
	cfg.HTTPAddr = freeAddr(t)
	if err := os.WriteFile(filepath.Join(cfg.StateDir, passwordFile), []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	stop := runFor(t, cfg)
	base := "http://" + cfg.HTTPAddr
	waitFor(t, func() bool { code, _ := httpDo(t, "GET", base+"/healthz", "", ""); return code == 200 })
	if code, body := httpDo(t, "GET", base+"/api/phones", "", ""); code != 200 || !json.Valid([]byte(body)) {
		t.Errorf("/api/phones: %d %q", code, body)
	}
	if code, body := httpDo(t, "GET", base+"/", "", ""); code != 200 || !strings.Contains(body, "phoneflash") {
		t.Errorf("/: %d", code)
	}
	if code, body := httpDo(t, "GET", base+"/metrics", "", ""); code != 200 || !strings.Contains(body, "phoneflash_") {
		t.Errorf("/metrics: %d", code)
	}
	table := "mac,extension,password,pbx_host\n001122AABBCC,1001,pw1001,192.0.2.10\n"
	if code, _ := httpDo(t, "POST", base+"/api/accounts", table, ""); code != http.StatusUnauthorized {
		t.Errorf("upload without password: %d, want 401", code)
	}
	if code, body := httpDo(t, "POST", base+"/api/accounts", table, "s3cret"); code != 200 {
		t.Fatalf("upload with password: %d %q", code, body)
	}
	stop()
	// Without a password file, the appliance makes one and keeps it.
	cfg2 := testConfig(t, "test-web-b")
	cfg2.HTTPAddr = freeAddr(t)
	stop2 := runFor(t, cfg2)
	waitFor(t, func() bool {
		code, _ := httpDo(t, "GET", "http://"+cfg2.HTTPAddr+"/healthz", "", "")
		return code == 200
	})
	stop2()
	pw, err := os.ReadFile(filepath.Join(cfg2.StateDir, passwordFile))
	if err != nil || len(strings.TrimSpace(string(pw))) != 12 {
		t.Fatalf("generated password file: %q, %v", pw, err)
	}
	saved, err := os.ReadFile(filepath.Join(cfg.StateDir, uploadedAccounts))
	if err != nil || string(saved) != table {
		t.Fatalf("uploaded table not kept: %q, %v", saved, err)
	}
	a, err := loadAccounts(cfg)
	if err != nil || a.current().Table == nil || len(a.current().Table.Rows) != 1 {
		t.Fatalf("after a restart the uploaded table is not used: %+v, %v", a, err)
	}
}

// TestFirmwareUploadClearsStatus: an appliance started without firmware
// says so on its status line; once both loads are uploaded through the
// page, the status line says ready, without a restart.
func TestFirmwareUploadClearsStatus(t *testing.T) {
	cfg := testConfig(t, "test-web-c")
	cfg.FirmwareDir = t.TempDir() // empty store
	cfg.HTTPAddr = freeAddr(t)
	if err := os.WriteFile(filepath.Join(cfg.StateDir, passwordFile), []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var state string
	cfg.OnStatus = func(s status.Snapshot) { mu.Lock(); state = s.State; mu.Unlock() }
	stateNow := func() string { mu.Lock(); defer mu.Unlock(); return state }
	stop := runFor(t, cfg)
	defer stop()
	base := "http://" + cfg.HTTPAddr
	waitFor(t, func() bool { return stateNow() == "no firmware: import it" })
	for _, l := range fwgen.Loads() {
		cop, err := fwgen.COPBytes(l, 0.001)
		if err != nil {
			t.Fatal(err)
		}
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, err := mw.CreateFormFile("file", l.COPName())
		if err == nil {
			_, err = fw.Write(cop)
		}
		if err == nil {
			err = mw.Close()
		}
		if err != nil {
			t.Fatal(err)
		}
		req, err := http.NewRequest("POST", base+"/api/firmware", &body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.SetBasicAuth("", "s3cret")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("uploading %s: %d %s", l.COPName(), resp.StatusCode, msg)
		}
	}
	waitFor(t, func() bool { return stateNow() == status.Ready })
}
