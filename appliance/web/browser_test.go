package web

import (
	"context"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phoneflash/phoneflash/appliance/session"
	"github.com/phoneflash/phoneflash/appliance/status"
	"github.com/phoneflash/phoneflash/appliance/web/webtest"
	"github.com/phoneflash/phoneflash/firmware"
	"github.com/phoneflash/phoneflash/internal/clocktest"
)

const (
	target = "SIP11.9-4-2SR1-1S"
	vci06  = "Cisco Systems, Inc. IP Phone CP-7906G\x00"
)

var targetImages = []string{"jar11sip.9-4-2ES9.sbn", "cnu11.9-4-2ES9.sbn", "apps11.9-4-2ES9.sbn",
	"dsp11.9-4-2ES9.sbn", "cvm11sip.9-4-2ES9.sbn"}

// oneLoad is a firmware catalog holding only the target, of 700 KiB
// images: every phone gets it directly (the machine runs the direct
// policy).
type oneLoad struct{}

func (oneLoad) Loads() []firmware.Load {
	l, _ := oneLoad{}.Load(target)
	return []firmware.Load{l}
}

func (oneLoad) Load(name string) (firmware.Load, bool) {
	if name != target {
		return firmware.Load{}, false
	}
	ln, _ := firmware.ParseLoadName(target)
	l := firmware.Load{Name: target, Protocol: ln.Protocol, Version: ln.Version, Images: slices.Clone(targetImages),
		Files: []firmware.FileInfo{{Name: ln.FileName()}}}
	for _, m := range firmware.BuiltinModels() {
		l.Models = append(l.Models, m.Name)
		l.Files = append(l.Files, firmware.FileInfo{Name: m.TermFile()})
	}
	for _, img := range targetImages {
		l.Files = append(l.Files, firmware.FileInfo{Name: img, Size: 700 << 10})
	}
	return l, true
}

type plainConfigs struct{}

func (plainConfigs) Stepping(mac string, model firmware.Model, load string) ([]byte, error) {
	return []byte("<device><loadInformation>" + load + "</loadInformation></device>"), nil
}
func (plainConfigs) SIP(mac, port string, model firmware.Model, load, account string) ([]byte, string, string, error) {
	return []byte("<device/>"), "done", "", nil
}
func (plainConfigs) Default([]firmware.ModelLoad) ([]byte, error) { return []byte("<Default/>"), nil }
func (plainConfigs) DialPlan() ([]byte, error)                    { return []byte("<DIALTEMPLATE/>"), nil }

// memJournal keeps records in memory, for the history view.
type memJournal struct {
	mu   sync.Mutex
	recs []session.Record
}

func (j *memJournal) Record(r session.Record) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.recs = append(j.recs, r)
	return nil
}

func (j *memJournal) history(mac string) ([]session.Record, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []session.Record
	for _, r := range j.recs {
		if r.MAC == mac {
			out = append(out, r)
		}
	}
	return out, nil
}

// oledOf renders the OLED frame of the manager's phones, as the appliance
// does.
func oledOf(m *session.Manager) func() image.Image {
	return func() image.Image {
		snap := status.Snapshot{State: status.Ready, Uplink: "192.0.2.7", Target: target}
		for i, name := range []string{"eth1", "eth2", "eth3"} {
			pv := status.PortView{Index: i, Name: name}
			for _, p := range m.Snapshot() {
				if p.Port == name {
					pv.Phones = append(pv.Phones, p)
				}
			}
			snap.Ports = append(snap.Ports, pv)
		}
		return status.Render(snap, 0)
	}
}

// liveBench is the web server over a real session.Manager with a clock the
// test moves, served on loopback.
type liveBench struct {
	m     *session.Manager
	base  string
	clock *clocktest.Clock
}

func newLiveBench(t *testing.T) *liveBench {
	b := &liveBench{clock: clocktest.New(t0)}
	j := &memJournal{}
	plan := func(port, account string) session.RegisterPlan {
		return session.RegisterPlan{Registrar: "192.0.2.10:5060"}
	}
	b.m = session.NewManager(session.ManagerConfig{Machine: session.Machine{Catalog: oneLoad{}, Configs: plainConfigs{},
		Policy: firmware.PolicyDirect, Registration: plan}, Target: target, Now: b.clock.Now, Journal: j})
	srv, err := New(Options{Phones: b.m, History: j.history, Frame: oledOf(b.m), Password: password, Now: b.clock.Now, Target: target,
		Retry: b.m.Retry, Forget: b.m.Forget, PowerCycle: func(string) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := serveLoopback(t, srv)
	b.base = "http://" + addr
	return b
}

// phone is one thing a phone does, a second after the last.
func (b *liveBench) phone(e session.Event) {
	b.clock.Advance(time.Second)
	b.m.Handle(e)
}

func stageOf(mac string) string {
	return fmt.Sprintf(`(document.querySelector('#row-%s .stage') || {}).textContent`, mac)
}

// TestIntegrationBrowserLiveUpdates loads the page once in headless
// Chromium (through the login form) while a phone goes from dhcp to done
// through a real session.Manager, and checks that the page shows every
// stage without a reload; then it retries a phone from the page and
// opens a history. The final screenshots are written next to
// $PHONEFLASH_SCREENSHOT when set.
func TestIntegrationBrowserLiveUpdates(t *testing.T) {
	br := webtest.Start(t, 1100, 820)
	b := newLiveBench(t)
	// Two phones that need a person, on other ports.
	stuck, odd := "001122000002", "001122000003"
	b.phone(session.DHCP{Kind: session.DHCPDiscover, MAC: stuck, Port: "eth2", PortIndex: 1, VendorClass: vci06})
	b.phone(session.TFTPRequest{MAC: stuck, File: "SEP" + stuck + ".cnf.xml.sgn"})
	b.phone(session.DHCP{Kind: session.DHCPDiscover, MAC: odd, Port: "eth3", PortIndex: 2})
	b.phone(session.TFTPRequest{MAC: odd, File: "SEP" + odd + ".cnf.xml"})

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	br.Navigate(b.base + "/login")
	br.WaitFor(ctx, `document.readyState === "complete" && !!document.querySelector('input[name=password]')`, true)
	br.Eval(fmt.Sprintf(`document.querySelector('input[name=password]').value = %q; document.querySelector('form').submit(); true`, password))
	br.WaitFor(ctx, `location.pathname === "/" && document.readyState === "complete" && document.getElementById('conn').textContent`, "live")
	br.Eval(`window.loadedOnce = "yes"`)
	loads := br.Navigations()

	mac := "001122000001"
	journey(ctx, b, br, mac)
	notRegistered(ctx, t, b, br, "001122000005")
	// The ports are the numbers on the box, the interface on hover; the
	// target is named once, above the phones.
	br.WaitFor(ctx, fmt.Sprintf(`[document.querySelector('#row-%[1]s td').textContent, document.querySelector('#row-%[1]s td').title].join(" ")`, mac), "1 eth1")
	br.WaitFor(ctx, `document.getElementById('target').textContent`, target)
	if got := br.Eval(`document.querySelector('#phones tbody').textContent.includes("→")`); got != false {
		t.Error("a row still shows load → target")
	}
	br.WaitFor(ctx, `document.getElementById('summary').textContent.startsWith("4 phones: 2 done (1 with a warning), 2 needing a person")`, true)

	// An action from the page: retry the phone that needs a reset.
	br.WaitFor(ctx, stageOf(stuck), "needs-reset")
	br.Eval(fmt.Sprintf(`[...document.querySelectorAll('#row-%s button')].find(b => b.textContent === "retry").click(); true`, stuck))
	br.WaitFor(ctx, stageOf(stuck), "powered")
	if s, _ := b.m.State(stuck); s.Stage != session.StagePowered {
		t.Errorf("after retry from the page the phone is %s", s.Stage)
	}
	// Its history, on click.
	br.Eval(fmt.Sprintf(`document.querySelector('#row-%s').click(); true`, mac))
	br.WaitFor(ctx, fmt.Sprintf(`document.querySelector('#row-%s').nextElementSibling.querySelectorAll('li').length > 3`, mac), true)
	halfway(ctx, b, br, "001122000004")

	if got := br.Eval(`window.loadedOnce`); got != "yes" || br.Navigations() != loads {
		t.Errorf("the page was reloaded (marker %v, navigations %d, want %d)", got, br.Navigations(), loads)
	}
	saveShot(t, "", br.Screenshot(1100, false))
	saveShot(t, "-phone", br.Screenshot(390, true))
}

// journey takes phone mac from dhcp to done, checking that the page
// shows each stage.
func journey(ctx context.Context, b *liveBench, br *webtest.Browser, mac string) {
	b.phone(session.DHCP{Kind: session.DHCPDiscover, MAC: mac, Port: "eth1", VendorClass: vci06})
	b.phone(session.DHCP{Kind: session.DHCPAck, MAC: mac, Port: "eth1", IP: "10.79.1.100", VendorClass: vci06})
	br.WaitFor(ctx, stageOf(mac), "dhcp")
	for _, f := range []string{"CTLSEP" + mac + ".tlv", "ITLSEP" + mac + ".tlv", "SEP" + mac + ".cnf.xml"} {
		b.phone(session.TFTPRequest{MAC: mac, File: f})
	}
	br.WaitFor(ctx, stageOf(mac), "config")
	b.phone(session.TFTPRequest{MAC: mac, File: target + ".loads"})
	for i, img := range targetImages {
		b.phone(session.TFTPRequest{MAC: mac, File: img})
		b.phone(session.TFTPProgress{MAC: mac, File: img, Bytes: 300 << 10, Total: 700 << 10})
		if i == 2 {
			br.WaitFor(ctx, stageOf(mac), "loading")
			br.WaitFor(ctx, fmt.Sprintf(`document.querySelector('#row-%s').textContent.includes("file 3 of 5")`, mac), true)
		}
		b.phone(session.TFTPDone{MAC: mac, File: img})
	}
	br.WaitFor(ctx, stageOf(mac), "applying")
	b.phone(session.Link{Port: "eth1", Up: false})
	b.phone(session.Link{Port: "eth1", Up: true})
	b.phone(session.DHCP{Kind: session.DHCPDiscover, MAC: mac, Port: "eth1", VendorClass: vci06})
	b.phone(session.TFTPRequest{MAC: mac, File: "SEP" + mac + ".cnf.xml"})
	br.WaitFor(ctx, stageOf(mac), "registering")
	b.phone(session.SIP{Kind: session.SIPRegister, MAC: mac, Extension: "1006", PBX: "192.0.2.10:5060", Transport: "UDP"})
	b.phone(session.SIP{Kind: session.SIPRegistered, MAC: mac, Extension: "1006", PBX: "192.0.2.10:5060", Transport: "UDP", Status: 200, Reason: "OK"})
	br.WaitFor(ctx, stageOf(mac), "done")
	br.WaitFor(ctx, fmt.Sprintf(`document.querySelector('#row-%s .reg.registered').textContent.startsWith("registered 1006 at 192.0.2.10:5060 (UDP) at ")`, mac), true)
}

// notRegistered takes phone mac on eth3 to done without a registration:
// the PBX does not answer. The page shows it done with a warning, not
// green.
func notRegistered(ctx context.Context, t *testing.T, b *liveBench, br *webtest.Browser, mac string) {
	b.phone(session.DHCP{Kind: session.DHCPDiscover, MAC: mac, Port: "eth3", PortIndex: 2, VendorClass: vci06})
	b.phone(session.TFTPRequest{MAC: mac, File: "SEP" + mac + ".cnf.xml"})
	b.phone(session.TFTPRequest{MAC: mac, File: target + ".loads"})
	for _, img := range targetImages {
		b.phone(session.TFTPRequest{MAC: mac, File: img})
		b.phone(session.TFTPDone{MAC: mac, File: img})
	}
	b.phone(session.DHCP{Kind: session.DHCPDiscover, MAC: mac, Port: "eth3", PortIndex: 2, VendorClass: vci06})
	b.phone(session.TFTPRequest{MAC: mac, File: "SEP" + mac + ".cnf.xml"})
	b.phone(session.SIP{Kind: session.SIPUnreachable, MAC: mac, Extension: "1007", Transport: "UDP", Reason: "UDP: no answer to REGISTER within 32s"})
	br.WaitFor(ctx, stageOf(mac), "done")
	row := fmt.Sprintf(`document.querySelector('#row-%s`, mac)
	br.WaitFor(ctx, row+` .stage').className`, "stage done warn")
	green := br.Eval(`getComputedStyle(document.querySelector('.stage.done:not(.warn)')).backgroundColor`)
	if got := br.Eval(`getComputedStyle(` + row + ` .stage')).backgroundColor`); got == green {
		t.Errorf("a phone done with a warning is as green (%v) as a registered one: %v", got, br.Eval(row+`').textContent`))
	}
}

// halfway leaves phone mac on eth1 halfway through its third file, with a
// transfer rate shown.
func halfway(ctx context.Context, b *liveBench, br *webtest.Browser, mac string) {
	b.phone(session.DHCP{Kind: session.DHCPDiscover, MAC: mac, Port: "eth1", VendorClass: vci06})
	b.phone(session.TFTPRequest{MAC: mac, File: "SEP" + mac + ".cnf.xml"})
	for _, img := range targetImages[:3] {
		b.phone(session.TFTPRequest{MAC: mac, File: img})
		if img != targetImages[2] {
			b.phone(session.TFTPDone{MAC: mac, File: img})
		}
	}
	for _, n := range []int64{100 << 10, 420 << 10} {
		b.phone(session.TFTPProgress{MAC: mac, File: targetImages[2], Bytes: n, Total: 700 << 10})
		br.WaitFor(ctx, fmt.Sprintf(`(document.querySelector('#row-%s progress') || {}).value`, mac), float64(1400<<10+n))
	}
	br.WaitFor(ctx, fmt.Sprintf(`document.querySelector('#row-%s').textContent.includes("KiB/s")`, mac), true)
}

// saveShot keeps a screenshot in the test's folder and, when
// $PHONEFLASH_SCREENSHOT names a .png, next to it (suffix before .png).
func saveShot(t *testing.T, suffix string, png []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(t.TempDir(), "status-page"+suffix+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
	out := os.Getenv("PHONEFLASH_SCREENSHOT")
	if out == "" {
		return
	}
	out = strings.TrimSuffix(out, ".png") + suffix + ".png"
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot written to %s", out)
}
