package provision

import (
	"bytes"
	"fmt"

	"github.com/phoneflash/phoneflash/firmware"
)

// Phone is a phone on its SIP config: what SIP renders it from.
type Phone struct {
	MAC, Port string
	Model     firmware.Model
	Load      string // the load its config names
	Account   string // its row's extension, "" for none
}

// Changed returns the phones whose files differ between two provisioners
// (the table, or the bench's settings, replaced): their SEP<MAC>.cnf.xml,
// or the dial plan every SIP config names. These are the phones to ask to
// re-read their config (SIP NOTIFY check-sync); the others would read the
// same bytes again. It is pure: both sides are rendered, nothing is sent.
func Changed(old, next *Provisioner, phones []Phone) ([]Phone, error) {
	oldPlan, err := old.DialPlan()
	if err != nil {
		return nil, err
	}
	nextPlan, err := next.DialPlan()
	if err != nil {
		return nil, err
	}
	planChanged := !bytes.Equal(oldPlan, nextPlan)
	var out []Phone
	for _, ph := range phones {
		a, _, _, err := old.SIP(ph.MAC, ph.Port, ph.Model, ph.Load, ph.Account)
		if err != nil {
			return nil, fmt.Errorf("provision: changes: old config: %w", err)
		}
		b, _, _, err := next.SIP(ph.MAC, ph.Port, ph.Model, ph.Load, ph.Account)
		if err != nil {
			return nil, fmt.Errorf("provision: changes: new config: %w", err)
		}
		if planChanged || !bytes.Equal(a, b) {
			out = append(out, ph)
		}
	}
	return out, nil
}
