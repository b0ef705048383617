package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"time"
)

// TFTP opcodes (RFC 1350).
const (
	opRRQ   = 1
	opDATA  = 3
	opACK   = 4
	opERROR = 5
)

// blockSize is the only block size the phone knows: it sends no options.
const blockSize = 512

// buildRRQ is the phone's read request: opcode 1, name, "octet", no options.
func buildRRQ(name string) []byte {
	b := []byte{0, opRRQ}
	b = append(b, name...)
	b = append(b, 0)
	b = append(b, "octet"...)
	return append(b, 0)
}

func buildACK(block uint16) []byte {
	return []byte{0, opACK, byte(block >> 8), byte(block)}
}

func buildERROR(code uint16, msg string) []byte {
	b := []byte{0, opERROR, byte(code >> 8), byte(code)}
	return append(append(b, msg...), 0)
}

// Outcomes of one file request, as recorded in the result.
const (
	outOK       = "ok"
	outNotFound = "not-found"
	outError    = "error"   // ERROR packet other than 1, or a protocol violation
	outTimeout  = "timeout" // 3 retransmissions without an answer
	outRejected = "rejected"
	outCut      = "power-cut"
)

// Fetch is the result of one RRQ.
type Fetch struct {
	Name    string
	Outcome string
	Bytes   int64
	Head    []byte // the first bytes of the file, up to the keep limit
	Detail  string
}

// errCut means the simulated power was cut during a transfer.
var errCut = errors.New("power cut")

// tftpClient is the phone's RFC 1350 client.
type tftpClient struct {
	Timeout time.Duration // select() timeout: 4 s
	Retries int           // retransmissions of the last packet: 3
	Port    int           // the server's request port: 69
	// Listen opens the client socket (a fresh TID per file).
	Listen func() (net.PacketConn, error)
}

func newTFTPClient(timeout time.Duration) *tftpClient {
	return &tftpClient{Timeout: timeout, Retries: 3, Port: 69, Listen: func() (net.PacketConn, error) {
		return net.ListenUDP("udp4", nil)
	}}
}

// transfer is the state of one download.
type transfer struct {
	conn   net.PacketConn
	tid    net.Addr
	last   []byte   // the packet to retransmit
	lastTo net.Addr // where it goes
	block  uint16
	f      Fetch
}

// Get fetches name from server:69, keeping up to keep bytes of its start.
// cut, when not nil, is asked after each block whether power fails now.
func (c *tftpClient) Get(ctx context.Context, server net.IP, name string, keep int, cut func(int64) bool) (Fetch, error) {
	conn, err := c.Listen()
	if err != nil {
		return Fetch{Name: name, Outcome: outError}, fmt.Errorf("tftp: %s: listen: %w", name, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	t := &transfer{conn: conn, f: Fetch{Name: name}, last: buildRRQ(name),
		lastTo: &net.UDPAddr{IP: server, Port: c.Port}}
	if _, err := conn.WriteTo(t.last, t.lastTo); err != nil {
		return c.fail(t, outError, "send RRQ", err)
	}
	buf := make([]byte, 2048)
	tries := c.Retries
	for {
		conn.SetReadDeadline(time.Now().Add(c.Timeout))
		n, from, err := conn.ReadFrom(buf)
		if ctx.Err() != nil {
			return c.fail(t, outError, "stopped", ctx.Err())
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			if tries == 0 {
				return c.fail(t, outTimeout, fmt.Sprintf("no answer after %d retransmissions", c.Retries), nil)
			}
			tries--
			conn.WriteTo(t.last, t.lastTo)
			continue
		}
		if err != nil {
			return c.fail(t, outError, "receive", err)
		}
		done, err := c.handle(t, buf[:n], from, keep, &tries)
		if err != nil || done {
			return t.f, err
		}
		if cut != nil && cut(t.f.Bytes) {
			t.f.Outcome, t.f.Detail = outCut, fmt.Sprintf("power cut after %d bytes", t.f.Bytes)
			return t.f, errCut
		}
	}
}

func (c *tftpClient) fail(t *transfer, outcome, detail string, err error) (Fetch, error) {
	t.f.Outcome, t.f.Detail = outcome, detail
	if err != nil {
		t.f.Detail = detail + ": " + err.Error()
		return t.f, fmt.Errorf("tftp: %s: %s: %w", t.f.Name, detail, err)
	}
	return t.f, fmt.Errorf("tftp: %s: %s", t.f.Name, detail)
}

// handle processes one datagram; it reports whether the transfer is over.
func (c *tftpClient) handle(t *transfer, p []byte, from net.Addr, keep int, tries *int) (bool, error) {
	if t.tid == nil {
		t.tid = from // the first reply fixes the server's TID
	} else if from.String() != t.tid.String() {
		t.conn.WriteTo(buildERROR(5, "Unknown transfer ID"), from)
		return false, nil
	}
	if len(p) < 4 {
		return false, nil // runt: ignore
	}
	switch binary.BigEndian.Uint16(p) {
	case opERROR:
		code := binary.BigEndian.Uint16(p[2:])
		msg := string(trimNUL(p[4:]))
		if code == 1 {
			t.f.Outcome, t.f.Detail = outNotFound, msg
			return true, nil
		}
		_, err := c.fail(t, outError, fmt.Sprintf("server error %d %q", code, msg), nil)
		return true, err
	case opDATA:
		return c.data(t, binary.BigEndian.Uint16(p[2:]), p[4:], keep, tries)
	}
	_, err := c.fail(t, outError, fmt.Sprintf("unexpected opcode %d", binary.BigEndian.Uint16(p)), nil)
	return true, err
}

func (c *tftpClient) data(t *transfer, block uint16, d []byte, keep int, tries *int) (bool, error) {
	if len(d) > blockSize {
		// The firmware aborts ("Data block exceeds 512") and drops the port.
		_, err := c.fail(t, outError, fmt.Sprintf("Data block exceeds 512 (%d bytes)", len(d)), nil)
		return true, err
	}
	if block != t.block+1 {
		if block == t.block {
			t.conn.WriteTo(t.last, t.tid) // duplicate: ACK again
		}
		return false, nil
	}
	t.block = block
	t.f.Bytes += int64(len(d))
	if room := keep - len(t.f.Head); room > 0 {
		t.f.Head = append(t.f.Head, d[:min(room, len(d))]...)
	}
	t.last, t.lastTo = buildACK(block), t.tid
	*tries = c.Retries
	if _, err := t.conn.WriteTo(t.last, t.tid); err != nil {
		_, err := c.fail(t, outError, "send ACK", err)
		return true, err
	}
	if len(d) < blockSize {
		t.f.Outcome = outOK
		return true, nil
	}
	return false, nil
}

func trimNUL(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}
