package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/phoneflash/phoneflash/internal/tftptest"
)

func testClient(port int) *tftpClient {
	c := newTFTPClient(200 * time.Millisecond)
	c.Port = port
	return c
}

// TestTFTPOutcomes: what the phone records of each request (the protocol
// itself is tested in internal/tftpclient).
func TestTFTPOutcomes(t *testing.T) {
	files := map[string][]byte{
		"three-blocks.sbn": bytes.Repeat([]byte("abcdefgh"), 190), // 1520 bytes
		"exact.sbn":        bytes.Repeat([]byte{7}, 1024),         // ends with an empty block
		"empty.xml":        {},
	}
	port := tftptest.Serve(t, files).Port
	silent, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	lo := net.IPv4(127, 0, 0, 1)
	for _, tc := range []struct {
		name    string
		port    int
		keep    int
		cut     func(int64) bool
		want    Fetch
		wantErr error
	}{
		{"three-blocks.sbn", port, 100, nil, Fetch{Name: "three-blocks.sbn", Outcome: outOK, Bytes: 1520, Head: files["three-blocks.sbn"][:100]}, nil},
		{"exact.sbn", port, 5000, nil, Fetch{Name: "exact.sbn", Outcome: outOK, Bytes: 1024, Head: files["exact.sbn"]}, nil},
		{"empty.xml", port, 10, nil, Fetch{Name: "empty.xml", Outcome: outOK}, nil},
		{"missing.xml", port, 10, nil, Fetch{Name: "missing.xml", Outcome: outNotFound, Detail: "file not found"}, nil},
		{"three-blocks.sbn", port, 0, func(n int64) bool { return n >= 1000 },
			Fetch{Name: "three-blocks.sbn", Outcome: outCut, Bytes: 1024, Detail: "power cut after 1024 bytes"}, errCut},
		{"x.tlv", silent.LocalAddr().(*net.UDPAddr).Port, 0, nil,
			Fetch{Name: "x.tlv", Outcome: outTimeout, Detail: "no answer after 3 retransmissions"}, errAny},
	} {
		t.Run(tc.want.Outcome+" "+tc.name, func(t *testing.T) {
			c := testClient(tc.port)
			if tc.want.Outcome == outTimeout {
				c.Timeout = 50 * time.Millisecond // nobody answers: don't wait long
			} else {
				c.Timeout = 2 * time.Second // patient on a loaded machine
			}
			got, err := c.Get(context.Background(), lo, tc.name, tc.keep, tc.cut)
			if (err != nil) != (tc.wantErr != nil) || (tc.wantErr != errAny && !errors.Is(err, tc.wantErr)) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("fetch (-want +got):\n%s", diff)
			}
		})
	}
}

// errAny in a table: some error.
var errAny = errors.New("any error")

func TestTFTPDataOver512Aborts(t *testing.T) {
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	go func() {
		buf := make([]byte, 2048)
		conn.SetReadDeadline(time.Now().Add(3 * time.Second))
		if _, from, err := conn.ReadFrom(buf); err == nil {
			conn.WriteTo(append([]byte{0, 3, 0, 1}, make([]byte, 600)...), from)
		}
	}()
	got, err := testClient(conn.LocalAddr().(*net.UDPAddr).Port).Get(context.Background(), net.IPv4(127, 0, 0, 1), "big.sbn", 0, nil)
	if err == nil || got.Outcome != outError || got.Bytes != 0 || !bytes.Contains([]byte(got.Detail), []byte("exceeds")) {
		t.Errorf("got %+v, %v; want an abort (\"Data block exceeds 512\")", got, err)
	}
}
