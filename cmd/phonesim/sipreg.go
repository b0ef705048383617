package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// sipPort is voipControlPort: the phone sends and listens for SIP here.
const sipPort = 5060

// Registration is the outcome of the phone's SIP registration, as the
// result records it.
type Registration struct {
	State      string `json:"state"` // registering, registered, refused, unknown-extension, reg-rejected, unreachable
	Registrar  string `json:"registrar"`
	Transport  string `json:"transport"`
	Extension  string `json:"extension"`
	AuthName   string `json:"auth_name,omitempty"`
	UserAgent  string `json:"user_agent"`
	Status     int    `json:"status,omitempty"` // the registrar's last final answer
	Reason     string `json:"reason,omitempty"` // its reason phrase, or why there was none
	Expires    int    `json:"expires,omitempty"`
	Attempts   int    `json:"attempts"`   // registrations tried this run
	Registered int    `json:"registered"` // of which answered 200
	CheckSyncs int    `json:"check_syncs,omitempty"`
	Note       string `json:"note,omitempty"`
	AtMS       int64  `json:"at_ms"`
}

// registration updates the result's registration.
func (r *recorder) registration(f func(*Registration)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.res.SIP == nil {
		r.res.SIP = &Registration{}
	}
	f(r.res.SIP)
	r.res.SIP.AtMS = r.ms(time.Now())
}

// untilReached says whether the -until state has been reached.
func (r *recorder) untilReached() bool {
	select {
	case <-r.reached:
		return true
	default:
		return false
	}
}

// regOutcome is how one registration attempt ended.
type regOutcome struct {
	state   string
	status  int
	reason  string
	expires int
}

// classify reads the final answer to a REGISTER that carried credentials
// (or needed none): the phone's own view, as its line status shows it.
func classify(res *sip.Response, asked int, contactHost string) regOutcome {
	o := regOutcome{status: res.StatusCode, reason: res.Reason}
	switch s := res.StatusCode; {
	case s >= 200 && s < 300:
		o.state, o.expires = "registered", asked
		if v := res.GetHeader("Expires"); v != nil {
			if n, err := strconv.Atoi(strings.TrimSpace(v.Value())); err == nil {
				o.expires = n
			}
		}
		for _, h := range res.GetHeaders("Contact") {
			if c, ok := h.(*sip.ContactHeader); ok && c.Address.Host == contactHost {
				if n, err := strconv.Atoi(paramOr(c.Params, "expires")); err == nil {
					o.expires = n
				}
			}
		}
	case s == 401 || s == 403 || s == 407:
		o.state = "refused"
	case s == 404:
		o.state = "unknown-extension"
	default:
		o.state = "reg-rejected"
	}
	return o
}

func paramOr(p sip.HeaderParams, key string) string {
	v, _ := p.Get(key)
	return v
}

// register is what a provisioned SIP line does after the config check:
// REGISTER with the PBX, answer its challenge with authName/authPassword,
// refresh before expiry, and after a refusal or no answer try again after
// reg_retry (scenario D's registration loop). A NOTIFY with Event:
// check-sync makes the phone reboot, which re-reads its config.
func (p *phone) register(ctx context.Context, c ConfigCheck, cfg phoneConfig) (next, error) {
	if p.rec.untilReached() { // -until done: the run ends here
		return p.idle(ctx)
	}
	l := lineFrom(cfg, c, p.opt.PwMax)
	agent := userAgent(p.id, p.flash.Load)
	p.rec.registration(func(r *Registration) { // the counters cover the whole run, across reboots
		*r = Registration{State: "registering", Registrar: l.Registrar(), Transport: l.Transport, Extension: l.Extension,
			AuthName: l.AuthName, UserAgent: agent, Note: l.Note, Attempts: r.Attempts, Registered: r.Registered, CheckSyncs: r.CheckSyncs}
	})
	var s *sipSession
	defer func() {
		if s != nil {
			s.close()
		}
	}()
	for {
		p.rec.enter("registering", "registrar", l.Registrar(), "transport", l.Transport, "extension", l.Extension)
		var o regOutcome
		var err error
		if s == nil {
			s, err = p.openSIP(l, agent)
		}
		if err != nil {
			o = regOutcome{state: "unreachable", reason: err.Error()}
		} else {
			o = s.registerOnce(ctx, l)
		}
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		p.rec.registration(func(r *Registration) {
			r.State, r.Status, r.Reason, r.Expires = o.state, o.status, o.reason, o.expires
			r.Attempts++
			if o.state == "registered" {
				r.Registered++
			}
		})
		p.rec.enter(o.state, "registrar", l.Registrar(), "status", o.status, "reason", o.reason, "expires", o.expires)
		wait := p.opt.SIP.Retry
		if o.state == "registered" {
			wait = l.refreshAfter(o.expires)
		}
		if reboot, err := p.regWait(ctx, s, wait); reboot || err != nil {
			return nextReboot, err
		}
	}
}

// regWait waits a nominal delay before the next registration; a NOTIFY
// check-sync during it means reboot.
func (p *phone) regWait(ctx context.Context, s *sipSession, wait time.Duration) (reboot bool, err error) {
	var sync <-chan struct{}
	if s != nil {
		sync = s.checkSync
	}
	t := time.NewTimer(p.clock.d(wait))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false, ctx.Err()
	case <-sync:
		p.rec.registration(func(r *Registration) { r.CheckSyncs++ })
		p.log.Info("NOTIFY check-sync: rebooting to read the config again")
		return true, nil
	case <-t.C:
		return false, nil
	}
}

// sipSession is the phone's SIP stack for one boot: listeners on
// voipControlPort, one Call-ID and From tag, a CSeq that only grows.
type sipSession struct {
	ua        *sipgo.UserAgent
	cl        *sipgo.Client
	closers   []func() error
	local     netip.Addr
	id        Identity
	callID    string
	tag       string
	cseq      uint32
	timeout   time.Duration
	log       *slog.Logger
	checkSync chan struct{}
}

// openSIP starts the phone's SIP stack on the address it would use to
// reach the registrar (its lease, through the DHCP router).
func (p *phone) openSIP(l sipLine, agent string) (*sipSession, error) {
	probe, err := net.Dial("udp4", l.Registrar())
	if err != nil {
		return nil, fmt.Errorf("sip: no route to %s: %w", l.Registrar(), err)
	}
	local := probe.LocalAddr().(*net.UDPAddr).AddrPort().Addr()
	probe.Close()
	s := &sipSession{local: local, id: p.id, callID: strings.ToLower(p.id.MACU()) + "-" + strconv.Itoa(p.boot) + "@" + local.String(),
		tag: sip.GenerateTagN(16), cseq: 100, timeout: p.opt.SIP.Timeout, log: p.log, checkSync: make(chan struct{}, 1)}
	quiet := slog.New(slog.DiscardHandler)
	s.ua, err = sipgo.NewUA(sipgo.WithUserAgent(agent), sipgo.WithUserAgentHostname(l.Host),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(quiet)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(quiet)))
	if err != nil {
		return nil, fmt.Errorf("sip: user agent: %w", err)
	}
	if err := s.listen(quiet); err != nil {
		s.close()
		return nil, err
	}
	opts := []sipgo.ClientOption{sipgo.WithClientHostname(local.String()), sipgo.WithClientLogger(quiet)}
	if l.Transport == "UDP" { // from voipControlPort, through its listener
		opts = append(opts, sipgo.WithClientPort(sipPort), sipgo.WithClientConnectionAddr(netip.AddrPortFrom(local, sipPort).String()))
	}
	if s.cl, err = sipgo.NewClient(s.ua, opts...); err != nil {
		s.close()
		return nil, fmt.Errorf("sip: client: %w", err)
	}
	return s, nil
}

// listen serves UDP and TCP on local:5060 for NOTIFY and OPTIONS.
func (s *sipSession) listen(log *slog.Logger) error {
	srv, err := sipgo.NewServer(s.ua, sipgo.WithServerLogger(log))
	if err != nil {
		return fmt.Errorf("sip: server: %w", err)
	}
	srv.OnNotify(s.notify)
	srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	addr := netip.AddrPortFrom(s.local, sipPort).String()
	pc, err := net.ListenPacket("udp4", addr)
	if err != nil {
		return fmt.Errorf("sip: listen udp %s: %w", addr, err)
	}
	s.closers = append(s.closers, pc.Close)
	ln, err := net.Listen("tcp4", addr)
	if err != nil {
		return fmt.Errorf("sip: listen tcp %s: %w", addr, err)
	}
	s.closers = append(s.closers, ln.Close)
	go srv.ServeUDP(pc)
	go srv.ServeTCP(ln)
	for range 100 { // the client sends through the UDP listener once sipgo holds it
		if c, _ := s.ua.TransportLayer().GetConnection("udp", addr); c != nil {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("sip: udp listener on %s did not start", addr)
}

// notify answers NOTIFY: check-sync is taken (and reboots the phone),
// other events are refused.
func (s *sipSession) notify(req *sip.Request, tx sip.ServerTransaction) {
	ev := ""
	if h := req.GetHeader("Event"); h != nil {
		ev, _, _ = strings.Cut(h.Value(), ";")
	}
	if !strings.EqualFold(strings.TrimSpace(ev), "check-sync") {
		tx.Respond(sip.NewResponseFromRequest(req, 489, "Bad Event", nil))
		return
	}
	s.log.Info("sip: NOTIFY check-sync", "from", req.Source())
	tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	select {
	case s.checkSync <- struct{}{}:
	default:
	}
}

func (s *sipSession) close() {
	if s.ua != nil {
		s.ua.Close()
	}
	for _, c := range s.closers {
		c()
	}
}

// newRegister builds the next REGISTER of this boot.
func (s *sipSession) newRegister(l sipLine) *sip.Request {
	s.cseq++
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Host: l.Host, Port: l.Port})
	req.SetTransport(l.Transport)
	aor := sip.Uri{User: l.Extension, Host: l.Host}
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", s.tag)
	callID := sip.CallIDHeader(s.callID)
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor})
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: s.cseq, MethodName: sip.REGISTER})
	req.AppendHeader(sip.NewHeader("Contact", fmt.Sprintf("<sip:%s@%s;transport=%s>;+sip.instance=%s",
		l.Extension, netip.AddrPortFrom(s.local, sipPort), strings.ToLower(l.Transport), instance(s.id))))
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(l.Expires)))
	req.AppendHeader(sip.NewHeader("User-Agent", s.ua.Name()))
	req.AppendHeader(sip.NewHeader("Allow-Events", "kpml,dialog,check-sync"))
	return req
}

// registerOnce is one registration: REGISTER, a challenge answered with
// the line's credentials, the final answer. No final answer within the
// timeout is unreachable.
func (s *sipSession) registerOnce(ctx context.Context, l sipLine) regOutcome {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req := s.newRegister(l)
	res, err := s.cl.Do(ctx, req)
	if err == nil && (res.StatusCode == 401 || res.StatusCode == 407) {
		res, err = s.cl.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: l.AuthName, Password: l.Password})
		if c := req.CSeq(); c != nil {
			s.cseq = c.SeqNo
		}
	}
	if err != nil {
		reason := err.Error()
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, sip.ErrTransactionTimeout) {
			reason = "no answer within " + s.timeout.String()
		}
		return regOutcome{state: "unreachable", reason: reason}
	}
	return classify(res, l.Expires, s.local.String())
}

// summary is the registration in the one-line result: state@registrar.
func (r *Registration) summary() string {
	if r == nil {
		return "-"
	}
	return r.State + "@" + r.Registrar
}
