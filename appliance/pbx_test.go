package appliance

import (
	"context"
	"encoding/xml"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phoneflash/phoneflash/appliance/nettest"
	"github.com/phoneflash/phoneflash/internal/servicetest"
)

// TestLoopbackPresetAndDialPlan runs the appliance on loopback sockets
// with -pbx-preset and with and without -dialplan: a phone already on the
// target gets a SIP config with the preset's transport and port and its
// row's time zone, and then dialplan.xml over TFTP: the operator's file as
// given, or one made from the account table.
func TestLoopbackPresetAndDialPlan(t *testing.T) {
	own := `<DIALTEMPLATE><TEMPLATE MATCH="9*" Timeout="1"/></DIALTEMPLATE>` + "\n"
	made := "<DIALTEMPLATE>\n  <TEMPLATE MATCH=\"1...\" Timeout=\"0\"/>\n  <TEMPLATE MATCH=\"\\*97\" Timeout=\"0\"/>\n  <TEMPLATE MATCH=\"*\" Timeout=\"3\"/>\n</DIALTEMPLATE>\n"
	for i, tt := range []struct{ dialplan, want string }{{own, own}, {"", made}} {
		cfg := testConfig(t)
		cfg.Ports = []Port{{Name: nettest.Unique("pfp"), Addr: netip.PrefixFrom(netip.AddrFrom4([4]byte{127, 0, byte(7 + i), 1}), 24)}}
		cfg.PBXPreset = "freepbx-pjsip"
		if tt.dialplan != "" {
			cfg.DialPlanFile = writeTemp(t, tt.dialplan)
		}
		cfg.AccountsFile = writeTemp(t, "mac,extension,password,pbx_host,timezone\n00:1b:d4:79:11:07,1001,pw1001,192.0.2.10,Europe/Berlin\n")
		if err := cfg.CheckPBX(); err != nil {
			t.Fatal(err)
		}
		p := newSimPhone(t, "00:1b:d4:79:11:07", "CP-7911G")
		stop := runWithPhone(t, cfg, p)
		if _, err := p.journey(DefaultTarget, func() bool { return true }); err != nil {
			t.Fatalf("journey: %v (asked for %v)", err, p.asked)
		}
		var c struct {
			Transport int    `xml:"transportLayerProtocol"`
			SIPPort   int    `xml:"devicePool>callManagerGroup>members>member>callManager>ports>sipPort"`
			TimeZone  string `xml:"devicePool>dateTimeSetting>timeZone"`
			Template  string `xml:"sipProfile>dialTemplate"`
		}
		if err := xml.Unmarshal(p.got["SEP"+p.key()+".cnf.xml"], &c); err != nil {
			t.Fatal(err)
		}
		if c.Transport != 1 || c.SIPPort != 5060 || c.TimeZone != "W. Europe Standard/Daylight Time" || c.Template != "dialplan.xml" {
			t.Errorf("config says %+v; want TCP (1) to 5060, W. Europe time, dialplan.xml", c)
		}
		plan, err := p.get(c.Template)
		if err != nil || string(plan) != tt.want {
			t.Errorf("dialplan.xml: %q, %v; want %q", plan, err, tt.want)
		}
		stop()
	}
}

// runWithPhone runs the appliance on loopback sockets with simulated phone
// p on its one port; stop ends it.
func runWithPhone(t *testing.T, cfg Config, p *simPhone) (stop func()) {
	t.Helper()
	name := cfg.Ports[0].Name
	socks, err := loopbackSockets(cfg, map[string]net.Addr{name: p.conn.LocalAddr()})
	if err != nil {
		t.Fatal(err)
	}
	s := socks[name]
	p.server = s.DHCP.LocalAddr().(*net.UDPAddr).AddrPort()
	p.tftp = func() int { return s.TFTP.LocalAddr().(*net.UDPAddr).Port }
	return servicetest.Start(t, func(ctx context.Context) error { return RunSockets(ctx, cfg, nil, discard(), socks) })
}

// TestHostileTableNotSaved: a table with a hostile row is refused naming
// the row, and neither the saved table nor the one in use changes.
func TestHostileTableNotSaved(t *testing.T) {
	cfg := testConfig(t)
	a, err := loadAccounts(cfg)
	if err != nil {
		t.Fatal(err)
	}
	good := "extension,pbx_host\n1001,pbx\n"
	if _, _, err := a.replace(cfg.StateDir, []byte(good)); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{
		"extension,pbx_host,timezone\n1001,pbx,\n1002,pbx,Europe/Londn\n",
		"extension,pbx_host,transport\n1001,pbx,tls\n",
		"extension,pbx_host,preset\n1001,pbx,3cx\n",
		"extension,pbx_host,display_name\n1001,pbx,\"</displayName>" + strings.Repeat("x", 40) + "\"\n",
		"extension,pbx_host\n1001,\"pbx</processNodeName>\"\n",
	} {
		_, _, err := a.replace(cfg.StateDir, []byte(bad))
		if err == nil || !strings.Contains(err.Error(), "line ") {
			t.Errorf("%q: %v, want an error naming the line", bad, err)
		}
		if saved, _ := os.ReadFile(filepath.Join(cfg.StateDir, uploadedAccounts)); string(saved) != good {
			t.Errorf("%q: the saved table became %q", bad, saved)
		}
		if rows := a.current().Table.Rows; len(rows) != 1 || rows[0].Extension != "1001" || rows[0].PBXHost != "pbx" {
			t.Errorf("%q: the table in use became %+v", bad, rows)
		}
	}
}
