package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/phoneflash/phoneflash/appliance/nettest"
	"github.com/phoneflash/phoneflash/internal/namespace"
)

// The hostile-traffic and fault tests of issue 11 run on the acceptance
// bench (accept_rig_test.go): `phoneflash serve` as its own process in the
// appliance's namespace, a bridge per bench port. This file adds what an
// attacker needs: a namespace on a port's bridge with raw sockets, and a
// probe of the daemon's memory and threads.

// newHostileBench is newAccBench with this work's namespace prefix, pfh.
func newHostileBench(t *testing.T, fw string, ports int, accounts string) *accBench {
	t.Helper()
	return newBenchWithPrefix(t, "pfh", fw, ports, accounts)
}

// hostileClient adds a namespace on port's switch with interface eth0 and,
// when addr is set (e.g. 10.79.1.250/24), that address.
func (b *accBench) hostileClient(port int, name, addr string) string {
	b.t.Helper()
	ns, err := b.r.addNS("hx" + name)
	if err == nil {
		err = namespace.Veth(b.switches[port], "x"+name, ns, "eth0")
	}
	if err == nil {
		err = namespace.IP(b.switches[port], "link", "set", "dev", "x"+name, "master", "br0")
	}
	if err == nil && addr != "" {
		err = namespace.IP(ns, "addr", "add", addr, "dev", "eth0")
	}
	if err != nil {
		b.t.Fatal(err)
	}
	return ns
}

// uplink adds the appliance's uplink interface (name returned) with a
// namespace behind it holding 192.0.2.2/24.
func (b *accBench) uplink() (ifname, ns string) {
	b.t.Helper()
	ns, err := b.r.addNS("up")
	ifname = b.r.prefix + "u0"
	if err == nil {
		err = namespace.Veth(b.app, ifname, ns, "eth0")
	}
	if err == nil {
		err = namespace.IP(b.app, "addr", "add", "192.0.2.1/24", "dev", ifname)
	}
	if err == nil {
		err = namespace.IP(ns, "addr", "add", "192.0.2.2/24", "dev", "eth0")
	}
	if err != nil {
		b.t.Fatal(err)
	}
	return ifname, ns
}

// dhcpClient is a port-68 socket in a namespace that sends raw DHCP
// datagrams and collects every reply.
type dhcpClient struct {
	conn *net.UDPConn
	mu   sync.Mutex
	got  []*dhcpv4.DHCPv4
	bad  [][]byte // replies that do not parse
	done chan struct{}
}

func newDHCPClient(t *testing.T, ns string) *dhcpClient {
	t.Helper()
	conn, err := nettest.ListenUDP(ns, "eth0", 68)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetReadBuffer(4 << 20)
	c := &dhcpClient{conn: conn, done: make(chan struct{})}
	go c.read()
	t.Cleanup(func() {
		conn.Close()
		<-c.done
	})
	return c
}

func (c *dhcpClient) read() {
	defer close(c.done)
	buf := make([]byte, 65536)
	for {
		n, _, err := c.conn.ReadFrom(buf)
		if err != nil {
			return
		}
		m, err := dhcpv4.FromBytes(buf[:n])
		c.mu.Lock()
		if err != nil {
			c.bad = append(c.bad, append([]byte(nil), buf[:n]...))
		} else if m.OpCode == dhcpv4.OpcodeBootReply {
			c.got = append(c.got, m)
		}
		c.mu.Unlock()
	}
}

func (c *dhcpClient) send(t *testing.T, pkt []byte) {
	t.Helper()
	if _, err := c.conn.WriteTo(pkt, &net.UDPAddr{IP: net.IPv4bcast, Port: 67}); err != nil {
		t.Fatalf("sending %d bytes: %v", len(pkt), err)
	}
}

// replies returns the replies with transaction ID xid received so far.
func (c *dhcpClient) replies(xid dhcpv4.TransactionID) []*dhcpv4.DHCPv4 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*dhcpv4.DHCPv4
	for _, m := range c.got {
		if m.TransactionID == xid {
			out = append(out, m)
		}
	}
	return out
}

func (c *dhcpClient) all() ([]*dhcpv4.DHCPv4, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*dhcpv4.DHCPv4(nil), c.got...), len(c.bad)
}

// await waits up to timeout for a reply with xid of type mt.
func (c *dhcpClient) await(xid dhcpv4.TransactionID, mt dhcpv4.MessageType, timeout time.Duration) *dhcpv4.DHCPv4 {
	deadline := time.Now().Add(timeout)
	for {
		for _, m := range c.replies(xid) {
			if m.MessageType() == mt {
				return m
			}
		}
		if time.Now().After(deadline) {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func xidOf(i uint32) dhcpv4.TransactionID {
	var x dhcpv4.TransactionID
	binary.BigEndian.PutUint32(x[:], i)
	return x
}

// request builds a DHCP message of type mt from mac with transaction id xid.
func request(t *testing.T, mt dhcpv4.MessageType, mac net.HardwareAddr, xid uint32, mods ...dhcpv4.Modifier) *dhcpv4.DHCPv4 {
	t.Helper()
	m, err := dhcpv4.New(append([]dhcpv4.Modifier{dhcpv4.WithMessageType(mt), dhcpv4.WithHwAddr(mac),
		dhcpv4.WithTransactionID(xidOf(xid)), dhcpv4.WithBroadcast(true)}, mods...)...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// dora gets a lease for mac from the client's port and returns it.
func (c *dhcpClient) dora(t *testing.T, mac net.HardwareAddr, xid uint32) net.IP {
	t.Helper()
	c.send(t, request(t, dhcpv4.MessageTypeDiscover, mac, xid).ToBytes())
	offer := c.await(xidOf(xid), dhcpv4.MessageTypeOffer, 3*time.Second)
	if offer == nil {
		t.Fatalf("no OFFER for %s", mac)
	}
	c.send(t, request(t, dhcpv4.MessageTypeRequest, mac, xid+1,
		dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(offer.YourIPAddr)),
		dhcpv4.WithOption(dhcpv4.OptServerIdentifier(offer.ServerIdentifier()))).ToBytes())
	if c.await(xidOf(xid+1), dhcpv4.MessageTypeAck, 3*time.Second) == nil {
		t.Fatalf("no ACK for %s requesting %s", mac, offer.YourIPAddr)
	}
	return offer.YourIPAddr
}

// waitDHCP waits until the appliance answers DHCP on the client's port.
func (c *dhcpClient) waitDHCP(t *testing.T, srvLog fmt.Stringer) {
	t.Helper()
	mac := net.HardwareAddr{0x02, 0xee, 0, 0, 0, 1}
	for i := uint32(0); i < 100; i++ {
		c.send(t, request(t, dhcpv4.MessageTypeDiscover, mac, 0xee000000+i).ToBytes())
		if c.await(xidOf(0xee000000+i), dhcpv4.MessageTypeOffer, 200*time.Millisecond) != nil {
			return
		}
	}
	t.Fatalf("the appliance does not answer DHCP; log:\n%s", srvLog)
}

func randomMAC(r *rand.Rand) net.HardwareAddr {
	mac := make(net.HardwareAddr, 6)
	for i := range mac {
		mac[i] = byte(r.Uint32())
	}
	mac[0] = mac[0]&^1 | 2 // unicast, locally administered
	return mac
}

// procStats are a process's resident memory and thread count, and its
// goroutines as its /metrics page reports them (0 when not scraped).
type procStats struct {
	RSSKB, Threads, Goroutines int
}

// metricsAddr is where the hostile tests' daemon serves its page, inside
// the appliance's namespace.
const metricsAddr = "127.0.0.1:8079"

// scrapeGoroutines reads go_goroutines from the daemon's /metrics, with a
// socket made inside namespace ns.
func scrapeGoroutines(ns string) (int, error) {
	n := 0
	err := nettest.Do(ns, func() error {
		conn, err := net.DialTimeout("tcp", metricsAddr, time.Second)
		if err != nil {
			return err
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(2 * time.Second))
		if _, err := io.WriteString(conn, "GET /metrics HTTP/1.0\r\nHost: phoneflash\r\n\r\n"); err != nil {
			return err
		}
		sc := bufio.NewScanner(conn)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "go_goroutines "); ok {
				n, err = strconv.Atoi(strings.TrimSpace(v))
				return err
			}
		}
		return fmt.Errorf("no go_goroutines in /metrics: %v", sc.Err())
	})
	return n, err
}

func readProcStats(pid int) (procStats, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return procStats{}, err
	}
	defer f.Close()
	var st procStats
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		fields := strings.Fields(v)
		if len(fields) == 0 {
			continue
		}
		switch k {
		case "VmRSS":
			st.RSSKB, _ = strconv.Atoi(fields[0])
		case "Threads":
			st.Threads, _ = strconv.Atoi(fields[0])
		}
	}
	return st, sc.Err()
}

// peakWatch samples a process every 20 ms and keeps the peaks.
type peakWatch struct {
	pid  int
	ns   string // where to scrape /metrics; "" for no goroutine count
	stop chan struct{}
	done chan struct{}
	mu   sync.Mutex
	peak procStats
}

func watchPeak(t *testing.T, pid int, ns string) *peakWatch {
	t.Helper()
	comm, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	if err != nil || strings.TrimSpace(string(comm)) != "phoneflash" {
		t.Fatalf("process %d is %q (%v), want phoneflash", pid, comm, err)
	}
	w := &peakWatch{pid: pid, ns: ns, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			if st, err := readProcStats(pid); err == nil {
				w.mu.Lock()
				w.peak.RSSKB = max(w.peak.RSSKB, st.RSSKB)
				w.peak.Threads = max(w.peak.Threads, st.Threads)
				w.mu.Unlock()
			}
			if w.ns != "" && i%10 == 0 { // every 200 ms
				if g, err := scrapeGoroutines(w.ns); err == nil {
					w.mu.Lock()
					w.peak.Goroutines = max(w.peak.Goroutines, g)
					w.mu.Unlock()
				}
			}
			select {
			case <-w.stop:
				return
			case <-tick.C:
			}
		}
	}()
	t.Cleanup(w.close)
	return w
}

func (w *peakWatch) close() {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
}

func (w *peakWatch) get() procStats {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.peak
}

// Generous bounds for the daemon under attack: a Pi 3 has 1 GB.
const (
	maxRSSKB      = 150 << 10
	maxThreads    = 200
	maxGoroutines = 5000
)

func (w *peakWatch) check(t *testing.T, what string) procStats {
	t.Helper()
	p := w.get()
	t.Logf("%s: daemon peak RSS %d kB, peak threads %d, peak goroutines %d", what, p.RSSKB, p.Threads, p.Goroutines)
	if p.RSSKB == 0 || p.RSSKB > maxRSSKB || p.Threads > maxThreads {
		t.Errorf("%s: daemon peak RSS %d kB, threads %d; want at most %d kB and %d threads", what, p.RSSKB, p.Threads, maxRSSKB, maxThreads)
	}
	if w.ns != "" && (p.Goroutines == 0 || p.Goroutines > maxGoroutines) {
		t.Errorf("%s: daemon peak goroutines %d (0: /metrics never answered); want 1 to %d", what, p.Goroutines, maxGoroutines)
	}
	return p
}

// spoofer sends UDP datagrams with any source address and port from a raw
// socket in a namespace.
type spoofer struct{ fd int }

func newSpoofer(t *testing.T, ns string) *spoofer {
	t.Helper()
	fd, err := nettest.Open(ns, func() (int, error) {
		return syscall.Socket(syscall.AF_INET, syscall.SOCK_RAW|syscall.SOCK_CLOEXEC, syscall.IPPROTO_RAW)
	})
	if err != nil {
		t.Fatalf("raw socket: %v", err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	return &spoofer{fd: fd}
}

// send sends payload from src to dst; the kernel fills in the IP checksum
// and length, the UDP checksum is 0 (none, allowed in IPv4).
func (s *spoofer) send(src, dst netip4, sport, dport uint16, payload []byte) error {
	var b bytes.Buffer
	hdr := make([]byte, 28)
	hdr[0] = 0x45
	binary.BigEndian.PutUint16(hdr[2:], uint16(28+len(payload)))
	hdr[8] = 64 // TTL
	hdr[9] = syscall.IPPROTO_UDP
	copy(hdr[12:16], src[:])
	copy(hdr[16:20], dst[:])
	binary.BigEndian.PutUint16(hdr[20:], sport)
	binary.BigEndian.PutUint16(hdr[22:], dport)
	binary.BigEndian.PutUint16(hdr[24:], uint16(8+len(payload)))
	b.Write(hdr)
	b.Write(payload)
	return syscall.Sendto(s.fd, b.Bytes(), 0, &syscall.SockaddrInet4{Addr: dst})
}

type netip4 = [4]byte
