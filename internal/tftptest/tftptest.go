// Package tftptest has the TFTP tests' peers on loopback: a server on
// pin/tftp, an implementation independent of the module's own, for the
// tests of the clients (internal/tftpclient and the phone simulator's),
// and client sockets for the tests of the module's server.
package tftptest

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/pin/tftp/v3"
)

// Serve serves files (name to content; any other name is "file not found")
// on 127.0.0.1 until the test ends and returns the server's address.
func Serve(t testing.TB, files map[string][]byte) *net.UDPAddr {
	t.Helper()
	s := tftp.NewServer(func(name string, rf io.ReaderFrom) error {
		b, ok := files[name]
		if !ok {
			return fmt.Errorf("file not found")
		}
		_, err := rf.ReadFrom(bytes.NewReader(b))
		return err
	}, nil)
	// Patient enough for a loaded machine; a client that stops in the
	// middle leaves a transfer behind, which ends after these retries
	// (Shutdown waits for it).
	s.SetTimeout(500 * time.Millisecond)
	s.SetRetries(3)
	conn := Loopback(t)
	go s.Serve(conn)
	t.Cleanup(s.Shutdown)
	return conn.LocalAddr().(*net.UDPAddr)
}

// Loopback is a UDP socket on 127.0.0.1, closed when the test ends.
func Loopback(t testing.TB) net.PacketConn {
	t.Helper()
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}
