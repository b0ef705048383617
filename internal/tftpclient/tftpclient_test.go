package tftpclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/phoneflash/phoneflash/internal/tftptest"
)

func TestRRQ(t *testing.T) {
	for _, tc := range []struct {
		opts []string
		want string
	}{
		{nil, "\x00\x01term06.default.loads\x00octet\x00"},
		{[]string{"blksize", "1428"}, "\x00\x01term06.default.loads\x00octet\x00blksize\x001428\x00"},
	} {
		if diff := cmp.Diff([]byte(tc.want), RRQ("term06.default.loads", tc.opts...)); diff != "" {
			t.Errorf("RRQ with %q (-want +got):\n%s", tc.opts, diff)
		}
	}
}

// listen is a client socket on loopback.
func listen(t *testing.T) net.PacketConn { return tftptest.Loopback(t) }

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{1}).Read(b)
	return b
}

func TestGetFromPin(t *testing.T) {
	files := map[string][]byte{
		"three-blocks.sbn": randomBytes(1520),
		"exact.sbn":        randomBytes(512 * 1954), // ends with an empty DATA block
		"empty.xml":        {},
	}
	server := tftptest.Serve(t, files)
	for _, tc := range []struct {
		file      string
		blockSize int
		want      Result
	}{
		{"three-blocks.sbn", 0, Result{Bytes: 1520, BlockSize: 512}},
		{"exact.sbn", 0, Result{Bytes: 512 * 1954, BlockSize: 512}},
		{"exact.sbn", 1428, Result{Bytes: 512 * 1954, BlockSize: 1428}},
		{"empty.xml", 0, Result{BlockSize: 512}},
	} {
		t.Run(fmt.Sprintf("%s blksize %d", tc.file, tc.blockSize), func(t *testing.T) {
			var got bytes.Buffer
			c := Client{Timeout: time.Second, Retries: 3, BlockSize: tc.blockSize}
			res, err := c.Get(t.Context(), listen(t), server, tc.file, &got)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, res); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
			if !bytes.Equal(got.Bytes(), files[tc.file]) {
				t.Errorf("got %d bytes, want %d identical", got.Len(), len(files[tc.file]))
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		_, err := (&Client{Timeout: time.Second}).Get(t.Context(), listen(t), server, "missing.xml", io.Discard)
		var se *ServerError
		if !IsNotFound(err) || !errors.As(err, &se) || se.Message != "file not found" {
			t.Errorf("got %v, want the server's ERROR 1 \"file not found\"", err)
		}
	})
	t.Run("progress error ends the transfer", func(t *testing.T) {
		cut := errors.New("power cut")
		c := Client{Timeout: time.Second, Progress: func(n int64) error {
			if n >= 1000 {
				return cut
			}
			return nil
		}}
		res, err := c.Get(t.Context(), listen(t), server, "three-blocks.sbn", io.Discard)
		if !errors.Is(err, cut) || res.Bytes != 1024 {
			t.Errorf("got %+v, %v; want the cut after 1024 bytes", res, err)
		}
	})
}

// scripted is a hand-driven TFTP server on loopback.
type scripted struct{ conn net.PacketConn }

func newScripted(t *testing.T) *scripted { return &scripted{conn: listen(t)} }

// read returns the next datagram and its sender.
func (s *scripted) read(t *testing.T) ([]byte, net.Addr) {
	t.Helper()
	buf := make([]byte, 2048)
	s.conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	n, from, err := s.conn.ReadFrom(buf)
	if err != nil {
		t.Errorf("scripted server: %v", err)
		return nil, nil
	}
	return buf[:n], from
}

func data(block uint16, payload []byte) []byte {
	return append([]byte{0, OpDATA, byte(block >> 8), byte(block)}, payload...)
}

func TestDataOverBlockSizeAborts(t *testing.T) {
	s := newScripted(t)
	go func() {
		if _, from := s.read(t); from != nil {
			s.conn.WriteTo(data(1, make([]byte, 600)), from)
		}
	}()
	res, err := (&Client{Timeout: time.Second}).Get(t.Context(), listen(t), s.conn.LocalAddr(), "big.sbn", io.Discard)
	if !errors.Is(err, ErrBlockTooLarge) || res.Bytes != 0 {
		t.Errorf("got %+v, %v; want ErrBlockTooLarge and nothing written", res, err)
	}
}

func TestRetransmitsThenTimesOut(t *testing.T) {
	s := newScripted(t)
	done := make(chan int)
	go func() {
		n := 0
		buf := make([]byte, 100)
		for {
			s.conn.SetReadDeadline(time.Now().Add(400 * time.Millisecond))
			k, _, err := s.conn.ReadFrom(buf)
			if err != nil {
				done <- n
				return
			}
			if !bytes.Equal(buf[:k], RRQ("x.tlv")) {
				t.Errorf("retransmission %d = %q, want the RRQ", n, buf[:k])
			}
			n++
		}
	}()
	c := Client{Timeout: 50 * time.Millisecond, Retries: 3}
	if _, err := c.Get(t.Context(), listen(t), s.conn.LocalAddr(), "x.tlv", io.Discard); !errors.Is(err, ErrTimeout) {
		t.Errorf("got %v, want ErrTimeout", err)
	}
	if n := <-done; n != 4 {
		t.Errorf("server saw %d RRQs, want 1 + 3 retransmissions", n)
	}
}

func TestAcceptsOnlyFirstTID(t *testing.T) {
	s, stray := newScripted(t), newScripted(t)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_, from := s.read(t)
		s.conn.WriteTo(data(1, bytes.Repeat([]byte{1}, 512)), from)
		if ack, _ := s.read(t); !bytes.Equal(ack, ACK(1)) {
			t.Errorf("got %x, want ACK 1", ack)
		}
		stray.conn.WriteTo(data(2, []byte("intruder")), from) // another TID
		if e, _ := stray.read(t); !bytes.Equal(e, ERROR(5, "Unknown transfer ID")) {
			t.Errorf("stray TID got %x, want ERROR 5", e)
		}
		s.conn.WriteTo(data(2, []byte("end")), from)
		if ack, _ := s.read(t); !bytes.Equal(ack, ACK(2)) {
			t.Errorf("got %x, want ACK 2", ack)
		}
	}()
	var got bytes.Buffer
	res, err := (&Client{Timeout: time.Second}).Get(t.Context(), listen(t), s.conn.LocalAddr(), "f.sbn", &got)
	<-served
	if err != nil || res.Bytes != 515 || !bytes.HasSuffix(got.Bytes(), []byte("end")) {
		t.Errorf("got %+v, %v; want 515 bytes ending in \"end\"", res, err)
	}
}

// TestDataHook: a lost DATA packet (no ACK) comes again from the server,
// and a block acknowledged three times reaches the server three times.
func TestDataHook(t *testing.T) {
	file := randomBytes(512*6 + 7)
	server := tftptest.Serve(t, map[string][]byte{"f": file})
	var seen []uint16
	// pin/tftp resends a lost block after its timeout and a random pause of
	// up to a second: wait longer than both.
	c := Client{Timeout: 5 * time.Second, Data: func(block, next uint16) (int, error) {
		seen = append(seen, block)
		switch {
		case block == 3 && len(seen) == 3:
			return 0, nil // lost
		case block == 5:
			return 3, nil
		}
		return 1, nil
	}}
	var got bytes.Buffer
	if _, err := c.Get(t.Context(), listen(t), server, "f", &got); err != nil || !bytes.Equal(got.Bytes(), file) {
		t.Fatalf("got %d bytes, %v; want %d identical", got.Len(), err, len(file))
	}
	if diff := cmp.Diff([]uint16{1, 2, 3, 3, 4, 5, 6, 7}, seen); diff != "" {
		t.Errorf("DATA packets (-want +got):\n%s", diff)
	}
}

func TestStopsWithContext(t *testing.T) {
	s := newScripted(t)
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		s.read(t)
		cancel()
	}()
	_, err := (&Client{Timeout: time.Minute}).Get(ctx, listen(t), s.conn.LocalAddr(), "f", io.Discard)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
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
		got, err := ParseOACK([]byte(tc.pkt))
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("ParseOACK(%q) = %d, %v; want %d, error %v", tc.pkt, got, err, tc.want, tc.wantErr)
		}
	}
}
