package route

import (
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden rule sets in testdata")

func benchConfig(forward bool) Config {
	return Config{
		Ports: []Port{
			{Name: "eth1", Addr: netip.MustParsePrefix("10.79.1.1/24")},
			{Name: "eth2", Addr: netip.MustParsePrefix("10.79.2.1/24")},
		},
		Uplink: "eth0", Forward: forward, ForwardBefore: "0",
	}
}

// The rule sets, as nft prints them, are golden files: a change of the
// firewall shows as a readable diff in review.
func TestBuildGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"forward", benchConfig(true)},
		{"filter-only", benchConfig(false)},
		{"no-uplink", Config{Ports: benchConfig(true).Ports, Forward: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Build(tc.cfg).String()
			name := filepath.Join("testdata", tc.name+".nft")
			if *update {
				if err := os.WriteFile(name, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("rule set (-want +got):\n%s", diff)
			}
			if _, err := compile(Build(tc.cfg)); err != nil {
				t.Errorf("compile: %v", err)
			}
		})
	}
}
