package promtext

import (
	"strings"
	"sync"
)

// Vec is a family of counters or gauges told apart by label values. It is
// safe for use by many goroutines. A series appears once it is first
// added to or set, as with client_golang's CounterVec and GaugeVec.
type Vec struct {
	name, help string
	typ        Type
	labels     []string

	mu     sync.Mutex
	series map[string]*Metric // by label values joined with sep
}

const sep = "\xff" // a byte no UTF-8 label value holds

// NewCounterVec returns a counter family with the given label names.
func NewCounterVec(name, help string, labels ...string) *Vec {
	return &Vec{name: name, help: help, typ: Counter, labels: labels, series: map[string]*Metric{}}
}

// NewGaugeVec returns a gauge family with the given label names.
func NewGaugeVec(name, help string, labels ...string) *Vec {
	return &Vec{name: name, help: help, typ: Gauge, labels: labels, series: map[string]*Metric{}}
}

// Add adds d to the series with the label values (one per label name, in
// order). Counters only go up: callers pass d >= 0.
func (v *Vec) Add(d float64, values ...string) {
	v.mu.Lock()
	v.get(values).Value += d
	v.mu.Unlock()
}

// Set sets the series with the label values to x (gauges).
func (v *Vec) Set(x float64, values ...string) {
	v.mu.Lock()
	v.get(values).Value = x
	v.mu.Unlock()
}

// get returns the series for values, creating it. v.mu is held.
func (v *Vec) get(values []string) *Metric {
	if len(values) != len(v.labels) {
		panic("promtext: " + v.name + ": got " + strings.Join(values, ",") + " for labels " + strings.Join(v.labels, ","))
	}
	key := strings.Join(values, sep)
	m, ok := v.series[key]
	if !ok {
		m = &Metric{Labels: make([]Label, len(values))}
		for i, n := range v.labels {
			m.Labels[i] = Label{n, values[i]}
		}
		v.series[key] = m
	}
	return m
}

// Family returns a copy of the current series.
func (v *Vec) Family() Family {
	v.mu.Lock()
	defer v.mu.Unlock()
	f := Family{Name: v.name, Help: v.help, Type: v.typ, Metrics: make([]Metric, 0, len(v.series))}
	for _, m := range v.series {
		f.Metrics = append(f.Metrics, *m) // Labels are never changed after creation
	}
	return f
}
