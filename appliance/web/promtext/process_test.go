package promtext

import (
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStatFamilies(t *testing.T) {
	// A command name with a space and a parenthesis, as proc(5) allows.
	stat := "4242 (php (x) y) S 1 4242 4242 0 -1 4194560 3000 0 0 0 150 75 0 0 20 0 9 0 " +
		"123450 1605668864 3669 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"
	sys := "cpu  1 2 3\nintr 5\nbtime 1796000000\nprocesses 9\n"
	var b strings.Builder
	Write(&b, statFamilies([]byte(stat), []byte(sys), 4096))
	want := `# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 2.25
# HELP process_resident_memory_bytes Resident memory size in bytes.
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 1.5028224e+07
# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.
# TYPE process_start_time_seconds gauge
process_start_time_seconds 1.7960012345e+09
# HELP process_virtual_memory_bytes Virtual memory size in bytes.
# TYPE process_virtual_memory_bytes gauge
process_virtual_memory_bytes 1.605668864e+09
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("statFamilies (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"", "4242 (x", "4242 (x) S 1 2", strings.Replace(stat, " 150 ", " x ", 1)} {
		if got := statFamilies([]byte(bad), []byte(sys), 4096); got != nil {
			t.Errorf("statFamilies(%q) = %v, want nothing", bad, got)
		}
	}
	if got := statFamilies([]byte(stat), nil, 4096); len(got) != 3 {
		t.Errorf("without /proc/stat: %d families, want 3 (no start time)", len(got))
	}
}

func TestLimitFamilies(t *testing.T) {
	limits := `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            20000                40000                files
Max address space         unlimited            unlimited            bytes
`
	var b strings.Builder
	Write(&b, limitFamilies([]byte(limits)))
	want := `# HELP process_max_fds Maximum number of open file descriptors.
# TYPE process_max_fds gauge
process_max_fds 20000
# HELP process_virtual_memory_max_bytes Maximum amount of virtual memory available in bytes.
# TYPE process_virtual_memory_max_bytes gauge
process_virtual_memory_max_bytes 1.8446744073709552e+19
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("limitFamilies (-want +got):\n%s", diff)
	}
}

func TestLiveFamilies(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("process_* metrics come from Linux's /proc/self")
	}
	var b strings.Builder
	Write(&b, append(GoFamilies(), ProcessFamilies()...))
	for _, want := range []string{"go_goroutines ", "go_threads ", `go_info{version="go`, "go_memstats_alloc_bytes ",
		"go_memstats_heap_inuse_bytes ", "go_memstats_sys_bytes ", "go_gc_duration_seconds_count ",
		"process_cpu_seconds_total ", "process_resident_memory_bytes ", "process_virtual_memory_bytes ",
		"process_open_fds ", "process_max_fds ", "process_start_time_seconds "} {
		if !strings.Contains(b.String(), "\n"+want) {
			t.Errorf("live metrics lack %q", want)
		}
	}
}
