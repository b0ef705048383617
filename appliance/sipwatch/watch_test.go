package sipwatch

import (
	"bytes"
	"math/rand/v2"
	"net"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/phoneflash/phoneflash/internal/clocktest"
)

func newWatcher(t *testing.T, opts Options) (*Watcher, *[]string, *clocktest.Clock) {
	t.Helper()
	c := clocktest.New(t0)
	var got []string
	opts.Now = c.Now
	opts.OnEvent = func(e Event) {
		s := string(e.Kind) + " " + e.Extension + " " + e.Transport
		if e.Status != 0 {
			s += " " + e.Reason
		}
		got = append(got, s)
	}
	return New(opts), &got, c
}

// TestWatchUDP: the four outcomes over UDP, from frames.
func TestWatchUDP(t *testing.T) {
	for _, tc := range []struct {
		name   string
		frames [][]byte
		want   []string
	}{
		{"registered", [][]byte{
			fromPhone(register("UDP", 1, "z9hG4bKa", false)),
			fromPBX(answer("UDP", 1, "z9hG4bKa", 401, "Unauthorized")),
			fromPhone(register("UDP", 2, "z9hG4bKb", true)),
			fromPBX(answer("UDP", 2, "z9hG4bKb", 200, "OK")),
		}, []string{"register 1006 UDP", "registered 1006 UDP OK"}},
		{"refused", [][]byte{
			fromPhone(register("UDP", 1, "z9hG4bKa", false)),
			fromPBX(answer("UDP", 1, "z9hG4bKa", 401, "Unauthorized")),
			fromPhone(register("UDP", 2, "z9hG4bKb", true)),
			fromPBX(answer("UDP", 2, "z9hG4bKb", 401, "Unauthorized")),
		}, []string{"register 1006 UDP", "refused 1006 UDP Unauthorized"}},
		{"unknown", [][]byte{
			fromPhone(register("UDP", 1, "z9hG4bKa", false)),
			fromPBX(answer("UDP", 1, "z9hG4bKa", 404, "Not Found")),
		}, []string{"register 1006 UDP", "unknown-extension 1006 UDP Not Found"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, got, _ := newWatcher(t, Options{Port: "eth1"})
			for _, f := range tc.frames {
				w.HandleFrame(f)
			}
			if diff := cmp.Diff(tc.want, *got); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWatchUnreachable(t *testing.T) {
	w, got, c := newWatcher(t, Options{Port: "eth1", Timeout: 5 * time.Second})
	w.HandleFrame(fromPhone(register("UDP", 1, "z9hG4bKa", false)))
	c.Set(t0.Add(4 * time.Second))
	w.Tick(c.Now())
	c.Set(t0.Add(5 * time.Second))
	w.Tick(c.Now())
	want := []string{"register 1006 UDP", "unreachable 1006 UDP"}
	if diff := cmp.Diff(want, *got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// tcpSession cuts a byte stream into segments at the given offsets.
func tcpSegments(src, dst netip.AddrPort, srcMAC, dstMAC net.HardwareAddr, isn uint32, stream []byte, cuts ...int) [][]byte {
	var out [][]byte
	prev := 0
	for _, c := range append(cuts, len(stream)) {
		out = append(out, tcpFrame(srcMAC, dstMAC, src, dst, isn+1+uint32(prev), tcpACK|0x08, stream[prev:c]))
		prev = c
	}
	return out
}

// TestWatchTCP: a REGISTER split over three segments (one cut inside a
// header line), two answers in one segment, a retransmitted and an
// overlapping segment.
func TestWatchTCP(t *testing.T) {
	w, got, _ := newWatcher(t, Options{Port: "eth1"})
	phone := netip.MustParseAddrPort("10.79.1.100:40312")
	w.HandleFrame(tcpFrame(phoneMAC, pbxMAC, phone, pbxAt, 1000, tcpSYN, nil))
	w.HandleFrame(tcpFrame(pbxMAC, phoneMAC, pbxAt, phone, 9000, tcpSYN|tcpACK, nil))
	up := append(register("TCP", 1, "z9hG4bKa", false), register("TCP", 2, "z9hG4bKb", true)...)
	first := len(register("TCP", 1, "z9hG4bKa", false))
	segs := tcpSegments(phone, pbxAt, phoneMAC, pbxMAC, 1000, up, 30, 200, first+10)
	down := append(answer("TCP", 1, "z9hG4bKa", 401, "Unauthorized"), answer("TCP", 2, "z9hG4bKb", 200, "OK")...)
	answers := tcpSegments(pbxAt, phone, pbxMAC, phoneMAC, 9000, down)
	w.HandleFrame(segs[0])
	w.HandleFrame(segs[0]) // retransmitted
	w.HandleFrame(segs[1])
	// An overlapping retransmission: 10 old bytes, then the new ones.
	w.HandleFrame(tcpFrame(phoneMAC, pbxMAC, phone, pbxAt, 1000+1+200-10, tcpACK, up[190:first+10]))
	w.HandleFrame(segs[3])
	w.HandleFrame(answers[0])
	want := []string{"register 1006 TCP", "registered 1006 TCP OK"}
	if diff := cmp.Diff(want, *got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if s := w.Stats(); s.Messages != 4 || s.Garbage != 0 || s.FlowResets != 0 {
		t.Errorf("stats %+v, want 4 messages and no garbage", s)
	}
	w.HandleFrame(tcpFrame(phoneMAC, pbxMAC, phone, pbxAt, 1000+1+uint32(len(up)), tcpFIN|tcpACK, nil))
	if s := w.Stats(); s.Flows != 1 { // the PBX's direction is still open
		t.Errorf("%d flows after the phone's FIN, want 1", s.Flows)
	}
}

// TestWatchTCPRefused: a SYN answered by RST is unreachable at the timeout.
func TestWatchTCPRefused(t *testing.T) {
	w, got, c := newWatcher(t, Options{Port: "eth1", Timeout: 5 * time.Second})
	phone := netip.MustParseAddrPort("10.79.1.100:40312")
	w.HandleFrame(tcpFrame(phoneMAC, pbxMAC, phone, pbxAt, 1000, tcpSYN, nil))
	w.HandleFrame(tcpFrame(pbxMAC, phoneMAC, pbxAt, phone, 0, tcpRST|tcpACK, nil))
	c.Set(t0.Add(5 * time.Second))
	w.Tick(c.Now())
	if diff := cmp.Diff([]string{"unreachable  TCP"}, *got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// TestWatchTCPRecovers: garbage, an oversized message and a gap reset the
// flow; the next REGISTER on the same connection is still followed.
func TestWatchTCPRecovers(t *testing.T) {
	w, got, _ := newWatcher(t, Options{Port: "eth1", MaxMessage: 4096})
	phone := netip.MustParseAddrPort("10.79.1.100:40312")
	seq := uint32(1)
	send := func(b []byte) {
		w.HandleFrame(tcpFrame(phoneMAC, pbxMAC, phone, pbxAt, seq, tcpACK, b))
		seq += uint32(len(b))
	}
	send([]byte("\x00\x01binary garbage\r\n\r\n"))
	huge := "REGISTER sip:198.51.100.1 SIP/2.0\r\nX-Pad: " + strings.Repeat("a", 1400) + "\r\n"
	for range 5 {
		send([]byte(huge)) // never ends: over MaxMessage it is dropped
	}
	seq += 5000 // a gap
	send(register("TCP", 1, "z9hG4bKa", true))
	w.HandleFrame(tcpFrame(pbxMAC, phoneMAC, pbxAt, phone, 1, tcpACK, answer("TCP", 1, "z9hG4bKa", 200, "OK")))
	want := []string{"register 1006 TCP", "registered 1006 TCP OK"}
	if diff := cmp.Diff(want, *got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if s := w.Stats(); s.FlowResets < 3 {
		t.Errorf("%d flow resets, want garbage, oversize and gap", s.FlowResets)
	}
}

// TestWatchGarbageBounded: thousands of TCP flows with half messages, UDP
// garbage, truncated and oversized SIP and random bytes: the watcher keeps
// at most MaxFlows flows, the heap stays bounded, and a real registration
// afterwards is still seen.
func TestWatchGarbageBounded(t *testing.T) {
	w, got, _ := newWatcher(t, Options{Port: "eth1"})
	rng := rand.New(rand.NewPCG(1, 2))
	half := register("TCP", 1, "z9hG4bKa", false)
	half = half[:len(half)-20]
	reg := register("UDP", 1, "z9hG4bKt", false)
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	junk := make([]byte, 1400)
	for i := range 20000 {
		src := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 79, 1, byte(100 + i%100)}), uint16(20000+i))
		mac := net.HardwareAddr{2, 0, 0, 0, byte(i >> 8), byte(i)}
		switch i % 4 {
		case 0:
			w.HandleFrame(tcpFrame(mac, pbxMAC, src, pbxAt, uint32(i), tcpACK, half))
		case 1:
			for j := range junk {
				junk[j] = byte(rng.Uint32())
			}
			w.HandleFrame(udpFrame(mac, pbxMAC, src, pbxAt, junk))
		case 2:
			w.HandleFrame(udpFrame(mac, pbxMAC, src, pbxAt, reg[:rng.IntN(len(reg))]))
		case 3:
			big := bytes.Repeat([]byte("X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"), 400)
			w.HandleFrame(udpFrame(mac, pbxMAC, src, pbxAt, append(reg[:len(reg)-2], big...)))
		}
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	s := w.Stats()
	grew := int64(after.HeapInuse) - int64(before.HeapInuse)
	t.Logf("after 20000 hostile frames: heap in use grew by %d KiB; stats %+v", grew>>10, s)
	if s.Flows > DefaultMaxFlows {
		t.Errorf("%d TCP flows kept, want at most %d", s.Flows, DefaultMaxFlows)
	}
	if s.Garbage < 10000 {
		t.Errorf("only %d payloads counted as garbage", s.Garbage)
	}
	// 256 flows of at most 2 * 16 KiB each, plus the tracker's tables.
	if limit := int64(DefaultMaxFlows*2*DefaultMaxMessage + 4<<20); grew > limit {
		t.Errorf("heap grew by %d bytes, more than the %d the limits allow", grew, limit)
	}
	*got = nil
	w.HandleFrame(fromPhone(register("UDP", 7, "z9hG4bKz", true)))
	w.HandleFrame(fromPBX(answer("UDP", 7, "z9hG4bKz", 200, "OK")))
	if diff := cmp.Diff([]string{"register 1006 UDP", "registered 1006 UDP OK"}, *got); diff != "" {
		t.Errorf("after the flood (-want +got):\n%s", diff)
	}
}

// TestWatchContact: the events name the REGISTER's Contact, where a NOTIFY
// reaches the phone.
func TestWatchContact(t *testing.T) {
	var got []string
	w := New(Options{Port: "eth1", OnEvent: func(e Event) { got = append(got, string(e.Kind)+" "+e.Contact) }})
	w.HandleFrame(fromPhone(register("UDP", 2, "z9hG4bKb", true)))
	w.HandleFrame(fromPBX(answer("UDP", 2, "z9hG4bKb", 200, "OK")))
	want := []string{"register sip:1006@10.79.1.100:5060;transport=UDP", "registered sip:1006@10.79.1.100:5060;transport=UDP"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}
