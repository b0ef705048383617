package session

import (
	"slices"
	"testing"
	"time"

	"github.com/phoneflash/phoneflash/firmware"
)

// FuzzStep feeds Step arbitrary event sequences: it never panics, answers
// every request exactly once, stays in the stage vocabulary, gives a reason
// for failed and needs-reset, and its state survives the journal's JSON.
func FuzzStep(f *testing.F) {
	f.Add([]byte{0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14})
	f.Add([]byte{0, 2, 7, 7, 7, 7, 7, 7, 1, 0, 2, 7})
	f.Add([]byte{0, 2, 4, 5, 6, 9, 10, 11, 20, 20, 20, 20})
	files := []string{"CTLSEP" + testMAC + ".tlv", "ITLFile.tlv", "SEP" + testMAC + ".cnf.xml",
		"SEP" + testMAC + ".cnf.xml.sgn", "term06.default.loads", "term11.default.loads", "XMLDefault.cnf.xml",
		targetLoad + ".loads", stepLoad + ".loads", "dialplan.xml"}
	files = append(append(files, stepImages...), targetImages...)
	f.Fuzz(func(t *testing.T, data []byte) {
		m := testMachine(len(data)%2 == 0, len(data)%3 == 0, []firmware.Policy{firmware.PolicyStepping, firmware.PolicyDirect}[len(data)%2])
		s := NewState(testMAC, targetLoad, t0)
		now := t0
		for i, b := range data {
			var e Event
			file := files[int(b)%len(files)]
			switch b % 16 {
			case 0:
				e = Power{Port: "eth1", On: i%2 == 0}
			case 1:
				e = Link{Port: "eth1", Up: i%2 == 0}
			case 2:
				e = DHCP{Kind: DHCPDiscover, MAC: testMAC, Port: "eth1", VendorClass: []string{vci06, vci11, ""}[i%3]}
			case 3:
				e = TFTPProgress{MAC: testMAC, File: file, Bytes: int64(b) * 10, Total: 5000}
			case 4:
				e = TFTPDone{MAC: testMAC, File: file}
			case 5:
				e = TFTPFailed{MAC: testMAC, File: file, Err: "x"}
			case 6:
				now = now.Add(time.Duration(b) * 5 * time.Second)
				e = Tick{}
			default:
				e = TFTPRequest{MAC: testMAC, File: file}
			}
			var acts []Action
			s, acts = m.Step(s, e, now)
			answers := 0
			for _, a := range acts {
				if _, ok := a.(Answer); ok {
					answers++
				}
			}
			if _, req := e.(TFTPRequest); (req && answers != 1) || (!req && answers != 0) {
				t.Fatalf("event %d %#v: %d answers", i, e, answers)
			}
			if !slices.Contains(Stages, s.Stage) {
				t.Fatalf("stage %q", s.Stage)
			}
			if (s.Stage == StageFailed || s.Stage == StageNeedsReset) && s.Reason == "" {
				t.Fatalf("%s without a reason after %#v", s.Stage, e)
			}
		}
		back, err := DecodeState(mustJSON(t, s))
		if err != nil || back.Stage != s.Stage || back.Offer.Load != s.Offer.Load {
			t.Fatalf("state does not survive JSON: %v", err)
		}
	})
}
