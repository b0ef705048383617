package dhcpd

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/phoneflash/phoneflash/appliance/nettest"
)

// TestRunMissingInterface: the self-opening path never waits for an
// interface (netconf's events start and stop the servers): a missing one
// is ENODEV at once, and nothing listens.
func TestRunMissingInterface(t *testing.T) {
	cfg := testCfg
	cfg.Port = nettest.Unique("pfwnone")
	s, err := New(Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(context.Background()) }()
	select {
	case err := <-done:
		if !errors.Is(err, syscall.ENODEV) {
			t.Errorf("Run on a missing interface = %v, want ENODEV", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run waits for a missing interface; the appliance starts it when the interface appears")
	}
	if s.Status().Listening {
		t.Error("listening on an interface that does not exist")
	}
}

// TestEventsCarryLeaseCount: every client event says how many leases the
// port holds after it, so whoever counts them never asks the server.
func TestEventsCarryLeaseCount(t *testing.T) {
	var got []string
	s, err := New(Options{Config: testCfg, StateDir: t.TempDir(), Now: func() time.Time { return t0 },
		OnEvent: func(ev Event) { got = append(got, fmt.Sprintf("%s %d", ev.Kind, ev.Leases)) }})
	if err != nil {
		t.Fatal(err)
	}
	bindPhone(t, s, phone1) // first
	bindPhone(t, s, phone2) // second
	s.Handle(message(t, dhcpv4.MessageTypeRelease, phone1, dhcpv4.WithClientIP(first.AsSlice())))
	// A released binding is kept (the phone gets its address back), so
	// it still counts, as in Status.
	want := []string{"discover 0", "offer 0", "request 1", "ack 1", "discover 1", "offer 1", "request 2", "ack 2", "release 2"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events and lease counts (-want +got):\n%s", diff)
	}
}
