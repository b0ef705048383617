// Package webtest drives headless Chromium over the DevTools protocol for
// end-to-end tests of the status page: load it once, evaluate JavaScript,
// wait for what the page shows, count navigations, take screenshots.
package webtest

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Browser is headless Chromium driven over the DevTools protocol on a
// pipe (--remote-debugging-pipe: it reads commands on fd 3 and writes
// answers and events on fd 4, each message ending in a NUL byte), so no
// debugging port is opened.
type Browser struct {
	t       *testing.T
	cmd     *exec.Cmd
	in      *os.File // our end of its fd 3
	session string   // the page's flat session id

	mu      sync.Mutex
	id      int
	pending map[int]chan cdpMsg
	events  []cdpMsg
}

type cdpMsg struct {
	ID        int             `json:"id,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *cdpError       `json:"error,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
}

type cdpError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// ChromiumPath finds Debian's chromium (the binary itself, not the shell
// wrapper), or skips when it is missing and the test cannot install it.
func ChromiumPath(t *testing.T) string {
	return Program(t, "chromium", "/usr/lib/chromium/chromium", "/usr/bin/chromium")
}

// Program returns the first of names (a path, or a command looked up in
// PATH) that exists, a peer program from the Debian package pkg. When none
// does, the test skips unless it runs as root: as root (CI, where .ci/run
// installs the Makefile's TEST_DEPS) a missing peer fails the test.
func Program(t testing.TB, pkg string, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	if os.Geteuid() != 0 {
		t.Skipf("%s is not installed (Debian package %s; .ci/run installs it as root): skipping", names[0], pkg)
	}
	t.Fatalf("%s is not installed: apt-get install %s (.ci/run does)", names[0], pkg)
	return ""
}

// Start starts headless Chromium with a page attached.
func Start(t *testing.T, width, height int) *Browser {
	t.Helper()
	bin := ChromiumPath(t)
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
		"--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio", "--no-default-browser-check",
		fmt.Sprintf("--window-size=%d,%d", width, height), "--user-data-dir="+t.TempDir(),
		"--remote-debugging-pipe", "about:blank")
	cmd.ExtraFiles = []*os.File{inR, outW}
	stderr, err := os.Create(filepath.Join(t.TempDir(), "chromium.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	inR.Close()
	outW.Close()
	b := &Browser{t: t, cmd: cmd, in: inW, pending: map[int]chan cdpMsg{}}
	go b.read(bufio.NewReader(outR))
	t.Cleanup(func() {
		inW.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		outR.Close()
		stderr.Close()
		if t.Failed() {
			log, _ := os.ReadFile(stderr.Name())
			t.Logf("chromium's log:\n%s", log)
		}
	})
	var tgt struct {
		TargetID string `json:"targetId"`
	}
	b.call("", "Target.createTarget", map[string]any{"url": "about:blank"}, &tgt)
	var att struct {
		SessionID string `json:"sessionId"`
	}
	b.call("", "Target.attachToTarget", map[string]any{"targetId": tgt.TargetID, "flatten": true}, &att)
	b.session = att.SessionID
	b.call(b.session, "Page.enable", nil, nil)
	return b
}

func (b *Browser) read(r *bufio.Reader) {
	for {
		line, err := r.ReadBytes(0)
		if err != nil {
			b.mu.Lock()
			for id, ch := range b.pending {
				close(ch)
				delete(b.pending, id)
			}
			b.mu.Unlock()
			return
		}
		var m cdpMsg
		if json.Unmarshal(line[:len(line)-1], &m) != nil {
			continue
		}
		b.mu.Lock()
		if ch, ok := b.pending[m.ID]; ok && m.ID != 0 {
			delete(b.pending, m.ID)
			ch <- m
		} else if m.Method != "" {
			b.events = append(b.events, m)
		}
		b.mu.Unlock()
	}
}

// call sends one command (to the page's session, or the browser for "")
// and decodes its result into out.
func (b *Browser) call(session, method string, params, out any) {
	b.t.Helper()
	if err := b.try(session, method, params, out); err != nil {
		b.t.Fatal(err)
	}
}

func (b *Browser) try(session, method string, params, out any) error {
	b.mu.Lock()
	b.id++
	id := b.id
	ch := make(chan cdpMsg, 1)
	b.pending[id] = ch
	b.mu.Unlock()
	msg, _ := json.Marshal(map[string]any{"id": id, "method": method, "params": params, "sessionId": session})
	if session == "" {
		msg, _ = json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	}
	if _, err := b.in.Write(append(msg, 0)); err != nil {
		return fmt.Errorf("cdp %s: %w", method, err)
	}
	select {
	case m, ok := <-ch:
		if !ok {
			return fmt.Errorf("cdp %s: chromium went away", method)
		}
		if m.Error != nil {
			return fmt.Errorf("cdp %s: %s (%d)", method, m.Error.Message, m.Error.Code)
		}
		if out != nil {
			return json.Unmarshal(m.Result, out)
		}
		return nil
	case <-time.After(20 * time.Second):
		return fmt.Errorf("cdp %s: no answer within 20s", method)
	}
}

// Eval evaluates a JavaScript expression in the page and returns its value.
func (b *Browser) Eval(expr string) any {
	b.t.Helper()
	var r struct {
		Result struct {
			Value any `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	b.call(b.session, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}, &r)
	if r.ExceptionDetails != nil {
		b.t.Fatalf("evaluating %s: %s", expr, r.ExceptionDetails.Text)
	}
	return r.Result.Value
}

// WaitFor polls expr until it returns want.
func (b *Browser) WaitFor(ctx context.Context, expr string, want any) {
	b.t.Helper()
	var got any
	for {
		got = b.Eval(expr)
		if got == want {
			return
		}
		select {
		case <-ctx.Done():
			b.t.Fatalf("%s is %v, want %v", expr, got, want)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (b *Browser) Navigate(url string) {
	b.t.Helper()
	b.call(b.session, "Page.navigate", map[string]any{"url": url}, nil)
}

// Navigations counts the page's main-frame navigations so far.
func (b *Browser) Navigations() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, e := range b.events {
		if e.Method != "Page.frameNavigated" {
			continue
		}
		var p struct {
			Frame struct {
				ParentID string `json:"parentId"`
			} `json:"frame"`
		}
		if json.Unmarshal(e.Params, &p) == nil && p.Frame.ParentID == "" {
			n++
		}
	}
	return n
}

// Screenshot returns the whole page as PNG, at the given viewport width
// (mobile: a phone's screen).
func (b *Browser) Screenshot(width int, mobile bool) []byte {
	b.t.Helper()
	b.call(b.session, "Emulation.setDeviceMetricsOverride", map[string]any{"width": width, "height": 800,
		"deviceScaleFactor": 1, "mobile": mobile}, nil)
	var lm struct {
		Content struct {
			Width  float64 `json:"width"`
			Height float64 `json:"height"`
		} `json:"cssContentSize"`
	}
	b.call(b.session, "Page.getLayoutMetrics", nil, &lm)
	var r struct {
		Data string `json:"data"`
	}
	b.call(b.session, "Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true,
		"clip": map[string]any{"x": 0, "y": 0, "width": lm.Content.Width, "height": lm.Content.Height, "scale": 1}}, &r)
	png, err := base64.StdEncoding.DecodeString(r.Data)
	if err != nil || len(png) == 0 {
		b.t.Fatal(errors.Join(errors.New("screenshot"), err))
	}
	return png
}
