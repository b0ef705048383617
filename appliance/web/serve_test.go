package web

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phoneflash/phoneflash/appliance/session"
	"github.com/phoneflash/phoneflash/internal/servicetest"
)

// sseEvent is one server-sent event.
type sseEvent struct{ name, data string }

// readEvents sends the events of the stream on a channel until it ends.
func readEvents(r io.Reader) <-chan sseEvent {
	ch := make(chan sseEvent, 16)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev.name = line[len("event: "):]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[len("data: "):]
			case line == "" && ev.name != "":
				ch <- ev
				ev = sseEvent{}
			}
		}
	}()
	return ch
}

func next(t *testing.T, ch <-chan sseEvent, name string) sseEvent {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("stream ended waiting for %q", name)
			}
			if ev.name == name {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %q event within 5s", name)
		}
	}
}

// frameSource is an OLED frame the test changes.
type frameSource struct {
	mu  sync.Mutex
	img *image.Gray
}

func (f *frameSource) frame() image.Image {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := *f.img
	c.Pix = append([]byte(nil), f.img.Pix...)
	return &c
}

func (f *frameSource) dot(x, y int) {
	f.mu.Lock()
	f.img.SetGray(x, y, color.Gray{Y: 255})
	f.mu.Unlock()
}

func TestEvents(t *testing.T) {
	phones := newFakePhones(loading)
	fr := &frameSource{img: image.NewGray(image.Rect(0, 0, 128, 64))}
	ts, _ := newTestServer(t, Options{Phones: phones, Frame: fr.frame})
	res, err := http.Get(ts.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	events := readEvents(res.Body)
	var u Update
	if err := json.Unmarshal([]byte(next(t, events, "phones").data), &u); err != nil || len(u.Phones) != 1 || u.Phones[0].Stage != session.StageLoading {
		t.Fatalf("first update %+v (%v)", u, err)
	}
	next(t, events, "frame")
	done := loading
	done.Stage, done.File, done.FileIndex, done.FileCount = session.StageDone, "", 0, 0
	phones.set(done)
	if err := json.Unmarshal([]byte(next(t, events, "phones").data), &u); err != nil || u.Phones[0].Stage != session.StageDone {
		t.Fatalf("update after a change %+v (%v)", u, err)
	}
	if !u.Now.Equal(t0.Add(90 * time.Second)) {
		t.Errorf("update time %v, want the server's clock", u.Now)
	}
	fr.dot(5, 5)
	next(t, events, "frame")
	res.Body.Close()
	deadline := time.Now().Add(5 * time.Second)
	for phones.subscribers() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := phones.subscribers(); n != 0 {
		t.Errorf("%d subscriptions left after the client went away", n)
	}
}

// serveLoopback serves s on a loopback port until the test ends (or stop)
// and returns its address.
func serveLoopback(t *testing.T, s *Server) (addr string, stop func()) {
	t.Helper()
	l, err := Listen("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	return l.Addr().String(), servicetest.Start(t, func(ctx context.Context) error { return s.Serve(ctx, l) })
}

// TestServeShutdown: Serve returns nil soon after ctx is done, even with an
// event stream open.
func TestServeShutdown(t *testing.T) {
	s, err := New(Options{Phones: newFakePhones(loading), KeepAlive: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	addr, stop := serveLoopback(t, s)
	res, err := http.Get("http://" + addr + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	events := readEvents(res.Body)
	next(t, events, "phones")
	stop()
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Error("still listening after Serve returned")
	}
}

// TestListenOffBench: a connection to an address inside a bench prefix is
// closed without an answer; other addresses are served.
func TestListenOffBench(t *testing.T) {
	for _, tc := range []struct {
		bench       []netip.Prefix
		served, cut []string
	}{
		{nil, []string{"127.0.0.1", "127.0.0.2"}, nil}, // control: 127.0.0.2 reaches this machine
		{[]netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}, []string{"127.0.0.1"}, []string{"127.0.0.2"}},
		{[]netip.Prefix{netip.MustParsePrefix("10.79.1.1/24"), netip.MustParsePrefix("127.0.0.0/8")}, nil, []string{"127.0.0.1", "127.0.0.2"}},
	} {
		t.Run(fmt.Sprint(tc.bench), func(t *testing.T) { listenCase(t, tc.bench, tc.served, tc.cut) })
	}
}

func listenCase(t *testing.T, bench []netip.Prefix, served, cut []string) {
	// The wildcard address, as -http :80 gives.
	l, err := Listen(":0", bench)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Phones: newFakePhones()})
	if err != nil {
		t.Fatal(err)
	}
	servicetest.Start(t, func(ctx context.Context) error { return s.Serve(ctx, l) })
	port := l.Addr().(*net.TCPAddr).Port
	get := func(host string) (string, error) {
		cl := &http.Client{Timeout: 5 * time.Second}
		res, err := cl.Get("http://" + net.JoinHostPort(host, strconv.Itoa(port)) + "/healthz")
		if err != nil {
			return "", err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		return string(b), err
	}
	for range 2 { // the listener goes on after refusing a connection
		for _, host := range served {
			if body, err := get(host); err != nil || body != "ok\n" {
				t.Errorf("%s, off the bench: %q %v, want served", host, body, err)
			}
		}
		for _, host := range cut {
			if body, err := get(host); err == nil {
				t.Errorf("%s, on the bench: served %q, want the connection closed", host, body)
			}
		}
	}
}
