package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/phoneflash/phoneflash/appliance/nettest"
	"github.com/phoneflash/phoneflash/firmware/fwgen"
	"github.com/phoneflash/phoneflash/internal/tftpclient"
)

// tftpConn is an unconnected UDP socket in a client's namespace.
type tftpConn struct{ *net.UDPConn }

func newTFTPConn(t *testing.T, ns string) tftpConn {
	t.Helper()
	conn, err := nettest.Open(ns, func() (*net.UDPConn, error) { return net.ListenUDP("udp4", &net.UDPAddr{}) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return tftpConn{conn}
}

var server69 = &net.UDPAddr{IP: net.IPv4(10, 79, 1, 1), Port: 69}

// replies sends pkt and returns the replies that arrive within wait.
func (c tftpConn) replies(t *testing.T, pkt []byte, to *net.UDPAddr, wait time.Duration) [][]byte {
	t.Helper()
	if _, err := c.WriteTo(pkt, to); err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	buf := make([]byte, 2048)
	c.SetReadDeadline(time.Now().Add(wait))
	for {
		n, _, err := c.ReadFrom(buf)
		if err != nil {
			return out
		}
		out = append(out, append([]byte(nil), buf[:n]...))
	}
}

// tftpRRQ is a read request with another opcode (2: a write request).
func tftpRRQ(name string, opcode byte) []byte {
	p := tftpclient.RRQ(name)
	p[1] = opcode
	return p
}

// Issue 11, hostile TFTP: write requests, traversal names and unknown
// opcodes get fixed error texts or nothing; RRQ floods from spoofed ports
// and addresses are bounded (per-client limit, bounded memory and threads)
// while a legitimate client still downloads; an ACK storm (duplicate ACKs
// from the client, ACKs from strangers) does not multiply DATA (Sorcerer's
// Apprentice) or disturb the transfer.
func TestIntegrationHostileTFTP(t *testing.T) {
	t.Parallel()
	fw := firmwareStore(t, 0.05, fwgen.SIP942())
	b := newHostileBench(t, fw, 1, "")
	os.WriteFile(filepath.Join(b.dir, "secret.txt"), []byte("TOP SECRET"), 0o644)
	b.serve("-http", metricsAddr)
	ns := b.hostileClient(0, "t", "10.79.1.250/24")
	newDHCPClient(t, b.hostileClient(0, "d", "")).waitDHCP(t, b.srvLog)
	peak := watchPeak(t, b.srv.Process.Pid, b.app)
	var image string // the largest, so the storms overlap its download
	var want []byte
	for _, name := range fwgen.SIP942().ImageNames() {
		b, err := os.ReadFile(filepath.Join(fw, "SIP11.9-4-2SR1-1S", name))
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > len(want) {
			image, want = name, b
		}
	}
	c := newTFTPConn(t, ns)

	t.Run("refusals", func(t *testing.T) {
		for _, tt := range []struct {
			name string
			pkt  []byte
			text string // "" = nothing or any ERROR
		}{
			{"WRQ", tftpRRQ("evil.sbn", 2), "Access violation: read-only server"},
			{"WRQ traversal", tftpRRQ("../../tmp/evil", 2), "Access violation: read-only server"},
			{"traversal", tftpRRQ("../secret.txt", 1), "Access violation"},
			{"deep traversal", tftpRRQ("SIP11.9-4-2SR1-1S/../../secret.txt", 1), "Access violation"},
			{"absolute", tftpRRQ("//etc/passwd", 1), "Access violation"},
			{"backslash", tftpRRQ("..\\secret.txt", 1), "Access violation"},
			{"absolute after the slash", tftpRRQ("/etc/passwd", 1), "File not found"},
			{"unknown opcode 9", []byte{0, 9, 'x', 0}, ""},
			{"opcode 0", []byte{0, 0}, ""},
			{"one byte", []byte{1}, ""},
		} {
			got := c.replies(t, tt.pkt, server69, 300*time.Millisecond)
			var texts []string
			for _, r := range got {
				if len(r) < 4 || r[1] != 5 {
					t.Errorf("%s: answered % x, want an ERROR or nothing", tt.name, r[:min(len(r), 16)])
					continue
				}
				texts = append(texts, strings.TrimRight(string(r[4:]), "\x00"))
			}
			if tt.text != "" && (len(texts) != 1 || texts[0] != tt.text) {
				t.Errorf("%s: answered %q, want one ERROR %q", tt.name, texts, tt.text)
			}
			for _, tx := range texts {
				if strings.Contains(tx, "/") || strings.Contains(tx, "SECRET") {
					t.Errorf("%s: ERROR text %q leaks a path or content", tt.name, tx)
				}
			}
		}
	})
	t.Run("ACK storm", func(t *testing.T) { ackStorm(t, ns, image, want) })
	t.Run("RRQ flood from spoofed ports and addresses", func(t *testing.T) {
		sp := newSpoofer(t, ns)
		r := rand.New(rand.NewPCG(11, 2))
		rrq := tftpRRQ(image, 1)
		start := time.Now()
		for i := range 3000 {
			src := netip4{10, 79, 1, 50} // one address, many ports
			if i%2 == 1 {
				src = netip4{10, 79, 1, byte(2 + r.IntN(200))} // many addresses
			}
			if err := sp.send(src, netip4{10, 79, 1, 1}, uint16(1024+r.IntN(60000)), 69, rrq); err != nil {
				t.Fatal(err)
			}
			if i%50 == 49 {
				time.Sleep(5 * time.Millisecond)
			}
		}
		t.Logf("3,000 spoofed RRQs sent in %s", time.Since(start).Round(time.Millisecond))
		// A phone-like client downloads during the flood's aftermath.
		got, err := lockstep(ns, image, 1, 30*time.Second)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("download during the flood: %d bytes, %v; want %d identical bytes", len(got), err, len(want))
		}
		st, _ := readProcStats(b.srv.Process.Pid)
		t.Logf("during the flood: RSS %d kB, threads %d", st.RSSKB, st.Threads)
	})
	// The kernel drops what does not fit the socket buffer; of what the
	// daemon reads, the RRQs from one address beyond 4 are refused.
	rrqs, busy := 0, 0
	for i := 0; i < 50; i++ {
		log := b.srvLog.String()
		n := strings.Count(log, "RRQ from 10.79.1.")
		busy = strings.Count(log, "Too many transfers from this address")
		if n == rrqs {
			break
		}
		rrqs = n
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("the daemon logged %d RRQs, %d refused by the per-client limit", rrqs, busy)
	if rrqs < 600 || busy < 250 {
		t.Errorf("the daemon logged %d RRQs and %d refused as too many from one address; want 600 and 250 at least", rrqs, busy)
	}
	peak.check(t, "TFTP attack")
}

// lockstep downloads name as a phone does (RFC 1350, 512-byte blocks, 4 s
// for each packet and 3 retransmissions of the last one: a request lost in
// a flooded socket buffer is asked again, as a phone would), but
// acknowledges every DATA block dup times. It returns the file, and an
// error when a block came more than twice (one retransmission is allowed)
// or the download took longer than timeout.
func lockstep(ns, name string, dup int, timeout time.Duration) ([]byte, error) {
	conn, err := nettest.Open(ns, func() (*net.UDPConn, error) { return net.ListenUDP("udp4", &net.UDPAddr{}) })
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	seen := map[uint16]int{}
	c := tftpclient.Client{Timeout: 4 * time.Second, Retries: 3, Data: func(block, _ uint16) (int, error) {
		if seen[block]++; seen[block] > 2 {
			return 0, fmt.Errorf("DATA block %d came %d times: Sorcerer's Apprentice", block, seen[block])
		}
		return dup, nil
	}}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var out bytes.Buffer
	_, err = c.Get(ctx, conn, server69, name, &out)
	return out.Bytes(), err
}

// ackStorm: a client that acknowledges every block three times gets each
// block once (no Sorcerer's Apprentice), and a stranger spraying ACKs at the
// server's ports during a download does not disturb it.
func ackStorm(t *testing.T, ns, image string, want []byte) {
	got, err := lockstep(ns, image, 3, 30*time.Second)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("download acknowledging each block 3 times: %d bytes, %v; want %d identical bytes", len(got), err, len(want))
	}
	sp := newSpoofer(t, ns)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		r := rand.New(rand.NewPCG(11, 3))
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			blk := uint16(r.IntN(200))
			// ACKs from strangers to port 69 and to random ports of the
			// server (the transfers' ports are random).
			sp.send(netip4{10, 79, 1, 250}, netip4{10, 79, 1, 1}, uint16(1024+r.IntN(60000)),
				uint16(32768+r.IntN(28000)), []byte{0, 4, byte(blk >> 8), byte(blk)})
			sp.send(netip4{10, 79, 1, 77}, netip4{10, 79, 1, 1}, 4444, 69, []byte{0, 4, 0, 1})
			if i%200 == 199 {
				time.Sleep(time.Millisecond)
			}
		}
	}()
	got, err = lockstep(ns, image, 1, 30*time.Second)
	close(stop)
	<-done
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("download during an ACK storm: %d bytes, %v; want %d identical bytes", len(got), err, len(want))
	}
}
