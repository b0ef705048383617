package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/phoneflash/phoneflash/appliance/provision"
	"github.com/phoneflash/phoneflash/appliance/session"
	"github.com/phoneflash/phoneflash/appliance/status"
)

func TestDemoAccountTable(t *testing.T) {
	tab, err := provision.ParseTable(strings.NewReader(accountTable(demoPhones)))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range tab.Rows {
		got = append(got, r.MAC+" "+r.Extension+" "+r.Password)
	}
	want := []string{
		"002290DE0001 1001 demo1001",
		"002290DE0003 1003 demo1003",
		"002290DE0004 1004 demo1004",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("account table (-want +got):\n%s", diff)
	}
	// Every row is MAC-matched, so the phone without a row gets none.
	for _, p := range demoPhones {
		ext, ok := tab.Assign(p.key(), "x", func(string) bool { return false })
		if (p.Password == "") == ok {
			t.Errorf("%s: assigned %q, %v; want an account only with a password", p.MAC, ext, ok)
		}
	}
}

func TestLoadPath(t *testing.T) {
	h := session.History{Records: []session.Record{
		{From: "SCCP with a CUCM trust list"},
		{From: "SCCP with a CUCM trust list", Load: "SCCP11.8-5-2S"},
		{From: "SCCP with a CUCM trust list", Load: "SCCP11.8-5-2S"},
		{From: "SCCP with a CUCM trust list", Load: "SIP11.9-4-2SR1-1S"},
	}}
	want := []string{"SCCP with a CUCM trust list", "SCCP11.8-5-2S", "SIP11.9-4-2SR1-1S"}
	if diff := cmp.Diff(want, loadPath(h)); diff != "" {
		t.Errorf("loadPath (-want +got):\n%s", diff)
	}
}

func history(mac, result string, d time.Duration, loads ...string) session.History {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	h := session.History{MAC: mac}
	for i, l := range loads {
		h.Records = append(h.Records, session.Record{At: t0, MAC: mac, Model: "CP-7906G", Stage: "loading", From: loads[0], Load: l})
		if i == len(loads)-1 {
			h.Records = append(h.Records, session.Record{At: t0.Add(d), MAC: mac, Stage: "done", From: loads[0], Load: l, Result: result})
		}
	}
	return h
}

// agreeing is the result a demo phone writes when it ends as expected.
func agreeing(p demoPhone) phoneResult {
	r := phoneResult{MAC: p.key(), State: p.Own.State, Load: p.target(), Exit: "until"}
	switch p.Own.Line {
	case "":
		r.Config = &phoneConfig{Outcome: "unprovisioned", Password: "missing"}
	case "without a password":
		r.Config = &phoneConfig{Outcome: "provisioned", Password: "missing"}
	default:
		r.Config = &phoneConfig{Outcome: "provisioned", Password: "ok", AuthName: p.Own.Line}
	}
	if p.Own.Registrar != "" {
		r.SIP = &phoneSIP{State: p.Own.State, Registrar: p.Own.Registrar}
	}
	return r
}

func TestDemoReport(t *testing.T) {
	all := []session.History{
		history("002290DE0001", "done", 8*time.Second, "old", "SCCP11.8-5-2S", "SIP11.9-4-2SR1-1S"),
		history("002290DE0002", "done (no account)", 7*time.Second, "old", "SIP11.9-4-2SR1-1S"),
		history("002290DE0003", "done", 4*time.Second, "SCCP", "SIP11.9-4-2SR1-1S"),
		history("002290DE0004", "failed", 4*time.Second, "SCCP", "SIP11.9-4-2SR1-1S"),
	}
	// own returns the agreeing results, with change applied to port 1's.
	own := func(change func(*phoneResult) error) func(demoPhone) (phoneResult, error) {
		return func(p demoPhone) (phoneResult, error) {
			r := agreeing(p)
			if p.Port == 0 && change != nil {
				return r, change(&r)
			}
			return r, nil
		}
	}
	tests := []struct {
		name    string
		hs      []session.History
		own     func(demoPhone) (phoneResult, error)
		wantOK  bool
		want    []string // lines or parts of lines of the report
		notWant string   // what the report must not say
	}{
		{"as expected", all, own(nil), true, []string{
			"PORT  MAC           MODEL     RESULT             THE PHONE SAYS                       LOADS                                      TIME  EXPECTED",
			"1     002290DE0001  CP-7906G  done               registered, line 1001                old -> SCCP11.8-5-2S -> SIP11.9-4-2SR1-1S  8s    as expected",
			"2     002290DE0002  CP-7906G  done (no account)  registered, line without a password  old -> SIP11.9-4-2SR1-1S                   7s    as expected",
			"4     002290DE0004  CP-7906G  failed             refused, line 1004                   SCCP -> SIP11.9-4-2SR1-1S                  4s    as expected",
			"outcome: as expected (exit 0)"}, "NOT"},
		{"a phone missing from the journal", all[:3], own(nil), false, []string{
			"4     002290DE0004  -         never seen", "port 4 002290DE0004: NOT as expected: appliance: -, want failed",
			"outcome: NOT as expected (exit 1)"}, "phone:"},
		{"a wrong result in the journal", append(all[:3:3], history("002290DE0004", "done", time.Second, "SCCP", "SIP")), own(nil), false, []string{
			"port 4 002290DE0004: NOT as expected: appliance: done, want failed"}, "phone:"},
		{"the phone did not get that far", all, own(func(r *phoneResult) error { r.State, r.Config = "config", nil; return nil }), false, []string{
			"1     002290DE0001  CP-7906G  done               config, no line  ",
			"port 1 002290DE0001: NOT as expected: phone: state config, want registered",
			`port 1 002290DE0001: NOT as expected: phone: line "", want "1001"`,
			"outcome: NOT as expected (exit 1)"}, "appliance:"},
		{"the phone has another load", all, own(func(r *phoneResult) error { r.Load = "SCCP11.8-5-2S"; return nil }), false, []string{
			"port 1 002290DE0001: NOT as expected: phone: load SCCP11.8-5-2S, want SIP11.9-4-2SR1-1S"}, "appliance:"},
		{"the phone refused its password", all, own(func(r *phoneResult) error { r.Config.Password = "too-long"; return nil }), false, []string{
			`port 1 002290DE0001: NOT as expected: phone: line "1001 without a password", want "1001"`}, "appliance:"},
		{"the phone registered elsewhere", all, own(func(r *phoneResult) error { r.SIP.Registrar = "10.79.1.1:5060"; return nil }), false, []string{
			`port 1 002290DE0001: NOT as expected: phone: registrar "10.79.1.1:5060", want "192.0.2.10:5060"`}, "appliance:"},
		{"no result from the phone", all, own(func(r *phoneResult) error { *r = phoneResult{}; return errors.New("phone result: no such file") }), false, []string{
			"1     002290DE0001  CP-7906G  done               no result  ",
			"port 1 002290DE0001: NOT as expected: phone: phone result: no such file"}, "appliance:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			ok := writeDemoReport(&b, demoResults(demoPhones, tt.hs, tt.own), 9*time.Second, false)
			if ok != tt.wantOK {
				t.Errorf("ok = %v, want %v", ok, tt.wantOK)
			}
			for _, w := range tt.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("report lacks %q:\n%s", w, b.String())
				}
			}
			if strings.Contains(b.String(), tt.notWant) {
				t.Errorf("report says %q:\n%s", tt.notWant, b.String())
			}
		})
	}
}

func TestDemoViewLines(t *testing.T) {
	var b bytes.Buffer
	v := newDemoView(&b, false, func() string { return "" }, "")
	ph := session.Phone{MAC: "002290DE0001", Model: "CP-7906G", Stage: session.StageLoading, FileIndex: 2, FileCount: 5,
		Bytes: 100, Total: 1000, Load: "SCCP11.8-5-2S"}
	snap := status.Snapshot{Ports: []status.PortView{{Index: 0, Name: "p1", Phones: []session.Phone{ph}}, {Index: 1, Name: "p2"}}}
	v.update(snap)
	v.update(snap) // unchanged: no second line
	ph.Stage, ph.Result, ph.Reason = session.StageDone, "done (no account)", "no account"
	snap.Ports[0].Phones[0] = ph
	v.update(snap)
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		got = append(got, strings.TrimSpace(l[strings.Index(l, "s  ")+1:]))
	}
	want := []string{
		"port 1  002290DE0001  CP-7906G  loading file 2/5  on SCCP11.8-5-2S",
		"port 1  002290DE0001  CP-7906G  done  on SCCP11.8-5-2S  result: done (no account)  (no account)",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}

	var tb bytes.Buffer
	writePhoneTable(&tb, snap)
	for _, w := range []string{"1     002290DE0001  CP-7906G  done (no account)", "2     -             -         empty"} {
		if !strings.Contains(tb.String(), w) {
			t.Errorf("table lacks %q:\n%s", w, tb.String())
		}
	}
}

func TestDemoViewTTY(t *testing.T) {
	var b bytes.Buffer
	v := newDemoView(&b, true, func() string { return "⣿⣿\n" }, "header\n")
	v.update(status.Snapshot{Ports: []status.PortView{{Index: 0, Name: "p1"}}})
	v.draw()
	v.draw() // nothing changed: nothing drawn
	got := b.String()
	if strings.Count(got, "\x1b[H\x1b[2J") != 1 || !strings.Contains(got, "header\n") || !strings.Contains(got, "⣿⣿") {
		t.Errorf("screen = %q, want one clear-and-home, the header, the OLED and the table", got)
	}
}

func TestDemoFlags(t *testing.T) {
	for _, args := range [][]string{{"-time-scale", "0"}, {"-time-scale", "2"}, {"-firmware-scale", "0"}, {"extra"}, {"-prefix", "waytoolongprefix"}} {
		if _, err := parseDemoFlags(args, io.Discard); err == nil {
			t.Errorf("parseDemoFlags(%q) accepted", args)
		}
	}
	f, err := parseDemoFlags(nil, io.Discard)
	if err != nil || f.prefix != "pfd" || f.timeScale != 0.25 || f.inner {
		t.Errorf("defaults = %+v, %v", f, err)
	}
}

func TestDemoNeedsRoot(t *testing.T) {
	defer func(f func() int) { euid = f }(euid)
	euid = func() int { return 1000 }
	var out, errb bytes.Buffer
	if code := run(t.Context(), []string{"demo"}, &out, &errb); code != exitFailure {
		t.Errorf("exit %d, want %d", code, exitFailure)
	}
	if errb.String() != needsRoot+"\n" || out.Len() != 0 {
		t.Errorf("stderr %q stdout %q, want the one line %q", errb.String(), out.String(), needsRoot)
	}
}

func TestFindPhonesim(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	if _, err := findPhonesim(""); err == nil || !strings.Contains(err.Error(), "go build -o build/ ./cmd/phoneflash ./cmd/phonesim") {
		t.Errorf("without phonesim: %v, want how to build it", err)
	}
	if _, err := findPhonesim("/nonexistent/phonesim"); err == nil {
		t.Error("-phonesim naming a missing file is accepted")
	}
	dir := t.TempDir()
	bin := dir + "/phonesim"
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	if got, err := findPhonesim(""); err != nil || got != bin {
		t.Errorf("phonesim on PATH: %q, %v; want %q", got, err, bin)
	}
}
