package main

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/phoneflash/phoneflash/firmware"
)

func TestOwnDelay(t *testing.T) {
	var p phoneResult
	p.Boots, p.Reboots = 4, 5
	p.Requests = append(p.Requests, struct {
		Name    string `json:"name"`
		Outcome string `json:"outcome"`
		Bytes   int64  `json:"bytes"`
	}{"apps11.sbn", "ok", 3 << 20}, struct {
		Name    string `json:"name"`
		Outcome string `json:"outcome"`
		Bytes   int64  `json:"bytes"`
	}{"term06.default.loads", "ok", 1 << 20}, struct {
		Name    string `json:"name"`
		Outcome string `json:"outcome"`
		Bytes   int64  `json:"bytes"`
	}{"cnu11.sbn", "timeout", 1 << 20})
	// 4 cold boots of 1 s, 5 reboots of 15 s, 3 MiB written at 10 s/MiB.
	if got, want := p.ownDelay(), 4*time.Second+75*time.Second+30*time.Second; got != want {
		t.Errorf("ownDelay = %v, want %v", got, want)
	}
	w := wholeBench{Wall: 110 * time.Second, Own: []time.Duration{90 * time.Second, 100 * time.Second}}
	if got := w.Overhead(); got != 10 {
		t.Errorf("Overhead = %v %%, want 10", got)
	}
}

func TestParseFlags(t *testing.T) {
	o, err := parseFlags([]string{"-all", "-quick"}, &strings.Builder{})
	if err != nil {
		t.Fatal(err)
	}
	if !o.tftp || !o.dhcp || !o.bench || !o.mem || o.reps != 1 || o.timescale != 20 || !cmp.Equal(o.ns, []int{1, 16}) {
		t.Errorf("-all -quick = %+v", o)
	}
	o, err = parseFlags([]string{"-tftp", "-n", "4, 8", "-servers", "dnsmasq"}, &strings.Builder{})
	if err != nil || !cmp.Equal(o.ns, []int{4, 8}) || o.reps != 3 || !o.want("dnsmasq") || o.want("phoneflash") {
		t.Errorf("-tftp -n 4,8 = %+v, %v", o, err)
	}
	o, err = parseFlags([]string{"-bench", "-models", "7906, CP-7942G,70"}, &strings.Builder{})
	var names []string
	for _, m := range o.models {
		names = append(names, string(m.Name))
	}
	if err != nil || !cmp.Equal(names, []string{"CP-7906G", "CP-7942G", "CP-7970G"}) {
		t.Errorf("-bench -models 7906,CP-7942G,70 = %v, %v", names, err)
	}
	o, _ = parseFlags([]string{"-bench"}, &strings.Builder{})
	if len(o.models) != 2 || o.models[0].Name != "CP-7906G" || o.models[1].Name != "CP-7911G" {
		t.Errorf("-bench: models %v, want the 7906 and the 7911", o.models)
	}
	for _, bad := range [][]string{{}, {"-tftp", "-n", "0"}, {"-tftp", "-reps", "0"}, {"-tftp", "extra"}, {"-bench", "-models", "7906,8945"}} {
		if _, err := parseFlags(bad, &strings.Builder{}); err == nil {
			t.Errorf("parseFlags(%q) accepted", bad)
		}
	}
}

// The whole bench's firmware: each family's stepping stone and target,
// once however many of its models the bench has.
func TestWholeLoads(t *testing.T) {
	var models []firmware.Model
	for _, name := range []string{"7906", "7911", "7942", "7962", "7970"} {
		m, err := firmware.BuiltinModels().Parse(name)
		if err != nil {
			t.Fatal(err)
		}
		models = append(models, m)
	}
	var got []string
	for _, l := range wholeLoads(models) {
		got = append(got, l.Name)
	}
	want := []string{"SCCP11.8-5-2S", "SIP11.9-4-2SR1-1S", "SCCP42.8-5-2S", "SIP42.9-4-2SR3-1S", "SCCP70.8-5-2S", "SIP70.9-4-2SR3-1S"}
	if !cmp.Equal(got, want) {
		t.Errorf("wholeLoads = %v, want %v", got, want)
	}
}

func TestMarkdown(t *testing.T) {
	r := &report{
		Date: time.Date(2026, 11, 29, 11, 0, 0, 0, time.UTC), Machine: "amd64, 2 CPUs", Reps: 1, DHCPSecs: 10,
		Versions: map[string]string{"dnsmasq-base": "2.90", "phoneflash": "devel"},
		TFTP: []tftpCell{
			{Server: "phoneflash", N: 64, Granted: 512, Bytes: 40e6, Wall: time.Second, Sets: []time.Duration{time.Second}, HashOK: true, Use: usage{CPUSec: 0.8, PeakKB: 12000, Procs: 1, Threads: 9}},
			{Server: "dnsmasq", N: 64, Granted: 512, Bytes: 50e6, Wall: time.Second, Sets: []time.Duration{time.Second}, HashOK: true, Use: usage{CPUSec: 0.5, PeakKB: 3000, Procs: 1, Threads: 1}},
		},
		DHCP: []dhcpCell{
			{Server: "phoneflash", Client: "pfbench", Rate: 2000, Secs: 10, Stats: perfdhcpStats{RA: exchange{Received: 20000}}},
			{Server: "kea", Client: "pfbench", Rate: 2000, Secs: 10, Stats: perfdhcpStats{RA: exchange{Received: 19990, Drops: 10}}},
			{Server: "kea", Client: "perfdhcp", Rate: 0, Secs: 10, Err: "boom"},
		},
		Mem: memFigures{IdleKB: 8000, IdleProcs: 1, IdleThr: 7, Arm64Bytes: 10 << 20},
		Whole: &wholeBench{Phones: 2, Models: []string{"7906", "7942"}, Done: 2, Timescale: 1, Wall: 110 * time.Second,
			Own: []time.Duration{90 * time.Second, 100 * time.Second}, PerPhone: []time.Duration{100 * time.Second, 110 * time.Second}},
	}
	md := r.markdown()
	for _, want := range []string{
		"# phoneflash benchmarks, 2026-11-29 11:00 UTC\n",
		"Versions: dnsmasq-base 2.90, phoneflash devel.\n",
		"| 512 | 64 | phoneflash | 40.0 [40.0-40.0] | 1.00 / 1.00 | 20.0 [20.0-20.0] | 12000 | 1/9 | 0 | ok |\n",
		"- N = 64: throughput 0.80x dnsmasq (target >= 1.0x); CPU/GB 2.00x dnsmasq (target <= 1.2x); peak memory 4.00x dnsmasq (target <= 1.2x)\n",
		"| pfbench | phoneflash | 2000 | 2000 | 0 |",
		"| perfdhcp | kea | max | **error**: boom |",
		"Target at 2000/s (client mode): phoneflash completed 2000 DORA/s with 0 drops, Kea 1999",
		"- at 64 concurrent transfers: 12000 KB PSS peak (median of 1)\n",
		"- linux/arm64 binary: 10485760 bytes (10.0 MiB)\n",
		"2 simulated phones (phonesim, formatted with an old loader, models 7906, 7942 in turn) on 4 ports",
		"| 2/2 | 110.0 s | 100.0 s | 10.0 % |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q\n%s", want, md)
		}
	}
}
