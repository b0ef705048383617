package web

import (
	"image"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phoneflash/phoneflash/appliance/session"
	"github.com/phoneflash/phoneflash/internal/logtest"
)

var t0 = time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)

// fakePhones is a Phones source the test sets.
type fakePhones struct {
	mu     sync.Mutex
	phones []session.Phone
	subs   map[chan struct{}]bool
}

func newFakePhones(ps ...session.Phone) *fakePhones {
	return &fakePhones{phones: ps, subs: map[chan struct{}]bool{}}
}

func (f *fakePhones) Snapshot() []session.Phone {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]session.Phone(nil), f.phones...)
}

func (f *fakePhones) Subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	f.mu.Lock()
	f.subs[ch] = true
	f.mu.Unlock()
	return ch, func() {
		f.mu.Lock()
		delete(f.subs, ch)
		f.mu.Unlock()
	}
}

func (f *fakePhones) set(ps ...session.Phone) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.phones = ps
	for ch := range f.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func (f *fakePhones) subscribers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs)
}

// calls records the actions the server carried out.
type calls struct {
	mu  sync.Mutex
	log []string
}

func (c *calls) add(s string) {
	c.mu.Lock()
	c.log = append(c.log, s)
	c.mu.Unlock()
}

func (c *calls) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.log, ";")
}

const password = "correct horse"

var loading = session.Phone{MAC: "001122AABBCC", Port: "eth1", Model: "CP-7906G", Stage: session.StageLoading,
	Load: "SCCP11.8-5-2S", Target: "SIP11.9-4-2SR1-1S", File: "apps11.9-4-2ES9.sbn", FileIndex: 3, FileCount: 5,
	Bytes: 3 << 20, Total: 6 << 20, Since: t0}

// newTestServer serves opt (with fakes filled in where nil) over loopback.
func newTestServer(t *testing.T, opt Options) (*httptest.Server, *calls) {
	t.Helper()
	c := &calls{}
	if opt.Phones == nil {
		opt.Phones = newFakePhones(loading)
	}
	if opt.Log == nil {
		opt.Log = logtest.New(t, slog.LevelInfo)
	}
	if opt.Now == nil {
		opt.Now = func() time.Time { return t0.Add(90 * time.Second) }
	}
	opt.PowerCycle = orDefault(opt.PowerCycle, func(p string) error { c.add("power-cycle " + p); return nil })
	opt.Retry = orDefault(opt.Retry, func(m string) error { c.add("retry " + m); return nil })
	opt.Forget = orDefault(opt.Forget, func(m string) error { c.add("forget " + m); return nil })
	if opt.Report == nil {
		opt.Report = func(w io.Writer) error { _, err := io.WriteString(w, "mac,result\n001122AABBCC,done\n"); return err }
	}
	if opt.Frame == nil {
		opt.Frame = func() image.Image { return image.NewGray(image.Rect(0, 0, 128, 64)) }
	}
	s, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts, c
}

func orDefault(f, def func(string) error) func(string) error {
	if f != nil {
		return f
	}
	return def
}

// do sends a request and returns the status and body.
func do(t *testing.T, req *http.Request) (int, string, http.Header) {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b), res.Header
}

func newReq(t *testing.T, method, url string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}
