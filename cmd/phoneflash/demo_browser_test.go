package main

import (
	"bufio"
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/phoneflash/phoneflash/appliance/nettest"
	"github.com/phoneflash/phoneflash/appliance/web/webtest"
	"github.com/phoneflash/phoneflash/internal/logtest"
	"github.com/phoneflash/phoneflash/internal/namespace"
)

// recordStages makes the page remember, per phone row, every stage it has
// shown, as the rows change under server-sent events.
const recordStages = `(() => {
	window.loadedOnce = "yes";
	window.seen = {};
	const rec = () => document.querySelectorAll('tr[id^="row-"]').forEach(r => {
		const a = (window.seen[r.id] = window.seen[r.id] || []);
		if (r.dataset.stage && a[a.length - 1] !== r.dataset.stage) a.push(r.dataset.stage);
	});
	new MutationObserver(rec).observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
	rec();
	return true;
})()`

// allDone: every phone finished; the one whose password the office PBX
// refuses has failed.
const allDone = `(() => {
	const rows = [...document.querySelectorAll('tr[id^="row-"]')];
	return rows.length === 4 && rows.every(r => r.dataset.stage === 'done' || (r.id === 'row-002290DE0004' && r.dataset.stage === 'failed'));
})()`

// TestIntegrationDemoBrowser opens the status page of a running `phoneflash
// demo` once in headless Chromium, while real simulated phones (phonesim
// processes powered by the simulated PSE, real-size firmware) go through the
// appliance: the rows must follow the phones, through loading to done (or
// failed, for the phone the office PBX refuses), without a reload. (A real phone's dhcp stage lasts milliseconds, less than
// the page's 250 ms update tick; the dhcp-to-done walk of every stage is
// appliance/web's browser test, on a session.Manager driven step by step.)
func TestIntegrationDemoBrowser(t *testing.T) {
	nettest.RequireRoot(t)
	webtest.ChromiumPath(t)
	prefix := nettest.Unique("pfdb")
	t.Cleanup(func() { namespace.RemoveStale(prefix) })
	cmd, out := demoCmd(t, prefix, "-time-scale", "0.15", "-firmware-scale", "1", "-stagger", "3s", "-linger", "2s")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
		}
	})
	url := waitWebAddr(t, out, exited)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	br := webtest.Start(t, 1100, 700)
	// The forward answers before the appliance inside the namespace does:
	// load again until the page itself is there.
	for loaded := false; !loaded; {
		br.Navigate(url)
		for i := 0; i < 20 && !loaded; i++ {
			select {
			case <-ctx.Done():
				t.Fatalf("the demo's page never loaded at %s; demo output:\n%s", url, out)
			case <-time.After(100 * time.Millisecond):
			}
			loaded = br.Eval(`document.readyState === "complete" && !!document.getElementById('conn')`) == true
		}
	}
	br.Eval(recordStages)
	loads := br.Navigations()
	br.WaitFor(ctx, allDone, true)

	var seen map[string][]string
	if err := json.Unmarshal([]byte(br.Eval(`JSON.stringify(window.seen)`).(string)), &seen); err != nil {
		t.Fatal(err)
	}
	t.Logf("stages seen by the page: %v", seen)
	live := 0
	for row, stages := range seen {
		i := slices.Index(stages, "loading")
		if i >= 0 && (slices.Index(stages[i:], "done") > 0 || slices.Index(stages[i:], "failed") > 0) {
			live++
		} else {
			t.Logf("%s: the page did not see loading then done: %v", row, stages)
		}
	}
	if live == 0 {
		t.Errorf("no phone's row went from loading to done on the page: %v", seen)
	}
	if br.Eval(`window.loadedOnce`) != "yes" || br.Navigations() != loads {
		t.Errorf("the page was reloaded (navigations %d, want %d)", br.Navigations(), loads)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("phoneflash demo: %v, want exit 0; output:\n%s", err, out)
		}
	case <-ctx.Done():
		t.Fatalf("the demo did not end; output:\n%s", out)
	}
}

var webLine = regexp.MustCompile(`web page: (http://127\.0\.0\.1:[0-9]+/)`)

// waitWebAddr reads the page's address from the demo's output.
func waitWebAddr(t *testing.T, out *logtest.Buffer, exited chan error) string {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		sc := bufio.NewScanner(strings.NewReader(out.String()))
		for sc.Scan() {
			if m := webLine.FindStringSubmatch(sc.Text()); m != nil {
				return m[1]
			}
		}
		select {
		case err := <-exited:
			t.Fatalf("the demo ended before printing its web page (%v):\n%s", err, out)
		case <-deadline:
			t.Fatalf("no web page address in the demo's output:\n%s", out)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
