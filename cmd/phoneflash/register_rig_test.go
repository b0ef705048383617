package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/phoneflash/phoneflash/appliance/nettest"
	"github.com/phoneflash/phoneflash/appliance/session"
	"github.com/phoneflash/phoneflash/internal/kamailio"
	"github.com/phoneflash/phoneflash/internal/kamailio/kamailiotest"
	"github.com/phoneflash/phoneflash/internal/namespace"
)

// regBench is the acceptance bench (accept_rig_test.go) with an uplink to
// an office namespace where Kamailio is the PBX, as issue 16 has it:
//
//	phones ── switch ── p1 ┐
//	                       ├ app ── u0 192.0.2.1 ── office 192.0.2.10 (Kamailio)
//	phones ── switch ── p2 ┘
//
// `phoneflash serve` routes the phones to the office (NAT) and watches
// their registrations on each bench port.
type regBench struct {
	*accBench
	office, uplink string
	pbx            *kamailio.Instance
}

// officePBX is Kamailio's address in the office namespace.
const officePBX = "192.0.2.10"

func newRegBench(t *testing.T, fw string, ports int, accounts string) *regBench {
	t.Helper()
	nettest.RequireCommand(t, "kamailio")
	nettest.RequireCommand(t, "curl")
	b := &regBench{accBench: newBenchWithPrefix(t, "pfg", fw, ports, accounts)}
	office, err := b.r.addNS("off")
	if err != nil {
		t.Fatal(err)
	}
	b.office, b.uplink = office, b.r.prefix+"u0"
	for _, step := range [][]string{
		{"", "link", "add", b.uplink, "type", "veth", "peer", "name", "eth0", "netns", office},
		{"", "addr", "add", "192.0.2.1/24", "dev", b.uplink},
		{"", "link", "set", "dev", b.uplink, "up"},
		{office, "addr", "add", officePBX + "/24", "dev", "eth0"},
		{office, "link", "set", "dev", "eth0", "up"},
	} {
		ns := step[0]
		if ns == "" {
			ns = b.app
		}
		if err := namespace.IP(ns, step[1:]...); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// startPBX starts Kamailio in the office with these users (stopping the
// one before): the office's own account table.
func (b *regBench) startPBX(t *testing.T, users ...kamailio.User) *kamailio.Instance {
	t.Helper()
	if b.pbx != nil {
		b.pbx.Stop()
	}
	b.pbx = kamailiotest.Start(t, b.office, kamailio.Config{Addr: netip.MustParseAddr(officePBX), Users: users})
	return b.pbx
}

// serveRouted starts `phoneflash serve` with the office uplink, its page on
// 127.0.0.1:8079 in the appliance's namespace and the action password pw.
func (b *regBench) serveRouted(extra ...string) {
	b.serve(append([]string{"-uplink", b.uplink, "-http", "127.0.0.1:8079", "-web-password", webPW,
		"-register-timeout", regTimeout.String()}, extra...)...)
}

// webPW guards the page's actions in these tests.
const webPW = "registerpw"

// regTimeout is the bounded wait of these tests: short, but far above
// Kamailio's answer time.
const regTimeout = 6 * time.Second

// regPhone plugs in a phone that runs until its own state until (e.g.
// registered, refused, registered:2).
func (b *regBench) regPhone(port int, name, mac, model, scenario, until string, extra ...string) *accPhone {
	b.t.Helper()
	ns := b.plugPhone(b.t, port, name)
	sp := b.simPhone(ns, name, mac, model, scenario, append([]string{"-max-time", "90s", "-reg-retry", "30s"}, extra...))
	sp.Until = until
	p := &accPhone{name: name, sp: sp}
	b.phones = append(b.phones, p)
	p.start(b.t)
	return p
}

// phoneRegistration is the registration in phonesim's result.json.
type phoneRegistration struct {
	State      string `json:"state"`
	Registrar  string `json:"registrar"`
	Transport  string `json:"transport"`
	Extension  string `json:"extension"`
	Status     int    `json:"status"`
	Reason     string `json:"reason"`
	Attempts   int    `json:"attempts"`
	Registered int    `json:"registered"`
	CheckSyncs int    `json:"check_syncs"`
}

// phoneOwn is the part of phonesim's result these tests judge by.
type phoneOwn struct {
	State     string             `json:"state"`
	Load      string             `json:"load"`
	Exit      string             `json:"exit"`
	SIP       *phoneRegistration `json:"registration"`
	Requests  []struct{ Name string }
	ReachedMS map[string]int64 `json:"reached_ms"`
}

// own waits for the phone to exit and reads its own result.
func (p *accPhone) own(t *testing.T, timeout time.Duration) phoneOwn {
	t.Helper()
	if _, err := p.wait(t, timeout); err != nil {
		t.Errorf("phone %s: %v\n%s", p.name, err, p.log())
	}
	var o phoneOwn
	b, err := os.ReadFile(p.sp.Result)
	if err == nil {
		err = json.Unmarshal(b, &o)
	}
	if err != nil {
		t.Fatalf("phone %s: result: %v", p.name, err)
	}
	if o.SIP == nil {
		o.SIP = &phoneRegistration{}
	}
	return o
}

// apiPhones reads GET /api/phones inside the appliance's namespace.
func (b *regBench) apiPhones(t *testing.T) []session.Phone {
	t.Helper()
	out, err := nettest.Run(b.app, "curl", "-sf", "--max-time", "5", "http://127.0.0.1:8079/api/phones")
	if err != nil {
		t.Fatalf("GET /api/phones: %v: %s", err, out)
	}
	var phones []session.Phone
	if err := json.Unmarshal([]byte(out), &phones); err != nil {
		t.Fatalf("GET /api/phones: %v: %s", err, out)
	}
	return phones
}

// apiPhone waits until the API shows the phone in one of stages.
func (b *regBench) apiPhone(t *testing.T, mac string, timeout time.Duration, stages ...session.Stage) session.Phone {
	t.Helper()
	var last session.Phone
	for deadline := time.Now().Add(timeout); ; time.Sleep(20 * time.Millisecond) {
		for _, p := range b.apiPhones(t) {
			if p.MAC != macKey(mac) {
				continue
			}
			last = p
			for _, st := range stages {
				if p.Stage == st {
					return p
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: the API shows %+v after %s, want one of %v; appliance log:\n%s", mac, last, timeout, stages, b.srvLog)
		}
	}
}

// uploadAccounts replaces the account table through the API, as a script
// or the page's form does, and returns the answer.
func (b *regBench) uploadAccounts(t *testing.T, csv string) string {
	t.Helper()
	name := filepath.Join(b.dir, fmt.Sprintf("upload-%d.csv", time.Now().UnixNano()))
	if err := os.WriteFile(name, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := nettest.Run(b.app, "curl", "-sS", "--fail-with-body", "--max-time", "10", "-u", ":"+webPW,
		"-H", "Content-Type: text/csv", "--data-binary", "@"+name, "http://127.0.0.1:8079/api/accounts")
	if err != nil {
		t.Fatalf("POST /api/accounts: %v: %s", err, out)
	}
	return strings.TrimSpace(out)
}

// location finds aor in Kamailio's location table.
func (b *regBench) location(t *testing.T, aor string) (kamailio.Location, bool) {
	t.Helper()
	locs, err := b.pbx.Locations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range locs {
		if l.AoR == aor {
			return l, true
		}
	}
	return kamailio.Location{}, false
}
