package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/phoneflash/phoneflash/appliance/nettest"
	"github.com/phoneflash/phoneflash/firmware/fwgen"
	"github.com/phoneflash/phoneflash/internal/kamailio"
	"github.com/phoneflash/phoneflash/internal/kamailio/kamailiotest"
	"github.com/phoneflash/phoneflash/internal/logtest"
	"github.com/phoneflash/phoneflash/internal/namespace"
	"github.com/phoneflash/phoneflash/internal/ziptest"
)

// officeResult is the part of phonesim's result the office test reads.
type officeResult struct {
	State    string `json:"state"`
	Load     string `json:"load"`
	Requests []struct {
		Name, Server, Outcome string
	} `json:"requests"`
	DHCP []struct {
		TFTP       string `json:"tftp"`
		TFTPSource string `json:"tftp_source"`
	} `json:"dhcp"`
	SIP *struct {
		State, Registrar, Transport string
	} `json:"registration"`
}

// TestIntegrationOfficeBundle: the bundle keeps a phone working after the
// bench. A 7911G on SCCP 8.5(2) is flashed to SIP by `phoneflash serve`,
// which then stops; `phoneflash export` writes the bundle; it is unpacked
// into an office namespace and served by Debian's tftpd-hpa, with dnsmasq
// as the office router's DHCP (option 150 only, no TFTP of its own). The
// same phone, powered on there with its flash kept, gets its config from
// tftpd-hpa (the firmware it already runs: nothing to load) and registers
// with Kamailio over the TCP its preset names, with no phoneflash running.
//
//	bench:  phoneflash 10.79.1.1 ── switch ── phone
//	office: dnsmasq + in.tftpd + Kamailio 198.51.100.1 ── phone (same flash)
func TestIntegrationOfficeBundle(t *testing.T) {
	nettest.RequireRoot(t)
	for _, c := range []string{"in.tftpd", "dnsmasq", "kamailio"} {
		nettest.RequireCommand(t, c)
	}
	const mac, pbx = "00:1b:d4:79:11:31", "198.51.100.1"
	b, root := flashAndExport(t, mac, pbx)

	office, err := b.r.addNS("office")
	if err != nil {
		t.Fatal(err)
	}
	phoneNS, err := b.r.addNS("oph")
	if err == nil {
		err = namespace.Veth(office, "lan", phoneNS, phoneIf)
	}
	if err != nil {
		t.Fatal(err)
	}
	nettest.Addr(t, office, "lan", pbx+"/24")
	officeServices(t, office, root, b.dir)
	k := kamailiotest.Start(t, office, kamailio.Config{Addr: netip.MustParseAddr(pbx), Users: []kamailio.User{{Extension: "1031", Password: "pw1031"}}})

	sp := b.simPhone(phoneNS, "o1", mac, "7911", "sccp852", []string{"-max-time", "90s"}) // the same flash file
	sp.Until, sp.Result = "registered", filepath.Join(b.dir, "office.result.json")
	cmd, err := sp.start()
	if err != nil {
		t.Fatal(err)
	}
	end := make(chan error, 1)
	go func() { end <- cmd.Wait() }()
	select {
	case err = <-end:
	case <-time.After(120 * time.Second):
		cmd.Process.Kill()
		err = <-end
	}
	var or officeResult
	data, _ := os.ReadFile(sp.Result)
	json.Unmarshal(data, &or)
	if err != nil || or.State != "registered" || or.SIP == nil || or.SIP.Registrar != pbx+":5060" || or.SIP.Transport != "TCP" {
		log, _ := os.ReadFile(sp.LogFile)
		t.Fatalf("office: %v, result %s\nphone log:\n%s", err, data, log)
	}
	checkOfficeBoot(t, or, pbx, "SEP"+strings.ToUpper(strings.ReplaceAll(mac, ":", ""))+".cnf.xml")
	locs, err := k.Locations(context.Background())
	if err != nil || len(locs) != 1 || locs[0].AoR != "1031" || !strings.HasPrefix(locs[0].Socket, "tcp:") {
		t.Errorf("Kamailio's location table: %+v, %v", locs, err)
	}
	if out, _ := exec.Command("pgrep", "-f", b.bin+" serve").Output(); len(out) > 0 {
		t.Errorf("phoneflash is still running: %s", out)
	}
}

// flashAndExport flashes a 7911G from SCCP 8.5(2) to SIP on the bench,
// with an account on pbx, stops the appliance, exports the office bundle
// and unpacks it; it returns the bench (for its phone's flash) and the
// unpacked TFTP root.
func flashAndExport(t *testing.T, mac, pbx string) (*accBench, string) {
	t.Helper()
	fw := firmwareStore(t, 0.01, fwgen.SIP942())
	b := newBenchWithPrefix(t, "pfp", fw, 1, "")
	table := "mac,extension,password,pbx_host,preset,timezone\n" + mac + ",1031,pw1031," + pbx + ",freepbx-pjsip,Europe/London\n"
	writeFile(t, b.accounts, []byte(table))
	b.serve("-policy", "direct")
	p := b.phone(0, "o1", mac, "7911", "sccp852")
	res, err := p.wait(t, 90*time.Second)
	if err != nil || res.State != "done" || res.Load != fwgen.SIP942().Name {
		t.Fatalf("bench: %+v, %v\nphone log:\n%s\nappliance log:\n%s", res, err, p.log(), b.srvLog)
	}
	b.srv.Process.Signal(syscall.SIGTERM)
	err = <-b.srvEnd
	b.srv = nil
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == exitStopped) {
		t.Fatalf("phoneflash serve after SIGTERM: %v, want exit %d", err, exitStopped)
	}

	bundle := filepath.Join(b.dir, "office.zip")
	var stderr logtest.Buffer
	if code := run(context.Background(), []string{"export", "-state", b.state, "-firmware", fw, "-accounts", b.accounts, "-out", bundle}, io.Discard, &stderr); code != exitOK {
		t.Fatalf("export: exit %d: %s", code, stderr.String())
	}
	root := unpackBundle(t, bundle)
	return b, root
}

// checkOfficeBoot: the office boot took its TFTP server from option 150,
// fetched its config and the dial plan from it, and loaded no firmware.
func checkOfficeBoot(t *testing.T, r officeResult, server, config string) {
	t.Helper()
	if len(r.DHCP) == 0 || r.DHCP[0].TFTP != server || !strings.Contains(r.DHCP[0].TFTPSource, "150") {
		t.Errorf("DHCP: %+v, want TFTP %s from option 150", r.DHCP, server)
	}
	var ok []string
	for _, q := range r.Requests {
		if strings.HasSuffix(q.Name, ".loads") || strings.HasSuffix(q.Name, ".sbn") {
			t.Errorf("the phone loaded firmware in the office: %+v", q)
		}
		if q.Outcome == "ok" {
			ok = append(ok, q.Name)
		}
	}
	for _, want := range []string{config, "dialplan.xml"} {
		if !slices.Contains(ok, want) {
			t.Errorf("office TFTP served %v, want %s among them", ok, want)
		}
	}
}

// unpackBundle extracts the bundle into a folder the TFTP server may read.
func unpackBundle(t *testing.T, bundle string) string {
	t.Helper()
	root, err := os.MkdirTemp("", "pfp-tftproot-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range ziptest.File(t, bundle) {
		if strings.ContainsAny(name, "/\\") {
			t.Fatalf("bundle entry %q is not at the top level", name)
		}
		writeFile(t, filepath.Join(root, name), data)
	}
	return root
}

// officeServices starts the office's DHCP (dnsmasq: option 150 naming the
// TFTP server, DNS and its own TFTP off) and TFTP (tftpd-hpa on root).
func officeServices(t *testing.T, ns, root, dir string) {
	t.Helper()
	for _, args := range [][]string{
		{"dnsmasq", "-k", "-C", "/dev/null", "--port=0", "--interface=lan", "--bind-interfaces", "--log-dhcp",
			"--dhcp-range=198.51.100.100,198.51.100.150,255.255.255.0,1h", "--dhcp-option=150,198.51.100.1",
			"--dhcp-leasefile=" + filepath.Join(dir, "office.leases"), "--pid-file=" + filepath.Join(dir, "dnsmasq.pid")},
		{"in.tftpd", "-L", "-v", "-u", "root", "-a", "198.51.100.1:69", "-s", root},
	} {
		cmd := nettest.Command(ns, args...)
		log := &logtest.Buffer{}
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Start(); err != nil {
			t.Fatalf("%s: %v", args[0], err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		t.Cleanup(func() {
			cmd.Process.Kill()
			<-done
			if t.Failed() {
				t.Logf("%s log:\n%s", args[0], log)
			}
		})
	}
	time.Sleep(300 * time.Millisecond) // both bind their sockets
}
