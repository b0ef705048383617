// Package siptest has SIP helpers for phoneflash's tests: one request sent
// with github.com/emiago/sipgo's client from inside a network namespace
// (its sockets are made on a thread switched into the namespace, so they
// stay there), with a digest answer to a challenge; and the TestMain of
// packages whose tests run sipgo.
package siptest

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/phoneflash/phoneflash/appliance/nettest"
)

// Request is one SIP request to send.
type Request struct {
	NS        string            // namespace the sockets are made in ("" = the caller's)
	Method    sip.RequestMethod // default REGISTER
	Transport string            // udp (default) or tcp
	To        netip.AddrPort    // where it goes; also the Request-URI and the AoR's host
	Local     string            // the sender's address for Via ("" = let sipgo choose)
	User      string            // the From/To user (the extension)
	AuthName  string            // answer a 401/407 with these credentials ("" = do not)
	Password  string
	Headers   []string      // more headers, "Name: value"
	Timeout   time.Duration // default 10 s
}

// Do sends r and returns the final answer (the one to the credentials when
// r answered a challenge) and when it arrived.
func Do(r Request) (*sip.Response, time.Time, error) {
	if r.Method == "" {
		r.Method = sip.REGISTER
	}
	if r.Transport == "" {
		r.Transport = "udp"
	}
	if r.Timeout == 0 {
		r.Timeout = 10 * time.Second
	}
	ua, err := sipgo.NewUA()
	if err != nil {
		return nil, time.Time{}, err
	}
	defer ua.Close()
	var opts []sipgo.ClientOption
	if r.Local != "" {
		opts = append(opts, sipgo.WithClientHostname(r.Local))
	}
	cl, err := sipgo.NewClient(ua, opts...)
	if err != nil {
		return nil, time.Time{}, err
	}
	req := r.build()
	var res *sip.Response
	var at time.Time
	send := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), r.Timeout)
		defer cancel()
		var err error
		if res, err = cl.Do(ctx, req); err != nil {
			return err
		}
		if (res.StatusCode == 401 || res.StatusCode == 407) && r.AuthName != "" {
			res, err = cl.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: r.AuthName, Password: r.Password})
		}
		at = time.Now()
		return err
	}
	if r.NS == "" {
		err = send()
	} else {
		err = nettest.Do(r.NS, send)
	}
	if err != nil {
		return nil, at, fmt.Errorf("siptest: %s to %s over %s: %w", r.Method, r.To, r.Transport, err)
	}
	return res, at, nil
}

func (r Request) build() *sip.Request {
	req := sip.NewRequest(r.Method, sip.Uri{Host: r.To.Addr().String(), Port: int(r.To.Port())})
	req.SetTransport(strings.ToUpper(r.Transport))
	aor := sip.Uri{User: r.User, Host: r.To.Addr().String()}
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor})
	for _, h := range r.Headers {
		name, value, _ := strings.Cut(h, ": ")
		req.AppendHeader(sip.NewHeader(name, value))
	}
	return req
}

// Contact is a Contact header for user at host:5060 over transport.
func Contact(user, host, transport string) string {
	return fmt.Sprintf("Contact: <sip:%s@%s:5060;transport=%s>", user, host, transport)
}

// Main runs a package's tests with sipgo's package-level logger silenced:
// its connection bookkeeping logs there whatever logger a user agent was
// given. A package's TestMain is `func TestMain(m *testing.M) { siptest.Main(m) }`.
func Main(m *testing.M) {
	sip.SetDefaultLogger(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}

// HeapInUse is the heap in use after two garbage collections, for tests
// that bound memory around a flood.
func HeapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}
