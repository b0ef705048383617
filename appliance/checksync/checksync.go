// Package checksync asks a Cisco SIP phone to re-read its config without a
// power cycle: a SIP NOTIFY with "Event: check-sync" (the request
// Asterisk's sip_notify.conf calls cisco-check-cfg) to the Contact the
// phone registered with, sent with github.com/emiago/sipgo's client from
// the bench port's address. A 79x1 SIP load answers 200 and reboots, and
// on the way up fetches its SEP<MAC>.cnf.xml again.
//
// The package knows nothing of sessions or the board.
package checksync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/phoneflash/phoneflash/internal/defaults"
)

// DefaultTimeout bounds one NOTIFY transaction when Request.Timeout is 0.
const DefaultTimeout = 8 * time.Second

// Request is one NOTIFY check-sync.
type Request struct {
	Contact   string     // the phone's Contact URI, e.g. sip:1006@10.79.1.100:5060;transport=udp
	Transport string     // UDP or TCP when the Contact names none; default UDP
	Local     netip.Addr // send from this address (the bench port's); invalid: let the kernel choose
	Timeout   time.Duration
	Log       *slog.Logger // sipgo's own lines (warnings and up); nil discards them
}

// Send sends the NOTIFY and returns the phone's final answer, e.g. "200 OK".
// An answer from 300 up is an error naming it.
func Send(ctx context.Context, r Request) (string, error) {
	r.Timeout = defaults.Positive(r.Timeout, DefaultTimeout)
	log := slog.New(slog.DiscardHandler)
	if r.Log != nil {
		log = slog.New(warnings{r.Log.Handler()})
	}
	var uri sip.Uri
	if err := sip.ParseUri(strings.Trim(r.Contact, "<>"), &uri); err != nil {
		return "", fmt.Errorf("checksync: contact %q: %w", r.Contact, err)
	}
	transport := strings.ToUpper(uri.UriParams.GetOr("transport", r.Transport))
	if transport == "" {
		transport = "UDP"
	}
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("phoneflash"),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(log)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(log)))
	if err != nil {
		return "", fmt.Errorf("checksync: user agent: %w", err)
	}
	defer ua.Close()
	opts := []sipgo.ClientOption{sipgo.WithClientLogger(log)}
	if r.Local.IsValid() {
		opts = append(opts, sipgo.WithClientHostname(r.Local.String()), sipgo.WithClientConnectionAddr(netip.AddrPortFrom(r.Local, 0).String()))
	}
	cl, err := sipgo.NewClient(ua, opts...)
	if err != nil {
		return "", fmt.Errorf("checksync: client: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, r.Timeout)
	defer cancel()
	res, err := cl.Do(ctx, notify(uri, transport, r.Local))
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, sip.ErrTransactionTimeout) {
			return "", fmt.Errorf("checksync: NOTIFY to %s over %s: no answer within %s", r.Contact, transport, r.Timeout)
		}
		return "", fmt.Errorf("checksync: NOTIFY to %s over %s: %w", r.Contact, transport, err)
	}
	answer := fmt.Sprintf("%d %s", res.StatusCode, res.Reason)
	if res.StatusCode >= 300 {
		return answer, fmt.Errorf("checksync: NOTIFY to %s: the phone answered %s", r.Contact, answer)
	}
	return answer, nil
}

// notify builds the request: to the contact, from phoneflash at local, an
// empty body.
func notify(contact sip.Uri, transport string, local netip.Addr) *sip.Request {
	target := sip.Uri{User: contact.User, Host: contact.Host, Port: contact.Port}
	req := sip.NewRequest(sip.NOTIFY, target)
	req.SetTransport(transport)
	host := "phoneflash.invalid"
	if local.IsValid() {
		host = local.String()
	}
	from := &sip.FromHeader{Address: sip.Uri{User: "phoneflash", Host: host}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{User: contact.User, Host: contact.Host, Port: contact.Port}})
	req.AppendHeader(sip.NewHeader("Event", "check-sync"))
	req.AppendHeader(sip.NewHeader("Subscription-State", "terminated"))
	req.SetBody(nil)
	return req
}

// warnings passes on sipgo's warnings and errors only: its debug lines
// would log every packet.
type warnings struct{ slog.Handler }

func (w warnings) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && w.Handler.Enabled(ctx, l)
}

func (w warnings) WithAttrs(as []slog.Attr) slog.Handler { return warnings{w.Handler.WithAttrs(as)} }
func (w warnings) WithGroup(n string) slog.Handler       { return warnings{w.Handler.WithGroup(n)} }
