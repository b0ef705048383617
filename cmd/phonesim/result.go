package main

import (
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/phoneflash/phoneflash/internal/atomicfile"
)

// Request is one file request, in order.
type Request struct {
	Boot    int    `json:"boot"`
	Name    string `json:"name"`
	Server  string `json:"server"`
	Outcome string `json:"outcome"` // ok, not-found, error, timeout, rejected, power-cut
	Bytes   int64  `json:"bytes"`
	Detail  string `json:"detail,omitempty"`
	AtMS    int64  `json:"at_ms"`
	DurMS   int64  `json:"dur_ms"`
}

// DHCPExchange is one DISCOVER..ACK exchange.
type DHCPExchange struct {
	Boot       int    `json:"boot"`
	XID        string `json:"xid"`
	Discovers  int    `json:"discovers"`
	Requests   int    `json:"requests"`
	Secs       uint16 `json:"secs"`
	IP         string `json:"ip"`
	ServerID   string `json:"server_id"`
	TFTP       string `json:"tftp"`
	TFTPSource string `json:"tftp_source"`
	AtMS       int64  `json:"at_ms"`
	DurMS      int64  `json:"dur_ms"`
}

// Result is the machine-readable outcome of one phonesim run. Counters of
// boots, reboots, flash writes, resets and power cuts cover the phone's life
// (they live in the flash file); requests and DHCP exchanges this run only.
type Result struct {
	MAC         string           `json:"mac"`
	Model       string           `json:"model"`
	Scenario    string           `json:"scenario,omitempty"`
	State       string           `json:"state"`
	Load        string           `json:"load"`
	CNU         string           `json:"cnu"`
	Exit        string           `json:"exit"` // until, signal, power-cut, error
	Error       string           `json:"error,omitempty"`
	Requests    []Request        `json:"requests"`
	DHCP        []DHCPExchange   `json:"dhcp"`
	Config      *ConfigCheck     `json:"config,omitempty"`
	SIP         *Registration    `json:"registration,omitempty"` // sipreg.go
	Rejections  int              `json:"rejections"`
	Boots       int              `json:"boots"`
	Reboots     int              `json:"reboots"`
	FlashWrites int              `json:"flash_writes"`
	Resets      int              `json:"resets"`
	PowerCuts   int              `json:"power_cuts"`
	Timescale   float64          `json:"timescale"`
	ElapsedMS   int64            `json:"elapsed_ms"`
	ReachedMS   map[string]int64 `json:"reached_ms"` // first time each state was entered
}

// recorder collects the result while the phone runs and reports when the
// -until state is reached.
type recorder struct {
	mu      sync.Mutex
	start   time.Time
	res     Result
	counts  map[string]int
	until   string
	untilN  int
	reached chan struct{}
	log     *slog.Logger
}

func newRecorder(res Result, until string, untilN int, log *slog.Logger) *recorder {
	res.ReachedMS = map[string]int64{}
	return &recorder{start: time.Now(), res: res, counts: map[string]int{}, until: until,
		untilN: max(untilN, 1), reached: make(chan struct{}), log: log}
}

func (r *recorder) ms(t time.Time) int64 { return t.Sub(r.start).Milliseconds() }

// enter records that the phone is now in state s.
func (r *recorder) enter(s string, attrs ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log.Info("state", append([]any{"state", s}, attrs...)...)
	r.res.State = s
	if _, ok := r.res.ReachedMS[s]; !ok {
		r.res.ReachedMS[s] = r.ms(time.Now())
	}
	r.counts[s]++
	if s == r.until && r.counts[s] == r.untilN {
		close(r.reached)
	}
}

func (r *recorder) request(boot int, server string, f Fetch, started time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.Requests = append(r.res.Requests, Request{Boot: boot, Name: f.Name, Server: server,
		Outcome: f.Outcome, Bytes: f.Bytes, Detail: f.Detail, AtMS: r.ms(started), DurMS: time.Since(started).Milliseconds()})
}

func (r *recorder) dhcp(ex DHCPExchange, started time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ex.AtMS, ex.DurMS = r.ms(started), time.Since(started).Milliseconds()
	r.res.DHCP = append(r.res.DHCP, ex)
}

func (r *recorder) config(c ConfigCheck) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.Config = &c
}

func (r *recorder) rejected() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.Rejections++
}

// final returns the result with the flash counters and exit reason filled in.
func (r *recorder) final(f Flash, exit string, err error) Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	res := r.res
	res.Load, res.CNU, res.Exit = f.Load, f.CNU, exit
	if err != nil {
		res.Error = err.Error()
	}
	res.Boots, res.Reboots, res.FlashWrites, res.Resets, res.PowerCuts = f.Boots, f.Reboots, f.FlashWrites, f.Resets, f.PowerCuts
	res.ElapsedMS = r.ms(time.Now())
	res.Requests = append([]Request{}, res.Requests...)
	res.DHCP = append([]DHCPExchange{}, res.DHCP...)
	return res
}

// summary is the one-line result printed on stdout at exit.
func (res Result) summary() string {
	cfg := "-"
	if res.Config != nil {
		cfg = res.Config.Outcome + "/" + res.Config.Password
	}
	return fmt.Sprintf("phonesim mac=%s model=%s state=%s load=%s cnu=%s exit=%s requests=%d dhcp=%d rejections=%d reboots=%d flash_writes=%d resets=%d power_cuts=%d config=%s registration=%s elapsed_ms=%d",
		res.MAC, res.Model, res.State, orNone(res.Load), res.CNU, res.Exit, len(res.Requests), len(res.DHCP),
		res.Rejections, res.Reboots, res.FlashWrites, res.Resets, res.PowerCuts, cfg, res.SIP.summary(), res.ElapsedMS)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// writeResult writes res as JSON to path (atomically).
func writeResult(path string, res Result) error {
	if err := atomicfile.WriteJSON(path, res, 0o644); err != nil {
		return fmt.Errorf("result: %w", err)
	}
	return nil
}
