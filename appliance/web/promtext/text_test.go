package promtext

import (
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWrite(t *testing.T) {
	l := func(kv ...string) []Label {
		var ls []Label
		for i := 0; i < len(kv); i += 2 {
			ls = append(ls, Label{kv[i], kv[i+1]})
		}
		return ls
	}
	fams := []Family{
		{Name: "z_gauge", Help: "Line one\nand a back\\slash.", Type: Gauge, Metrics: []Metric{
			{Labels: l("port", "eth2"), Value: 1e-7},
			{Labels: l("port", `a"b\c`+"\nd"), Value: math.Inf(1)},
			{Labels: l("port", "eth10"), Value: math.NaN()},
			{Labels: l("port", "eth1"), Value: math.Inf(-1)},
			{Labels: l("port", "eth3"), Value: 1e21},
			{Labels: l("port", "eth4"), Value: 123456789.5},
			{Labels: l("port", "eth5"), Value: -0.3},
		}},
		{Name: "empty_total", Help: "Never set: left out.", Type: Counter},
		{Name: "a_total", Help: "Counts.", Type: Counter, Metrics: []Metric{
			{Labels: l("port", "eth1", "result", "failed"), Value: 1},
			{Labels: l("port", "eth1", "result", "done"), Value: 12345678902},
			{Labels: l("port", "eth0", "result", "done"), Value: 0},
		}},
		{Name: "m_seconds", Help: "A summary.", Type: Summary, Metrics: []Metric{{
			Quantiles: []Quantile{{0, 0.0001}, {0.25, 0.5}, {1, 2}}, Count: 3, Sum: 2.5001}}},
		{Name: "n_info", Type: Gauge, Metrics: []Metric{{Labels: l("version", "go1.26"), Value: 1}}},
	}
	want := `# HELP a_total Counts.
# TYPE a_total counter
a_total{port="eth0",result="done"} 0
a_total{port="eth1",result="done"} 1.2345678902e+10
a_total{port="eth1",result="failed"} 1
# HELP m_seconds A summary.
# TYPE m_seconds summary
m_seconds{quantile="0"} 0.0001
m_seconds{quantile="0.25"} 0.5
m_seconds{quantile="1"} 2
m_seconds_sum 2.5001
m_seconds_count 3
# TYPE n_info gauge
n_info{version="go1.26"} 1
# HELP z_gauge Line one\nand a back\\slash.
# TYPE z_gauge gauge
z_gauge{port="a\"b\\c\nd"} +Inf
z_gauge{port="eth1"} -Inf
z_gauge{port="eth10"} NaN
z_gauge{port="eth2"} 1e-07
z_gauge{port="eth3"} 1e+21
z_gauge{port="eth4"} 1.234567895e+08
z_gauge{port="eth5"} -0.3
`
	var b strings.Builder
	if err := Write(&b, fams); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("Write (-want +got):\n%s", diff)
	}
	if fams[0].Metrics[0].Labels[0].Value != "eth2" {
		t.Errorf("Write reordered its argument's series")
	}
}

func TestFormatFloat(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{
		{0, "0"}, {1, "1"}, {-1, "-1"}, {2, "2"}, {1234, "1234"}, {0.125, "0.125"},
		{100000, "100000"}, {1e20, "1e+20"}, {1 << 53, "9.007199254740992e+15"},
		{float64(^uint64(0)), "1.8446744073709552e+19"},
		{math.NaN(), "NaN"}, {math.Inf(1), "+Inf"}, {math.Inf(-1), "-Inf"},
	} {
		if got := formatFloat(tc.v); got != tc.want {
			t.Errorf("formatFloat(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestVec(t *testing.T) {
	c := NewCounterVec("x_total", "Xs.", "port", "result")
	g := NewGaugeVec("y", "Ys.", "port")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				c.Add(1, "eth1", "done")
				c.Add(2, "eth2", "failed")
				g.Set(3, "eth1")
				c.Family()
			}
		})
	}
	wg.Wait()
	var b strings.Builder
	Write(&b, []Family{c.Family(), g.Family()})
	want := `# HELP x_total Xs.
# TYPE x_total counter
x_total{port="eth1",result="done"} 8000
x_total{port="eth2",result="failed"} 16000
# HELP y Ys.
# TYPE y gauge
y{port="eth1"} 3
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("vecs (-want +got):\n%s", diff)
	}
}
