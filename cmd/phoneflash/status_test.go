package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/phoneflash/phoneflash/appliance/journal"
	"github.com/phoneflash/phoneflash/appliance/session"
)

func writeJournal(t *testing.T, dir string) {
	t.Helper()
	j, err := journal.Open(dir, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	recs := []session.Record{
		{At: at, MAC: "001122AABB01", Port: "eth1", Model: "CP-7906G", Kind: "stage", Stage: "dhcp", Target: "SIP11.9-4-2SR1-1S"},
		{At: at.Add(time.Minute), MAC: "001122AABB01", Port: "eth1", Model: "CP-7906G", Kind: "restart", Stage: "loading", Target: "SIP11.9-4-2SR1-1S"},
		{At: at.Add(9 * time.Minute), MAC: "001122AABB01", Port: "eth1", Model: "CP-7906G", Kind: "stage", Stage: "done",
			From: "SCCP with a CUCM trust list", Load: "SIP11.9-4-2SR1-1S", Target: "SIP11.9-4-2SR1-1S", Account: "1001", Result: "done"},
		{At: at, MAC: "001122AABB02", Port: "eth2", Model: "CP-7911G", Kind: "stage", Stage: "needs-reset", Target: "SIP11.9-4-2SR1-1S",
			Result: "needs-reset", Reason: "phone trusts a CUCM: hold # while powering the phone on, then key 3491672850*# (factory reset)"},
	}
	for _, r := range recs {
		if err := j.Append(r.MAC, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestStatus(t *testing.T) {
	dir := t.TempDir()
	writeJournal(t, dir)
	report := filepath.Join(dir, "report.csv")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"status", "-state", dir, "-csv", report}, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "MAC") {
		t.Fatalf("table:\n%s", stdout.String())
	}
	for _, want := range []string{"001122AABB01", "eth1", "done", "1001", "9m0s", "1 appliance restart(s)"} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("line %q lacks %q", lines[1], want)
		}
	}
	if !strings.Contains(lines[2], "needs-reset") || !strings.Contains(lines[2], "3491672850*#") {
		t.Errorf("line %q", lines[2])
	}
	csv, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	want := "mac,model,from_load,to_load,account,result,duration_s\n" +
		"001122AABB01,CP-7906G,SCCP with a CUCM trust list,SIP11.9-4-2SR1-1S,1001,done,540\n" +
		"001122AABB02,CP-7911G,,,,needs-reset,0\n"
	if string(csv) != want {
		t.Errorf("report:\n%s\nwant:\n%s", csv, want)
	}
	stdout.Reset()
	if code := run(context.Background(), []string{"status", "-state", dir, "-csv", "-"}, &stdout, &stderr); code != exitOK || stdout.String() != want {
		t.Errorf("-csv -: exit %d\n%s", code, stdout.String())
	}
}

func TestStatusErrors(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"status", "-state", dir}, &stdout, &stderr); code != exitOK || !strings.Contains(stdout.String(), "no phones handled yet") {
		t.Errorf("empty: exit %d %q", code, stdout.String())
	}
	if code := run(context.Background(), []string{"status", "-state", filepath.Join(dir, "none")}, &stdout, &stderr); code != exitFailure {
		t.Errorf("missing state dir: exit %d", code)
	}
	if code := run(context.Background(), []string{"status", "-state", dir, "extra"}, &stdout, &stderr); code != exitUsage {
		t.Errorf("stray argument: exit %d", code)
	}
	if code := run(context.Background(), []string{"status", "-state", dir, "-csv", filepath.Join(dir, "no", "dir.csv")}, &stdout, &stderr); code != exitFailure {
		t.Errorf("unwritable report: exit %d", code)
	}
	stderr.Reset()
	if code := run(context.Background(), []string{"status", "-h"}, &stdout, &stderr); code != exitOK {
		t.Errorf("-h: exit %d", code)
	}
	for _, flag := range []string{"-state", "-csv"} {
		if !strings.Contains(stderr.String(), flag) {
			t.Errorf("-h does not explain %s:\n%s", flag, stderr.String())
		}
	}
}
