package session

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func testRecord(mac string, sec int, kind, stage string) Record {
	return Record{At: t0.Add(time.Duration(sec) * time.Second), MAC: mac, Port: "eth1", Model: "CP-7906G",
		Kind: kind, Stage: stage, Target: targetLoad}
}

func TestReport(t *testing.T) {
	done := []Record{testRecord("001122AABB01", 0, "stage", "dhcp"), testRecord("001122AABB01", 60, RestartKind, "loading"),
		testRecord("001122AABB01", 600, "stage", "done"), testRecord("001122AABB01", 700, "config", "done")}
	for i := range done {
		done[i].From, done[i].Account = "SCCP with a CUCM trust list", "1001"
	}
	done[2].Load, done[2].Result = targetLoad, "done"
	done[3].Load, done[3].Result = targetLoad, "done"
	going := []Record{testRecord("001122AABB02", 0, "stage", "dhcp"), testRecord("001122AABB02", 30, "file", "loading")}
	failed := []Record{testRecord("001122AABB03", 0, "stage", "dhcp"), testRecord("001122AABB03", 300, "stage", "failed")}
	failed[1].Result, failed[1].Reason = "failed", "import the stepping stone"
	hs := []History{{MAC: "001122AABB01", Records: done}, {MAC: "001122AABB02", Records: going},
		{MAC: "001122AABB03", Records: failed}, {MAC: "001122AABB04", Damaged: 1}}
	if s := Summarize(hs[0]); s.Restarts != 1 || s.Duration() != 600*time.Second {
		t.Errorf("summary %+v: want 1 restart and 600 s (until done first)", s)
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, hs); err != nil {
		t.Fatal(err)
	}
	want := `mac,model,from_load,to_load,account,result,duration_s
001122AABB01,CP-7906G,SCCP with a CUCM trust list,SIP11.9-4-2SR1-1S,1001,done,600
001122AABB02,CP-7906G,,,,in progress (loading),30
001122AABB03,CP-7906G,,,,failed,300
`
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
}

func TestDecodeHistory(t *testing.T) {
	lines := []json.RawMessage{json.RawMessage(`{"at":"2026-11-29T10:00:00Z","mac":"001122AABB01","kind":"stage","stage":"dhcp"}`),
		json.RawMessage(`[1,2]`), json.RawMessage(`{"at":"2026-11-29T10:00:05Z","mac":"001122AABB01","kind":"stage","stage":"config"}`)}
	h := DecodeHistory("001122AABB01", lines, 1)
	if len(h.Records) != 2 || h.Damaged != 2 || h.Last().Stage != "config" {
		t.Fatalf("history %+v: want 2 records and 2 damaged lines (one torn, one not a record)", h)
	}
}

func TestResumable(t *testing.T) {
	state := func(mac string, st Stage) json.RawMessage {
		s := NewState(mac, targetLoad, t0)
		s.Stage = st
		raw, _ := json.Marshal(s)
		return raw
	}
	withState := func(r Record, raw json.RawMessage) Record { r.State = raw; return r }
	const mac = "001122AABB01"
	tests := []struct {
		name   string
		recs   []Record
		want   Stage // "" for none
		broken bool
	}{
		{"newest state", []Record{withState(testRecord(mac, 0, "stage", "dhcp"), state(mac, StageDHCP)),
			withState(testRecord(mac, 5, "stage", "config"), state(mac, StageConfig))}, StageConfig, false},
		{"newest with a state", []Record{withState(testRecord(mac, 0, "stage", "dhcp"), state(mac, StageDHCP)),
			testRecord(mac, 5, "note", "dhcp")}, StageDHCP, false},
		{"forgotten", []Record{withState(testRecord(mac, 0, "stage", "dhcp"), state(mac, StageDHCP)),
			withState(testRecord(mac, 5, ForgetKind, "dhcp"), state(mac, StageDHCP))}, "", false},
		{"no state", []Record{testRecord(mac, 0, "stage", "dhcp")}, "", false},
		{"empty", nil, "", false},
		{"state without a mac", []Record{withState(testRecord(mac, 0, "stage", "dhcp"), json.RawMessage(`{"stage":"dhcp"}`))}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ok, err := History{MAC: mac, Records: tt.recs}.Resumable()
			if (err != nil) != tt.broken || ok != (tt.want != "") || s.Stage != tt.want {
				t.Fatalf("Resumable = %s, %v, %v; want %q (broken %v)", s.Stage, ok, err, tt.want, tt.broken)
			}
			if err != nil && !strings.Contains(err.Error(), mac) {
				t.Errorf("error %v does not name the phone", err)
			}
		})
	}
}
