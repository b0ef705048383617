package checksync

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// phone is a sipgo server on loopback that answers NOTIFY as a 79x1 SIP
// load does: 200 to check-sync, 489 to other events; notifies receives
// the Event header of each.
type phone struct {
	udp, tcp string
	notifies chan string
}

func newPhone(t *testing.T, answer bool) *phone {
	t.Helper()
	quiet := slog.New(slog.DiscardHandler)
	ua, err := sipgo.NewUA(sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(quiet)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(quiet)))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	p := &phone{notifies: make(chan string, 4)}
	srv.OnNotify(func(req *sip.Request, tx sip.ServerTransaction) {
		ev := ""
		if h := req.GetHeader("Event"); h != nil {
			ev = h.Value()
		}
		p.notifies <- ev
		if !answer {
			return
		}
		code, reason := 200, "OK"
		if ev != "check-sync" {
			code, reason = 489, "Bad Event"
		}
		tx.Respond(sip.NewResponseFromRequest(req, code, reason, nil))
	})
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.udp, p.tcp = pc.LocalAddr().String(), ln.Addr().String()
	go srv.ServeUDP(pc)
	go srv.ServeTCP(ln)
	t.Cleanup(func() { ua.Close(); pc.Close(); ln.Close() })
	return p
}

func TestSend(t *testing.T) {
	p := newPhone(t, true)
	lo := netip.MustParseAddr("127.0.0.1")
	for _, tt := range []struct{ name, contact, transport string }{
		{"udp", "sip:1006@" + p.udp + ";transport=udp", ""},
		{"tcp", "<sip:1006@" + p.tcp + ";transport=tcp>", ""},
		{"transport from the request", "sip:1006@" + p.tcp, "TCP"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			answer, err := Send(context.Background(), Request{Contact: tt.contact, Transport: tt.transport, Local: lo, Timeout: 5 * time.Second})
			if err != nil || answer != "200 OK" {
				t.Fatalf("Send: %q, %v", answer, err)
			}
			if ev := <-p.notifies; ev != "check-sync" {
				t.Errorf("the phone got Event %q, want check-sync", ev)
			}
		})
	}
}

func TestSendFailures(t *testing.T) {
	silent := newPhone(t, false)
	start := time.Now()
	_, err := Send(context.Background(), Request{Contact: "sip:1006@" + silent.udp, Timeout: 1500 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "no answer within 1.5s") {
		t.Errorf("a phone that does not answer: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the wait took %v, want about 1.5 s", d)
	}
	// Nobody listens on TCP: refused at once.
	ln, _ := net.Listen("tcp4", "127.0.0.1:0")
	closed := ln.Addr().String()
	ln.Close()
	if _, err := Send(context.Background(), Request{Contact: fmt.Sprintf("sip:1006@%s;transport=tcp", closed)}); err == nil {
		t.Error("NOTIFY to a closed TCP port: no error")
	}
	if _, err := Send(context.Background(), Request{Contact: "not a uri\x00"}); err == nil {
		t.Error("a contact that is no URI: no error")
	}
}
