package registrar

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/phoneflash/phoneflash/internal/clocktest"
)

// TestUDPGate: only datagrams that parse as SIP requests pass, at most the
// rate per second, and the peer table is recycled past maxSources.
func TestUDPGate(t *testing.T) {
	clk := clocktest.New(time.Unix(1000, 0))
	var st Stats
	p := sip.NewParser()
	p.MaxMessageLength = 2048
	g := newUDPGate(p, 3, 2, clk.Now, func(f func(*Stats)) { f(&st) })
	from := func(port int) sip.TransportReadProps {
		return sip.TransportReadProps{Transport: "UDP", RemoteAddr: &net.UDPAddr{IP: net.IPv4(10, 79, 1, 100), Port: port}}
	}
	reg := registerText("g1")
	for name, b := range map[string][]byte{
		"binary":    {0, 1, 2, 0xff},
		"truncated": reg[:40],
		"response":  []byte("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.79.1.1;branch=z9hG4bKx\r\nCSeq: 1 REGISTER\r\nCall-ID: x\r\nContent-Length: 0\r\n\r\n"),
		"oversized": append([]byte("REGISTER sip:x SIP/2.0\r\nX-Pad: "+strings.Repeat("a", 3000)+"\r\n"), reg[23:]...),
	} {
		if out, err := g.filter(from(5060), b); out != nil || err != nil {
			t.Errorf("%s passed the gate", name)
		}
	}
	if st.Dropped != 4 {
		t.Errorf("dropped %d, want 4", st.Dropped)
	}
	if out, err := g.filter(sip.TransportReadProps{Transport: "TCP"}, []byte("anything")); string(out) != "anything" || err != nil {
		t.Error("TCP data did not pass through")
	}
	for i := range 3 {
		if out, _ := g.filter(from(5060), reg); out == nil {
			t.Fatalf("request %d within the rate was dropped", i)
		}
	}
	if out, _ := g.filter(from(5060), reg); out != nil {
		t.Error("a fourth request in the same instant passed a rate of 3/s")
	}
	clk.Advance(time.Second)
	if out, _ := g.filter(from(5061), reg); out == nil {
		t.Error("a second peer a second later was dropped")
	}
	if _, err := g.filter(from(5062), reg); err != errRecycle || !g.recycled() || g.recycled() {
		t.Errorf("a third peer over maxSources 2: %v, want a recycle reported once", err)
	}
	if out, _ := g.filter(from(5062), reg); out == nil {
		t.Error("after the recycle the peer was dropped")
	}
}

// TestLimitHandler: repeated messages are suppressed within the interval
// and counted in the next line; long values are clipped.
func TestLimitHandler(t *testing.T) {
	clk := clocktest.New(time.Unix(1000, 0))
	var buf bytes.Buffer
	log := slog.New(newLimitHandler(slog.NewTextHandler(&buf, nil), time.Second, clk.Now)).With("caller", "Transport<UDP>")
	for range 100 {
		log.Error("failed to parse", "data", strings.Repeat("x", 5000))
	}
	clk.Advance(2 * time.Second)
	log.ErrorContext(context.Background(), "failed to parse", "data", "short")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], "suppressed=99") || len(lines[0]) > 400 ||
		!strings.Contains(lines[0], "caller=Transport<UDP>") || !strings.Contains(lines[0], "sipgo: failed to parse") {
		t.Errorf("log:\n%s", buf.String())
	}
}
