package sipwatch

import (
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// summarize fills m (which holds the wire facts: time, transport,
// addresses, MACs) from a message parsed by sipgo. It reports false when
// the message lacks what a transaction needs (Call-ID, CSeq, Via).
func summarize(msg sip.Message, m Message) (Message, bool) {
	var h interface {
		CallID() *sip.CallIDHeader
		CSeq() *sip.CSeqHeader
		Via() *sip.ViaHeader
		To() *sip.ToHeader
		GetHeader(string) sip.Header
		GetHeaders(string) []sip.Header
	}
	switch v := msg.(type) {
	case *sip.Request:
		h = v
		m.Request, m.Method, m.Domain = true, string(v.Method), v.Recipient.Host
		m.Credentials = v.GetHeader("Authorization") != nil || v.GetHeader("Proxy-Authorization") != nil
		m.Expires = requestExpires(v)
		if ua := v.GetHeader("User-Agent"); ua != nil {
			m.UserAgent = ua.Value()
		}
	case *sip.Response:
		h = v
		m.Status, m.Reason = v.StatusCode, v.Reason
		m.Stale = stale(v)
		m.Expires = grantedExpires(v, m.Dst.Addr().String())
	default:
		return m, false
	}
	callID, cseq, via := h.CallID(), h.CSeq(), h.Via()
	if callID == nil || cseq == nil || via == nil {
		return m, false
	}
	m.CallID, m.CSeq, m.CSeqMethod = string(*callID), cseq.SeqNo, string(cseq.MethodName)
	m.Branch, _ = via.Params.Get("branch")
	if to := h.To(); to != nil {
		m.ToUser = to.Address.User
	}
	return m, true
}

// requestExpires is the expiry a REGISTER asks for: its Contact's expires
// parameter, else its Expires header; -1 when neither says.
func requestExpires(r *sip.Request) int {
	if c := r.Contact(); c != nil {
		if v, ok := c.Params.Get("expires"); ok {
			return atoi(v)
		}
	}
	return headerInt(r.GetHeader("Expires"))
}

// grantedExpires is the expiry a 2xx grants the phone: the expires
// parameter of the Contact at the phone's address (a PBX lists every
// binding of the address of record), else of the first Contact, else the
// Expires header; -1 when none says.
func grantedExpires(r *sip.Response, phoneHost string) int {
	first := -1
	for _, hdr := range r.GetHeaders("Contact") {
		c, ok := hdr.(*sip.ContactHeader)
		if !ok {
			continue
		}
		v, ok := c.Params.Get("expires")
		if !ok {
			continue
		}
		if c.Address.Host == phoneHost {
			return atoi(v)
		}
		if first < 0 {
			first = atoi(v)
		}
	}
	if first >= 0 {
		return first
	}
	return headerInt(r.GetHeader("Expires"))
}

// stale says whether a 401/407 challenge has stale=true (RFC 2617: the
// credentials were right but the nonce is old), read with icholy/digest.
func stale(r *sip.Response) bool {
	for _, name := range []string{"WWW-Authenticate", "Proxy-Authenticate"} {
		if hdr := r.GetHeader(name); hdr != nil {
			if c, err := digest.ParseChallenge(hdr.Value()); err == nil && c.Stale {
				return true
			}
		}
	}
	return false
}

func headerInt(h sip.Header) int {
	if h == nil {
		return -1
	}
	return atoi(h.Value())
}

// atoi reads a delta-seconds value; -1 when it is not one.
func atoi(s string) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 {
		return -1
	}
	return n
}
