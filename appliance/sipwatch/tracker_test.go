package sipwatch

import (
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var (
	t0       = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	phoneMAC = net.HardwareAddr{0x00, 0x22, 0x90, 0xba, 0xd7, 0x77}
	pbxMAC   = net.HardwareAddr{0x02, 0, 0, 0, 0, 1}
	phoneAt  = netip.MustParseAddrPort("10.79.1.100:5060")
	pbxAt    = netip.MustParseAddrPort("198.51.100.1:5060")
)

// step is one input: a SIP message, a TCP segment or a tick at ms.
type step struct {
	ms   int
	msg  *Message
	seg  *Segment
	tick bool
}

// reg is the phone's REGISTER number cseq (with credentials when auth).
func reg(ms int, cseq uint32, auth bool, expires int) step {
	return step{ms: ms, msg: &Message{Transport: "UDP", Src: phoneAt, Dst: pbxAt, SrcMAC: phoneMAC, DstMAC: pbxMAC,
		Request: true, Method: "REGISTER", CallID: "c1@10.79.1.100", CSeq: cseq, CSeqMethod: "REGISTER",
		Branch: "z9hG4bK" + string(rune('a'+cseq)), ToUser: "1006", Domain: "pbx.office.test", Credentials: auth,
		Expires: expires, UserAgent: "Cisco-CP7906G/9.4.2"}}
}

// ans is the PBX's answer to REGISTER number cseq.
func ans(ms int, cseq uint32, status int, reason string, expires int) step {
	return step{ms: ms, msg: &Message{Transport: "UDP", Src: pbxAt, Dst: phoneAt, SrcMAC: pbxMAC, DstMAC: phoneMAC,
		Status: status, Reason: reason, CallID: "c1@10.79.1.100", CSeq: cseq, CSeqMethod: "REGISTER",
		Branch: "z9hG4bK" + string(rune('a'+cseq)), ToUser: "1006", Expires: expires}}
}

func tick(ms int) step { return step{ms: ms, tick: true} }

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

// brief is an event reduced to what the table compares.
func brief(e Event) string {
	s := string(e.Kind) + " " + e.Extension + " " + e.PBX.String() + " " + e.Transport
	if e.Status != 0 {
		s += " " + strconv.Itoa(e.Status) + " " + e.Reason
	}
	if e.Kind == EventRegistered {
		s += " " + e.Expires.String()
	}
	if e.Kind == EventUnreachable {
		s += " (" + e.Reason + ")"
	}
	return s + " sent@" + strconv.Itoa(int(e.Sent.Sub(t0).Milliseconds())) + " at@" + strconv.Itoa(int(e.At.Sub(t0).Milliseconds()))
}

func run(tr *Tracker, steps []step) []string {
	var out []string
	for _, s := range steps {
		var evs []Event
		switch {
		case s.msg != nil:
			m := *s.msg
			m.At = at(s.ms)
			evs = tr.Observe(m)
		case s.seg != nil:
			g := *s.seg
			g.At = at(s.ms)
			tr.ObserveSegment(g)
		case s.tick:
			evs = tr.Tick(at(s.ms))
		}
		for _, e := range evs {
			out = append(out, brief(e))
		}
	}
	return out
}

var limits = Limits{Timeout: 32 * time.Second, MaxPending: 64, MaxPhones: 16}

func TestTracker(t *testing.T) {
	const pbx = "198.51.100.1:5060 UDP"
	syn := step{ms: 0, seg: &Segment{Src: phoneAt, Dst: pbxAt, SrcMAC: phoneMAC, DstMAC: pbxMAC, SYN: true}}
	rst := step{ms: 1, seg: &Segment{Src: pbxAt, Dst: phoneAt, SrcMAC: pbxMAC, DstMAC: phoneMAC, RST: true, ACK: true}}
	synack := step{ms: 1, seg: &Segment{Src: pbxAt, Dst: phoneAt, SrcMAC: pbxMAC, DstMAC: phoneMAC, SYN: true, ACK: true}}
	for _, tc := range []struct {
		name  string
		steps []step
		want  []string
	}{
		{"challenge then 200", []step{reg(0, 1, false, 3600), ans(5, 1, 401, "Unauthorized", -1), reg(6, 2, true, 3600),
			ans(9, 2, 200, "OK", 3600)},
			[]string{"register 1006 " + pbx + " sent@0 at@0", "registered 1006 " + pbx + " 200 OK 1h0m0s sent@6 at@9"}},
		{"granted expiry wins", []step{reg(0, 1, true, 3600), ans(3, 1, 200, "OK", 600)},
			[]string{"register 1006 " + pbx + " sent@0 at@0", "registered 1006 " + pbx + " 200 OK 10m0s sent@0 at@3"}},
		{"asked expiry without a granted one", []step{reg(0, 1, true, 120), ans(3, 1, 200, "OK", -1)},
			[]string{"register 1006 " + pbx + " sent@0 at@0", "registered 1006 " + pbx + " 200 OK 2m0s sent@0 at@3"}},
		{"wrong password: 403", []step{reg(0, 1, false, 3600), ans(1, 1, 401, "Unauthorized", -1), reg(2, 2, true, 3600),
			ans(3, 2, 403, "Wrong password", -1)},
			[]string{"register 1006 " + pbx + " sent@0 at@0", "refused 1006 " + pbx + " 403 Wrong password sent@2 at@3"}},
		{"wrong password: 401 again", []step{reg(0, 1, false, 3600), ans(1, 1, 401, "Unauthorized", -1), reg(2, 2, true, 3600),
			ans(3, 2, 401, "Unauthorized", -1)},
			[]string{"register 1006 " + pbx + " sent@0 at@0", "refused 1006 " + pbx + " 401 Unauthorized sent@2 at@3"}},
		{"stale nonce is a challenge", []step{reg(0, 1, true, 3600), {ms: 1, msg: func() *Message {
			m := ans(1, 1, 401, "Unauthorized", -1).msg
			m.Stale = true
			return m
		}()}, reg(2, 2, true, 3600), ans(3, 2, 200, "OK", 3600)},
			[]string{"register 1006 " + pbx + " sent@0 at@0", "registered 1006 " + pbx + " 200 OK 1h0m0s sent@2 at@3"}},
		{"403 at once", []step{reg(0, 1, false, 3600), ans(1, 1, 403, "Forbidden", -1)},
			[]string{"register 1006 " + pbx + " sent@0 at@0", "refused 1006 " + pbx + " 403 Forbidden sent@0 at@1"}},
		{"404", []step{reg(0, 1, false, 3600), ans(1, 1, 404, "Not Found", -1)},
			[]string{"register 1006 " + pbx + " sent@0 at@0", "unknown-extension 1006 " + pbx + " 404 Not Found sent@0 at@1"}},
		{"503", []step{reg(0, 1, false, 3600), ans(1, 1, 100, "Trying", -1), ans(2, 1, 503, "Service Unavailable", -1)},
			[]string{"register 1006 " + pbx + " sent@0 at@0", "rejected 1006 " + pbx + " 503 Service Unavailable sent@0 at@2"}},
		{"unregister", []step{reg(0, 1, true, 0), ans(1, 1, 200, "OK", -1)},
			[]string{"register 1006 " + pbx + " sent@0 at@0", "unregistered 1006 " + pbx + " 200 OK sent@0 at@1"}},
		{"no answer: unreachable after the timeout, not before", []step{reg(0, 1, false, 3600), reg(500, 1, false, 3600),
			tick(31999), tick(32000), tick(40000)},
			[]string{"register 1006 " + pbx + " sent@0 at@0", "unreachable 1006 " + pbx + " (no answer to REGISTER within 32s) sent@0 at@32000"}},
		{"provisional only", []step{reg(0, 1, false, 3600), ans(1, 1, 100, "Trying", -1), tick(32000)},
			[]string{"register 1006 " + pbx + " sent@0 at@0", "unreachable 1006 " + pbx + " (no final answer to REGISTER within 32s) sent@0 at@32000"}},
		{"late answer after unreachable", []step{reg(0, 1, false, 3600), tick(32000), ans(33000, 1, 200, "OK", 60)},
			[]string{"register 1006 " + pbx + " sent@0 at@0", "unreachable 1006 " + pbx + " (no answer to REGISTER within 32s) sent@0 at@32000",
				"registered 1006 " + pbx + " 200 OK 1m0s sent@33000 at@33000"}},
		{"answer without the REGISTER", []step{ans(1, 1, 200, "OK", 3600)},
			[]string{"registered 1006 " + pbx + " 200 OK 1h0m0s sent@1 at@1"}},
		{"challenge without the REGISTER is not a refusal", []step{ans(1, 1, 401, "Unauthorized", -1)}, nil},
		{"refresh: one register event per Call-ID", []step{reg(0, 1, true, 3600), ans(1, 1, 200, "OK", 3600),
			reg(3000, 2, true, 3600), ans(3001, 2, 200, "OK", 3600)},
			[]string{"register 1006 " + pbx + " sent@0 at@0", "registered 1006 " + pbx + " 200 OK 1h0m0s sent@0 at@1",
				"registered 1006 " + pbx + " 200 OK 1h0m0s sent@3000 at@3001"}},
		{"other methods are ignored", []step{{ms: 0, msg: &Message{Request: true, Method: "INVITE", CallID: "x", SrcMAC: phoneMAC}},
			{ms: 1, msg: &Message{Status: 200, CSeqMethod: "INVITE", CallID: "x"}}, tick(60000)}, nil},
		{"TCP refused", []step{syn, rst, tick(31000), tick(32000)},
			[]string{"unreachable  " + pbxAt.String() + " TCP (connection refused) sent@0 at@32000"}},
		{"TCP never answered", []step{syn, tick(32000)},
			[]string{"unreachable  " + pbxAt.String() + " TCP (no answer to the TCP connection within 32s) sent@0 at@32000"}},
		{"TCP accepted", []step{syn, synack, tick(32000)}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := run(NewTracker("eth1", limits), tc.steps)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTrackerEventFields: the registered event names the phone, its MAC,
// the PBX, the domain, the user agent and both times.
func TestTrackerEventFields(t *testing.T) {
	tr := NewTracker("eth1", limits)
	run(tr, []step{reg(0, 1, true, 3600)})
	m := *ans(0, 1, 200, "OK", 3600).msg
	m.At = at(7)
	evs := tr.Observe(m)
	want := []Event{{Kind: EventRegistered, Port: "eth1", MAC: phoneMAC, Phone: phoneAt, Extension: "1006",
		Domain: "pbx.office.test", PBX: pbxAt, Transport: "UDP", UserAgent: "Cisco-CP7906G/9.4.2", Status: 200,
		Reason: "OK", Expires: time.Hour, Sent: at(0), At: at(7)}}
	if diff := cmp.Diff(want, evs, cmpopts.EquateComparable(netip.AddrPort{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := evs[0].Text(); got != "registered 1006 at 198.51.100.1:5060 (UDP) for 3600 s" {
		t.Errorf("text %q", got)
	}
}

// TestTrackerBounded: a flood of distinct REGISTERs with huge fields fills
// the table to MaxPending and no further; the strings kept are clipped;
// after the timeout everything is gone.
func TestTrackerBounded(t *testing.T) {
	tr := NewTracker("eth1", limits)
	huge := strings.Repeat("x", 10000)
	for i := range 1000 {
		mac := net.HardwareAddr{2, 0, 0, 0, byte(i >> 8), byte(i)}
		tr.Observe(Message{At: at(0), Request: true, Method: "REGISTER", CallID: huge + strconv.Itoa(i), CSeq: 1, SrcMAC: mac,
			ToUser: huge, UserAgent: huge, Domain: huge})
	}
	if tr.Pending() != limits.MaxPending || tr.Dropped() != 1000-limits.MaxPending || len(tr.phones) > limits.MaxPhones {
		t.Errorf("pending %d dropped %d phones %d", tr.Pending(), tr.Dropped(), len(tr.phones))
	}
	for _, tx := range tr.pending {
		if len(tx.ev.Extension) > maxField || len(tx.ev.UserAgent) > maxField || len(tx.ev.Domain) > maxField {
			t.Fatal("a field was kept unclipped")
		}
	}
	if evs := tr.Tick(at(32000)); len(evs) != limits.MaxPending || tr.Pending() != 0 {
		t.Errorf("%d unreachable events, %d still pending", len(evs), tr.Pending())
	}
}
