package main

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/phoneflash/phoneflash/appliance/nettest"
	"github.com/phoneflash/phoneflash/firmware/fwgen"
	"github.com/phoneflash/phoneflash/internal/logtest"
)

// bench is the appliance's namespace with two bench ports and an uplink,
// and one client namespace behind each.
type bench struct {
	id                 string
	srv, c1, c2, up    string // namespaces
	p1, p2, uplink     string // the appliance's interfaces
	if1, if2, ifUp     string // the clients' interfaces
	fw, state, secret  string
	bin                string
	image              []byte // the largest .sbn of the store
	imageName, imgPath string
}

func newBench(t *testing.T) *bench {
	t.Helper()
	nettest.RequireRoot(t)
	for _, c := range []string{"udhcpc", "tftp", "curl", "tcpdump"} {
		nettest.RequireCommand(t, c)
	}
	id := nettest.Unique("pfn")
	b := &bench{id: id, srv: nettest.NS(t, id+"-srv"), c1: nettest.NS(t, id+"-c1"), c2: nettest.NS(t, id+"-c2"),
		up: nettest.NS(t, id+"-up"), p1: id + "p1", p2: id + "p2", uplink: id + "u0",
		if1: id + "c1", if2: id + "c2", ifUp: id + "uc"}
	nettest.Veth(t, b.srv, b.p1, b.c1, b.if1)
	nettest.Veth(t, b.srv, b.p2, b.c2, b.if2)
	nettest.Veth(t, b.srv, b.uplink, b.up, b.ifUp)
	nettest.Must(t, b.srv, "ip", "link", "set", b.p2, "down") // netconf brings it up
	nettest.Addr(t, b.srv, b.uplink, "192.0.2.1/24")
	nettest.Addr(t, b.up, b.ifUp, "192.0.2.2/24")

	dir := t.TempDir()
	// The firmware store at real size: the largest image (3 MB) is the
	// big download, and the store's manifests say what is served.
	b.fw, b.state = firmwareStore(t, 1, fwgen.SIP942()), filepath.Join(dir, "state")
	if err := os.MkdirAll(b.state, 0o755); err != nil {
		t.Fatal(err)
	}
	b.imageName = fwgen.SIP942().ImageNames()[2]
	b.imgPath = filepath.Join(b.fw, fwgen.SIP942().Name, b.imageName)
	img, err := os.ReadFile(b.imgPath)
	if err != nil {
		t.Fatal(err)
	}
	b.image = img
	b.secret = filepath.Join(dir, "secret.txt")
	writeFile(t, b.secret, []byte("TOP SECRET"))
	writeFile(t, filepath.Join(b.fw, "loose.sbn"), []byte("in the store's folder, in no manifest"))
	if err := os.Symlink(b.secret, filepath.Join(b.fw, "link.sbn")); err != nil {
		t.Fatal(err)
	}
	b.bin = buildPhoneflash(t, dir)
	return b
}

// buildPhoneflash builds this command into dir and returns the binary.
func buildPhoneflash(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "phoneflash")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func writeFile(t *testing.T, name string, b []byte) {
	t.Helper()
	if err := os.WriteFile(name, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

type server struct {
	cmd  *exec.Cmd
	log  *logtest.Buffer
	done chan error
}

// start runs `phoneflash serve` in the appliance's namespace and waits until
// both ports carry their addresses.
func (b *bench) start(t *testing.T) *server {
	t.Helper()
	return startServe(t, b.srv, b.p1, b.p2, 10*time.Second, "", b.bin, "serve", "-ports", b.p1+","+b.p2, "-uplink", b.uplink,
		"-board", "none", "-firmware", b.fw, "-state", b.state, "-http", "")
}

// startServe runs argv (the binary, "serve" and its flags) in namespace ns
// and waits, up to wait, until bench ports p1 and p2 carry their addresses
// and the log holds ready ("" for nothing more); it fails the test if serve
// ends first.
func startServe(t *testing.T, ns, p1, p2 string, wait time.Duration, ready string, argv ...string) *server {
	t.Helper()
	s := &server{log: &logtest.Buffer{}, done: make(chan error, 1)}
	s.cmd = nettest.Command(ns, argv...)
	s.cmd.Stderr = s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		err := <-s.done
		s.done <- err
		t.Logf("phoneflash %s log:\n%s", strings.Join(argv[1:], " "), s.log)
	})
	deadline := time.Now().Add(wait)
	for {
		a1, _ := nettest.Run(ns, "ip", "-o", "addr", "show", "dev", p1)
		a2, _ := nettest.Run(ns, "ip", "-o", "addr", "show", "dev", p2)
		if strings.Contains(a1, "10.79.1.1/24") && strings.Contains(a2, "10.79.2.1/24") && strings.Contains(s.log.String(), ready) {
			time.Sleep(300 * time.Millisecond) // the servers open their sockets
			return s
		}
		select {
		case err := <-s.done:
			s.done <- err
			t.Fatalf("phoneflash serve ended at start: %v\n%s", err, s.log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("bench not up after %v:\n%s\n%s\nlog:\n%s", wait, a1, a2, s.log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends SIGTERM and wants exit code 143 (exitStopped).
func (s *server) stop(t *testing.T) {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		s.done <- err // for the cleanup
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != exitStopped {
			t.Fatalf("phoneflash serve after SIGTERM: %v, want exit code %d", err, exitStopped)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("phoneflash serve did not stop within 10 s of SIGTERM")
	}
}

var leaseRE = regexp.MustCompile(`lease of (\S+) obtained`)

// udhcpc runs Debian's busybox DHCP client in ns on dev while tcpdump
// records the exchange, assigns the leased address, and returns it with the
// server's replies as captured on the wire.
func udhcpc(t *testing.T, ns, dev string) (string, []*dhcpv4.DHCPv4) {
	t.Helper()
	pcap := filepath.Join(t.TempDir(), "dhcp.pcap")
	var tdErr logtest.Buffer
	td := nettest.Command(ns, "tcpdump", "-i", dev, "--immediate-mode", "-U", "-n", "-w", pcap, "udp port 67 or udp port 68")
	td.Stderr = &tdErr
	if err := td.Start(); err != nil {
		t.Fatal(err)
	}
	for i := 0; !strings.Contains(tdErr.String(), "listening on"); i++ {
		if i > 100 {
			t.Fatalf("tcpdump did not start: %s", tdErr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	out, err := nettest.Run(ns, "udhcpc", "-i", dev, "-f", "-q", "-n", "-t", "10", "-T", "1", "-s", "/bin/true")
	time.Sleep(100 * time.Millisecond)
	td.Process.Signal(syscall.SIGINT)
	td.Wait()
	if err != nil {
		t.Fatalf("udhcpc on %s: %v", dev, err)
	}
	m := leaseRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("udhcpc printed no lease:\n%s", out)
	}
	pkts, err := nettest.ReadPcapUDP(pcap)
	if err != nil {
		t.Fatal(err)
	}
	var replies []*dhcpv4.DHCPv4
	for _, p := range pkts {
		if p.Src.Port() == 67 {
			msg, err := dhcpv4.FromBytes(p.Payload)
			if err != nil {
				t.Fatalf("reply on the wire does not parse: %v", err)
			}
			replies = append(replies, msg)
		}
	}
	nettest.Addr(t, ns, dev, m[1]+"/24")
	return m[1], replies
}

// checkTFTPOptions wants an OFFER and an ACK naming server as TFTP server in
// option 150 (4 bytes, binary), option 66 (text) and siaddr.
func checkTFTPOptions(t *testing.T, replies []*dhcpv4.DHCPv4, server net.IP) {
	t.Helper()
	seen := map[string]bool{}
	for _, r := range replies {
		mt := r.MessageType().String()
		seen[mt] = true
		if got := r.GetOneOption(dhcpv4.OptionTFTPServerAddress); !bytes.Equal(got, server.To4()) {
			t.Errorf("%s option 150 = % x, want % x", mt, got, []byte(server.To4()))
		}
		if got := string(r.GetOneOption(dhcpv4.OptionTFTPServerName)); got != server.String() {
			t.Errorf("%s option 66 = %q, want %q", mt, got, server.String())
		}
		if !r.ServerIPAddr.Equal(server) {
			t.Errorf("%s siaddr = %s, want %s", mt, r.ServerIPAddr, server)
		}
	}
	if !seen["OFFER"] || !seen["ACK"] {
		t.Errorf("replies on the wire: %v, want an OFFER and an ACK", seen)
	}
}

func sha(b []byte) [32]byte { return sha256.Sum256(b) }

func TestIntegrationServeEndToEnd(t *testing.T) {
	b := newBench(t)
	srv := b.start(t)

	// Debian's DHCP client gets a lease on each port, with our address on
	// that port as TFTP server in options 150 and 66, checked on the wire.
	ip1, replies1 := udhcpc(t, b.c1, b.if1)
	ip2, replies2 := udhcpc(t, b.c2, b.if2)
	if ip1 != "10.79.1.100" || ip2 != "10.79.2.100" {
		t.Errorf("leases %s and %s, want 10.79.1.100 and 10.79.2.100", ip1, ip2)
	}
	checkTFTPOptions(t, replies1, net.IPv4(10, 79, 1, 1))
	checkTFTPOptions(t, replies2, net.IPv4(10, 79, 2, 1))

	t.Run("7906G DISCOVER", func(t *testing.T) { b.checkPhoneDiscover(t, srv) })
	t.Run("uplink is never answered", func(t *testing.T) { b.checkUplinkSilent(t, srv) })
	t.Run("another DHCP server is reported", func(t *testing.T) { b.checkRogueReported(t, srv) })
	t.Run("tftp-hpa and curl download a 3 MB image", func(t *testing.T) { b.checkDownloads(t, srv) })
	t.Run("traversal and writes are refused", func(t *testing.T) { b.checkRefusals(t, srv) })
	t.Run("a port unplugged and plugged in again", func(t *testing.T) { b.checkReplug(t, srv) })

	// Restarting keeps leases: a new phone on port 1 does not get the
	// address of the first client.
	srv.stop(t)
	srv2 := b.start(t)
	mac := net.HardwareAddr{0x00, 0x1b, 0xd4, 0x79, 0x11, 0x01}
	if offer, err := discover(t, b.c1, b.if1, mac, "CP-7911G", 3*time.Second); err != nil || offer.YourIPAddr.String() != "10.79.1.101" {
		t.Errorf("after restart a new phone was offered %v (%v), want 10.79.1.101: the first lease was lost", offer, err)
	}
	srv2.stop(t)
}

func checkFile(t *testing.T, name string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if sha(got) != sha(want) {
		t.Errorf("%s: %d bytes, want %d identical bytes", name, len(got), len(want))
	}
}

func waitLog(t *testing.T, s *server, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(s.log.String(), want) {
		if time.Now().After(deadline) {
			t.Errorf("log lacks %q", want)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}
