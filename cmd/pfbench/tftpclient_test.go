package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"math/rand/v2"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/phoneflash/phoneflash/appliance/tftpd"
)

// serveLoopback runs phoneflash's TFTP server on 127.0.0.1 with one file.
func serveLoopback(t *testing.T, name string, data []byte) netip.AddrPort {
	t.Helper()
	conn, err := tftpd.Listen(t.Context(), "", netip.MustParseAddrPort("127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	srv := tftpd.New(tftpd.Options{Resolver: func(_ context.Context, req tftpd.Request) (tftpd.Content, error) {
		if req.Name != name {
			return tftpd.Content{}, tftpd.ErrNotFound
		}
		return tftpd.Bytes(data), nil
	}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, conn) }()
	t.Cleanup(func() { cancel(); <-done })
	return conn.LocalAddr().(*net.UDPAddr).AddrPort()
}

func TestTFTPClientLoopback(t *testing.T) {
	// 1,000,448 bytes: a whole number of 512-byte blocks, so the transfer
	// ends with an empty DATA packet.
	data := make([]byte, 512*1954)
	rand.NewChaCha8([32]byte{1}).Read(data)
	server := serveLoopback(t, "apps11.sbn", data)
	for _, tc := range []struct {
		name    string
		blksize int
		granted int
	}{
		{"plain RRQ, 512-byte lock-step", 0, 512},
		{"blksize 1428 via OACK", 1428, 1428},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			c := tftpClient{conn: conn, server: server, blksize: tc.blksize, timeout: 4 * time.Second, retries: 3}
			h := sha256.New()
			res, err := c.fetch("apps11.sbn", h)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(data)
			if res.Bytes != int64(len(data)) || !bytes.Equal(h.Sum(nil), sum[:]) || res.Blksize != tc.granted {
				t.Errorf("got %d bytes, blksize %d, hash ok %v; want %d bytes, blksize %d", res.Bytes, res.Blksize,
					bytes.Equal(h.Sum(nil), sum[:]), len(data), tc.granted)
			}
		})
	}
	t.Run("missing file is the server's error", func(t *testing.T) {
		conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		c := tftpClient{conn: conn, server: server, timeout: time.Second, retries: 1}
		if _, err := c.fetch("nope.sbn", nil); err == nil || !strings.Contains(err.Error(), "server error 1") {
			t.Errorf("fetch of a missing file: %v, want server error 1", err)
		}
	})
	t.Run("no server times out after the retries", func(t *testing.T) {
		conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		silent, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		defer silent.Close()
		c := tftpClient{conn: conn, server: silent.LocalAddr().(*net.UDPAddr).AddrPort(), timeout: 50 * time.Millisecond, retries: 2}
		if _, err := c.fetch("x", nil); err == nil || !strings.Contains(err.Error(), "timeout") {
			t.Errorf("fetch from a silent server: %v, want a timeout", err)
		}
		buf := make([]byte, 100)
		rrqs := 0
		silent.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		for {
			if _, _, err := silent.ReadFrom(buf); err != nil {
				break
			}
			rrqs++
		}
		if rrqs != 3 {
			t.Errorf("silent server got %d RRQs, want 3 (first + 2 retries)", rrqs)
		}
	})
}

func TestParseOACK(t *testing.T) {
	for _, tc := range []struct {
		pkt     string
		want    int
		wantErr bool
	}{
		{"\x00\x06blksize\x001428\x00", 1428, false},
		{"\x00\x06BLKSIZE\x00512\x00tsize\x00100\x00", 512, false},
		{"\x00\x06tsize\x00100\x00", 512, false},
		{"\x00\x06blksize\x00abc\x00", 0, true},
		{"\x00\x06blksize\x004\x00", 0, true},
	} {
		got, err := parseOACK([]byte(tc.pkt))
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("parseOACK(%q) = %d, %v; want %d, error %v", tc.pkt, got, err, tc.want, tc.wantErr)
		}
	}
}
