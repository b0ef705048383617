package main

import (
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestPercentile(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    []float64
		p    float64
		want float64
	}{
		{"empty", nil, 50, 0},
		{"one", []float64{7}, 99, 7},
		{"p50 of 4 is the 2nd", []float64{4, 1, 3, 2}, 50, 2},
		{"p99 of 100 is the 99th", seq(100), 99, 99},
		{"p100 is the max", []float64{3, 9, 1}, 100, 9},
		{"p0 is the min", []float64{3, 9, 1}, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := percentile(tc.v, tc.p); got != tc.want {
				t.Errorf("percentile(%v, %v) = %v, want %v", tc.v, tc.p, got, tc.want)
			}
		})
	}
}

func seq(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = float64(n - i) // descending: percentile must sort
	}
	return v
}

func TestSpreadOf(t *testing.T) {
	for _, tc := range []struct {
		v    []float64
		want spread
	}{
		{nil, spread{}},
		{[]float64{5}, spread{5, 5, 5}},
		{[]float64{3, 1, 2}, spread{2, 1, 3}},
		{[]float64{4, 1, 3, 2}, spread{2.5, 1, 4}},
	} {
		if diff := cmp.Diff(tc.want, spreadOf(tc.v)); diff != "" {
			t.Errorf("spreadOf(%v) (-want +got):\n%s", tc.v, diff)
		}
	}
}

func TestParsePerfdhcp(t *testing.T) {
	f, err := os.Open("testdata/perfdhcp.out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := parsePerfdhcp(f)
	if err != nil {
		t.Fatal(err)
	}
	want := perfdhcpStats{
		DO: exchange{Sent: 199, Received: 197, Drops: 2, AvgMS: 0.525, DelaysMS: []float64{0.589, 0.411}},
		RA: exchange{Sent: 197, Received: 197, AvgMS: 0.352, DelaysMS: []float64{0.267}},
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-6)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := parsePerfdhcp(strings.NewReader("perfdhcp: socket: permission denied\n")); err == nil {
		t.Error("output without statistics parsed without error")
	}
}

func TestParseProcFiles(t *testing.T) {
	if got := parseCPUStat([]byte("usage_usec 123456\nuser_usec 100000\nsystem_usec 23456\n")); got != 123456 {
		t.Errorf("parseCPUStat = %d, want 123456", got)
	}
	rollup := "55d0c0000000-7ffd0000000 ---p 00000000 00:00 0 [rollup]\nRss:  9000 kB\nPss:   8123 kB\nPss_Anon: 4000 kB\n"
	if got := parsePss([]byte(rollup)); got != 8123 {
		t.Errorf("parsePss = %d, want 8123", got)
	}
}

func TestTFTPRows(t *testing.T) {
	cell := func(server string, n, rep int, mb float64, cpu float64, kb int64, sets ...time.Duration) tftpCell {
		return tftpCell{Server: server, N: n, Rep: rep, Granted: 512, Bytes: int64(mb * 1e6), Wall: time.Second,
			Sets: sets, HashOK: true, Use: usage{CPUSec: cpu, PeakKB: kb, Procs: 1, Threads: 3}}
	}
	cells := []tftpCell{
		cell("dnsmasq", 16, 1, 20, 0.2, 3000, time.Second),
		cell("phoneflash", 16, 1, 30, 0.3, 9000, time.Second, 3*time.Second),
		cell("phoneflash", 16, 2, 10, 0.1, 8000, 2*time.Second),
		cell("phoneflash", 16, 3, 20, 0.2, 10000, time.Second),
		cell("phoneflash", 1, 1, 8, 0.1, 7000, time.Second),
	}
	rows := tftpRows(cells, tftpOrder)
	got := make([]string, len(rows))
	for i, r := range rows {
		got[i] = r.Server + "/" + string(rune('0'+r.N%10))
	}
	if diff := cmp.Diff([]string{"phoneflash/1", "phoneflash/6", "dnsmasq/6"}, got); diff != "" {
		t.Errorf("row order (-want +got):\n%s", diff)
	}
	pf := rows[1]
	if pf.Reps != 3 || pf.MBps != (spread{20, 10, 30}) || pf.PeakKB != (spread{9000, 8000, 10000}) {
		t.Errorf("phoneflash N=16: reps %d, MB/s %+v, PSS %+v", pf.Reps, pf.MBps, pf.PeakKB)
	}
	if math.Abs(pf.CPUPerGB.Median-10) > 1e-9 { // 0.2 s per 20 MB = 10 s/GB in every rep
		t.Errorf("CPU/GB median %v, want 10", pf.CPUPerGB.Median)
	}
	if pf.P99 != 2 { // per rep p99: 3, 2, 1 -> median 2
		t.Errorf("p99 %v, want 2", pf.P99)
	}
	line := tftpTarget(rows, 16)
	if want := "- N = 16: throughput 1.00x dnsmasq (target >= 1.0x); CPU/GB 1.00x dnsmasq (target <= 1.2x); peak memory 3.00x dnsmasq (target <= 1.2x)\n"; line != want {
		t.Errorf("target line\n got %q\nwant %q", line, want)
	}
}
