package route

import (
	"fmt"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"golang.org/x/sys/unix"
)

// compiled is a Ruleset turned into nftables objects, ready to be sent.
type compiled struct {
	table  *nftables.Table
	chains []*nftables.Chain
	rules  []*nftables.Rule
}

// compile turns rs into nftables objects. It does no I/O.
func compile(rs Ruleset) (compiled, error) {
	t := &nftables.Table{Name: Table, Family: nftables.TableFamilyINet}
	out := compiled{table: t}
	accept := nftables.ChainPolicyAccept
	for _, c := range rs.Chains {
		ch := &nftables.Chain{Name: c.Name, Table: t}
		switch c.Hook {
		case "input":
			ch.Hooknum, ch.Priority, ch.Type = nftables.ChainHookInput, nftables.ChainPriorityFilter, nftables.ChainTypeFilter
		case "forward":
			ch.Hooknum, ch.Priority, ch.Type = nftables.ChainHookForward, nftables.ChainPriorityFilter, nftables.ChainTypeFilter
		case "postrouting":
			ch.Hooknum, ch.Priority, ch.Type = nftables.ChainHookPostrouting, nftables.ChainPriorityNATSource, nftables.ChainTypeNAT
		case "":
		default:
			return compiled{}, fmt.Errorf("chain %s: unknown hook %q", c.Name, c.Hook)
		}
		if c.Hook != "" {
			ch.Policy = &accept
		}
		out.chains = append(out.chains, ch)
		for _, r := range c.Rules {
			exprs, err := r.exprs()
			if err != nil {
				return compiled{}, fmt.Errorf("chain %s: rule %q: %w", c.Name, r, err)
			}
			nr := &nftables.Rule{Table: t, Chain: ch, Exprs: exprs}
			if r.Comment != "" {
				nr.UserData = userdata.AppendString(nil, userdata.TypeComment, r.Comment)
			}
			out.rules = append(out.rules, nr)
		}
	}
	return out, nil
}

// exprs is the rule as nftables expressions, in the order nft itself
// generates them, so that `nft list` prints the rule as Rule.String does.
func (r Rule) exprs() ([]expr.Any, error) {
	var e []expr.Any
	if r.In != "" {
		e = append(e, ifname(expr.MetaKeyIIFNAME, r.In)...)
	}
	if r.Out != "" {
		e = append(e, ifname(expr.MetaKeyOIFNAME, r.Out)...)
	}
	if r.Src.IsValid() {
		if !r.Src.Addr().Is4() {
			return nil, fmt.Errorf("source %s is not IPv4", r.Src)
		}
		net := r.Src.Masked().Addr().As4()
		mask := make([]byte, 4)
		for i := range r.Src.Bits() {
			mask[i/8] |= 0x80 >> (i % 8)
		}
		e = append(e, nfproto(unix.NFPROTO_IPV4)...)
		e = append(e, &expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 12, Len: 4},
			&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: mask, Xor: make([]byte, 4)},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: net[:]})
	}
	switch r.State {
	case AnyState:
	case Established:
		e = append(e, ctState(expr.CtStateBitESTABLISHED|expr.CtStateBitRELATED)...)
	case Invalid:
		e = append(e, ctState(expr.CtStateBitINVALID)...)
	default:
		return nil, fmt.Errorf("unknown state %q", r.State)
	}
	pe, err := r.protoExprs()
	if err != nil {
		return nil, err
	}
	e = append(e, pe...)
	if r.Counter {
		e = append(e, &expr.Counter{})
	}
	v, err := r.verdict()
	if err != nil {
		return nil, err
	}
	return append(e, v), nil
}

func (r Rule) protoExprs() ([]expr.Any, error) {
	switch r.Proto {
	case Any:
		if r.From != 0 || r.To != 0 {
			return nil, fmt.Errorf("a port range needs tcp or udp")
		}
		return nil, nil
	case ICMP:
		e := append(nfproto(unix.NFPROTO_IPV4), l4proto(unix.IPPROTO_ICMP)...)
		return append(e, &expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 0, Len: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{8}}), nil // echo request
	case TCP, UDP:
	default:
		return nil, fmt.Errorf("unknown protocol %q", r.Proto)
	}
	proto := byte(unix.IPPROTO_UDP)
	if r.Proto == TCP {
		proto = unix.IPPROTO_TCP
	}
	e := l4proto(proto)
	if r.From == 0 {
		return e, nil
	}
	if r.To < r.From {
		return nil, fmt.Errorf("port range %d-%d is empty", r.From, r.To)
	}
	e = append(e, &expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2})
	if r.From == r.To {
		return append(e, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.BigEndian.PutUint16(r.From)}), nil
	}
	return append(e, &expr.Range{Op: expr.CmpOpEq, Register: 1,
		FromData: binaryutil.BigEndian.PutUint16(r.From), ToData: binaryutil.BigEndian.PutUint16(r.To)}), nil
}

func (r Rule) verdict() (expr.Any, error) {
	switch r.Verdict {
	case Accept:
		return &expr.Verdict{Kind: expr.VerdictAccept}, nil
	case Drop:
		return &expr.Verdict{Kind: expr.VerdictDrop}, nil
	case Jump:
		if r.Target == "" {
			return nil, fmt.Errorf("jump without a target chain")
		}
		return &expr.Verdict{Kind: expr.VerdictJump, Chain: r.Target}, nil
	case Reject:
		return &expr.Reject{Type: unix.NFT_REJECT_ICMPX_UNREACH, Code: unix.NFT_REJECT_ICMPX_PORT_UNREACH}, nil
	case RejectTCP:
		if r.Proto != TCP {
			return nil, fmt.Errorf("a tcp reset needs a tcp match")
		}
		return &expr.Reject{Type: unix.NFT_REJECT_TCP_RST}, nil
	case Masquerade:
		return &expr.Masq{}, nil
	}
	return nil, fmt.Errorf("unknown verdict %q", r.Verdict)
}

// ifname matches an interface name, padded as the kernel stores it.
func ifname(key expr.MetaKey, name string) []expr.Any {
	b := make([]byte, unix.IFNAMSIZ)
	copy(b, name)
	return []expr.Any{&expr.Meta{Key: key, Register: 1}, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: b}}
}

func nfproto(p byte) []expr.Any { return metaEq(expr.MetaKeyNFPROTO, p) }
func l4proto(p byte) []expr.Any { return metaEq(expr.MetaKeyL4PROTO, p) }

func metaEq(key expr.MetaKey, v byte) []expr.Any {
	return []expr.Any{&expr.Meta{Key: key, Register: 1}, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{v}}}
}

func ctState(bits uint32) []expr.Any {
	return []expr.Any{
		&expr.Ct{Register: 1, Key: expr.CtKeySTATE},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4,
			Mask: binaryutil.NativeEndian.PutUint32(bits), Xor: binaryutil.NativeEndian.PutUint32(0)},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: binaryutil.NativeEndian.PutUint32(0)},
	}
}
