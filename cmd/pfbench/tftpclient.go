package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// TFTP opcodes (RFC 1350, RFC 2347).
const (
	opRRQ   = 1
	opDATA  = 3
	opACK   = 4
	opERROR = 5
	opOACK  = 6
)

// tftpClient fetches one file the way a 7906G does: RRQ "octet" without
// options, 512-byte lock-step, a 4 s timeout and 3 retransmissions of the
// last packet. With blksize > 0 it asks for that block size (RFC 2348) and
// takes plain DATA 1 when the server ignores the option.
type tftpClient struct {
	conn    *net.UDPConn
	server  netip.AddrPort
	blksize int // 0: no options
	timeout time.Duration
	retries int
}

// fetchResult is one transfer.
type fetchResult struct {
	Bytes   int64
	Blksize int
	Dur     time.Duration
}

func rrq(name string, blksize int) []byte {
	p := binary.BigEndian.AppendUint16(nil, opRRQ)
	p = append(p, name...)
	p = append(p, 0)
	p = append(p, "octet"...)
	p = append(p, 0)
	if blksize > 0 {
		p = append(p, "blksize"...)
		p = append(p, 0)
		p = append(p, strconv.Itoa(blksize)...)
		p = append(p, 0)
	}
	return p
}

func ack(block uint16) []byte {
	return binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(nil, opACK), block)
}

// parseOACK returns the blksize an OACK grants (512 when absent).
func parseOACK(p []byte) (int, error) {
	fields := strings.Split(string(p[2:]), "\x00")
	size := 512
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

// fetch downloads name, writing the data to h when h is not nil.
func (c *tftpClient) fetch(name string, h hash.Hash) (fetchResult, error) {
	start := time.Now()
	res := fetchResult{Blksize: 512}
	buf := make([]byte, 65536)
	last := rrq(name, c.blksize)
	dst := net.UDPAddrFromAddrPort(c.server)
	var peer netip.AddrPort // the server's transfer ID, from its first reply
	next := uint16(1)
	tries := 0
	if _, err := c.conn.WriteToUDP(last, dst); err != nil {
		return res, err
	}
	for {
		c.conn.SetReadDeadline(time.Now().Add(c.timeout))
		n, from, err := c.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				return res, err
			}
			if tries++; tries > c.retries {
				return res, fmt.Errorf("%s: timeout at block %d", name, next)
			}
			if _, err := c.conn.WriteToUDP(last, dst); err != nil {
				return res, err
			}
			continue
		}
		if n < 4 {
			continue
		}
		if !peer.IsValid() {
			peer = from
			dst = net.UDPAddrFromAddrPort(from)
		} else if from != peer {
			continue // another transfer ID: not ours
		}
		p := buf[:n]
		switch binary.BigEndian.Uint16(p) {
		case opERROR:
			return res, fmt.Errorf("%s: server error %d %q", name, binary.BigEndian.Uint16(p[2:]), strings.TrimRight(string(p[4:]), "\x00"))
		case opOACK:
			if next != 1 {
				continue
			}
			size, err := parseOACK(p)
			if err != nil {
				return res, fmt.Errorf("%s: %w", name, err)
			}
			res.Blksize = size
			last, tries = ack(0), 0
		case opDATA:
			block := binary.BigEndian.Uint16(p[2:])
			if block != next {
				if block == next-1 {
					c.conn.WriteToUDP(last, dst) // our ACK was lost: repeat it
				}
				continue
			}
			data := p[4:]
			if len(data) > res.Blksize {
				return res, fmt.Errorf("%s: block %d has %d bytes, blksize %d", name, block, len(data), res.Blksize)
			}
			if h != nil {
				h.Write(data)
			}
			res.Bytes += int64(len(data))
			last, tries = ack(block), 0
			if _, err := c.conn.WriteToUDP(last, dst); err != nil {
				return res, err
			}
			next++
			if len(data) < res.Blksize {
				res.Dur = time.Since(start)
				return res, nil
			}
			continue
		default:
			continue
		}
		if _, err := c.conn.WriteToUDP(last, dst); err != nil {
			return res, err
		}
	}
}
