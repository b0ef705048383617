package tftpd

import (
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/phoneflash/phoneflash/internal/servicetest"
)

// wireTexts are the only ERROR texts a client may ever see.
var wireTexts = map[string]bool{
	string(errFileNotFound): true, string(errAccess): true, string(errReadOnly): true, string(errBusy): true,
	string(errRead): true, string(errShutdown): true,
}

// fuzzServer serves one small file on 127.0.0.1 for the whole fuzz run and
// records every name its resolver was asked for that is not a clean name.
type fuzzServer struct {
	addr *net.UDPAddr
	mu   sync.Mutex
	bad  []string
}

func startFuzzServer(f *testing.F) *fuzzServer {
	fs := &fuzzServer{}
	files := map[string][]byte{"term06.default.loads": []byte("jar11sip.9-4-2ES9\r\n"), "sub/f.bin": make([]byte, 700)}
	resolve := func(_ context.Context, req Request) (Content, error) {
		if clean, err := CleanName(req.Name); err != nil || clean != req.Name {
			fs.mu.Lock()
			fs.bad = append(fs.bad, req.Name)
			fs.mu.Unlock()
		}
		b, ok := files[req.Name]
		if !ok {
			return Content{}, ErrNotFound
		}
		return Bytes(b), nil
	}
	conn, err := Listen(context.Background(), "", netip.MustParseAddrPort("127.0.0.1:0"))
	if err != nil {
		f.Fatal(err)
	}
	fs.addr = conn.LocalAddr().(*net.UDPAddr)
	// Stalled transfers of the fuzzing client end within 40 ms.
	srv := New(Options{Resolver: resolve, Timeout: 20 * time.Millisecond, Retries: 2})
	servicetest.Start(f, func(ctx context.Context) error { return srv.Serve(ctx, conn) })
	return fs
}

// healthy fetches term06.default.loads as a phone does, from its own
// address, and fails the test if the server does not answer.
func (fs *fuzzServer) healthy(t *testing.T) {
	pc := loopback(t)
	reply, from, err := firstReply(t, pc, fs.addr, rrq("term06.default.loads"))
	if err != nil {
		t.Fatalf("the server no longer answers a phone's RRQ: %v", err)
	}
	if len(reply) < 4 || binary.BigEndian.Uint16(reply) != 3 || binary.BigEndian.Uint16(reply[2:]) != 1 {
		t.Fatalf("a phone's RRQ was answered with % x, want DATA 1", reply[:min(len(reply), 32)])
	}
	pc.WriteTo([]byte{0, 4, 0, 1}, from) // the last block: the transfer ends
}

// FuzzRequestPacket sends one datagram of any content to the server's
// port-69 socket from 127.0.0.2, then checks that a phone on 127.0.0.1 is
// still served, that every ERROR sent to the fuzzing client carries one of
// the fixed texts, that DATA is only ever the served files' and that the
// resolver never sees a name CleanName would refuse. Seeds are in
// testdata/fuzz/FuzzRequestPacket: RRQ with traversal, absolute, backslash
// and NUL names, WRQ, unknown opcodes, stray ACK/DATA/ERROR, hostile options.
func FuzzRequestPacket(f *testing.F) {
	fs := startFuzzServer(f)
	f.Fuzz(func(t *testing.T, pkt []byte) {
		pc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2)})
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		if _, err := pc.WriteTo(pkt, fs.addr); err != nil {
			t.Fatal(err)
		}
		fs.healthy(t)
		pc.SetReadDeadline(time.Now().Add(5 * time.Millisecond))
		buf := make([]byte, 2048)
		for {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				break
			}
			checkAnswer(t, pkt, buf[:n])
		}
		fs.mu.Lock()
		defer fs.mu.Unlock()
		if len(fs.bad) > 0 {
			t.Fatalf("the resolver was asked for %q", fs.bad)
		}
	})
}

func checkAnswer(t *testing.T, pkt, b []byte) {
	t.Helper()
	if len(b) < 4 {
		t.Fatalf("answer % x to % x is too short", b, pkt)
	}
	switch op := binary.BigEndian.Uint16(b); op {
	case 3: // DATA of a served file: one of the two, 700 bytes at most
		if len(b) > 4+700 {
			t.Fatalf("DATA of %d bytes to % x", len(b)-4, pkt)
		}
	case 5:
		text := string(b[4:])
		if i := len(text) - 1; i >= 0 && text[i] == 0 {
			text = text[:i]
		}
		if !wireTexts[text] && !libraryText(text) {
			t.Fatalf("ERROR text %q to % x is not a fixed text", text, pkt)
		}
	case 6: // OACK to a request with options
	default:
		t.Fatalf("answer with opcode %d to % x", op, pkt)
	}
}

// libraryText: ERROR texts pin/tftp itself sends for protocol errors; they
// carry no path and no Go error.
func libraryText(s string) bool {
	switch s {
	case "", "unknown transfer id", "invalid packet", "server does not support write requests",
		"server does not support read requests":
		return true
	}
	return false
}
