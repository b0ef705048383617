// Package promtext writes metrics in the Prometheus text exposition format,
// version 0.0.4, without client_golang (which, with its protobuf and
// procfs dependencies, made the linux/arm64 appliance binary 3.1 MB, 14%,
// larger).
//
// The pure part is Write: families in, text out, sorted as client_golang
// sorts them. Vec holds labelled counters and gauges for many goroutines.
// GoFamilies and ProcessFamilies read the Go runtime and /proc/self.
//
// Format: https://prometheus.io/docs/instrumenting/exposition_formats/
package promtext

import (
	"bufio"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// ContentType is the Content-Type of the text Write produces.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// Type is a family's metric type, as its # TYPE line spells it.
type Type string

// The metric types this package writes.
const (
	Counter Type = "counter"
	Gauge   Type = "gauge"
	Summary Type = "summary"
)

// Label is one label pair of a series.
type Label struct{ Name, Value string }

// Quantile is one quantile of a summary: Q in [0, 1] and its value.
type Quantile struct{ Q, Value float64 }

// Metric is one series of a family. Counters and gauges use Value;
// summaries use Quantiles, Count and Sum.
type Metric struct {
	Labels    []Label // in the order they are written
	Value     float64
	Quantiles []Quantile
	Count     uint64
	Sum       float64
}

// Family is a metric name with its help, type and series.
type Family struct {
	Name    string
	Help    string
	Type    Type
	Metrics []Metric
}

// Write writes fams to w in the text format: families sorted by name,
// families without series left out, and each family's series sorted by
// their label values, as client_golang's registry does.
func Write(w io.Writer, fams []Family) error {
	fams = slices.Clone(fams)
	slices.SortStableFunc(fams, func(a, b Family) int { return strings.Compare(a.Name, b.Name) })
	bw := bufio.NewWriter(w)
	for _, f := range fams {
		if len(f.Metrics) == 0 {
			continue
		}
		writeFamily(bw, f)
	}
	return bw.Flush()
}

func writeFamily(w *bufio.Writer, f Family) {
	if f.Help != "" {
		w.WriteString("# HELP " + f.Name + " " + escapeHelp.Replace(f.Help) + "\n")
	}
	w.WriteString("# TYPE " + f.Name + " " + string(f.Type) + "\n")
	ms := slices.Clone(f.Metrics)
	slices.SortStableFunc(ms, compareLabelValues)
	for _, m := range ms {
		if f.Type != Summary {
			writeSample(w, f.Name, m.Labels, nil, m.Value)
			continue
		}
		for _, q := range m.Quantiles {
			writeSample(w, f.Name, m.Labels, &Label{"quantile", formatFloat(q.Q)}, q.Value)
		}
		writeSample(w, f.Name+"_sum", m.Labels, nil, m.Sum)
		w.WriteString(f.Name + "_count" + labelText(m.Labels, nil) + " " + strconv.FormatUint(m.Count, 10) + "\n")
	}
}

// compareLabelValues orders series by their label values, one by one.
func compareLabelValues(a, b Metric) int {
	for i := range min(len(a.Labels), len(b.Labels)) {
		if c := strings.Compare(a.Labels[i].Value, b.Labels[i].Value); c != 0 {
			return c
		}
	}
	return len(a.Labels) - len(b.Labels)
}

func writeSample(w *bufio.Writer, name string, labels []Label, extra *Label, v float64) {
	w.WriteString(name + labelText(labels, extra) + " " + formatFloat(v) + "\n")
}

func labelText(labels []Label, extra *Label) string {
	if extra != nil {
		labels = append(slices.Clip(labels), *extra)
	}
	if len(labels) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, l := range labels {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(l.Name + `="` + escapeLabel.Replace(l.Value) + `"`)
	}
	b.WriteByte('}')
	return b.String()
}

var (
	escapeHelp  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
	escapeLabel = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
)

// formatFloat spells v as client_golang's expfmt does: the shortest 'g'
// form that reads back as v, and +Inf, -Inf and NaN.
func formatFloat(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, +1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
