package appliance

import (
	"flag"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/phoneflash/phoneflash/appliance/dhcpd"
)

func TestRouteFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want RouteMode
	}{
		{nil, RouteForward},
		{[]string{"-route"}, RouteForward},
		{[]string{"-route=false"}, RouteFilter},
		{[]string{"-route=0"}, RouteFilter},
	} {
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		var m RouteMode
		fs.Var(RouteFlag(&m), "route", "route the bench")
		if err := fs.Parse(tc.args); err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if m != tc.want {
			t.Errorf("%v: mode %d, want %d", tc.args, m, tc.want)
		}
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var m RouteMode
	fs.Var(RouteFlag(&m), "route", "route the bench")
	if err := fs.Parse([]string{"-route=maybe"}); err == nil {
		t.Error("-route=maybe accepted")
	}
	var usage strings.Builder
	fs.SetOutput(&usage)
	fs.PrintDefaults()
	if !strings.Contains(usage.String(), "(default true)") {
		t.Errorf("usage does not say the default is true:\n%s", usage.String())
	}
}

// Options 3 and 6 only when phones are routed to an uplink.
func TestRoutedDHCP(t *testing.T) {
	base := dhcpd.Config{Port: "eth1", LeaseTime: time.Hour}
	for _, tc := range []struct {
		mode   RouteMode
		uplink string
		want   bool
	}{
		{RouteForward, "eth0", true},
		{RouteForward, "", false},
		{RouteFilter, "eth0", false},
		{RouteOff, "eth0", false},
	} {
		got := routedDHCP(Config{Route: tc.mode, Uplink: tc.uplink}, discard(), base)
		if got.Router != tc.want || (got.DNS != nil) != tc.want {
			t.Errorf("mode %d uplink %q: Router %v, DNS set %v; want %v", tc.mode, tc.uplink, got.Router, got.DNS != nil, tc.want)
		}
	}
	if s := routeServices(Config{Route: RouteOff, Uplink: "eth0"}, discard()); len(s) != 0 {
		t.Errorf("RouteOff runs %d services, want none: tests in the machine's own namespace must not touch its firewall", len(s))
	}
}
