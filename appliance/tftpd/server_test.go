package tftpd

import (
	"bytes"
	"context"
	"encoding/binary"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"path"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pin/tftp/v3"

	"github.com/phoneflash/phoneflash/internal/logtest"
	"github.com/phoneflash/phoneflash/internal/servicetest"
	"github.com/phoneflash/phoneflash/internal/tftptest"
)

func TestCleanName(t *testing.T) {
	tests := []struct {
		raw, want string
		ok        bool
	}{
		{"term06.default.loads", "term06.default.loads", true},
		{"/term06.default.loads", "term06.default.loads", true},
		{"SEP001122AABBCC.cnf.xml", "SEP001122AABBCC.cnf.xml", true},
		{"SIP11.9-4-2SR1-1S/jar11sip.9-4-2ES9.sbn", "SIP11.9-4-2SR1-1S/jar11sip.9-4-2ES9.sbn", true},
		{"Desktops/95x34x1/List.xml", "Desktops/95x34x1/List.xml", true},
		{"", "", false},
		{"/", "", false},
		{"//etc/passwd", "", false},
		{"../etc/passwd", "", false},
		{"a/../../etc/passwd", "", false},
		{"..", "", false},
		{"..\\windows", "", false},
		{"sub\\f.bin", "", false},
		{"a\x00b", "", false},
		{"a\nb", "", false},
		{"a//b", "", false},
		{"a/./b", "", false},
		{"a/", "", false},
		{"..foo", "..foo", true}, // a name, not a parent reference
	}
	for _, tt := range tests {
		got, err := CleanName(tt.raw)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("CleanName(%q) = %q, %v; want %q, ok=%v", tt.raw, got, err, tt.want, tt.ok)
		}
	}
}

// recorder collects events and the names the resolver was asked for.
type recorder struct {
	mu     sync.Mutex
	events []Event
	asked  []string
}

func (r *recorder) onEvent(ev Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
}

func (r *recorder) kinds(name string) []EventKind {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []EventKind
	for _, ev := range r.events {
		if ev.Name == name && ev.Kind != EventProgress {
			out = append(out, ev.Kind)
		}
	}
	return out
}

func (r *recorder) last(kind EventKind) (Event, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.events) - 1; i >= 0; i-- {
		if r.events[i].Kind == kind {
			return r.events[i], true
		}
	}
	return Event{}, false
}

// startServer serves files on 127.0.0.1 port 0 and returns its address.
func startServer(t *testing.T, files map[string][]byte, opts Options) (string, *recorder) {
	t.Helper()
	rec := &recorder{}
	opts.Resolver = func(_ context.Context, req Request) (Content, error) {
		rec.mu.Lock()
		rec.asked = append(rec.asked, req.Name)
		rec.mu.Unlock()
		if !req.Local.IsLoopback() || !req.Client.Addr().IsLoopback() {
			t.Errorf("request %+v: want loopback client and local address", req)
		}
		b, ok := files[req.Name]
		if !ok {
			return Content{}, ErrNotFound
		}
		return Bytes(b), nil
	}
	opts.OnEvent = rec.onEvent
	if opts.Timeout == 0 { // stalled test transfers end quickly
		opts.Timeout, opts.Retries = 200*time.Millisecond, 3
	}
	opts.Log = logtest.New(t, slog.LevelInfo)
	conn, err := Listen(context.Background(), "", netip.MustParseAddrPort("127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	srv := New(opts)
	servicetest.Start(t, func(ctx context.Context) error { return srv.Serve(ctx, conn) })
	return conn.LocalAddr().String(), rec
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{1})
	r.Read(b)
	return b
}

func download(t *testing.T, addr, name string, blksize int, tsize bool) ([]byte, int64, error) {
	t.Helper()
	c, err := tftp.NewClient(addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetTimeout(time.Second)
	if blksize > 0 {
		c.SetBlockSize(blksize)
	}
	c.RequestTSize(tsize)
	wt, err := c.Receive(name, "octet")
	if err != nil {
		return nil, 0, err
	}
	size, _ := wt.(tftp.IncomingTransfer).Size()
	var buf bytes.Buffer
	_, err = wt.WriteTo(&buf)
	return buf.Bytes(), size, err
}

func TestDownloads(t *testing.T) {
	big := randomBytes(1<<20 + 123)
	exact := randomBytes(512 * 4) // ends with an empty DATA block
	addr, rec := startServer(t, map[string][]byte{"fw.sbn": big, "exact.bin": exact, "empty": {}}, Options{})
	tests := []struct {
		name    string
		file    string
		want    []byte
		blksize int
		tsize   bool
	}{
		{"plain 512 like a phone", "fw.sbn", big, 0, false},
		{"leading slash", "/fw.sbn", big, 0, false},
		{"multiple of 512", "exact.bin", exact, 0, false},
		{"empty file", "empty", nil, 0, false},
		{"blksize 1468 and tsize", "fw.sbn", big, 1468, true},
		{"blksize above the cap", "fw.sbn", big, 8192, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, size, err := download(t, addr, tt.file, tt.blksize, tt.tsize)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.want) {
				t.Fatalf("got %d bytes, want %d, or content differs", len(got), len(tt.want))
			}
			if tt.tsize && size != int64(len(tt.want)) {
				t.Errorf("tsize = %d, want %d", size, len(tt.want))
			}
		})
	}
	ev, ok := rec.last(EventDone)
	if !ok || ev.Name != "fw.sbn" || ev.Bytes != int64(len(big)) || ev.Total != int64(len(big)) || ev.Duration <= 0 {
		t.Errorf("last done event = %+v, want fw.sbn with %d bytes", ev, len(big))
	}
	if diff := cmp.Diff([]EventKind{EventRequest, EventDone}, rec.kinds("exact.bin")); diff != "" {
		t.Errorf("events of exact.bin (-want +got):\n%s", diff)
	}
}

func parseReply(b []byte) (opcode, code uint16, text string, data []byte) {
	opcode = binary.BigEndian.Uint16(b)
	code = binary.BigEndian.Uint16(b[2:])
	switch opcode {
	case 5:
		text = string(bytes.TrimRight(b[4:], "\x00"))
	case 6:
		return opcode, 0, "", b[2:] // OACK: options follow the opcode
	}
	return opcode, code, text, b[4:]
}

func rrq(name string, extra ...string) []byte {
	b := []byte{0, 1}
	b = append(b, name...)
	b = append(b, 0)
	b = append(b, "octet\x00"...)
	for _, e := range extra {
		b = append(b, e...)
		b = append(b, 0)
	}
	return b
}

// loopback is a client socket on 127.0.0.1, closed when the test ends.
func loopback(t *testing.T) net.PacketConn { return tftptest.Loopback(t) }

// exchange sends pkt from an unconnected socket and returns the first reply
// from any port of the server.
func exchange(t *testing.T, addr string, pkt []byte) (opcode, code uint16, text string, data []byte) {
	t.Helper()
	ua, err := net.ResolveUDPAddr("udp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	reply, _, err := firstReply(t, loopback(t), ua, pkt)
	if err != nil {
		t.Fatalf("no reply to %q: %v", pkt, err)
	}
	return parseReply(reply)
}

// firstReply sends pkt from pc to addr and returns the first reply from
// any port of the server and where it came from, waiting 3 s at most.
func firstReply(t *testing.T, pc net.PacketConn, addr net.Addr, pkt []byte) ([]byte, net.Addr, error) {
	t.Helper()
	if _, err := pc.WriteTo(pkt, addr); err != nil {
		t.Fatal(err)
	}
	pc.SetReadDeadline(time.Now().Add(3 * time.Second))
	buf := make([]byte, 2048)
	n, from, err := pc.ReadFrom(buf)
	return buf[:n], from, err
}

func TestRefusals(t *testing.T) {
	addr, rec := startServer(t, map[string][]byte{"fw.sbn": []byte("firmware"), "etc/passwd": []byte("x")}, Options{})
	wrq := append([]byte{0, 2}, "fw.sbn\x00octet\x00"...)
	tests := []struct {
		name     string
		pkt      []byte
		wantText string
	}{
		{"missing file", rrq("SEP001122AABBCC.cnf.xml"), "File not found"},
		{"case differs", rrq("FW.SBN"), "File not found"},
		{"parent", rrq("../fw.sbn"), "Access violation"},
		{"deep parent", rrq("a/../../etc/passwd"), "Access violation"},
		{"absolute", rrq("//etc/passwd"), "Access violation"},
		{"backslash", rrq("..\\fw.sbn"), "Access violation"},
		{"NUL ends the name", rrq("../fw.sbn\x00fw.sbn"), "Access violation"},
		{"write request", wrq, "Access violation: read-only server"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op, code, text, _ := exchange(t, addr, tt.pkt)
			if op != 5 || code != 1 || text != tt.wantText {
				t.Errorf("reply = opcode %d code %d %q, want ERROR 1 %q", op, code, text, tt.wantText)
			}
		})
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if diff := cmp.Diff([]string{"SEP001122AABBCC.cnf.xml", "FW.SBN"}, rec.asked); diff != "" {
		t.Errorf("names the resolver saw (-want +got):\n%s", diff)
	}
}

func TestTsizeNeverEchoed(t *testing.T) {
	addr, _ := startServer(t, map[string][]byte{"f": make([]byte, 1000)}, Options{})
	op, _, _, body := exchange(t, addr, rrq("f", "tsize", "-5", "blksize", "65464"))
	if op != 6 {
		t.Fatalf("opcode %d, want OACK", op)
	}
	opts := map[string]string{}
	fields := bytes.Split(bytes.TrimRight(body, "\x00"), []byte{0})
	for i := 0; i+1 < len(fields); i += 2 {
		opts[string(fields[i])] = string(fields[i+1])
	}
	if diff := cmp.Diff(map[string]string{"tsize": "1000", "blksize": "1468"}, opts); diff != "" {
		t.Errorf("OACK options (-want +got):\n%s", diff)
	}
}

func TestTimeoutReportsFailure(t *testing.T) {
	addr, rec := startServer(t, map[string][]byte{"f": make([]byte, 5000)},
		Options{Timeout: 50 * time.Millisecond, Retries: 3})
	start := time.Now()
	op, _, _, _ := exchange(t, addr, rrq("f")) // DATA 1, never acknowledged
	if op != 3 {
		t.Fatalf("opcode %d, want DATA", op)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if ev, ok := rec.last(EventFailed); ok {
			if ev.Name != "f" || ev.Total != 5000 {
				t.Errorf("failed event = %+v", ev)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no failed event after the client stopped acknowledging")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("gave up after %s, want about 4 x 50ms", d)
	}
}

func TestProgressIsRateLimited(t *testing.T) {
	var mu sync.Mutex
	clock := time.Unix(0, 0)
	now := func() time.Time { // each call is one millisecond later
		mu.Lock()
		defer mu.Unlock()
		clock = clock.Add(time.Millisecond)
		return clock
	}
	addr, rec := startServer(t, map[string][]byte{"f": make([]byte, 512*1000)},
		Options{Now: now, ProgressInterval: 100 * time.Millisecond})
	if _, _, err := download(t, addr, "f", 0, false); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var prog []int64
	for _, ev := range rec.events {
		if ev.Kind == EventProgress {
			prog = append(prog, ev.Bytes)
		}
	}
	// About 1000 reads, one millisecond each: one event per 100 reads.
	if len(prog) < 8 || len(prog) > 11 {
		t.Errorf("%d progress events, want about 10: %v", len(prog), prog)
	}
	for i := 1; i < len(prog); i++ {
		if prog[i] <= prog[i-1] {
			t.Errorf("progress not increasing: %v", prog)
		}
	}
}

func TestShutdownWaitsForTransfers(t *testing.T) {
	conn, err := Listen(context.Background(), "", netip.MustParseAddrPort("127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	srv := New(Options{Resolver: func(context.Context, Request) (Content, error) { return Bytes(make([]byte, 1<<20)), nil },
		OnEvent: rec.onEvent, Timeout: 100 * time.Millisecond, Retries: 3})
	stop := servicetest.Start(t, func(ctx context.Context) error { return srv.Serve(ctx, conn) })
	exchange(t, conn.LocalAddr().String(), rrq("f")) // a stalled transfer
	stop()
	if _, ok := rec.last(EventFailed); !ok {
		t.Error("Serve returned before the running transfer ended")
	}
	if err := New(Options{Resolver: srv.opts.Resolver}).Serve(context.Background(), fakePacketConn{conn}); err == nil {
		t.Error("Serve accepted a connection that is not a *net.UDPConn")
	}
}

type fakePacketConn struct{ net.PacketConn }

func TestPerClientLimit(t *testing.T) {
	addr, _ := startServer(t, map[string][]byte{"f": make([]byte, 100000)},
		Options{MaxPerClient: 1, Timeout: 500 * time.Millisecond, Retries: 1})
	if op, _, _, _ := exchange(t, addr, rrq("f")); op != 3 { // stalls: never acknowledged
		t.Fatalf("first request: opcode %d, want DATA", op)
	}
	op, code, text, _ := exchange(t, addr, rrq("f"))
	if op != 5 || code != 1 || text != "Too many transfers from this address" {
		t.Errorf("second request: opcode %d code %d %q, want the busy ERROR", op, code, text)
	}
}

func FuzzCleanName(f *testing.F) {
	for _, s := range []string{"term06.default.loads", "/a/b", "../x", "a\\b", "a\x00b", "a//b", "..", "./a", "a/."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		name, err := CleanName(raw)
		if err != nil {
			return
		}
		if name == "" || strings.HasPrefix(name, "/") || strings.ContainsAny(name, "\\\x00") ||
			path.Clean(name) != name || name == ".." || strings.HasPrefix(name, "../") || !fs.ValidPath(name) {
			t.Errorf("CleanName(%q) accepted %q", raw, name)
		}
	})
}
