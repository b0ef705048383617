package web

import (
	"bytes"
	"net/http"
	"strconv"
	"sync"

	"github.com/phoneflash/phoneflash/appliance/session"
	"github.com/phoneflash/phoneflash/appliance/web/promtext"
)

// Metrics are the appliance's Prometheus metrics, written in the text
// format by promtext (no global state). The appliance calls its methods from the event
// callbacks of dhcpd, tftpd and the board, from many goroutines; phones by
// stage are counted from the Phones snapshot at scrape time. /metrics also
// carries the Go runtime's go_* and the process's process_* metrics.
type Metrics struct {
	transfers *promtext.Vec
	bytes     *promtext.Vec
	leases    *promtext.Vec
	errors    *promtext.Vec
	poe       *promtext.Vec

	mu     sync.Mutex
	phones Phones
}

// NewMetrics returns metrics with no series yet.
func NewMetrics() *Metrics {
	return &Metrics{
		transfers: promtext.NewCounterVec("phoneflash_transfers_total",
			"TFTP transfers finished, by bench port and result (done or failed).", "port", "result"),
		bytes: promtext.NewCounterVec("phoneflash_bytes_served_total",
			"Bytes sent by completed TFTP transfers, by bench port.", "port"),
		leases: promtext.NewGaugeVec("phoneflash_dhcp_leases", "Active DHCP leases, by bench port.", "port"),
		errors: promtext.NewCounterVec("phoneflash_errors_total", "Errors, by kind.", "kind"),
		poe:    promtext.NewGaugeVec("phoneflash_poe_current_amperes", "PoE current drawn, by bench port.", "port"),
	}
}

// TransferDone counts a completed transfer of n bytes on port.
func (m *Metrics) TransferDone(port string, n int64) {
	m.transfers.Add(1, port, "done")
	m.bytes.Add(float64(n), port)
}

// TransferFailed counts a failed transfer on port.
func (m *Metrics) TransferFailed(port string) { m.transfers.Add(1, port, "failed") }

// DHCPLease sets the number of active leases on port.
func (m *Metrics) DHCPLease(port string, count int) { m.leases.Set(float64(count), port) }

// Error counts one error of kind (e.g. "dhcp", "tftp", "poe", "journal").
func (m *Metrics) Error(kind string) { m.errors.Add(1, kind) }

// PoECurrent sets the current port draws, in amperes.
func (m *Metrics) PoECurrent(port string, amps float64) { m.poe.Set(amps, port) }

func (m *Metrics) watch(p Phones) {
	m.mu.Lock()
	m.phones = p
	m.mu.Unlock()
}

// families gathers every family, the phoneflash_* ones and the Go runtime
// and process ones.
func (m *Metrics) families() []promtext.Family {
	fams := []promtext.Family{m.transfers.Family(), m.bytes.Family(), m.leases.Family(), m.errors.Family(), m.poe.Family()}
	fams = append(fams, m.stages()...)
	fams = append(fams, promtext.GoFamilies()...)
	return append(fams, promtext.ProcessFamilies()...)
}

func (m *Metrics) handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		promtext.Write(&b, m.families()) // a bytes.Buffer does not fail
		w.Header().Set("Content-Type", promtext.ContentType)
		w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
		w.Write(b.Bytes())
	})
}

// stages reports phones by stage and by registration outcome, every stage
// and outcome always present.
func (m *Metrics) stages() []promtext.Family {
	m.mu.Lock()
	p := m.phones
	m.mu.Unlock()
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
	stages := promtext.Family{Name: "phoneflash_phones", Help: "Phones by stage.", Type: promtext.Gauge}
	for _, st := range session.Stages {
		stages.Metrics = append(stages.Metrics, promtext.Metric{
			Labels: []promtext.Label{{Name: "stage", Value: string(st)}}, Value: float64(counts[st])})
	}
	outcomes := promtext.Family{Name: "phoneflash_registrations", Type: promtext.Gauge,
		Help: "Phones with their SIP config, by how their registration " +
			"ended (waiting: no answer yet; not-checked: no uplink to watch it on)."}
	for _, st := range session.RegStates {
		outcomes.Metrics = append(outcomes.Metrics, promtext.Metric{
			Labels: []promtext.Label{{Name: "outcome", Value: string(st)}}, Value: float64(regs[st])})
	}
	return []promtext.Family{stages, outcomes}
}
