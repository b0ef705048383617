// Package sipwatch watches SIP on one bench port and says how each phone's
// registration ended. A packet socket on the port's interface (Listen)
// receives, through a classic BPF filter attached in the kernel, only IPv4
// UDP and TCP to or from the SIP ports, in both directions; frames are
// decoded down to their payload (frame.go), TCP is reassembled per flow
// with a bounded buffer (stream.go), and SIP is parsed by
// github.com/emiago/sipgo's parser. A pure Tracker follows every REGISTER
// transaction by Call-ID, CSeq and Via branch, and the phone by its MAC and
// address, and turns the PBX's answers into events: registered, refused,
// unknown-extension, rejected, unreachable (no final answer within
// Options.Timeout) and register ("this MAC sent a SIP REGISTER", which
// proves the phone runs a SIP load).
//
// The package knows nothing of sessions or the board: it reports through
// Options.OnEvent. Memory is bounded whatever arrives: transactions, phones
// and TCP flows are capped, every kept string is clipped, a flow buffers at
// most MaxMessage bytes, and garbage only moves counters (Stats).
package sipwatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/phoneflash/phoneflash/internal/defaults"
)

// Defaults for Options fields left zero.
const (
	// DefaultTimeout is the wait for a final answer to a REGISTER: 64*T1,
	// the phone's own Timer F, after which it gives up on the transaction.
	DefaultTimeout    = 32 * time.Second
	DefaultMaxPending = 1024
	DefaultMaxPhones  = 1024
	DefaultMaxFlows   = 256
	// DefaultMaxMessage bounds one SIP message (a phone's REGISTER is
	// about 1 KiB; an INVITE with SDP a few).
	DefaultMaxMessage = 16 << 10
	// DefaultFlowIdle drops the reassembly state of a quiet TCP flow; a new
	// segment starts it again.
	DefaultFlowIdle = 2 * time.Minute
)

// Options configure a Watcher.
type Options struct {
	Port       string        // the bench port, named in events and logs
	Timeout    time.Duration // no final answer within this: unreachable
	MaxPending int
	MaxPhones  int
	MaxFlows   int
	MaxMessage int
	FlowIdle   time.Duration
	OnEvent    func(Event) // called from Serve's goroutine, in order; keep it quick
	Log        *slog.Logger
	Now        func() time.Time
}

// Stats count what the watcher saw, for tests and metrics.
type Stats struct {
	Frames      int // accepted by the filter
	Undecodable int // not IPv4 UDP/TCP as expected
	Messages    int // SIP messages parsed
	Garbage     int // payloads that are not SIP (or lack Call-ID/CSeq/Via)
	FlowResets  int // TCP streams restarted: garbage, oversized, gaps, evictions
	Dropped     int // REGISTERs not followed: the table was full
	Pending     int // transactions and TCP attempts followed now
	Flows       int // TCP flows being reassembled now
	Events      int
}

// Watcher follows the SIP of one bench port.
type Watcher struct {
	opts   Options
	parser *sip.Parser

	mu      sync.Mutex // the state below; Serve's goroutine and Stats
	tr      *Tracker
	flows   *flows
	stats   Stats
	lastLog time.Time
	out     []Event // to deliver once mu is released
}

// New returns a Watcher; it does nothing until Serve or HandleFrame.
func New(opts Options) *Watcher {
	opts.Timeout = defaults.Positive(opts.Timeout, DefaultTimeout)
	opts.MaxPending = defaults.Positive(opts.MaxPending, DefaultMaxPending)
	opts.MaxPhones = defaults.Positive(opts.MaxPhones, DefaultMaxPhones)
	opts.MaxFlows = defaults.Positive(opts.MaxFlows, DefaultMaxFlows)
	opts.MaxMessage = defaults.Positive(opts.MaxMessage, DefaultMaxMessage)
	opts.FlowIdle = defaults.Positive(opts.FlowIdle, DefaultFlowIdle)
	opts.OnEvent = defaults.Callback(opts.OnEvent)
	opts.Log = defaults.Logger(opts.Log)
	opts.Now = defaults.Clock(opts.Now)
	p := sip.NewParser()
	p.MaxMessageLength = opts.MaxMessage
	return &Watcher{opts: opts, parser: p,
		tr:    NewTracker(opts.Port, Limits{Timeout: opts.Timeout, MaxPending: opts.MaxPending, MaxPhones: opts.MaxPhones}),
		flows: newFlows(p, opts.MaxFlows, opts.MaxMessage, opts.FlowIdle)}
}

// FrameReader is a source of Ethernet frames; *Conn is one.
type FrameReader interface {
	ReadFrame(b []byte) (int, error)
	SetReadDeadline(t time.Time) error
}

// Run opens the packet socket on iface (in the calling thread's network
// namespace) and serves until ctx ends.
func (w *Watcher) Run(ctx context.Context, iface string, ports []uint16) error {
	c, err := Listen(iface, ports)
	if err != nil {
		return err
	}
	defer c.Close()
	return w.Serve(ctx, c)
}

// Serve reads frames until ctx ends (nil) or the reader fails. It wakes at
// least every tick to end the waits that ran out.
func (w *Watcher) Serve(ctx context.Context, r FrameReader) error {
	tick := min(time.Second, w.opts.Timeout/8)
	stop := context.AfterFunc(ctx, func() { r.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	buf := make([]byte, snapLen)
	last := w.opts.Now()
	for {
		if err := r.SetReadDeadline(time.Now().Add(tick)); err != nil {
			return fmt.Errorf("sipwatch %s: set deadline: %w", w.opts.Port, err)
		}
		n, err := r.ReadFrame(buf)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			return fmt.Errorf("sipwatch %s: read: %w", w.opts.Port, err)
		}
		if err == nil {
			w.HandleFrame(buf[:n])
		}
		if now := w.opts.Now(); now.Sub(last) >= tick {
			w.Tick(now)
			last = now
		}
	}
}

// Stats returns the counters.
func (w *Watcher) Stats() Stats {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.stats
	s.Dropped, s.Pending, s.Flows = w.tr.Dropped(), w.tr.Pending(), len(w.flows.m)
	s.FlowResets = w.flows.resets
	return s
}

// Tick ends the waits that ran out by now and forgets idle TCP flows.
func (w *Watcher) Tick(now time.Time) {
	w.mu.Lock()
	w.emit(w.tr.Tick(now))
	w.flows.expire(now)
	w.deliver()
}

// HandleFrame takes one Ethernet frame as the filter passed it.
func (w *Watcher) HandleFrame(b []byte) {
	w.mu.Lock()
	w.handle(b)
	w.deliver()
}

// deliver releases mu and hands the events out, so OnEvent may call the
// Watcher.
func (w *Watcher) deliver() {
	evs := w.out
	w.out = nil
	w.mu.Unlock()
	for _, e := range evs {
		w.opts.OnEvent(e)
	}
}

func (w *Watcher) handle(b []byte) {
	w.stats.Frames++
	p, err := decodeFrame(b)
	if err != nil {
		w.stats.Undecodable++
		return
	}
	now := w.opts.Now()
	if p.proto == protoUDP {
		if len(p.payload) == 0 || onlyCRLF(p.payload) {
			return // empty, or a keep-alive
		}
		msg, err := w.parser.ParseSIP(p.payload)
		if err != nil {
			w.garbage(p, err)
			return
		}
		w.message(msg, p, "UDP", now)
		return
	}
	if p.flags&(tcpSYN|tcpRST) != 0 {
		w.tr.ObserveSegment(Segment{At: now, Src: p.src, Dst: p.dst, SrcMAC: p.srcMAC, DstMAC: p.dstMAC,
			SYN: p.flags&tcpSYN != 0, ACK: p.flags&tcpACK != 0, RST: p.flags&tcpRST != 0})
	}
	w.flows.segment(p, now, func(msg sip.Message) { w.message(msg, p, "TCP", now) })
}

func onlyCRLF(b []byte) bool {
	for _, c := range b {
		if c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

func (w *Watcher) message(msg sip.Message, p packet, transport string, now time.Time) {
	m, ok := summarize(msg, Message{At: now, Transport: transport, Src: p.src, Dst: p.dst, SrcMAC: p.srcMAC, DstMAC: p.dstMAC})
	if !ok {
		w.garbage(p, errors.New("SIP without Call-ID, CSeq or Via"))
		return
	}
	w.stats.Messages++
	w.emit(w.tr.Observe(m))
}

// garbage counts a payload that is not SIP and logs at most one line per
// ten seconds about it.
func (w *Watcher) garbage(p packet, err error) {
	w.stats.Garbage++
	now := w.opts.Now()
	if now.Sub(w.lastLog) < 10*time.Second {
		return
	}
	w.lastLog = now
	w.opts.Log.Warn("sipwatch: not SIP", "port", w.opts.Port, "mac", p.srcMAC.String(), "from", p.src.String(),
		"to", p.dst.String(), "err", err.Error(), "garbage_total", w.stats.Garbage)
}

func (w *Watcher) emit(evs []Event) {
	for _, e := range evs {
		w.stats.Events++
		w.opts.Log.Info("sipwatch: "+string(e.Kind), "port", e.Port, "mac", e.MAC.String(), "extension", e.Extension,
			"pbx", e.PBX.String(), "transport", e.Transport, "status", e.Status, "reason", e.Reason, "text", e.Text())
		w.out = append(w.out, e)
	}
}
