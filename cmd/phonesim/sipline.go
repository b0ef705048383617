package main

import (
	"flag"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// sipOptions are the knobs of the SIP registration (flags in sipFlags).
type sipOptions struct {
	Register bool          // register after provisioning, as a 79x1 SIP load does
	Retry    time.Duration // reg_retry: the wait after a failed registration (nominal, scaled)
	Timeout  time.Duration // no final answer within this (real time): unreachable
}

// sipFlags adds the registration flags to fs.
func sipFlags(fs *flag.FlagSet, o *sipOptions) {
	fs.BoolVar(&o.Register, "register", true, "after provisioning, register with the PBX the config names (processNodeName:sipPort)")
	fs.DurationVar(&o.Retry, "reg-retry", 60*time.Second, "reg_retry: wait after a refused or unanswered registration before the next (scaled)")
	fs.DurationVar(&o.Timeout, "reg-timeout", 32*time.Second, "a REGISTER without a final answer within this real time is unreachable")
}

// sipLine is what the phone registers, from its SIP config.
type sipLine struct {
	Host      string // processNodeName, or the line's proxy when it names a host
	Port      int
	Transport string // UDP or TCP (transportLayerProtocol 1 TCP, 2 UDP)
	Extension string // the line's name: the address-of-record user
	AuthName  string
	Password  string // as the digest uses it (truncated in pw-mode truncate)
	Expires   int    // timerRegisterExpires, seconds
	Delta     int    // timerRegisterDelta: refresh this long before expiry
	Note      string // what the phone made of odd values
}

// Registrar is host:port.
func (l sipLine) Registrar() string { return net.JoinHostPort(l.Host, strconv.Itoa(l.Port)) }

// lineFrom reads the first line of a provisioned SIP config.
func lineFrom(cfg phoneConfig, c ConfigCheck, pwMax int) sipLine {
	l := sipLine{Host: c.ProcessNode, Transport: "UDP", Expires: 3600, Delta: 5,
		Extension: cfg["line/name"], AuthName: cfg["line/authName"], Password: cfg["line/authPassword"]}
	l.Port, _ = strconv.Atoi(c.SIPPort)
	if proxy := cfg["line/proxy"]; proxy != "" && !strings.EqualFold(proxy, "USECALLMANAGER") {
		l.Host = proxy // a host here also works [S20b]
		if p, err := strconv.Atoi(cfg["line/port"]); err == nil {
			l.Port = p
		}
	}
	if l.Port <= 0 || l.Port > 65535 {
		l.Port = 5060
	}
	switch v := cfg["transportLayerProtocol"]; v {
	case "", "2":
	case "1":
		l.Transport = "TCP"
	default:
		l.Note = fmt.Sprintf("transportLayerProtocol %q is not simulated: UDP", v)
	}
	if l.Extension == "" {
		l.Extension = l.AuthName
	}
	if l.AuthName == "" {
		l.AuthName = l.Extension
	}
	if c.Password == "truncated" && len(l.Password) > pwMax {
		l.Password = l.Password[:pwMax]
	}
	if n, err := strconv.Atoi(cfg["timerRegisterExpires"]); err == nil && n > 0 {
		l.Expires = n
	}
	if n, err := strconv.Atoi(cfg["timerRegisterDelta"]); err == nil && n >= 0 {
		l.Delta = n
	}
	return l
}

// refreshAfter is the nominal wait from a 200 OK granting expires seconds
// to the next REGISTER: expires - timerRegisterDelta; sipcc refuses expiries
// under 60 s and tries again after timerRegisterExpires [S8].
func (l sipLine) refreshAfter(expires int) time.Duration {
	if expires < 60 {
		return time.Duration(l.Expires) * time.Second
	}
	return time.Duration(max(expires-l.Delta, 1)) * time.Second
}

// userAgent is the phone's User-Agent: "Cisco-" + model + "/" + version,
// e.g. Cisco-CP7906G/9.4.2SR1 on SIP11.9-4-2SR1-1S.
func userAgent(id Identity, load string) string {
	_, v, _ := strings.Cut(load, ".") // SIP42.9-4-2SR3-1S: any family's
	if i := strings.LastIndex(v, "-"); i > 0 {
		v = v[:i]
	}
	return "Cisco-" + strings.ReplaceAll(id.ModelString(), "-", "") + "/" + strings.ReplaceAll(v, "-", ".")
}

// instance is the Contact's +sip.instance: a UUID ending in the MAC.
func instance(id Identity) string {
	return `"<urn:uuid:00000000-0000-0000-0000-` + strings.ToLower(id.MACU()) + `>"`
}
