package route

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/phoneflash/phoneflash/appliance/nettest"
)

// nsBench is a namespace with the interfaces a Config names.
func nsBench(t *testing.T) (string, Config) {
	t.Helper()
	nettest.RequireRoot(t)
	nettest.RequireCommand(t, "nft")
	id := nettest.Unique("pfr")
	ns := nettest.NS(t, id)
	cfg := benchConfig(true)
	for i := range cfg.Ports {
		cfg.Ports[i].Name = id + "p" + string(rune('1'+i))
	}
	cfg.Uplink = id + "u"
	return ns, cfg
}

var counterRE = regexp.MustCompile(`counter packets \d+ bytes \d+`)

// listed is the table as the nft command sees it, counters zeroed; "" when
// there is none.
func listed(t *testing.T, ns string) string {
	t.Helper()
	out, err := nettest.Run(ns, "nft", "list", "table", "inet", Table)
	if err != nil {
		if strings.Contains(out, "No such file") {
			return ""
		}
		t.Fatalf("nft list table: %v", err)
	}
	return counterRE.ReplaceAllString(out, "counter packets 0 bytes 0")
}

func sysctlIn(t *testing.T, ns string) string {
	t.Helper()
	return strings.TrimSpace(nettest.Must(t, ns, "cat", ipForward))
}

// start runs a Service in ns until the test stops it.
func start(t *testing.T, ns string, cfg Config) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	s := &Service{Config: cfg, NetNS: nettest.Handle(t, ns)}
	go func() { done <- s.Run(ctx) }()
	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			t.Fatal("route service did not stop")
			return nil
		}
	}
	t.Cleanup(func() { stop() })
	deadline := time.Now().Add(30 * time.Second)
	for listed(t, ns) == "" {
		select {
		case err := <-done:
			t.Fatalf("route service ended at start: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("table not in place after 30 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return stop
}

// The table the kernel holds, read back by nft (an independent peer), is
// exactly the rule set Build decided, in nft's own words; forwarding is on
// while it runs and as before after.
func TestServiceAppliesAndRemovesTable(t *testing.T) {
	ns, cfg := nsBench(t)
	cfg.ForwardBefore = ""
	stop := start(t, ns, cfg)
	want := cfg
	want.ForwardBefore = "0"
	if diff := cmp.Diff(Build(want).String(), listed(t, ns)); diff != "" {
		t.Errorf("nft list table (-built +kernel):\n%s", diff)
	}
	if got := sysctlIn(t, ns); got != "1" {
		t.Errorf("ip_forward while routing = %s, want 1", got)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := listed(t, ns); got != "" {
		t.Errorf("table left after a clean stop:\n%s", got)
	}
	if got := sysctlIn(t, ns); got != "0" {
		t.Errorf("ip_forward after stop = %s, want 0 as before", got)
	}
}
