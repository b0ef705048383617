// Package tftpclient is the module's one raw TFTP read client: RFC 1350
// lock-step with 512-byte blocks as a Cisco phone fetches its files, and
// the blksize option of RFC 2348 on request. The phone simulator, the
// benchmark and the tests that need a transfer under their control (lost
// and repeated ACKs, counted DATA packets) all use it. It reads over a
// packet connection the caller opens, so the socket can live in any
// network namespace; it uses the standard library only.
package tftpclient

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/phoneflash/phoneflash/internal/defaults"
)

// Opcodes (RFC 1350, RFC 2347).
const (
	OpRRQ   = 1
	OpWRQ   = 2
	OpDATA  = 3
	OpACK   = 4
	OpERROR = 5
	OpOACK  = 6
)

// BlockSize is RFC 1350's block size, the only one a Cisco phone knows.
const BlockSize = 512

// DefaultTimeout is how long a Cisco phone waits for each packet.
const DefaultTimeout = 4 * time.Second

// RRQ is a read request in octet mode followed by opts, name and value
// alternately ("blksize", "1428"): without opts, as a phone sends it.
func RRQ(name string, opts ...string) []byte {
	b := binary.BigEndian.AppendUint16(nil, OpRRQ)
	for _, s := range append([]string{name, "octet"}, opts...) {
		b = append(append(b, s...), 0)
	}
	return b
}

// ACK acknowledges block.
func ACK(block uint16) []byte {
	return binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(nil, OpACK), block)
}

// ERROR is an error packet with code and message.
func ERROR(code uint16, msg string) []byte {
	b := binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(nil, OpERROR), code)
	return append(append(b, msg...), 0)
}

// ServerError is the server's ERROR packet.
type ServerError struct {
	Code    uint16
	Message string
}

func (e *ServerError) Error() string { return fmt.Sprintf("server error %d %q", e.Code, e.Message) }

// IsNotFound reports whether err is the server's ERROR 1, file not found.
func IsNotFound(err error) bool {
	var se *ServerError
	return errors.As(err, &se) && se.Code == 1
}

// ErrTimeout means the server did not answer the last packet, nor any of
// its retransmissions.
var ErrTimeout = errors.New("no answer")

// ErrBlockTooLarge is a DATA packet larger than the block size in use; a
// Cisco phone aborts the file ("Data block exceeds 512").
var ErrBlockTooLarge = errors.New("DATA block exceeds the block size")

// Client reads files. The zero value is a phone's client without
// retransmissions.
type Client struct {
	Timeout   time.Duration // wait for each packet; DefaultTimeout when 0
	Retries   int           // retransmissions of the last packet before ErrTimeout
	BlockSize int           // 0: no options (512-byte blocks); else ask for this blksize

	// Data, when set, is called for every DATA packet of the transfer
	// before it is acknowledged, with its block number and the block the
	// client waits for. It returns how many ACKs to send (0: as if the
	// packet were lost) or an error that ends the transfer. Without it each
	// new block, and each repeat of the previous one, is acknowledged once.
	Data func(block, next uint16) (acks int, err error)
	// Progress, when set, is called after each new block is acknowledged
	// with the bytes received so far; an error ends the transfer (the phone
	// simulator's power cut).
	Progress func(bytes int64) error
}

// Result is what a transfer received.
type Result struct {
	Bytes     int64
	BlockSize int // 512, or what the server's OACK granted
}

// Get reads name from server (its request port) over conn and writes the
// data to w. It returns what arrived so far also with an error.
func (c *Client) Get(ctx context.Context, conn net.PacketConn, server net.Addr, name string, w io.Writer) (Result, error) {
	t := &transfer{c: c, conn: conn, w: w, to: server, next: 1, res: Result{BlockSize: BlockSize}}
	var opts []string
	if c.BlockSize > 0 {
		opts = []string{"blksize", strconv.Itoa(c.BlockSize)}
	}
	stop := context.AfterFunc(ctx, func() { conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	err := t.run(ctx, RRQ(name, opts...))
	if err != nil {
		err = fmt.Errorf("tftp: %s from %s: %w", name, server, err)
	}
	return t.res, err
}

// transfer is the state of one read.
type transfer struct {
	c     *Client
	conn  net.PacketConn
	w     io.Writer
	to    net.Addr // where the last packet went: the request port, then the server's TID
	tid   net.Addr // the server's transfer ID, from its first reply
	last  []byte   // the packet to retransmit
	next  uint16   // the block waited for
	tries int      // retransmissions left
	res   Result
}

func (t *transfer) run(ctx context.Context, rrq []byte) error {
	timeout := defaults.Positive(t.c.Timeout, DefaultTimeout)
	if err := t.send(rrq, 1); err != nil {
		return fmt.Errorf("send RRQ: %w", err)
	}
	buf := make([]byte, 65536+4)
	for ctx.Err() == nil {
		t.conn.SetReadDeadline(time.Now().Add(timeout))
		n, from, err := t.conn.ReadFrom(buf)
		if ctx.Err() != nil {
			return fmt.Errorf("stopped: %w", ctx.Err())
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			if t.tries == 0 {
				return fmt.Errorf("%w after %d retransmissions at block %d", ErrTimeout, t.c.Retries, t.next)
			}
			t.tries--
			t.conn.WriteTo(t.last, t.to)
			continue
		}
		if err != nil {
			return fmt.Errorf("receive: %w", err)
		}
		done, err := t.handle(buf[:n], from)
		if err != nil || done {
			return err
		}
	}
	return fmt.Errorf("stopped: %w", ctx.Err())
}

// send sends p to the server acks times and keeps it for retransmission.
func (t *transfer) send(p []byte, acks int) error {
	t.last, t.tries = p, t.c.Retries
	for range acks {
		if _, err := t.conn.WriteTo(p, t.to); err != nil {
			return err
		}
	}
	return nil
}

// handle processes one datagram and reports whether the transfer is over.
func (t *transfer) handle(p []byte, from net.Addr) (bool, error) {
	switch {
	case t.tid == nil:
		t.tid, t.to = from, from
	case !sameAddr(from, t.tid):
		t.conn.WriteTo(ERROR(5, "Unknown transfer ID"), from) // RFC 1350: not ours
		return false, nil
	}
	if len(p) < 4 {
		return false, nil // runt: ignore
	}
	switch op := binary.BigEndian.Uint16(p); op {
	case OpERROR:
		return true, &ServerError{Code: binary.BigEndian.Uint16(p[2:]), Message: strings.TrimRight(string(p[4:]), "\x00")}
	case OpOACK:
		return t.oack(p)
	case OpDATA:
		return t.data(binary.BigEndian.Uint16(p[2:]), p[4:])
	default:
		return true, fmt.Errorf("unexpected opcode %d", op)
	}
}

func (t *transfer) oack(p []byte) (bool, error) {
	if t.c.BlockSize <= 0 || t.next != 1 {
		return true, errors.New("unexpected OACK: no options were asked for")
	}
	size, err := ParseOACK(p)
	if err != nil {
		return true, err
	}
	t.res.BlockSize = size
	if err := t.send(ACK(0), 1); err != nil {
		return true, fmt.Errorf("send ACK 0: %w", err)
	}
	return false, nil
}

func (t *transfer) data(block uint16, d []byte) (bool, error) {
	acks := 1
	if t.c.Data != nil {
		var err error
		if acks, err = t.c.Data(block, t.next); err != nil {
			return true, err
		}
	}
	if block != t.next {
		if block == t.next-1 && binary.BigEndian.Uint16(t.last) == OpACK {
			for range acks {
				t.conn.WriteTo(t.last, t.to) // our ACK was lost: repeat it
			}
		}
		return false, nil
	}
	if len(d) > t.res.BlockSize {
		return true, fmt.Errorf("%w %d (%d bytes)", ErrBlockTooLarge, t.res.BlockSize, len(d))
	}
	if acks == 0 {
		return false, nil // as if lost: the server sends it again
	}
	if _, err := t.w.Write(d); err != nil {
		return true, err
	}
	t.res.Bytes += int64(len(d))
	if err := t.send(ACK(block), acks); err != nil {
		return true, fmt.Errorf("send ACK %d: %w", block, err)
	}
	t.next++
	if t.c.Progress != nil {
		if err := t.c.Progress(t.res.Bytes); err != nil {
			return true, err
		}
	}
	return len(d) < t.res.BlockSize, nil
}

// ParseOACK returns the blksize an OACK packet grants (512 when absent).
func ParseOACK(p []byte) (int, error) {
	fields := strings.Split(string(p[2:]), "\x00")
	size := BlockSize
	for i := 0; i+1 < len(fields); i += 2 {
		if strings.EqualFold(fields[i], "blksize") {
			n, err := strconv.Atoi(fields[i+1])
			if err != nil || n < 8 || n > 65464 {
				return 0, fmt.Errorf("OACK blksize %q", fields[i+1])
			}
			size = n
		}
	}
	return size, nil
}

func sameAddr(a, b net.Addr) bool {
	ua, ok1 := a.(*net.UDPAddr)
	ub, ok2 := b.(*net.UDPAddr)
	if ok1 && ok2 {
		return ua.Port == ub.Port && ua.IP.Equal(ub.IP)
	}
	return a.String() == b.String()
}
