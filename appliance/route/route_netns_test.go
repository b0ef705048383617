package route

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/phoneflash/phoneflash/appliance/nettest"
	"github.com/phoneflash/phoneflash/internal/logtest"
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

// start runs a Service in ns until the test stops it, and returns once
// Run has put its table in place and set ip_forward: its "bench route" log
// record. Polling for the table is not enough: after a killed run the old
// table is already there before Run has done anything.
func start(t *testing.T, ns string, cfg Config) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	logs := &logtest.Sink{}
	ready := logs.Await(logtest.Message("bench route"))
	s := &Service{Config: cfg, NetNS: nettest.Handle(t, ns), Log: logs.Logger()}
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
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("route service ended at start: %v\n%s", err, logs)
	case <-time.After(30 * time.Second):
		t.Fatal("table not in place after 30 s")
	}
	if listed(t, ns) == "" {
		t.Fatal("the service said its table is in place; nft lists none")
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

// leaveKilledRun puts in ns what a routing run killed by SIGKILL leaves: its
// table, noting ip_forward 0, and forwarding on.
func leaveKilledRun(t *testing.T, ns string, cfg Config) {
	t.Helper()
	s := &Service{Config: cfg, NetNS: nettest.Handle(t, ns)}
	conn, err := s.conn()
	if err != nil {
		t.Fatal(err)
	}
	cfg.ForwardBefore = "0"
	if err := replace(conn, Build(cfg)); err != nil {
		t.Fatal(err)
	}
	nettest.Must(t, ns, "sysctl", "-qw", "net.ipv4.ip_forward=1")
}

func TestStartAfterKillReplacesTableAndRestoresForwarding(t *testing.T) {
	ns, cfg := nsBench(t)
	leaveKilledRun(t, ns, cfg)
	// The next run has one port fewer: its table replaces the old one.
	next := cfg
	next.Ports = cfg.Ports[:1]
	stop := start(t, ns, next)
	tables := nettest.Must(t, ns, "nft", "list", "tables")
	if got := strings.Count(tables, "table inet "+Table+"\n"); got != 1 || strings.Count(tables, "table ") != 1 {
		t.Errorf("nft list tables after a restart over a killed run:\n%s\nwant exactly one table inet %s", tables, Table)
	}
	want := next
	want.ForwardBefore = "0"
	if diff := cmp.Diff(Build(want).String(), listed(t, ns)); diff != "" {
		t.Errorf("table after restart (-want +kernel):\n%s", diff)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := sysctlIn(t, ns); got != "0" {
		t.Errorf("ip_forward after stop = %s, want 0: the value from before the killed run", got)
	}
}

func TestFilterOnlyAfterKilledRoutingRunTurnsForwardingOff(t *testing.T) {
	ns, cfg := nsBench(t)
	leaveKilledRun(t, ns, cfg)
	cfg.Forward = false
	stop := start(t, ns, cfg)
	if got := sysctlIn(t, ns); got != "0" {
		t.Errorf("ip_forward with forwarding off after a killed routing run = %s, want 0", got)
	}
	if l := listed(t, ns); strings.Contains(l, "masquerade") || strings.Contains(l, "dport 5060-5061") {
		t.Errorf("filter-only table forwards:\n%s", l)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := listed(t, ns); got != "" {
		t.Errorf("table left after stop:\n%s", got)
	}
}

// A second Service in the same namespace refuses to start and leaves the
// first one's table alone.
func TestSecondServiceInNamespaceRefused(t *testing.T) {
	ns, cfg := nsBench(t)
	start(t, ns, cfg)
	before := listed(t, ns)
	other := cfg
	other.Ports = cfg.Ports[1:]
	err := (&Service{Config: other, NetNS: nettest.Handle(t, ns)}).Run(context.Background())
	if !errors.Is(err, ErrTableTaken) {
		t.Fatalf("second Service in the namespace: %v, want ErrTableTaken", err)
	}
	if after := listed(t, ns); after != before {
		t.Errorf("the refused Service changed the table:\n%s", after)
	}
}
