package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pin/tftp/v3"
)

func TestBuildRRQ(t *testing.T) {
	want := []byte("\x00\x01term06.default.loads\x00octet\x00")
	if diff := cmp.Diff(want, buildRRQ("term06.default.loads")); diff != "" {
		t.Errorf("RRQ (-want +got):\n%s", diff)
	}
}

// pinServer serves files with pin/tftp on loopback and returns its port.
func pinServer(t *testing.T, files map[string][]byte) int {
	t.Helper()
	s := tftp.NewServer(func(name string, rf io.ReaderFrom) error {
		b, ok := files[name]
		if !ok {
			return fmt.Errorf("file not found")
		}
		_, err := rf.ReadFrom(bytes.NewReader(b))
		return err
	}, nil)
	s.SetTimeout(100 * time.Millisecond) // the cut test leaves a transfer behind
	s.SetRetries(1)
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(conn)
	t.Cleanup(s.Shutdown)
	return conn.LocalAddr().(*net.UDPAddr).Port
}

func testClient(port int) *tftpClient {
	c := newTFTPClient(200 * time.Millisecond)
	c.Port = port
	return c
}

func TestTFTPGetFromPin(t *testing.T) {
	files := map[string][]byte{
		"three-blocks.sbn": bytes.Repeat([]byte("abcdefgh"), 190), // 1520 bytes
		"exact.sbn":        bytes.Repeat([]byte{7}, 1024),         // ends with an empty block
		"empty.xml":        {},
	}
	port := pinServer(t, files)
	lo := net.IPv4(127, 0, 0, 1)
	for _, tc := range []struct {
		name    string
		keep    int
		want    Fetch
		wantErr bool
	}{
		{"three-blocks.sbn", 100, Fetch{Name: "three-blocks.sbn", Outcome: outOK, Bytes: 1520, Head: files["three-blocks.sbn"][:100]}, false},
		{"exact.sbn", 5000, Fetch{Name: "exact.sbn", Outcome: outOK, Bytes: 1024, Head: files["exact.sbn"]}, false},
		{"empty.xml", 10, Fetch{Name: "empty.xml", Outcome: outOK}, false},
		{"missing.xml", 10, Fetch{Name: "missing.xml", Outcome: outNotFound, Detail: "file not found"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := testClient(port).Get(context.Background(), lo, tc.name, tc.keep, nil)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("fetch (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("power cut", func(t *testing.T) {
		got, err := testClient(port).Get(context.Background(), lo, "three-blocks.sbn", 0, func(n int64) bool { return n >= 1000 })
		if !errors.Is(err, errCut) || got.Outcome != outCut || got.Bytes != 1024 {
			t.Errorf("got %+v, %v; want a cut after 1024 bytes", got, err)
		}
	})
}

// scripted is a hand-driven TFTP server on loopback.
type scripted struct {
	conn net.PacketConn
}

func newScripted(t *testing.T) *scripted {
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &scripted{conn: conn}
}

func (s *scripted) port() int { return s.conn.LocalAddr().(*net.UDPAddr).Port }

// read returns the next datagram and its sender.
func (s *scripted) read(t *testing.T) ([]byte, net.Addr) {
	t.Helper()
	buf := make([]byte, 2048)
	s.conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	n, from, err := s.conn.ReadFrom(buf)
	if err != nil {
		t.Fatalf("scripted server: %v", err)
	}
	return buf[:n], from
}

func data(block uint16, payload []byte) []byte {
	return append([]byte{0, opDATA, byte(block >> 8), byte(block)}, payload...)
}

func TestTFTPDataOver512Aborts(t *testing.T) {
	s := newScripted(t)
	go func() {
		_, from := s.read(t)
		s.conn.WriteTo(data(1, make([]byte, 600)), from)
	}()
	got, err := testClient(s.port()).Get(context.Background(), net.IPv4(127, 0, 0, 1), "big.sbn", 0, nil)
	if err == nil || got.Outcome != outError || got.Bytes != 0 {
		t.Errorf("got %+v, %v; want an abort", got, err)
	}
}

func TestTFTPRetransmitsThreeTimes(t *testing.T) {
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
			if !bytes.Equal(buf[:k], buildRRQ("x.tlv")) {
				t.Errorf("retransmission %d = %q, want the RRQ", n, buf[:k])
			}
			n++
		}
	}()
	c := testClient(s.port())
	c.Timeout = 50 * time.Millisecond
	got, err := c.Get(context.Background(), net.IPv4(127, 0, 0, 1), "x.tlv", 0, nil)
	if err == nil || got.Outcome != outTimeout {
		t.Errorf("got %+v, %v; want a timeout", got, err)
	}
	if n := <-done; n != 4 {
		t.Errorf("server saw %d RRQs, want 1 + 3 retransmissions", n)
	}
}

func TestTFTPAcceptsOnlyFirstTID(t *testing.T) {
	s := newScripted(t)
	stray := newScripted(t)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_, from := s.read(t)
		s.conn.WriteTo(data(1, bytes.Repeat([]byte{1}, 512)), from)
		if ack, _ := s.read(t); !bytes.Equal(ack, buildACK(1)) {
			t.Errorf("got %x, want ACK 1", ack)
		}
		stray.conn.WriteTo(data(2, []byte("intruder")), from) // another TID
		if e, _ := stray.read(t); !bytes.Equal(e[:4], []byte{0, opERROR, 0, 5}) {
			t.Errorf("stray TID got %x, want ERROR 5", e)
		}
		s.conn.WriteTo(data(2, []byte("end")), from)
		if ack, _ := s.read(t); !bytes.Equal(ack, buildACK(2)) {
			t.Errorf("got %x, want ACK 2", ack)
		}
	}()
	got, err := testClient(s.port()).Get(context.Background(), net.IPv4(127, 0, 0, 1), "f.sbn", 1000, nil)
	<-served
	if err != nil || got.Outcome != outOK || got.Bytes != 515 || !bytes.HasSuffix(got.Head, []byte("end")) {
		t.Errorf("got %+v, %v; want 515 bytes ending in \"end\"", got, err)
	}
}
