package main

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// cpuUsec reads usage_usec of a cgroup's cpu.stat: the CPU time of every
// process that ever ran in it, children included.
func cpuUsec(cg string) int64 {
	b, err := os.ReadFile(filepath.Join(cg, "cpu.stat"))
	if err != nil {
		return 0
	}
	return parseCPUStat(b)
}

func parseCPUStat(b []byte) int64 {
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "usage_usec "); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}

// pssKB sums the proportional set size of every process in the cgroup,
// and counts processes and threads.
func pssKB(cg string) (kb int64, procs, threads int) {
	b, err := os.ReadFile(filepath.Join(cg, "cgroup.procs"))
	if err != nil {
		return 0, 0, 0
	}
	for _, pid := range strings.Fields(string(b)) {
		r, err := os.ReadFile("/proc/" + pid + "/smaps_rollup")
		if err != nil {
			continue
		}
		kb += parsePss(r)
		procs++
		if ents, err := os.ReadDir("/proc/" + pid + "/task"); err == nil {
			threads += len(ents)
		}
	}
	return kb, procs, threads
}

func parsePss(b []byte) int64 {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Pss:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// sampler records the peak PSS of a cgroup every 100 ms, and its CPU time
// between start and stop.
type sampler struct {
	cg       string
	cpu0     int64
	stopc    chan struct{}
	wg       sync.WaitGroup
	mu       sync.Mutex
	peakKB   int64
	peakProc int
	peakThr  int
}

func startSampler(cg string) *sampler {
	s := &sampler{cg: cg, cpu0: cpuUsec(cg), stopc: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			s.sample()
			select {
			case <-s.stopc:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *sampler) sample() {
	kb, p, th := pssKB(s.cg)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.peakKB = max(s.peakKB, kb)
	s.peakProc = max(s.peakProc, p)
	s.peakThr = max(s.peakThr, th)
}

// usage is what a sampler saw.
type usage struct {
	CPUSec  float64
	PeakKB  int64
	Procs   int
	Threads int
}

func (s *sampler) stop() usage {
	s.sample()
	close(s.stopc)
	s.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	return usage{CPUSec: float64(cpuUsec(s.cg)-s.cpu0) / 1e6, PeakKB: s.peakKB, Procs: s.peakProc, Threads: s.peakThr}
}
