// Package tftpd is the appliance's read-only TFTP server, built on
// github.com/pin/tftp/v3 and hardened against that library's traps: every
// file name is cleaned (CleanName) and resolved through a Resolver that knows
// which client asked, error packets carry fixed texts (never paths), the
// block size is capped at 1468 so large blocks never fragment on Ethernet,
// and timeouts suit a Cisco phone that waits 4 s and retries 3 times.
//
// The package knows nothing of phones or sessions: it reports requests,
// progress and completed or failed transfers through OnEvent.
package tftpd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/pin/tftp/v3"

	"github.com/phoneflash/phoneflash/internal/defaults"
	"github.com/phoneflash/phoneflash/internal/udpsock"
)

// Defaults for Options fields left zero.
const (
	// DefaultTimeout is how long a DATA packet waits for its ACK before it is
	// sent again. Shorter than the phone's own 4 s, so a lost DATA packet is
	// repaired by us before the phone gives up on it.
	DefaultTimeout = time.Second
	// DefaultRetries times DefaultTimeout is 16 s: the phone's patience
	// (4 s, then 3 retransmissions of its last ACK).
	DefaultRetries = 16
	// DefaultMaxBlockSize keeps a negotiated block inside one 1500-byte
	// Ethernet frame: 1468 + 4 (TFTP) + 8 (UDP) + 20 (IPv4) = 1500.
	DefaultMaxBlockSize = 1468
	// DefaultProgressInterval bounds the rate of progress events.
	DefaultProgressInterval = 250 * time.Millisecond
	// DefaultMaxPerClient caps concurrent transfers to one client address.
	DefaultMaxPerClient = 4
)

// readBuffer is the read-ahead per transfer: 32 blocks of 512 bytes.
const readBuffer = 16 << 10

// wireText is the fixed text of an ERROR packet. pin/tftp sends every
// handler error as code 1 with the error's text, so these are the only texts
// a client ever sees: never a path, never a Go error.
type wireText string

func (w wireText) Error() string { return string(w) }

const (
	errFileNotFound wireText = "File not found"
	errAccess       wireText = "Access violation"
	errReadOnly     wireText = "Access violation: read-only server"
	errBusy         wireText = "Too many transfers from this address"
	errRead         wireText = "Cannot read file"
	errShutdown     wireText = "Server shutting down"
)

// Options configure a Server. Zero fields take the defaults above; Resolver
// is required.
type Options struct {
	Resolver         Resolver
	Log              *slog.Logger
	OnEvent          func(Event) // called from transfer goroutines; keep it quick
	Now              func() time.Time
	Timeout          time.Duration
	Retries          int
	MaxBlockSize     int
	ProgressInterval time.Duration
	MaxPerClient     int
	// ClientAttrs, when set, adds log attributes for a client, such as the
	// MAC that holds its address.
	ClientAttrs func(client netip.Addr) []any
}

// Server serves read requests through its Resolver.
type Server struct {
	opts Options

	mu     sync.Mutex
	active map[netip.Addr]int
}

// New returns a Server; it does nothing until Serve.
func New(opts Options) *Server {
	opts.Log = defaults.Logger(opts.Log)
	opts.OnEvent = defaults.Callback(opts.OnEvent)
	opts.Now = defaults.Clock(opts.Now)
	opts.Timeout = defaults.Positive(opts.Timeout, DefaultTimeout)
	opts.Retries = defaults.Positive(opts.Retries, DefaultRetries)
	opts.MaxBlockSize = defaults.Positive(opts.MaxBlockSize, DefaultMaxBlockSize)
	opts.ProgressInterval = defaults.Positive(opts.ProgressInterval, DefaultProgressInterval)
	if opts.ClientAttrs == nil {
		opts.ClientAttrs = func(netip.Addr) []any { return nil }
	}
	opts.MaxPerClient = defaults.Positive(opts.MaxPerClient, DefaultMaxPerClient)
	return &Server{opts: opts, active: map[netip.Addr]int{}}
}

// Serve answers requests arriving on conn, a *net.UDPConn (see Listen), until
// ctx is done, then closes conn and waits for running transfers: each is
// aborted with an ERROR packet at its next block, or ends when its client
// stops answering (at most Timeout x Retries).
func (s *Server) Serve(ctx context.Context, conn net.PacketConn) error {
	if s.opts.Resolver == nil {
		return errors.New("tftpd: no resolver")
	}
	if _, ok := conn.(*net.UDPConn); !ok {
		// pin/tftp spins on read errors of other connection types.
		return fmt.Errorf("tftpd: Serve needs a *net.UDPConn, got %T", conn)
	}
	srv := tftp.NewServer(
		func(name string, rf io.ReaderFrom) error { return s.read(ctx, name, rf) },
		func(name string, wt io.WriterTo) error { return s.write(name, wt) },
	)
	srv.SetTimeout(s.opts.Timeout)
	srv.SetRetries(s.opts.Retries)
	srv.SetBlockSize(s.opts.MaxBlockSize)
	srv.SetBackoff(func(int) time.Duration { return 0 })
	shutdown := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		srv.Shutdown() // closes conn, waits for the transfers
		close(shutdown)
	})
	err := srv.Serve(conn)
	if !stop() {
		<-shutdown
	}
	if err != nil {
		return fmt.Errorf("tftpd: serve %s: %w", conn.LocalAddr(), err)
	}
	return nil
}

// Listen opens the port-69 socket for one bench port's address, with
// IP_PKTINFO on from the start. It binds with IP_FREEBIND, so it works before
// the address is configured, and only requests sent to that address reach
// it. With ifname set it is also bound to that interface (SO_BINDTODEVICE),
// so requests arriving on any other interface are never seen; a missing
// interface is then syscall.ENODEV.
func Listen(ctx context.Context, ifname string, addr netip.AddrPort) (*net.UDPConn, error) {
	// IP_PKTINFO from the start, so requests queued before Serve runs also
	// say which port they reached.
	c, err := udpsock.Listen(ctx, ifname, addr.String(), udpsock.FreeBind, udpsock.PktInfo)
	if err != nil {
		return nil, fmt.Errorf("tftpd: listen %s on %q: %w", addr, ifname, err)
	}
	return c, nil
}

func (s *Server) write(name string, wt io.WriterTo) error {
	client := clientOf(wt)
	s.opts.Log.Warn(fmt.Sprintf("WRQ from %s filename %s refused: read-only", client.Addr(), printable(name)),
		append([]any{"client", client.String()}, s.opts.ClientAttrs(client.Addr())...)...)
	return errReadOnly
}

// read handles one RRQ in pin/tftp's per-request goroutine.
func (s *Server) read(ctx context.Context, raw string, rf io.ReaderFrom) error {
	req := Request{Client: clientOf(rf), Local: localOf(rf), Name: raw}
	s.opts.Log.Info(fmt.Sprintf("RRQ from %s filename %s", req.Client.Addr(), printable(raw)),
		append([]any{"client", req.Client.String(), "local", req.Local.String()}, s.opts.ClientAttrs(req.Client.Addr())...)...)
	ev := Event{Kind: EventRequest, Client: req.Client, Local: req.Local, Name: raw}
	s.opts.OnEvent(ev)

	name, err := CleanName(raw)
	if err != nil {
		return s.fail(ev, 0, errAccess, err)
	}
	req.Name, ev.Name = name, name
	if !s.acquire(req.Client.Addr()) {
		return s.fail(ev, 0, errBusy, errBusy)
	}
	defer s.release(req.Client.Addr())

	c, err := s.opts.Resolver(ctx, req)
	if errors.Is(err, ErrNotFound) {
		return s.fail(ev, 0, errFileNotFound, err)
	}
	if err != nil {
		return s.fail(ev, 0, errRead, err)
	}
	if c.Close != nil {
		defer c.Close()
	}
	ev.Total = c.Size
	if ot, ok := rf.(tftp.OutgoingTransfer); ok {
		ot.SetSize(c.Size) // a client's tsize is never echoed back
	}
	// pin/tftp reads one block at a time; the buffer turns 32 block reads
	// into one pread (a tenth of the server's CPU time at 512-byte blocks).
	data := bufio.NewReaderSize(io.NewSectionReader(c.Data, 0, c.Size), readBuffer)
	pr := &progressReader{ctx: ctx, s: s, ev: ev, r: data, start: s.opts.Now()}
	pr.last = pr.start
	n, err := rf.ReadFrom(pr)
	ev.Duration = s.opts.Now().Sub(pr.start)
	if err != nil {
		s.fail(ev, n, err, err)
		return nil // pin/tftp has already sent the ERROR packet
	}
	ev.Kind, ev.Bytes = EventDone, n
	s.opts.Log.Info(fmt.Sprintf("sent %s to %s: %d bytes in %s", name, req.Client.Addr(), n, ev.Duration.Round(time.Millisecond)),
		append([]any{"client", req.Client.String(), "file", name, "bytes", n, "duration", ev.Duration}, s.opts.ClientAttrs(req.Client.Addr())...)...)
	s.opts.OnEvent(ev)
	return nil
}

// fail reports a failed request and returns the error whose text goes to
// the client.
func (s *Server) fail(ev Event, n int64, toClient, cause error) error {
	ev.Kind, ev.Bytes, ev.Err = EventFailed, n, cause
	level := slog.LevelWarn
	if errors.Is(cause, ErrNotFound) {
		level = slog.LevelInfo // phones probe optional files
	}
	s.opts.Log.Log(context.Background(), level, fmt.Sprintf("failed %s to %s: %v after %d bytes", printable(ev.Name), ev.Client.Addr(), cause, n),
		append([]any{"client", ev.Client.String(), "file", ev.Name, "bytes", n, "duration", ev.Duration}, s.opts.ClientAttrs(ev.Client.Addr())...)...)
	s.opts.OnEvent(ev)
	return toClient
}

func (s *Server) acquire(a netip.Addr) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.active[a] >= s.opts.MaxPerClient {
		return false
	}
	s.active[a]++
	return true
}

func (s *Server) release(a netip.Addr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.active[a]--; s.active[a] <= 0 {
		delete(s.active, a)
	}
}

func clientOf(v any) netip.AddrPort {
	var ua net.UDPAddr
	switch t := v.(type) {
	case tftp.OutgoingTransfer:
		ua = t.RemoteAddr()
	case tftp.IncomingTransfer:
		ua = t.RemoteAddr()
	}
	return ua.AddrPort()
}

func localOf(v any) netip.Addr {
	if pi, ok := v.(tftp.RequestPacketInfo); ok {
		if a, ok := netip.AddrFromSlice(pi.LocalIP()); ok {
			return a.Unmap()
		}
	}
	return netip.Addr{}
}

func printable(s string) string {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == '"' || r == '\\' {
			return fmt.Sprintf("%q", s)
		}
	}
	return s
}
