package gokrazy_test

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// The VM as the test works it: gokrazy's interface (service status, its
// restart button, reboot) and phoneflash's API on the uplink.

// checkService asks gokrazy how it started phoneflash.
func (v *vm) checkService(flags []string) {
	v.t.Helper()
	req, _ := http.NewRequest("GET", v.gokrazy+"/status?path=/user/phoneflash", nil)
	req.Header.Set("Accept", "application/json")
	code, body, err := do(req, "gokrazy", v.password)
	if err != nil || code != 200 {
		v.t.Fatalf("gokrazy /status: %d %v %s", code, err, body)
	}
	var st serviceStatus
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		v.t.Fatal(err)
	}
	want := append([]string{"/user/phoneflash"}, flags...)
	if st.Stopped || !slices.Equal(st.Args, want) {
		v.t.Errorf("gokrazy runs phoneflash as %q (stopped %v), want %q", st.Args, st.Stopped, want)
	}
}

// serviceStatus is gokrazy's /status of a service, as JSON.
type serviceStatus struct {
	Stopped bool
	Pid     int
	Args    []string
}

func (v *vm) status() (serviceStatus, *http.Cookie) {
	v.t.Helper()
	req, _ := http.NewRequest("GET", v.gokrazy+"/status?path=/user/phoneflash", nil)
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth("gokrazy", v.password)
	resp, err := client.Do(req)
	if err != nil {
		v.t.Fatalf("gokrazy /status: %v", err)
	}
	defer resp.Body.Close()
	var st serviceStatus
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		v.t.Fatal(err)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "gokrazy_xsrf" {
			return st, c
		}
	}
	v.t.Fatal("gokrazy /status set no XSRF cookie")
	return st, nil
}

// restartService presses the restart button of gokrazy's interface:
// SIGTERM, and gokrazy starts phoneflash again because it ends with a
// non-zero status (143).
func (v *vm) restartService(flags []string) {
	v.t.Helper()
	before, xsrf := v.status()
	form := "path=/user/phoneflash&xsrftoken=" + xsrf.Value
	req, _ := http.NewRequest("POST", v.gokrazy+"/restart", strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(xsrf)
	noRedirect := *client
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	req.SetBasicAuth("gokrazy", v.password)
	resp, err := noRedirect.Do(req)
	if err != nil {
		v.t.Fatalf("gokrazy /restart: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		v.t.Fatalf("gokrazy /restart: %s", resp.Status)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		st, _ := v.status()
		if !st.Stopped && st.Pid != 0 && st.Pid != before.Pid {
			break
		}
		if time.Now().After(deadline) {
			v.t.Fatalf("phoneflash not running again a minute after gokrazy's restart (pid %d before, now %+v)", before.Pid, st)
		}
		time.Sleep(500 * time.Millisecond)
	}
	v.checkService(flags)
	v.gokrazyLog("exit status 143", 10*time.Second)
}

// upload imports firmware through phoneflash's API, as the page does.
func (v *vm) upload(password string, files []string) {
	v.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			v.t.Fatal(err)
		}
		w, err := mw.CreateFormFile("file", filepath.Base(f))
		if err != nil {
			v.t.Fatal(err)
		}
		w.Write(b)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", v.page+"/api/firmware", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if code, resp, err := do(req, "", password); err != nil || code != 200 {
		v.t.Fatalf("firmware upload: %d %v %s", code, err, resp)
	}
}

func (v *vm) accounts(password, csv string) {
	v.t.Helper()
	req, _ := http.NewRequest("POST", v.page+"/api/accounts", strings.NewReader(csv))
	req.Header.Set("Content-Type", "text/csv")
	if code, resp, err := do(req, "", password); err != nil || code != 200 {
		v.t.Fatalf("account upload: %d %v %s", code, err, resp)
	}
}

// wantPhoneDone checks /api/phones.
func (v *vm) wantPhoneDone(when string) {
	v.t.Helper()
	code, body, err := get(v.page+"/api/phones", "", "")
	if err != nil || code != 200 {
		v.t.Fatalf("/api/phones %s: %d %v", when, code, err)
	}
	var phones []struct{ MAC, Stage, Load string }
	if err := json.Unmarshal([]byte(body), &phones); err != nil {
		v.t.Fatalf("/api/phones %s: %v: %s", when, err, body)
	}
	mac := strings.ReplaceAll(strings.ToUpper(phoneMAC), ":", "")
	for _, p := range phones {
		if strings.ReplaceAll(strings.ToUpper(p.MAC), ":", "") == mac {
			if p.Stage != "done" {
				v.t.Errorf("/api/phones %s: the phone is %s, want done", when, p.Stage)
			}
			return
		}
	}
	v.t.Errorf("/api/phones %s does not list %s: %s", when, phoneMAC, body)
}

// reboot asks gokrazy to reboot (SIGTERM to phoneflash, /perm unmounted)
// and waits until the new boot has started. It returns when it asked.
func (v *vm) reboot() time.Time {
	v.t.Helper()
	boots := strings.Count(v.serialLog(), "gokrazy build timestamp")
	req, _ := http.NewRequest("POST", v.gokrazy+"/reboot", nil)
	asked := time.Now()
	code, body, err := do(req, "gokrazy", v.password)
	if err != nil || code != 200 {
		v.t.Fatalf("gokrazy /reboot: %d %v %s", code, err, body)
	}
	v.t.Logf("gokrazy /reboot: %s", strings.Join(strings.Fields(body), " "))
	deadline := time.Now().Add(2 * time.Minute)
	for strings.Count(v.serialLog(), "gokrazy build timestamp") == boots {
		if time.Now().After(deadline) {
			v.t.Fatal("the VM did not boot again within 2 minutes of /reboot")
		}
		time.Sleep(200 * time.Millisecond)
	}
	return asked
}
