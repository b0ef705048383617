package board

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzParseProfile: the board profile reader never panics, and a profile it
// accepts is valid, names each port once, and survives being written out
// and read back unchanged. Seeds are in testdata/fuzz/FuzzParseProfile (the
// reference profile of gokrazy/phoneflash/board.json among them).
func FuzzParseProfile(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseProfile(b)
		if err != nil {
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("accepted a profile that does not validate: %v", err)
		}
		seen := map[string]bool{}
		for _, port := range p.Ports {
			if seen[port.Interface] {
				t.Fatalf("accepted port %q twice", port.Interface)
			}
			seen[port.Interface] = true
			if _, ok := p.Port(port.Interface); !ok {
				t.Fatalf("Port(%q) does not find an accepted port", port.Interface)
			}
		}
		enc, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		again, err := ParseProfile(enc)
		if err != nil {
			t.Fatalf("written profile does not read back: %v\n%s", err, enc)
		}
		if diff := cmp.Diff(p, again); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
	})
}
