package web

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestActionsNeedPassword: every action is refused without the password,
// and all of them are refused (never open) when no password is set.
func TestActionsNeedPassword(t *testing.T) {
	actions := []struct{ method, path string }{
		{"POST", "/api/ports/eth1/power-cycle"},
		{"POST", "/api/phones/001122AABBCC/retry"},
		{"POST", "/api/phones/001122AABBCC/forget"},
		{"POST", "/api/firmware"},
		{"POST", "/api/accounts"},
		{"GET", "/report.csv"},
		{"GET", "/bundle.zip"},
	}
	ts, c := newTestServer(t, Options{Password: password})
	none, _ := newTestServer(t, Options{})
	for _, a := range actions {
		code, body, h := do(t, newReq(t, a.method, ts.URL+a.path, nil))
		if code != http.StatusUnauthorized || !strings.HasPrefix(h.Get("WWW-Authenticate"), "Basic") {
			t.Errorf("%s %s without the password: %d %q, want 401", a.method, a.path, code, body)
		}
		req := newReq(t, a.method, ts.URL+a.path, nil)
		req.SetBasicAuth("admin", "wrong")
		if code, _, _ := do(t, req); code != http.StatusUnauthorized {
			t.Errorf("%s %s with a wrong password: %d, want 401", a.method, a.path, code)
		}
		req = newReq(t, a.method, none.URL+a.path, nil)
		req.SetBasicAuth("admin", "")
		if code, body, _ := do(t, req); code != http.StatusForbidden || !strings.Contains(body, "no password is set") {
			t.Errorf("%s %s with no password configured: %d %q, want 403", a.method, a.path, code, body)
		}
	}
	if c.String() != "" {
		t.Errorf("refused actions were carried out: %s", c)
	}
	// GET on an action is not a way around POST.
	if code, _, _ := do(t, newReq(t, "GET", ts.URL+"/api/phones/001122AABBCC/retry", nil)); code != http.StatusMethodNotAllowed {
		t.Errorf("GET retry: %d, want 405", code)
	}
}

func TestActionsWithBasicAuth(t *testing.T) {
	ts, c := newTestServer(t, Options{Password: password})
	for _, p := range []string{"/api/ports/eth1/power-cycle", "/api/phones/00:11:22:aa:bb:cc/retry", "/api/phones/001122AABBCC/forget"} {
		req := newReq(t, "POST", ts.URL+p, nil)
		req.SetBasicAuth("", password)
		if code, body, _ := do(t, req); code != 200 {
			t.Errorf("POST %s: %d %q", p, code, body)
		}
	}
	if want := "power-cycle eth1;retry 001122AABBCC;forget 001122AABBCC"; c.String() != want {
		t.Errorf("calls %q, want %q", c, want)
	}
	req := newReq(t, "GET", ts.URL+"/report.csv", nil)
	req.SetBasicAuth("", password)
	code, body, h := do(t, req)
	if code != 200 || body != "mac,result\n001122AABBCC,done\n" || !strings.Contains(h.Get("Content-Disposition"), "attachment") {
		t.Errorf("report: %d %q %v", code, body, h)
	}
	req = newReq(t, "POST", ts.URL+"/api/phones/nonsense/retry", nil)
	req.SetBasicAuth("", password)
	if code, _, _ := do(t, req); code != 400 {
		t.Errorf("retry of a non-MAC: %d, want 400", code)
	}
}

func TestCrossSiteRefused(t *testing.T) {
	ts, c := newTestServer(t, Options{Password: password})
	for _, hdr := range []map[string]string{
		{"Origin": "http://evil.example"},
		{"Sec-Fetch-Site": "cross-site"},
		{"Sec-Fetch-Site": "same-site", "Origin": "http://other." + strings.TrimPrefix(ts.URL, "http://")},
	} {
		req := newReq(t, "POST", ts.URL+"/api/ports/eth1/power-cycle", strings.NewReader("x=1"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("", password)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		if code, body, _ := do(t, req); code != http.StatusForbidden || !strings.Contains(body, "cross-site") {
			t.Errorf("POST with %v: %d %q, want 403", hdr, code, body)
		}
		login := newReq(t, "POST", ts.URL+"/login", strings.NewReader(url.Values{"password": {password}}.Encode()))
		login.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range hdr {
			login.Header.Set(k, v)
		}
		if code, _, _ := do(t, login); code != http.StatusForbidden {
			t.Errorf("cross-site login with %v: %d, want 403", hdr, code)
		}
	}
	if c.String() != "" {
		t.Errorf("cross-site actions were carried out: %s", c)
	}
	req := newReq(t, "POST", ts.URL+"/api/ports/eth1/power-cycle", nil)
	req.SetBasicAuth("", password)
	req.Header.Set("Origin", ts.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if code, body, _ := do(t, req); code != 200 {
		t.Errorf("same-origin POST: %d %q", code, body)
	}
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf" content="([0-9a-f]*)">`)

// TestLoginSession: the login form sets a strict HttpOnly cookie; actions
// with it also need the page's CSRF token.
func TestLoginSession(t *testing.T) {
	now := t0
	ts, c := newTestServer(t, Options{Password: password, Now: func() time.Time { return now }})
	jar, _ := cookiejar.New(nil)
	cl := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(path string, form url.Values, hdr map[string]string) *http.Response {
		t.Helper()
		req := newReq(t, "POST", ts.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		res, err := cl.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	if res := post("/login", url.Values{"password": {"nope"}}, nil); res.StatusCode != 401 {
		t.Errorf("wrong password: %d, want 401", res.StatusCode)
	}
	if res := post("/login", url.Values{"password": {password}}, nil); res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("login right after a wrong password: %d, want 429", res.StatusCode)
	}
	now = now.Add(failDelay)
	res := post("/login", url.Values{"password": {password}}, nil)
	if res.StatusCode != http.StatusSeeOther || len(res.Cookies()) != 1 {
		t.Fatalf("login: %d cookies %v", res.StatusCode, res.Cookies())
	}
	if ck := res.Cookies()[0]; !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Name != cookieName {
		t.Errorf("cookie %+v: want HttpOnly, SameSite=Strict", ck)
	}
	page, err := cl.Get(ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	buf := make([]byte, 64<<10)
	n, _ := page.Body.Read(buf)
	b.Write(buf[:n])
	page.Body.Close()
	m := csrfMeta.FindStringSubmatch(b.String())
	if m == nil || m[1] == "" {
		t.Fatalf("no CSRF token on the page after login")
	}
	if res := post("/api/phones/001122AABBCC/retry", nil, nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("action with the cookie but no CSRF token: %d, want 403", res.StatusCode)
	}
	if res := post("/api/phones/001122AABBCC/retry", nil, map[string]string{csrfHeader: strings.Repeat("0", 64)}); res.StatusCode != http.StatusForbidden {
		t.Errorf("action with a wrong CSRF token: %d, want 403", res.StatusCode)
	}
	if res := post("/api/phones/001122AABBCC/retry", nil, map[string]string{csrfHeader: m[1]}); res.StatusCode != 200 {
		t.Errorf("action with cookie and token: %d", res.StatusCode)
	}
	if c.String() != "retry 001122AABBCC" {
		t.Errorf("calls %q", c)
	}
	now = now.Add(sessionTTL)
	if res := post("/api/phones/001122AABBCC/retry", nil, map[string]string{csrfHeader: m[1]}); res.StatusCode != 401 {
		t.Errorf("action after the login expired: %d, want 401", res.StatusCode)
	}
}

func TestProtectPage(t *testing.T) {
	ts, _ := newTestServer(t, Options{Password: password, ProtectPage: true})
	cl := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := cl.Get(ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
		t.Errorf("protected page: %d to %q, want a redirect to /login", res.StatusCode, res.Header.Get("Location"))
	}
	for _, p := range []string{"/api/phones", "/api/phones/001122AABBCC", "/events", "/metrics", "/oled.png"} {
		if code, _, _ := do(t, newReq(t, "GET", ts.URL+p, nil)); code != 401 {
			t.Errorf("protected %s: %d, want 401", p, code)
		}
	}
	req := newReq(t, "GET", ts.URL+"/api/phones", nil)
	req.SetBasicAuth("", password)
	if code, _, _ := do(t, req); code != 200 {
		t.Errorf("protected /api/phones with the password: %d", code)
	}
	if code, body, _ := do(t, newReq(t, "GET", ts.URL+"/login", nil)); code != 200 || !strings.Contains(body, `name="password"`) {
		t.Errorf("login page: %d", code)
	}
}
