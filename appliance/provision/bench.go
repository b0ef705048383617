package provision

import (
	"net"
	"net/netip"
	"strconv"
)

// benchLine is the line of a phone without an account where the appliance
// runs a bench registrar on the phone's port (Provisioner.Bench): the
// phone's MAC as its line, no password, the registrar as its PBX.
func (p *Provisioner) benchLine(mac, port string) (Account, bool) {
	addr, ok := p.Bench[port]
	if !ok || !addr.IsValid() {
		return Account{}, false
	}
	return Account{Extension: mac, DisplayName: "no account", PBXHost: addr.Addr().String(), PBXPort: int(addr.Port())}, true
}

// Registrar is where the SIP config of a phone with account (its key, ""
// for none) on port tells it to register, as host:port; bench says it is
// the bench registrar. ok is false when its config names none.
func (p *Provisioner) Registrar(port, account string) (addr string, bench, ok bool) {
	a, found := p.Table.Lookup(account)
	if !found {
		if a, bench = p.benchLine("", port); !bench {
			return "", false, false
		}
	}
	sipPort := a.PBXPort
	if s, err := p.SettingsFor(&a); err == nil {
		sipPort = s.Port // the row's, else its preset's
	}
	return net.JoinHostPort(a.PBXHost, strconv.Itoa(sipPort)), bench, true
}

// BenchRegistrars is Provisioner.Bench for ports at the given addresses:
// the bench registrar listens on each port's address, port 5060.
func BenchRegistrars(ports map[string]netip.Addr) map[string]netip.AddrPort {
	out := make(map[string]netip.AddrPort, len(ports))
	for name, a := range ports {
		out[name] = netip.AddrPortFrom(a, 5060)
	}
	return out
}
