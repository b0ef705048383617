package main

import (
	"math"
	"slices"
	"time"
)

// percentile returns the p-th percentile (0..100) of v by the nearest-rank
// method: the smallest value with at least p% of the values at or below
// it. An empty slice gives 0.
func percentile(v []float64, p float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	return s[min(max(rank, 1), len(s))-1]
}

// spread is the median of repeated measurements with their range.
type spread struct {
	Median, Min, Max float64
}

// spreadOf summarises repetitions: the median (mean of the middle two for
// an even count), the minimum and the maximum.
func spreadOf(v []float64) spread {
	if len(v) == 0 {
		return spread{}
	}
	s := slices.Clone(v)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return spread{Median: m, Min: s[0], Max: s[len(s)-1]}
}

func seconds(d []time.Duration) []float64 {
	out := make([]float64, len(d))
	for i, x := range d {
		out[i] = x.Seconds()
	}
	return out
}

// tftpRow is one server at one client count and block size, over its
// repetitions.
type tftpRow struct {
	Server   string
	N        int
	Blksize  int // asked for (0 = none)
	Granted  int
	Reps     int // repetitions with figures
	MBps     spread
	P50, P99 float64 // seconds for one client's five images, median over reps
	CPUPerGB spread
	PeakKB   spread
	Procs    int
	Threads  int
	Failed   int
	HashOK   bool
	Err      string
}

// tftpRows groups cells by (blksize, N, server), keeping the order in which
// each group first appears in order.
func tftpRows(cells []tftpCell, order []string) []tftpRow {
	type key struct {
		bs, n  int
		server string
	}
	groups := map[key][]tftpCell{}
	var keys []key
	for _, c := range cells {
		k := key{c.Blksize, c.N, c.Server}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], c)
	}
	rank := func(s string) int {
		if i := slices.Index(order, s); i >= 0 {
			return i
		}
		return len(order)
	}
	slices.SortStableFunc(keys, func(a, b key) int {
		if a.bs != b.bs {
			return a.bs - b.bs
		}
		if a.n != b.n {
			return a.n - b.n
		}
		return rank(a.server) - rank(b.server)
	})
	var rows []tftpRow
	for _, k := range keys {
		g := groups[k]
		row := tftpRow{Server: k.server, N: k.n, Blksize: k.bs, HashOK: true}
		var mbps, cpu, pss, p50, p99 []float64
		for _, c := range g {
			row.Failed += c.Failed
			row.HashOK = row.HashOK && c.HashOK
			if row.Err == "" {
				row.Err = c.Err
			}
			if c.Wall <= 0 || c.Bytes == 0 {
				continue // the server did not run: no figures
			}
			row.Reps++
			mbps = append(mbps, c.MBps())
			cpu = append(cpu, c.CPUPerGB())
			pss = append(pss, float64(c.Use.PeakKB))
			sets := seconds(c.Sets)
			p50 = append(p50, percentile(sets, 50))
			p99 = append(p99, percentile(sets, 99))
			row.Granted = max(row.Granted, c.Granted)
			row.Procs, row.Threads = max(row.Procs, c.Use.Procs), max(row.Threads, c.Use.Threads)
		}
		row.MBps, row.CPUPerGB, row.PeakKB = spreadOf(mbps), spreadOf(cpu), spreadOf(pss)
		row.P50, row.P99 = spreadOf(p50).Median, spreadOf(p99).Median
		rows = append(rows, row)
	}
	return rows
}
