package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/dhcpv4/server4"
	"github.com/pin/tftp/v3"

	"github.com/phoneflash/phoneflash/appliance/nettest"
	"github.com/phoneflash/phoneflash/internal/logtest"
	"github.com/phoneflash/phoneflash/internal/udpsock"
)

// The integration tests run phonesim in its own network namespace against a
// DHCP responder (insomniacslk server4) and a TFTP server (pin/tftp) in a
// server namespace, joined by a veth pair. Names start with pfs.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// phonesimBinary builds the command once per test run.
func phonesimBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "phonesim-test-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "phonesim")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// bench is one server namespace and one phone namespace.
type bench struct {
	t        *testing.T
	srvNS    string
	phoneNS  string
	srvIf    string
	phoneIf  string
	serverIP net.IP
	dir      string

	mu        sync.Mutex
	files     map[string][]byte
	rrqs      []string // names the TFTP server was asked for, in order
	discovers [][]byte // DHCP payloads as received
	unicast   bool     // answer DHCP to yiaddr:68 (like dnsmasq) instead of broadcast
	throttle  map[string]time.Duration
	progress  map[string]int64 // bytes read by the server per file
}

// newBench creates the namespaces; n (0..250) keeps names and subnets apart.
func newBench(t *testing.T, n int) *bench {
	t.Helper()
	nettest.RequireRoot(t)
	tag := fmt.Sprintf("%d%d", os.Getpid()%1000, n)
	b := &bench{t: t, srvNS: "pfs-s" + tag, phoneNS: "pfs-p" + tag, srvIf: "pfs" + tag + "s", phoneIf: "pfs" + tag + "p",
		serverIP: net.IPv4(198, 18, byte(n), 1).To4(), dir: t.TempDir(), files: map[string][]byte{},
		throttle: map[string]time.Duration{}, progress: map[string]int64{}}
	nettest.NS(t, b.srvNS)
	nettest.NS(t, b.phoneNS)
	// The phone's end stays down: phonesim brings its interface up itself.
	nettest.Must(t, b.srvNS, "ip", "link", "add", b.srvIf, "type", "veth", "peer", "name", b.phoneIf, "netns", b.phoneNS)
	nettest.Addr(t, b.srvNS, b.srvIf, b.serverIP.String()+"/24")
	nettest.Must(t, b.srvNS, "ip", "link", "set", b.srvIf, "up")
	b.serve()
	return b
}

// recConn records every DHCP payload the server receives.
type recConn struct {
	net.PacketConn
	b *bench
}

func (c recConn) ReadFrom(p []byte) (int, net.Addr, error) {
	n, a, err := c.PacketConn.ReadFrom(p)
	if err == nil {
		c.b.mu.Lock()
		c.b.discovers = append(c.b.discovers, append([]byte(nil), p[:n]...))
		c.b.mu.Unlock()
	}
	return n, a, err
}

// serve starts the DHCP responder and the TFTP server in the server namespace.
func (b *bench) serve() {
	t := b.t
	var dconn, tconn net.PacketConn
	err := nettest.Do(b.srvNS, func() error {
		var err error
		if dconn, err = udpsock.Listen(t.Context(), b.srvIf, "0.0.0.0:67"); err != nil {
			return fmt.Errorf("dhcp listen: %w", err)
		}
		if tconn, err = net.ListenPacket("udp4", b.serverIP.String()+":69"); err != nil {
			return fmt.Errorf("tftp listen: %w", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := server4.NewServer("", nil, b.dhcpHandler, server4.WithConn(recConn{dconn, b}))
	if err != nil {
		t.Fatal(err)
	}
	go ds.Serve()
	t.Cleanup(func() { ds.Close() })
	ts := tftp.NewServer(b.tftpRead, nil)
	ts.EnableSinglePort() // per-transfer sockets would open outside the namespace
	ts.SetTimeout(500 * time.Millisecond)
	ts.SetRetries(2)
	go ts.Serve(tconn)
	t.Cleanup(ts.Shutdown)
}

func (b *bench) dhcpHandler(conn net.PacketConn, peer net.Addr, m *dhcpv4.DHCPv4) {
	var mt dhcpv4.MessageType
	switch m.MessageType() {
	case dhcpv4.MessageTypeDiscover:
		mt = dhcpv4.MessageTypeOffer
	case dhcpv4.MessageTypeRequest:
		mt = dhcpv4.MessageTypeAck
	default:
		return
	}
	yi := append(net.IP(nil), b.serverIP...)
	yi[3] = 100
	b.mu.Lock()
	unicast := b.unicast
	b.mu.Unlock()
	resp, err := dhcpv4.NewReplyFromRequest(m, dhcpv4.WithMessageType(mt), dhcpv4.WithYourIP(yi),
		dhcpv4.WithNetmask(net.CIDRMask(24, 32)), dhcpv4.WithLeaseTime(3600),
		dhcpv4.WithOption(dhcpv4.OptServerIdentifier(b.serverIP)), dhcpv4.WithOption(dhcpv4.OptRouter(b.serverIP)),
		dhcpv4.WithOption(dhcpv4.OptGeneric(dhcpv4.GenericOptionCode(150), b.serverIP)),
		dhcpv4.WithOption(dhcpv4.OptTFTPServerName(b.serverIP.String())))
	if err != nil {
		b.t.Errorf("dhcp reply: %v", err)
		return
	}
	if unicast {
		peer = &net.UDPAddr{IP: yi, Port: 68}
	}
	if _, err := conn.WriteTo(resp.ToBytes(), peer); err != nil {
		b.t.Errorf("dhcp send to %s: %v", peer, err)
	}
}

// unicastReplies makes the DHCP responder unicast to the offered address,
// with a static neighbour entry for the phone's MAC (as dnsmasq does).
func (b *bench) unicastReplies() {
	yi := append(net.IP(nil), b.serverIP...)
	yi[3] = 100
	nettest.Must(b.t, b.srvNS, "ip", "neigh", "replace", yi.String(), "lladdr", testMAC.String(), "dev", b.srvIf, "nud", "permanent")
	b.mu.Lock()
	b.unicast = true
	b.mu.Unlock()
}

// slowReader paces a file and counts the bytes the server has sent.
type slowReader struct {
	r     io.Reader
	delay time.Duration
	b     *bench
	name  string
}

func (s *slowReader) Read(p []byte) (int, error) {
	if len(p) > 512 {
		p = p[:512]
	}
	time.Sleep(s.delay)
	n, err := s.r.Read(p)
	s.b.mu.Lock()
	s.b.progress[s.name] += int64(n)
	s.b.mu.Unlock()
	return n, err
}

func (b *bench) tftpRead(name string, rf io.ReaderFrom) error {
	b.mu.Lock()
	b.rrqs = append(b.rrqs, name)
	data, ok := b.files[name]
	delay := b.throttle[name]
	b.mu.Unlock()
	if !ok {
		return fmt.Errorf("file not found")
	}
	_, err := rf.ReadFrom(&slowReader{bytes.NewReader(data), delay, b, name})
	return err
}

// waitUntil waits up to 15 s for done, failing with what did not happen
// and the phone's output.
func (b *bench) waitUntil(out fmt.Stringer, what string, done func() bool) {
	b.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !done() {
		if time.Now().After(deadline) {
			b.t.Fatalf("%s after 15 s:\n%s", what, out)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// sent is how many bytes of name the TFTP server has sent.
func (b *bench) sent(name string) int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.progress[name]
}

func (b *bench) setFiles(files map[string][]byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for k, v := range files {
		b.files[k] = v
	}
}

func (b *bench) requests() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.rrqs...)
}

// start runs phonesim in the phone namespace with the common flags.
func (b *bench) start(flash, result string, args ...string) (*exec.Cmd, *logtest.Buffer) {
	b.t.Helper()
	all := append([]string{"netns", "exec", b.phoneNS, phonesimBinary(b.t), "-iface", b.phoneIf,
		"-mac", testMAC.String(), "-flash", flash, "-result", result, "-timescale", "500", "-seed", "7", "-max-time", "30s"}, args...)
	cmd := exec.Command("ip", all...)
	out := &logtest.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		b.t.Fatal(err)
	}
	b.t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, out
}

// run runs phonesim to its end and returns its exit code and result.
func (b *bench) run(flash string, args ...string) (int, Result) {
	b.t.Helper()
	result := filepath.Join(b.dir, "result.json")
	os.Remove(result)
	cmd, out := b.start(flash, result, args...)
	err := cmd.Wait()
	code := cmd.ProcessState.ExitCode()
	b.t.Logf("phonesim (exit %d, %v):\n%s", code, err, out)
	return code, readResult(b.t, result)
}

// signalled runs phonesim with args until done holds, sends it sig a
// moment later (the phone acts on what it got) and returns the result it
// writes on its way out; it must exit 0.
// done is given phonesim's output so far.
func (b *bench) signalled(flash string, sig os.Signal, what string, done func(out string) bool, args ...string) Result {
	b.t.Helper()
	result := filepath.Join(b.dir, "result.json")
	cmd, out := b.start(flash, result, args...)
	b.waitUntil(out, what, func() bool { return done(out.String()) })
	cmd.Process.Signal(sig)
	if err := cmd.Wait(); err != nil {
		b.t.Fatalf("phonesim: %v\n%s", err, out)
	}
	return readResult(b.t, result)
}

func readResult(t *testing.T, path string) Result {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("result: %v", err)
	}
	var res Result
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatalf("result: %v", err)
	}
	return res
}

// names lists the requested names with their outcomes: "name=outcome".
func names(res Result) []string {
	var out []string
	for _, r := range res.Requests {
		out = append(out, r.Name+"="+r.Outcome)
	}
	return out
}
