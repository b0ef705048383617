package main

import (
	"strings"
	"testing"

	"github.com/phoneflash/phoneflash/firmware"
)

// TestPasswordLimit is the phone's side of the model rows' password limit
// (provision's TestPasswordBoundaries is the appliance's): without
// -pw-max a simulated phone takes exactly its row's limit and refuses one
// character more.
func TestPasswordLimit(t *testing.T) {
	for _, m := range firmware.BuiltinModels() {
		id := Identity{testMAC, m.Term}
		max := id.PasswordMax(0)
		if max != m.Password.Max || id.ModelString() != m.VendorClass {
			t.Fatalf("%s: simulated phone takes %d (model %s), the table says %d", m, max, id.ModelString(), m.Password.Max)
		}
		for n, want := range map[int]string{max: "provisioned", max + 1: "unprovisioned"} {
			c := checkSIPConfig("SEP.cnf.xml", sipCfg(t, strings.Repeat("p", n)), max, pwParseError)
			if c.Outcome != want {
				t.Errorf("%s, %d characters: %s (%s), want %s", m, n, c.Outcome, c.Reason, want)
			}
		}
	}
	if got := (Identity{testMAC, "06"}).PasswordMax(12); got != 12 {
		t.Errorf("-pw-max 12 gave %d", got)
	}
}
