package web

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestBundleDownload: /bundle.zip needs the password like every action;
// with it, the bundle comes as a zip attachment named by the date; a
// bundle that cannot be made is an error page, and an appliance without
// one says so.
func TestBundleDownload(t *testing.T) {
	made := 0
	ts, _ := newTestServer(t, Options{Password: password, Bundle: func(w io.Writer) error {
		made++
		_, err := io.WriteString(w, "PK zip bytes")
		return err
	}})
	if code, _, _ := do(t, newReq(t, "GET", ts.URL+"/bundle.zip", nil)); code != http.StatusUnauthorized || made != 0 {
		t.Fatalf("without the password: %d, made %d times", code, made)
	}
	req := newReq(t, "GET", ts.URL+"/bundle.zip", nil)
	req.SetBasicAuth("", password)
	code, body, h := do(t, req)
	if code != 200 || body != "PK zip bytes" || h.Get("Content-Type") != "application/zip" ||
		h.Get("Content-Disposition") != `attachment; filename="phoneflash-office-`+t0.UTC().Add(90e9).Format("20060102-1504")+`.zip"` {
		t.Errorf("download: %d %q %v", code, body, h)
	}
	failing, _ := newTestServer(t, Options{Password: password, Bundle: func(w io.Writer) error {
		io.WriteString(w, "half a zip")
		return errors.New("SIP11.9-4-2SR1-1S: the target load is not in the firmware store")
	}})
	req = newReq(t, "GET", failing.URL+"/bundle.zip", nil)
	req.SetBasicAuth("", password)
	if code, body, _ := do(t, req); code != 500 || strings.Contains(body, "half a zip") || !strings.Contains(body, "not in the firmware store") {
		t.Errorf("failing bundle: %d %q", code, body)
	}
	none, _ := newTestServer(t, Options{Password: password})
	req = newReq(t, "GET", none.URL+"/bundle.zip", nil)
	req.SetBasicAuth("", password)
	if code, _, _ := do(t, req); code != http.StatusNotImplemented {
		t.Errorf("no bundle wired: %d", code)
	}
}
