package web

import (
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/phoneflash/phoneflash/appliance/session"
)

// Metrics are the appliance's Prometheus metrics, on a registry of its own
// (never the global one). The appliance calls its methods from the event
// callbacks of dhcpd, tftpd and the board; phones by stage are counted from
// the Phones snapshot at scrape time.
type Metrics struct {
	reg       *prometheus.Registry
	transfers *prometheus.CounterVec
	bytes     *prometheus.CounterVec
	leases    *prometheus.GaugeVec
	errors    *prometheus.CounterVec
	poe       *prometheus.GaugeVec
	stageDesc *prometheus.Desc
	regDesc   *prometheus.Desc

	mu     sync.Mutex
	phones Phones
}

// NewMetrics registers the metrics on reg, along with the Go runtime and
// process collectors.
func NewMetrics(reg *prometheus.Registry) *Metrics {
	m := &Metrics{
		reg: reg,
		transfers: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "phoneflash_transfers_total",
			Help: "TFTP transfers finished, by bench port and result (done or failed)."}, []string{"port", "result"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "phoneflash_bytes_served_total",
			Help: "Bytes sent by completed TFTP transfers, by bench port."}, []string{"port"}),
		leases: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "phoneflash_dhcp_leases",
			Help: "Active DHCP leases, by bench port."}, []string{"port"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "phoneflash_errors_total",
			Help: "Errors, by kind."}, []string{"kind"}),
		poe: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "phoneflash_poe_current_amperes",
			Help: "PoE current drawn, by bench port."}, []string{"port"}),
		stageDesc: prometheus.NewDesc("phoneflash_phones", "Phones by stage.", []string{"stage"}, nil),
		regDesc: prometheus.NewDesc("phoneflash_registrations", "Phones with their SIP config, by how their registration "+
			"ended (waiting: no answer yet; not-checked: no uplink to watch it on).", []string{"outcome"}, nil),
	}
	reg.MustRegister(m.transfers, m.bytes, m.leases, m.errors, m.poe, stageCollector{m},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// TransferDone counts a completed transfer of n bytes on port.
func (m *Metrics) TransferDone(port string, n int64) {
	m.transfers.WithLabelValues(port, "done").Inc()
	m.bytes.WithLabelValues(port).Add(float64(n))
}

// TransferFailed counts a failed transfer on port.
func (m *Metrics) TransferFailed(port string) {
	m.transfers.WithLabelValues(port, "failed").Inc()
}

// DHCPLease sets the number of active leases on port.
func (m *Metrics) DHCPLease(port string, count int) {
	m.leases.WithLabelValues(port).Set(float64(count))
}

// Error counts one error of kind (e.g. "dhcp", "tftp", "poe", "journal").
func (m *Metrics) Error(kind string) { m.errors.WithLabelValues(kind).Inc() }

// PoECurrent sets the current port draws, in amperes.
func (m *Metrics) PoECurrent(port string, amps float64) {
	m.poe.WithLabelValues(port).Set(amps)
}

func (m *Metrics) watch(p Phones) {
	m.mu.Lock()
	m.phones = p
	m.mu.Unlock()
}

func (m *Metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// stageCollector reports phones by stage and by registration outcome,
// every stage and outcome always present.
type stageCollector struct{ m *Metrics }

func (c stageCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.m.stageDesc; ch <- c.m.regDesc }

func (c stageCollector) Collect(ch chan<- prometheus.Metric) {
	c.m.mu.Lock()
	p := c.m.phones
	c.m.mu.Unlock()
	counts := map[session.Stage]int{}
	regs := map[session.RegState]int{}
	if p != nil {
		for _, ph := range p.Snapshot() {
			counts[ph.Stage]++
			if ph.Registration != nil {
				regs[ph.Registration.State]++
			}
		}
	}
	for _, st := range session.Stages {
		ch <- prometheus.MustNewConstMetric(c.m.stageDesc, prometheus.GaugeValue, float64(counts[st]), string(st))
	}
	for _, st := range session.RegStates {
		ch <- prometheus.MustNewConstMetric(c.m.regDesc, prometheus.GaugeValue, float64(regs[st]), string(st))
	}
}
