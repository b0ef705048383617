package promtext

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"
)

// userHZ is the kernel's USER_HZ, the unit of times in /proc/self/stat; it
// is 100 on every Linux architecture (client_golang's procfs assumes it
// too).
const userHZ = 100

// ProcessFamilies returns client_golang's process_* metrics, read from
// /proc/self on Linux. A file that cannot be read or parsed leaves out its
// metrics; it never fails the scrape.
func ProcessFamilies() []Family {
	var fams []Family
	if stat, err := os.ReadFile("/proc/self/stat"); err == nil {
		sys, _ := os.ReadFile("/proc/stat")
		fams = append(fams, statFamilies(stat, sys, os.Getpagesize())...)
	}
	if fds, err := os.ReadDir("/proc/self/fd"); err == nil {
		fams = append(fams, gauge("process_open_fds", "Number of open file descriptors.", float64(len(fds))))
	}
	if limits, err := os.ReadFile("/proc/self/limits"); err == nil {
		fams = append(fams, limitFamilies(limits)...)
	}
	return fams
}

// statFamilies turns /proc/self/stat (and /proc/stat's btime, for the
// start time) into CPU time, memory and start time.
func statFamilies(stat, sys []byte, pageSize int) []Family {
	f, err := statFields(stat)
	if err != nil {
		return nil
	}
	fams := []Family{
		{Name: "process_cpu_seconds_total", Help: "Total user and system CPU time spent in seconds.", Type: Counter,
			Metrics: []Metric{{Value: float64(f.utime+f.stime) / userHZ}}},
		gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", float64(f.vsize)),
		gauge("process_resident_memory_bytes", "Resident memory size in bytes.", float64(f.rss*uint64(pageSize))),
	}
	if btime, ok := bootTime(sys); ok {
		fams = append(fams, gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
			float64(btime)+float64(f.starttime)/userHZ))
	}
	return fams
}

type procStat struct{ utime, stime, starttime, vsize, rss uint64 }

// statFields parses the fields of /proc/self/stat that statFamilies uses
// (proc(5): utime 14, stime 15, starttime 22, vsize 23, rss 24). The
// command name, field 2, is in parentheses and may hold spaces or ")".
func statFields(stat []byte) (procStat, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return procStat{}, errors.New("promtext: /proc/self/stat: no command name")
	}
	f := strings.Fields(string(stat[i+1:])) // f[0] is field 3
	if len(f) < 22 {
		return procStat{}, errors.New("promtext: /proc/self/stat: too few fields")
	}
	var s procStat
	var err error
	for _, p := range []struct {
		dst   *uint64
		field int
	}{{&s.utime, 14}, {&s.stime, 15}, {&s.starttime, 22}, {&s.vsize, 23}, {&s.rss, 24}} {
		var e error
		*p.dst, e = strconv.ParseUint(f[p.field-3], 10, 64)
		err = errors.Join(err, e)
	}
	return s, err
}

// bootTime is the btime line of /proc/stat: boot time in seconds since 1970.
func bootTime(sys []byte) (uint64, bool) {
	for line := range strings.Lines(string(sys)) {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// limitFamilies reads the soft limits on open files and address space from
// /proc/self/limits; "unlimited" is reported as 2^64-1, as procfs does.
func limitFamilies(limits []byte) []Family {
	var fams []Family
	for _, l := range []struct{ prefix, name, help string }{
		{"Max open files", "process_max_fds", "Maximum number of open file descriptors."},
		{"Max address space", "process_virtual_memory_max_bytes", "Maximum amount of virtual memory available in bytes."},
	} {
		if v, ok := softLimit(limits, l.prefix); ok {
			fams = append(fams, gauge(l.name, l.help, v))
		}
	}
	return fams
}

func softLimit(limits []byte, prefix string) (float64, bool) {
	for line := range strings.Lines(string(limits)) {
		rest, ok := strings.CutPrefix(line, prefix+" ")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			return 0, false
		}
		if f[0] == "unlimited" {
			return float64(^uint64(0)), true
		}
		n, err := strconv.ParseUint(f[0], 10, 64)
		return float64(n), err == nil
	}
	return 0, false
}
