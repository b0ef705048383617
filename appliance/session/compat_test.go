package session

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/phoneflash/phoneflash/firmware"
)

// stateDir20261129 is a state directory as phoneflash wrote it on
// 2026-11-29, before the model table (testdata/README.md).
var stateDir20261129 = filepath.Join("..", "..", "testdata", "state-2026-11-29")

// journalStates decodes the state of every line of a phone's journal.
func journalStates(t *testing.T, mac string) []State {
	t.Helper()
	f, err := os.Open(filepath.Join(stateDir20261129, "state", "journal", mac+".jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []State
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		var line struct {
			State json.RawMessage `json:"state"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("%s line %d: %v", mac, n, err)
		}
		s, err := DecodeState(line.State)
		if err != nil {
			t.Fatalf("%s line %d: %v", mac, n, err)
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestStatesOf20261129 decodes every state the journal of 2026-11-29 holds
// ("model":{"name":"CP-7906G","term":"06","device_type":"369"}, current
// kinds and offer vias as strings) and gets each phone's model, stage and
// load back.
func TestStatesOf20261129(t *testing.T) {
	want := map[string]struct {
		model   firmware.ModelName
		stage   Stage
		current firmware.Current
		records int
	}{
		"002290DE0001": {"CP-7906G", StageStepping, firmware.Current{Kind: firmware.CurrentLoad, Load: "SCCP11.8-5-2S"}, 22},
		"002290DE0002": {"CP-7906G", StageDone, firmware.Current{Kind: firmware.CurrentLoad, Load: "SIP11.9-4-2SR1-1S"}, 37},
		"002290DE0003": {"CP-7911G", StageDone, firmware.Current{Kind: firmware.CurrentLoad, Load: "SIP11.9-4-2SR1-1S"}, 21},
		"002290DE0004": {"CP-7906G", StageDone, firmware.Current{Kind: firmware.CurrentLoad, Load: "SIP11.9-4-2SR1-1S"}, 21},
	}
	kinds := []firmware.CurrentKind{firmware.CurrentUnknown, firmware.CurrentOldLoader, firmware.CurrentNewLoader, firmware.CurrentLoad}
	vias := []Via{"", ViaTerm, ViaConfig, ViaSIP, ViaResume}
	for mac, w := range want {
		states := journalStates(t, mac)
		for i, s := range states {
			if s.MAC != mac || s.Model != w.model || !slices.Contains(kinds, s.Current.Kind) || !slices.Contains(vias, s.Offer.Via) || !slices.Contains(Stages, s.Stage) {
				t.Errorf("%s line %d: mac %s model %q current %q via %q stage %q", mac, i+1, s.MAC, s.Model, s.Current.Kind, s.Offer.Via, s.Stage)
			}
		}
		last := states[len(states)-1]
		if len(states) != w.records || last.Stage != w.stage || last.Current != w.current {
			t.Errorf("%s: %d records, last %s on %v; want %d, %s on %v", mac, len(states), last.Stage, last.Current, w.records, w.stage, w.current)
		}
		// What this version writes reads back the same.
		again, err := DecodeState(mustJSON(t, last))
		if err != nil || again.Model != last.Model || again.Current != last.Current || again.Offer != last.Offer {
			t.Errorf("%s: round trip %+v, %v", mac, again, err)
		}
	}
}

// TestResume20261129 takes the phone that was on its way (stepping, the SIP
// .loads sent) to done with the firmware manifests of the same day.
func TestResume20261129(t *testing.T) {
	store, err := firmware.OpenStore(filepath.Join(stateDir20261129, "firmware"))
	if err != nil {
		t.Fatal(err)
	}
	m := Machine{Catalog: store, Configs: fakeConfigs{}, Timeouts: DefaultTimeouts()}
	states := journalStates(t, "002290DE0001")
	now := t0
	s, _ := m.Resume(states[len(states)-1], now)
	step := func(e Event) Answer {
		t.Helper()
		now = now.Add(time.Second)
		next, acts := m.Step(s, e, now)
		s = next
		for _, a := range acts {
			if a, ok := a.(Answer); ok {
				return a
			}
		}
		return Answer{}
	}
	const mac = "002290DE0001"
	l, _ := store.Load(targetLoad)
	for _, img := range l.Images {
		if a := step(TFTPRequest{MAC: mac, File: img}); a.Kind != AnswerFile || a.Load != targetLoad {
			t.Fatalf("%s: answer %+v", img, a)
		}
		step(TFTPDone{MAC: mac, File: img})
	}
	if s.Stage != StageApplying {
		t.Fatalf("after the images: %s (%s)", s.Stage, s.Reason)
	}
	step(DHCP{Kind: DHCPDiscover, MAC: mac, Port: "pfdzp1", VendorClass: vci06})
	step(TFTPRequest{MAC: mac, File: "ITLFile.tlv"})
	if a := step(TFTPRequest{MAC: mac, File: "SEP" + mac + ".cnf.xml"}); a.Kind != AnswerBytes || s.Stage != StageDone {
		t.Fatalf("config: answer %+v, stage %s (%s)", a, s.Stage, s.Reason)
	}
	if s.Model != "CP-7906G" || s.Current.Load != targetLoad || s.Installs != 2 || s.Restarts != 1 || s.Account != "1001" {
		t.Errorf("done: model %s current %v installs %d restarts %d account %q", s.Model, s.Current, s.Installs, s.Restarts, s.Account)
	}
}
