package tftpd

import (
	"context"
	"io"
	"net/netip"
	"time"
)

// EventKind says what happened to a transfer.
type EventKind string

// Event kinds, in the order a transfer reports them.
const (
	EventRequest  EventKind = "request"  // an RRQ arrived (Name is the raw name)
	EventProgress EventKind = "progress" // bytes read so far, at a bounded rate
	EventDone     EventKind = "done"     // the last block was acknowledged
	EventFailed   EventKind = "failed"   // refused, not found, timed out or aborted (Err)
)

// Event reports one step of one transfer.
type Event struct {
	Kind     EventKind
	Client   netip.AddrPort
	Local    netip.Addr
	Name     string
	Bytes    int64         // bytes handed to the client so far
	Total    int64         // file size, 0 until resolved
	Duration time.Duration // since the transfer started (done, failed)
	Err      error         // failed only; server-side detail, never sent
}

// progressReader feeds a transfer, reports progress at most once per
// ProgressInterval and aborts the transfer when the server stops.
type progressReader struct {
	ctx   context.Context
	s     *Server
	ev    Event
	r     io.Reader
	n     int64
	start time.Time
	last  time.Time
}

func (p *progressReader) Read(b []byte) (int, error) {
	if p.ctx.Err() != nil {
		return 0, errShutdown
	}
	n, err := p.r.Read(b)
	p.n += int64(n)
	if now := p.s.opts.Now(); now.Sub(p.last) >= p.s.opts.ProgressInterval && err == nil {
		p.last = now
		ev := p.ev
		ev.Kind, ev.Bytes, ev.Duration = EventProgress, p.n, now.Sub(p.start)
		p.s.opts.OnEvent(ev)
	}
	return n, err
}
