package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/phoneflash/phoneflash/internal/tftpclient"
)

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

// tftpClient is the phone's RFC 1350 client: tftpclient with a phone's
// settings (no options, 512-byte blocks, a larger block aborts the file),
// and the outcome of each request for the result.
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

// head keeps the first keep bytes written to it.
type head struct {
	keep int
	b    []byte
}

func (h *head) Write(p []byte) (int, error) {
	if room := h.keep - len(h.b); room > 0 {
		h.b = append(h.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// Get fetches name from server:69, keeping up to keep bytes of its start.
// cut, when not nil, is asked after each block whether power fails now.
// A missing file is an outcome, not an error.
func (c *tftpClient) Get(ctx context.Context, server net.IP, name string, keep int, cut func(int64) bool) (Fetch, error) {
	f := Fetch{Name: name}
	conn, err := c.Listen()
	if err != nil {
		f.Outcome, f.Detail = outError, "listen: "+err.Error()
		return f, fmt.Errorf("tftp: %s: listen: %w", name, err)
	}
	defer conn.Close()
	cl := tftpclient.Client{Timeout: c.Timeout, Retries: c.Retries}
	if cut != nil {
		cl.Progress = func(n int64) error {
			if cut(n) {
				return errCut
			}
			return nil
		}
	}
	h := &head{keep: keep}
	res, err := cl.Get(ctx, conn, &net.UDPAddr{IP: server, Port: c.Port}, name, h)
	f.Bytes, f.Head, f.Outcome = res.Bytes, h.b, outOK
	var se *tftpclient.ServerError
	switch {
	case err == nil:
		return f, nil
	case tftpclient.IsNotFound(err) && errors.As(err, &se):
		f.Outcome, f.Detail = outNotFound, se.Message
		return f, nil
	case errors.Is(err, errCut):
		f.Outcome, f.Detail = outCut, fmt.Sprintf("power cut after %d bytes", f.Bytes)
	case errors.Is(err, tftpclient.ErrTimeout):
		f.Outcome, f.Detail = outTimeout, fmt.Sprintf("no answer after %d retransmissions", c.Retries)
	default:
		f.Outcome, f.Detail = outError, err.Error()
	}
	return f, err
}
