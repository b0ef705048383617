package provision

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A phone without an account on a port with a bench registrar gets a line
// that registers there; elsewhere its config names no PBX, as before.
func TestBenchRegistrarLine(t *testing.T) {
	p := testProvisioner(t)
	p.Bench = BenchRegistrars(map[string]netip.Addr{"eth1": netip.MustParseAddr("10.79.1.1")})
	data, result, note, err := p.SIP("001122AABB09", "eth1", m7911, target, "")
	if err != nil || result != ResultNoAccount || note != "no account" {
		t.Fatalf("SIP without account on eth1: %q %q %v", result, note, err)
	}
	golden(t, "noaccount-bench.cnf.xml.golden", data)
	other, _, _, err := p.SIP("001122AABB09", "eth2", m7911, target, "")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "noaccount.cnf.xml.golden", other)
}

func TestRegistrar(t *testing.T) {
	p := testProvisioner(t)
	p.Bench = BenchRegistrars(map[string]netip.Addr{"eth1": netip.MustParseAddr("10.79.1.1")})
	type reg struct {
		Addr      string
		Bench, OK bool
	}
	for _, tt := range []struct {
		port, account string
		want          reg
	}{
		{"eth1", "1001", reg{"pbx.example.org:5060", false, true}},
		{"eth2", "1002", reg{"192.0.2.10:5060", false, true}},
		{"eth2", "1003", reg{"192.0.2.10:5080", false, true}},
		{"eth1", "", reg{"10.79.1.1:5060", true, true}},
		{"eth2", "", reg{"", false, false}},
	} {
		var got reg
		got.Addr, got.Bench, got.OK = p.Registrar(tt.port, tt.account)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Registrar(%s, %q) (-want +got):\n%s", tt.port, tt.account, diff)
		}
	}
}
