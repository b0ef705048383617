package promtext

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// memStat is one go_memstats_* gauge or counter read from runtime.MemStats.
type memStat struct {
	name, help string
	typ        Type
	value      func(*runtime.MemStats) float64
}

// memStats are client_golang's go_memstats_* metrics, with their names,
// types and (shortened) help texts.
var memStats = []memStat{
	{"go_memstats_alloc_bytes", "Number of bytes allocated in heap and currently in use.", Gauge, func(s *runtime.MemStats) float64 { return float64(s.Alloc) }},
	{"go_memstats_alloc_bytes_total", "Total number of bytes allocated in heap until now, even if released already.", Counter, func(s *runtime.MemStats) float64 { return float64(s.TotalAlloc) }},
	{"go_memstats_buck_hash_sys_bytes", "Number of bytes used by the profiling bucket hash table.", Gauge, func(s *runtime.MemStats) float64 { return float64(s.BuckHashSys) }},
	{"go_memstats_frees_total", "Total number of heap objects frees.", Counter, func(s *runtime.MemStats) float64 { return float64(s.Frees) }},
	{"go_memstats_gc_sys_bytes", "Number of bytes used for garbage collection system metadata.", Gauge, func(s *runtime.MemStats) float64 { return float64(s.GCSys) }},
	{"go_memstats_heap_alloc_bytes", "Number of heap bytes allocated and currently in use, same as go_memstats_alloc_bytes.", Gauge, func(s *runtime.MemStats) float64 { return float64(s.HeapAlloc) }},
	{"go_memstats_heap_idle_bytes", "Number of heap bytes waiting to be used.", Gauge, func(s *runtime.MemStats) float64 { return float64(s.HeapIdle) }},
	{"go_memstats_heap_inuse_bytes", "Number of heap bytes that are in use.", Gauge, func(s *runtime.MemStats) float64 { return float64(s.HeapInuse) }},
	{"go_memstats_heap_objects", "Number of currently allocated objects.", Gauge, func(s *runtime.MemStats) float64 { return float64(s.HeapObjects) }},
	{"go_memstats_heap_released_bytes", "Number of heap bytes released to OS.", Gauge, func(s *runtime.MemStats) float64 { return float64(s.HeapReleased) }},
	{"go_memstats_heap_sys_bytes", "Number of heap bytes obtained from system.", Gauge, func(s *runtime.MemStats) float64 { return float64(s.HeapSys) }},
	{"go_memstats_last_gc_time_seconds", "Number of seconds since 1970 of last garbage collection.", Gauge, func(s *runtime.MemStats) float64 { return float64(s.LastGC) / 1e9 }},
	{"go_memstats_mallocs_total", "Total number of heap objects allocated, both live and gc-ed.", Counter, func(s *runtime.MemStats) float64 { return float64(s.Mallocs) }},
	{"go_memstats_mcache_inuse_bytes", "Number of bytes in use by mcache structures.", Gauge, func(s *runtime.MemStats) float64 { return float64(s.MCacheInuse) }},
	{"go_memstats_mcache_sys_bytes", "Number of bytes used for mcache structures obtained from system.", Gauge, func(s *runtime.MemStats) float64 { return float64(s.MCacheSys) }},
	{"go_memstats_mspan_inuse_bytes", "Number of bytes in use by mspan structures.", Gauge, func(s *runtime.MemStats) float64 { return float64(s.MSpanInuse) }},
	{"go_memstats_mspan_sys_bytes", "Number of bytes used for mspan structures obtained from system.", Gauge, func(s *runtime.MemStats) float64 { return float64(s.MSpanSys) }},
	{"go_memstats_next_gc_bytes", "Number of heap bytes when next garbage collection will take place.", Gauge, func(s *runtime.MemStats) float64 { return float64(s.NextGC) }},
	{"go_memstats_other_sys_bytes", "Number of bytes used for other system allocations.", Gauge, func(s *runtime.MemStats) float64 { return float64(s.OtherSys) }},
	{"go_memstats_stack_inuse_bytes", "Number of bytes obtained from system for stack allocator in non-CGO environments.", Gauge, func(s *runtime.MemStats) float64 { return float64(s.StackInuse) }},
	{"go_memstats_stack_sys_bytes", "Number of bytes obtained from system for stack allocator.", Gauge, func(s *runtime.MemStats) float64 { return float64(s.StackSys) }},
	{"go_memstats_sys_bytes", "Number of bytes obtained from system.", Gauge, func(s *runtime.MemStats) float64 { return float64(s.Sys) }},
}

// runtimeGauges are the go_* gauges client_golang reads from runtime/metrics.
var runtimeGauges = []struct{ name, help, sample string }{
	{"go_gc_gogc_percent", "Heap size target percentage configured by the user, otherwise 100. Sourced from /gc/gogc:percent.", "/gc/gogc:percent"},
	{"go_gc_gomemlimit_bytes", "Go runtime memory limit configured by the user, otherwise math.MaxInt64. Sourced from /gc/gomemlimit:bytes.", "/gc/gomemlimit:bytes"},
	{"go_sched_gomaxprocs_threads", "The current runtime.GOMAXPROCS setting. Sourced from /sched/gomaxprocs:threads.", "/sched/gomaxprocs:threads"},
}

// GoFamilies returns the Go runtime's metrics under client_golang's go_*
// names: goroutines, threads, version, GC pauses and memory statistics.
func GoFamilies() []Family {
	threads, _ := runtime.ThreadCreateProfile(nil)
	fams := []Family{
		gauge("go_goroutines", "Number of goroutines that currently exist.", float64(runtime.NumGoroutine())),
		gauge("go_threads", "Number of OS threads created.", float64(threads)),
		{Name: "go_info", Help: "Information about the Go environment.", Type: Gauge,
			Metrics: []Metric{{Labels: []Label{{"version", runtime.Version()}}, Value: 1}}},
		gcDuration(),
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	for _, s := range memStats {
		fams = append(fams, Family{Name: s.name, Help: s.help, Type: s.typ, Metrics: []Metric{{Value: s.value(&ms)}}})
	}
	samples := make([]metrics.Sample, len(runtimeGauges))
	for i, g := range runtimeGauges {
		samples[i].Name = g.sample
	}
	metrics.Read(samples)
	for i, g := range runtimeGauges {
		if samples[i].Value.Kind() == metrics.KindUint64 {
			fams = append(fams, gauge(g.name, g.help, float64(samples[i].Value.Uint64())))
		}
	}
	return fams
}

// gcDuration is the summary of recent GC pauses, as client_golang computes
// it from debug.ReadGCStats: quantiles 0, 0.25, 0.5, 0.75 and 1.
func gcDuration() Family {
	var st debug.GCStats
	st.PauseQuantiles = make([]time.Duration, 5)
	debug.ReadGCStats(&st)
	m := Metric{Count: uint64(st.NumGC), Sum: st.PauseTotal.Seconds()}
	for i, d := range st.PauseQuantiles {
		m.Quantiles = append(m.Quantiles, Quantile{float64(i) / 4, d.Seconds()})
	}
	return Family{Name: "go_gc_duration_seconds", Type: Summary, Metrics: []Metric{m},
		Help: "A summary of the wall-time pause (stop-the-world) duration in garbage collection cycles."}
}

func gauge(name, help string, v float64) Family {
	return Family{Name: name, Help: help, Type: Gauge, Metrics: []Metric{{Value: v}}}
}
