package netconf

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTransitions(t *testing.T) {
	absent := linkState{}
	down := linkState{index: 7, present: true}
	up := linkState{index: 7, present: true, up: true, car: true}
	replaced := linkState{index: 9, present: true, up: true}
	tests := []struct {
		name       string
		prev, next linkState
		want       []Event
	}{
		{"plugged in", absent, down, []Event{{Kind: EventAppear, Index: 7}}},
		{"brought up, cable in", down, up, []Event{{Kind: EventUp, Index: 7}, {Kind: EventCarrierOn, Index: 7}}},
		{"unplugged", up, absent, []Event{{Kind: EventDown, Index: 7}, {Kind: EventCarrierOff, Index: 7}, {Kind: EventVanish, Index: 7}}},
		{"replaced under the same name", up, replaced, []Event{
			{Kind: EventDown, Index: 7}, {Kind: EventCarrierOff, Index: 7}, {Kind: EventVanish, Index: 7},
			{Kind: EventAppear, Index: 9}, {Kind: EventUp, Index: 9}}},
		{"nothing changed", up, up, nil},
		{"still absent", absent, absent, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := range tt.want {
				tt.want[i].Port = "eth1"
			}
			if diff := cmp.Diff(tt.want, transitions("eth1", tt.prev, tt.next)); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}
