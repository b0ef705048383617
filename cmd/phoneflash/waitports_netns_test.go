package main

import (
	"strings"
	"testing"
	"time"

	"github.com/phoneflash/phoneflash/firmware/fwgen"
	"github.com/phoneflash/phoneflash/internal/namespace"
)

// TestIntegrationWaitPorts: with -wait-ports, a bench NIC that does not
// exist when the appliance starts (a USB NIC plugged in after boot) is no
// error; once it appears it is configured and served, and a phone on it
// ends done.
func TestIntegrationWaitPorts(t *testing.T) {
	fw := firmwareStore(t, 0.02, fwgen.SCCP852(), fwgen.SIP942())
	mac := "00:22:90:ac:05:01"
	b := newAccBench(t, fw, 1, accounts(mac))
	late := strings.TrimSuffix(b.ports[0], "p1") + "p2"
	b.ports = append(b.ports, late)
	b.serve("-wait-ports")
	time.Sleep(time.Second)
	select {
	case err := <-b.srvEnd:
		t.Fatalf("serve with a missing port and -wait-ports stopped: %v\n%s", err, b.srvLog)
	default:
	}
	// The NIC is plugged in.
	sw, err := b.r.addNS("sw2")
	if err == nil {
		err = namespace.Veth(b.app, late, sw, "up")
	}
	if err == nil {
		err = namespace.Bridge(sw, "br0", "up")
	}
	if err != nil {
		t.Fatal(err)
	}
	b.switches = append(b.switches, sw)
	p := b.phone(1, "w", mac, "7906", "sip")
	if res, err := p.wait(t, 30*time.Second); err != nil || res.State != "done" {
		t.Fatalf("phone on the late port: %v, state %s, want done:\n%s\nappliance log:\n%s", err, res.State, p.log(), b.srvLog)
	}
	if s := b.waitStage(macKey(mac), 5*time.Second, "done"); s.Port != late {
		t.Errorf("the phone's port is %q, want %q", s.Port, late)
	}
}
