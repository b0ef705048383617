package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/phoneflash/phoneflash/firmware/fwgen"
)

const fwScale = 0.005 // 8.4 MB of SIP images become about 42 kB

func loadFiles(t *testing.T, l fwgen.Load) map[string][]byte {
	t.Helper()
	return filesAt(t, l, fwScale)
}

func sepConfig(load, pw string) []byte {
	return fmt.Appendf(nil, sipConfig[:strings.Index(sipConfig, "<loadInformation>")]+
		"<loadInformation>%s</loadInformation>\n</device>", pw, load)
}

const sepName = "SEP002290BAD777.cnf.xml"

// serveConfig serves the phone a SIP config naming the SIP load, with the
// line password pw.
func (b *bench) serveConfig(pw string) {
	b.setFiles(map[string][]byte{sepName: sepConfig("SIP11.9-4-2SR1-1S", pw)})
}

// serveSIP serves the SIP load's files and a config naming it.
func (b *bench) serveSIP(t *testing.T, pw string) {
	b.setFiles(loadFiles(t, fwgen.SIP942()))
	b.serveConfig(pw)
}

var sipBoot = []string{"CTLSEP002290BAD777.tlv=not-found", "ITLSEP002290BAD777.tlv=not-found",
	"ITLFile.tlv=not-found", sepName + "=ok", "dialplan.xml=not-found"}

// sipInstall is what a phone asks for from before on: the files in
// before, every image of the SIP load, then the SIP load's boot (sipBoot).
func sipInstall(before ...string) []string {
	return slices.Concat(before, withOutcome("ok", fwgen.SIP942().ImageNames()...), sipBoot)
}

func withOutcome(outcome string, names ...string) []string {
	var out []string
	for _, n := range names {
		out = append(out, n+"="+outcome)
	}
	return out
}

// TestIntegrationSIPDone: a SIP phone with a good config ends done, asking
// for exactly the SIP boot files; its DISCOVER is 548 bytes on the wire.
func TestIntegrationSIPDone(t *testing.T) {
	t.Parallel()
	b := newBench(t, 1)
	b.serveConfig("secret12")
	code, res := b.run(filepath.Join(b.dir, "flash.json"), "-scenario", "sip", "-model", "7906", "-until", "done")
	if code != 0 || res.State != "done" || res.Exit != "until" {
		t.Fatalf("exit %d state %s exit %s, want 0 done until", code, res.State, res.Exit)
	}
	if diff := cmp.Diff(sipBoot, names(res)); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if res.Config == nil || res.Config.Outcome != "provisioned" || res.Config.ProcessNode != "10.79.1.1" {
		t.Errorf("config check = %+v", res.Config)
	}
	if len(res.DHCP) != 1 || res.DHCP[0].IP != "198.18.1.100" || res.DHCP[0].TFTPSource != "option150" {
		t.Errorf("dhcp = %+v", res.DHCP)
	}
	b.mu.Lock()
	first := b.discovers[0]
	b.mu.Unlock()
	want := buildDHCP(Identity{MAC: testMAC, Model: "06"}, msgDiscover, 0, 0, nil, nil)
	if len(first) != 548 || !bytesEqualFrom(first, want, 8) {
		t.Errorf("DISCOVER on the wire (%d bytes) differs from the expected packet after the xid", len(first))
	}
}

func bytesEqualFrom(a, b []byte, off int) bool { return string(a[off:]) == string(b[off:]) }

// TestIntegrationOldLoaderLoops: a formatted phone with the old CNU offered
// the 9.x term file refuses it, asks again in pairs and fetches no image.
func TestIntegrationOldLoaderLoops(t *testing.T) {
	t.Parallel()
	b := newBench(t, 2)
	b.setFiles(loadFiles(t, fwgen.SIP942()))
	code, res := b.run(filepath.Join(b.dir, "flash.json"), "-scenario", "formatted-old", "-until", "rejected:3")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	want := []string{"term11.default.loads=ok", "term11.default.loads=ok", "term11.default.loads=ok",
		"term11.default.loads=ok", "term11.default.loads=ok"}
	if diff := cmp.Diff(want, names(res)); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if res.Rejections != 3 || res.Load != "" || res.CNU != cnuOld || res.FlashWrites != 0 {
		t.Errorf("rejections %d load %q cnu %s flash writes %d", res.Rejections, res.Load, res.CNU, res.FlashWrites)
	}
	// Pairs: the re-request comes about 1 s (scaled: 2 ms) after the first,
	// the next pair after retry_default_load (90..150 s, scaled: 180..300 ms).
	r := res.Requests
	if gap := r[1].AtMS - r[0].AtMS; gap > 100 {
		t.Errorf("pair gap %d ms, want about 2", gap)
	}
	if gap := r[2].AtMS - r[1].AtMS; gap < 150 {
		t.Errorf("cycle gap %d ms, want at least 180", gap)
	}
	if len(res.DHCP) < 3 {
		t.Errorf("%d DHCP exchanges, want one per cycle", len(res.DHCP))
	}
}

// TestIntegrationSteppingStone: the formatted old phone takes SCCP 8.5(2)
// from the term file, writes flash, reboots twice (CNU), then upgrades
// itself to SIP from its config and ends done.
func TestIntegrationSteppingStone(t *testing.T) {
	t.Parallel()
	b := newBench(t, 3)
	sccp, sip := fwgen.SCCP852(), fwgen.SIP942()
	sccpFiles := loadFiles(t, sccp)
	delete(sccpFiles, "SCCP11.8-5-2S.loads")
	b.setFiles(sccpFiles)
	sipFiles := loadFiles(t, sip)
	for _, tf := range sip.TermFiles() {
		delete(sipFiles, tf)
	}
	b.setFiles(sipFiles)
	b.serveConfig("secret12")
	code, res := b.run(filepath.Join(b.dir, "flash.json"), "-scenario", "formatted-old", "-until", "done")
	if code != 0 || res.State != "done" || res.Load != "SIP11.9-4-2SR1-1S" || res.CNU != cnuNew9 {
		t.Fatalf("exit %d state %s load %s cnu %s", code, res.State, res.Load, res.CNU)
	}
	want := append([]string{"term11.default.loads=ok"}, withOutcome("ok", sccp.ImageNames()...)...)
	want = append(want, sipInstall("CTLSEP002290BAD777.tlv=not-found", "ITLSEP002290BAD777.tlv=not-found", sepName+"=ok",
		"SIP11.9-4-2SR1-1S.loads=ok")...)
	if diff := cmp.Diff(want, names(res)); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if res.FlashWrites != 2 || res.Reboots != 4 || len(res.DHCP) != 3 {
		t.Errorf("flash writes %d (want 2), reboots %d (want 4), DHCP %d (want 3)", res.FlashWrites, res.Reboots, len(res.DHCP))
	}
	for i, r := range res.Requests[1:6] {
		if want := sccp.ImageSize(i, fwScale); r.Bytes != want {
			t.Errorf("%s: %d bytes, want %d", r.Name, r.Bytes, want)
		}
	}
}

// TestIntegrationPowerCutMidImage: killing the phone in the middle of an
// image keeps the old load; at power-on it asks for everything again.
func TestIntegrationPowerCutMidImage(t *testing.T) {
	t.Parallel()
	b := newBench(t, 4)
	sip := fwgen.SIP942()
	b.serveSIP(t, "secret12")
	apps := sip.ImageNames()[2]
	b.mu.Lock()
	b.throttle[apps] = 20 * time.Millisecond
	b.mu.Unlock()
	flash := filepath.Join(b.dir, "flash.json")
	cmd, out := b.start(flash, filepath.Join(b.dir, "cut.json"), "-scenario", "sccp852", "-until", "done")
	b.waitUntil(out, "the image never started", func() bool { return b.sent(apps) >= 2048 })
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	f, ok, err := loadFlash(flash)
	if !ok || err != nil || f.Load != "SCCP11.8-5-2S" || f.Writing != "" || !f.Powered {
		t.Fatalf("flash after the cut: %+v %v %v", f, ok, err)
	}
	b.mu.Lock()
	b.throttle[apps] = 0
	b.mu.Unlock()
	before := len(b.requests())
	code, res := b.run(flash, "-until", "done")
	if code != 0 || res.State != "done" || res.PowerCuts != 1 || res.FlashWrites != 1 {
		t.Fatalf("exit %d state %s power cuts %d flash writes %d", code, res.State, res.PowerCuts, res.FlashWrites)
	}
	want := sipInstall("CTLSEP002290BAD777.tlv=not-found", "ITLSEP002290BAD777.tlv=not-found", sepName+"=ok", "SIP11.9-4-2SR1-1S.loads=ok")
	if diff := cmp.Diff(want, names(res)); diff != "" {
		t.Errorf("requests after power-on (-want +got):\n%s", diff)
	}
	if got := b.requests()[before:]; len(got) != len(want) {
		t.Errorf("the server saw %d requests after power-on, want %d: %q", len(got), len(want), got)
	}
}

// TestIntegrationFlashWriteCut: a cut during the flash write (-cut-at) makes
// the next boot re-request the load it was writing.
func TestIntegrationFlashWriteCut(t *testing.T) {
	t.Parallel()
	b := newBench(t, 5)
	b.serveSIP(t, "abcdefghijklmnopqrstuvwxyz012345")
	flash := filepath.Join(b.dir, "flash.json")
	code, res := b.run(flash, "-scenario", "sccp852", "-cut-at", "flash-write")
	if code != exitCut || res.Exit != "power-cut" || res.State != "flashing" {
		t.Fatalf("exit %d (%s) state %s, want 3 power-cut flashing", code, res.Exit, res.State)
	}
	code, res = b.run(flash, "-until", "unprovisioned", "-pw-max", "30")
	if code != 0 || res.Load != "SIP11.9-4-2SR1-1S" || res.PowerCuts != 1 {
		t.Fatalf("exit %d load %s power cuts %d", code, res.Load, res.PowerCuts)
	}
	want := sipInstall("SIP11.9-4-2SR1-1S.loads=ok")
	if diff := cmp.Diff(want, names(res)); diff != "" {
		t.Errorf("requests after power-on (-want +got):\n%s", diff)
	}
	if c := res.Config; c == nil || c.Password != "too-long" || c.PasswordLen != 32 {
		t.Errorf("config check = %+v, want a too-long 32-character password", c)
	}
}

// TestIntegrationKeyedReset: a phone from a CUCM with an ITL only asks for
// a signed config; SIGUSR1 (the keyed reset) formats it into default-load
// mode.
func TestIntegrationKeyedReset(t *testing.T) {
	t.Parallel()
	b := newBench(t, 6)
	b.setFiles(loadFiles(t, fwgen.SIP942()))
	flash := filepath.Join(b.dir, "flash.json")
	res := b.signalled(flash, syscall.SIGUSR1, "no signed config request", func(string) bool {
		return strings.Contains(strings.Join(b.requests(), " "), sepName+".sgn")
	}, "-scenario", "old-cucm", "-until", "rejected")
	want := []string{"CTLSEP002290BAD777.tlv=not-found", "ITLSEP002290BAD777.tlv=not-found", sepName + ".sgn=not-found",
		"term11.default.loads=ok"}
	if diff := cmp.Diff(want, names(res)); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if res.Resets != 1 || res.Load != "" || res.CNU != cnuOld {
		t.Errorf("resets %d load %q cnu %s", res.Resets, res.Load, res.CNU)
	}
	if _, ok := res.ReachedMS["needs-reset"]; !ok {
		t.Errorf("never reached needs-reset: %v", res.ReachedMS)
	}
	if f, _, _ := loadFlash(flash); f.HasITL || f.Powered {
		t.Errorf("flash after the reset: %+v", f)
	}
}

// TestIntegrationIdleSIGTERM: an SCCP phone without any config idles after
// trying SEP<MAC>.cnf.xml and XMLDefault.cnf.xml; SIGTERM (a power cut)
// still writes the result.
func TestIntegrationIdleSIGTERM(t *testing.T) {
	t.Parallel()
	b := newBench(t, 7)
	// Two rounds (-idle-reask asks again), and the phone says it is idle
	// after the second: signalled any earlier, it would still be at config.
	res := b.signalled(filepath.Join(b.dir, "flash.json"), syscall.SIGTERM, "not two rounds of config requests",
		func(out string) bool { return len(b.requests()) >= 8 && strings.Count(out, "state=idle") >= 2 },
		"-scenario", "sccp852", "-model", "7906", "-idle-reask", "30s")
	want := []string{"CTLSEP002290BAD777.tlv=not-found", "ITLSEP002290BAD777.tlv=not-found", sepName + "=not-found",
		"XMLDefault.cnf.xml=not-found"}
	want = append(want, want...)
	if diff := cmp.Diff(want, names(res)[:8]); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if len(res.DHCP) < 2 {
		t.Errorf("%d DHCP exchanges, want one per round", len(res.DHCP))
	}
	if res.State != "idle" || res.Exit != "signal" || res.PowerCuts != 1 || res.Model != "CP-7906G" {
		t.Errorf("state %s exit %s power cuts %d model %s", res.State, res.Exit, res.PowerCuts, res.Model)
	}
}

// TestIntegrationNewCNUTakesSIPTermFile: a keyed reset at power-on on a
// phone with the 8.5 CNU puts it in default-load mode, where it accepts
// the 9.x term file (Scenario B step 4) and installs SIP from it.
func TestIntegrationNewCNUTakesSIPTermFile(t *testing.T) {
	t.Parallel()
	b := newBench(t, 8)
	b.serveSIP(t, "secret12")
	flash := filepath.Join(b.dir, "flash.json")
	code, res := b.run(flash, "-scenario", "sccp852", "-keyed-reset", "-until", "done")
	if code != 0 || res.Load != "SIP11.9-4-2SR1-1S" || res.Resets != 1 || res.FlashWrites != 1 || res.Reboots != 2 {
		t.Fatalf("exit %d load %s resets %d flash writes %d reboots %d", code, res.Load, res.Resets, res.FlashWrites, res.Reboots)
	}
	want := sipInstall("term11.default.loads=ok")
	if diff := cmp.Diff(want, names(res)); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

// TestIntegrationCutAtDHCP: a cut during DHCP is a plain reboot into the
// previous load.
func TestIntegrationCutAtDHCP(t *testing.T) {
	t.Parallel()
	b := newBench(t, 9)
	b.serveConfig("secret12")
	flash := filepath.Join(b.dir, "flash.json")
	code, res := b.run(flash, "-scenario", "sip", "-cut-at", "dhcp")
	if code != exitCut || len(res.Requests) != 0 || res.State != "dhcp" {
		t.Fatalf("exit %d state %s requests %d, want 3 dhcp 0", code, res.State, len(res.Requests))
	}
	code, res = b.run(flash, "-until", "done")
	if code != 0 || res.PowerCuts != 1 || res.Boots != 2 {
		t.Errorf("exit %d power cuts %d boots %d", code, res.PowerCuts, res.Boots)
	}
	if diff := cmp.Diff(sipBoot, names(res)); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

// TestIntegrationUnicastReplies: with replies unicast to the offered
// address, the AF_PACKET receiver gets the lease; a plain UDP socket
// cannot (the kernel drops them before the address is assigned).
func TestIntegrationUnicastReplies(t *testing.T) {
	t.Parallel()
	b := newBench(t, 10)
	b.unicastReplies()
	b.serveConfig("secret12")
	code, res := b.run(filepath.Join(b.dir, "udp.json"), "-scenario", "sip", "-dhcp-recv", "udp", "-max-time", "1s", "-until", "done")
	if code != exitMaxTime || len(res.DHCP) != 0 {
		t.Errorf("udp receiver: exit %d, %d leases; want exit 4 without a lease", code, len(res.DHCP))
	}
	code, res = b.run(filepath.Join(b.dir, "packet.json"), "-scenario", "sip", "-until", "done")
	if code != 0 || res.State != "done" {
		t.Errorf("packet receiver: exit %d state %s, want 0 done", code, res.State)
	}
}
