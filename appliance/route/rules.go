package route

import (
	"fmt"
	"net/netip"
	"strings"
)

// Table is the name of phoneflash's nftables table, in the inet family
// (IPv4 and IPv6): `nft list table inet phoneflash` shows it.
const Table = "phoneflash"

// forwardNote starts the comment that keeps net.ipv4.ip_forward's value
// from before phoneflash in the table.
const forwardNote = "net.ipv4.ip_forward was "

// Proto is the transport a Service or a Rule matches.
type Proto string

// Protocols a rule can match. ICMP means an IPv4 ICMP echo request (ping).
const (
	Any  Proto = ""
	UDP  Proto = "udp"
	TCP  Proto = "tcp"
	ICMP Proto = "icmp"
)

// Dest is a destination a bench phone may open: a protocol and a port
// range (none for ICMP).
type Dest struct {
	Name     string // why it is allowed; the rule's comment
	Proto    Proto
	From, To uint16 // destination ports, inclusive
}

// LocalServices is what phoneflash serves on every bench port, the only
// things a bench port may open on the appliance: DHCP (67; 68 receives the
// answers of another DHCP server on the port, so it is reported), TFTP (69;
// a transfer's data port is opened by the appliance, so its packets are an
// established flow) and SIP 5060 over UDP and TCP for the bench registrar.
// Anything else, gokrazy's interface (8080/8443 in the image), phoneflash's
// page and ports the appliance may open later, is refused.
var LocalServices = []Dest{
	{"DHCP", UDP, 67, 67},
	{"DHCP replies of another server, to report it", UDP, 68, 68},
	{"TFTP", UDP, 69, 69},
	{"SIP to the bench registrar", UDP, 5060, 5060},
	{"SIP to the bench registrar", TCP, 5060, 5060},
}

// PhoneServices is what a bench phone may open towards the uplink's hosts
// (and the networks behind them): what a SIP phone needs to register and
// call, and nothing that reaches the office's other services. See the
// package documentation for the reasons.
var PhoneServices = []Dest{
	{"SIP", UDP, 5060, 5061},
	{"SIP", TCP, 5060, 5061},
	{"SIP (FreePBX chan_sip)", UDP, 5160, 5161},
	{"SIP (FreePBX chan_sip)", TCP, 5160, 5161},
	{"RTP (PBX 10000-20000, phones 16384-32766)", UDP, 10000, 32767},
	{"DNS", UDP, 53, 53},
	{"DNS", TCP, 53, 53},
	{"NTP", UDP, 123, 123},
	{"ping", ICMP, 0, 0},
}

// Config is what the rule set is built from.
type Config struct {
	Ports   []Port // bench ports
	Uplink  string // the office side; "" = no uplink
	Forward bool   // route bench ports to the uplink with masquerade (needs Uplink)
	Local   []Dest // served on the appliance to bench ports; nil = LocalServices
	Phone   []Dest // allowed from bench ports to the uplink; nil = PhoneServices

	// ForwardBefore is net.ipv4.ip_forward as it was before phoneflash
	// set it. The table keeps it as the comment of its first masquerade
	// rule, so that the run after a SIGKILL still restores it.
	ForwardBefore string
}

// Port is one bench port: its interface and subnet.
type Port struct {
	Name string
	Addr netip.Prefix
}

// Routing reports whether the configuration forwards bench traffic.
func (c Config) Routing() bool { return c.Forward && c.Uplink != "" }

func (c Config) local() []Dest {
	if c.Local == nil {
		return LocalServices
	}
	return c.Local
}

func (c Config) phone() []Dest {
	if c.Phone == nil {
		return PhoneServices
	}
	return c.Phone
}

// State is a conntrack state match.
type State string

// Conntrack states a rule can match.
const (
	AnyState    State = ""
	Established State = "established,related"
	Invalid     State = "invalid"
)

// Verdict is what a rule does with a matching packet.
type Verdict string

// Verdicts. Reject answers TCP with a reset and everything else with an
// ICMP port unreachable, so a phone learns at once; Drop says nothing, for
// the uplink's side.
const (
	Accept     Verdict = "accept"
	Drop       Verdict = "drop"
	Reject     Verdict = "reject"
	RejectTCP  Verdict = "reject with tcp reset"
	Masquerade Verdict = "masquerade"
	Jump       Verdict = "jump"
)

// Rule is one rule of the table, as readable data. Empty fields match
// anything.
type Rule struct {
	In, Out string       // iifname, oifname
	Src     netip.Prefix // IPv4 source prefix
	State   State
	Proto   Proto
	From    uint16 // destination port range, with TCP or UDP
	To      uint16
	Verdict Verdict
	Target  string // chain of a Jump
	Counter bool   // count matches, for `nft list`
	Comment string
}

// Chain is a chain of the table; a base chain has a hook.
type Chain struct {
	Name  string
	Hook  string // "input", "forward" or "postrouting"; "" = regular chain
	Rules []Rule
}

// Ruleset is the whole table.
type Ruleset struct {
	Chains []Chain
}

// Build decides the table for cfg. It does no I/O. Base chains have policy
// accept and match bench interfaces only, so traffic that does not touch a
// bench port is left to the machine.
func Build(cfg Config) Ruleset {
	var input, forward []Rule
	for _, p := range cfg.Ports {
		input = append(input, Rule{In: p.Name, Verdict: Jump, Target: "bench_in"})
		forward = append(forward, Rule{In: p.Name, Verdict: Jump, Target: "from_bench"})
	}
	for _, p := range cfg.Ports {
		forward = append(forward, Rule{Out: p.Name, Verdict: Jump, Target: "to_bench"})
	}
	benchIn := []Rule{
		{State: Established, Verdict: Accept},
		{State: Invalid, Verdict: Drop},
	}
	for _, s := range cfg.local() {
		benchIn = append(benchIn, s.rule(""))
	}
	benchIn = append(benchIn, refuse("nothing else on the appliance")...)

	var fromBench []Rule
	if cfg.Routing() {
		fromBench = append(fromBench, Rule{Out: cfg.Uplink, State: Established, Verdict: Accept})
		for _, s := range cfg.phone() {
			fromBench = append(fromBench, s.rule(cfg.Uplink))
		}
	}
	fromBench = append(fromBench, refuse("not to other bench ports, nor elsewhere")...)
	toBench := []Rule{
		{State: Established, Verdict: Accept},
		{Verdict: Drop, Counter: true, Comment: "no new connection into a bench port"},
	}
	rs := Ruleset{Chains: []Chain{
		{Name: "input", Hook: "input", Rules: input},
		{Name: "forward", Hook: "forward", Rules: forward},
		{Name: "bench_in", Rules: benchIn},
		{Name: "from_bench", Rules: fromBench},
		{Name: "to_bench", Rules: toBench},
	}}
	if cfg.Routing() {
		var nat []Rule
		for _, p := range cfg.Ports {
			nat = append(nat, Rule{Out: cfg.Uplink, Src: p.Addr.Masked(), Verdict: Masquerade})
		}
		if len(nat) > 0 && cfg.ForwardBefore != "" {
			nat[0].Comment = forwardNote + cfg.ForwardBefore
		}
		rs.Chains = append(rs.Chains, Chain{Name: "postrouting", Hook: "postrouting", Rules: nat})
	}
	return rs
}

func refuse(why string) []Rule {
	return []Rule{
		{Proto: TCP, Verdict: RejectTCP, Counter: true, Comment: why},
		{Verdict: Reject, Counter: true, Comment: why},
	}
}

func (s Dest) rule(out string) Rule {
	return Rule{Out: out, Proto: s.Proto, From: s.From, To: s.To, Verdict: Accept, Comment: s.Name}
}

// String renders the rule as `nft list` prints it (counters at zero).
func (r Rule) String() string {
	var f []string
	if r.In != "" {
		f = append(f, fmt.Sprintf("iifname %q", r.In))
	}
	if r.Out != "" {
		f = append(f, fmt.Sprintf("oifname %q", r.Out))
	}
	if r.Src.IsValid() {
		f = append(f, "ip saddr "+r.Src.String())
	}
	if r.State != AnyState {
		f = append(f, "ct state "+string(r.State))
	}
	switch {
	case r.Proto == ICMP:
		f = append(f, "icmp type echo-request")
	case r.Proto != Any && r.From != 0 && r.From == r.To:
		f = append(f, fmt.Sprintf("%s dport %d", r.Proto, r.From))
	case r.Proto != Any && r.From != 0:
		f = append(f, fmt.Sprintf("%s dport %d-%d", r.Proto, r.From, r.To))
	case r.Proto != Any:
		f = append(f, "meta l4proto "+string(r.Proto))
	}
	if r.Counter {
		f = append(f, "counter packets 0 bytes 0")
	}
	v := string(r.Verdict)
	if r.Verdict == Jump {
		v += " " + r.Target
	}
	f = append(f, v)
	if r.Comment != "" {
		f = append(f, fmt.Sprintf("comment %q", r.Comment))
	}
	return strings.Join(f, " ")
}

// String renders the rule set as `nft list table inet phoneflash` prints it.
func (rs Ruleset) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "table inet %s {\n", Table)
	for i, c := range rs.Chains {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "\tchain %s {\n", c.Name)
		switch c.Hook {
		case "input", "forward":
			fmt.Fprintf(&b, "\t\ttype filter hook %s priority filter; policy accept;\n", c.Hook)
		case "postrouting":
			b.WriteString("\t\ttype nat hook postrouting priority srcnat; policy accept;\n")
		}
		for _, r := range c.Rules {
			fmt.Fprintf(&b, "\t\t%s\n", r)
		}
		b.WriteString("\t}\n")
	}
	b.WriteString("}\n")
	return b.String()
}
