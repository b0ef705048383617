package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/phoneflash/phoneflash/internal/namespace"
	"github.com/phoneflash/phoneflash/internal/tftpclient"
)

// The TFTP and DHCP parts use one server namespace and one client
// namespace joined by a veth pair, on 198.18.0.0/15 (RFC 2544 benchmark
// addresses). DHCP pools are 198.19.0.0-198.19.255.254 for every server:
// what phoneflash leases on a /15 port.
var (
	serverAddr = netip.MustParseAddr("198.18.0.1")
	clientAddr = netip.MustParseAddr("198.18.0.2")
)

const (
	srvIf     = prefix + "S"
	cliIf     = prefix + "C"
	poolFirst = "198.19.0.0"
	poolLast  = "198.19.255.254"
)

// rig is the server and client namespaces and what the servers need.
type rig struct {
	e         *env
	srv, cli  string // namespaces
	bin       string // folder with phoneflash and phonesim
	atftpd    string
	tftpRoot  string // the peers' served folder: the load's files, flat
	fwDir     string // phoneflash's firmware store
	clientIPs []netip.Addr
	logf      func(string, ...any)
}

// newRig creates the namespaces, the veth pair and n client addresses.
func newRig(e *env, n int) (*rig, error) {
	r := &rig{e: e, logf: e.logf}
	var err error
	if r.srv, err = e.ns("srv"); err != nil {
		return nil, err
	}
	if r.cli, err = e.ns("cli"); err != nil {
		return nil, err
	}
	if err := namespace.Veth(r.srv, srvIf, r.cli, cliIf); err != nil {
		return nil, err
	}
	if err := namespace.IP(r.cli, "addr", "add", clientAddr.String()+"/15", "dev", cliIf); err != nil {
		return nil, err
	}
	// One address per simulated phone: servers may limit transfers per
	// client address, and phones never share one.
	for i := range n {
		a := netip.AddrFrom4([4]byte{198, 18, byte(1 + i/250), byte(1 + i%250)})
		if err := namespace.IP(r.cli, "addr", "add", a.String()+"/15", "dev", cliIf); err != nil {
			return nil, err
		}
		r.clientIPs = append(r.clientIPs, a)
	}
	return r, nil
}

// server is one contender.
type server struct {
	name  string
	start func(r *rig, dir string, dhcp bool) (*proc, error)
}

var (
	srvPhoneflash = server{"phoneflash", (*rig).startPhoneflash}
	srvHPA        = server{"tftpd-hpa", (*rig).startHPA}
	srvDnsmasq    = server{"dnsmasq", func(r *rig, dir string, dhcp bool) (*proc, error) { return r.startDnsmasq(dir, dhcp, true) }}
	srvNoPing     = server{"dnsmasq-noping", func(r *rig, dir string, dhcp bool) (*proc, error) { return r.startDnsmasq(dir, dhcp, false) }}
	srvAtftpd     = server{"atftpd", (*rig).startAtftpd}
	srvKea        = server{"kea", (*rig).startKea}
)

// peerAddr gives the server interface the bench address (peers) or leaves
// it empty for phoneflash, whose netconf configures it.
func (r *rig) peerAddr(set bool) error {
	if err := namespace.IP(r.srv, "addr", "flush", "dev", srvIf); err != nil {
		return err
	}
	if !set {
		return nil
	}
	return namespace.IP(r.srv, "addr", "add", serverAddr.String()+"/15", "dev", srvIf)
}

func (r *rig) startPhoneflash(dir string, _ bool) (*proc, error) {
	if err := r.peerAddr(false); err != nil {
		return nil, err
	}
	state := filepath.Join(dir, "state")
	if err := os.MkdirAll(state, 0o755); err != nil {
		return nil, err
	}
	p, err := r.e.start(r.srv, "phoneflash", filepath.Join(r.bin, "phoneflash"), "serve",
		"-ports", srvIf+"="+serverAddr.String()+"/15", "-uplink", prefix+"-none", "-board", "none",
		"-firmware", r.fwDir, "-state", state, "-http", "")
	if err != nil {
		return nil, err
	}
	return p, r.waitAddr(p, srvIf, serverAddr)
}

// waitAddr waits until netconf has put addr on dev, plus a moment for the
// servers to open their sockets.
func (r *rig) waitAddr(p *proc, dev string, addr netip.Addr) error {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if ok, err := p.exited(); ok {
			return fmt.Errorf("pfbench: %s exited: %v (log %s)", p.name, err, p.log.Name())
		}
		out, _ := namespace.Command(r.srv, "ip", "-o", "addr", "show", "dev", dev).Output()
		if strings.Contains(string(out), " "+addr.String()+"/") {
			time.Sleep(300 * time.Millisecond)
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("pfbench: %s did not configure %s within 15 s (log %s)", p.name, dev, p.log.Name())
}

func (r *rig) startHPA(string, bool) (*proc, error) {
	if err := r.peerAddr(true); err != nil {
		return nil, err
	}
	// -L: foreground; -s: chroot to the folder (Debian's default --secure).
	return r.e.start(r.srv, "tftpd-hpa", "/usr/sbin/in.tftpd", "-L", "-s", r.tftpRoot, "-a", serverAddr.String()+":69", "-u", "tftp")
}

func (r *rig) startAtftpd(dir string, _ bool) (*proc, error) {
	if err := r.peerAddr(true); err != nil {
		return nil, err
	}
	return r.e.start(r.srv, "atftpd", r.atftpd, "--daemon", "--no-fork", "--bind-address", serverAddr.String(),
		"--user", "nobody", "--group", "nogroup", "--logfile", "/dev/stderr", r.tftpRoot)
}

// startDnsmasq runs dnsmasq as TFTP server or as DHCP server (with or
// without its ICMP check before an offer).
func (r *rig) startDnsmasq(dir string, dhcp, ping bool) (*proc, error) {
	if err := r.peerAddr(true); err != nil {
		return nil, err
	}
	args := []string{"/usr/sbin/dnsmasq", "-k", "-C", "/dev/null", "--port=0", "--pid-file=", "--user=root",
		"--log-facility=" + filepath.Join(dir, "dnsmasq.syslog")}
	name := "dnsmasq"
	if dhcp {
		args = append(args, "--interface="+srvIf, "--bind-interfaces",
			"--dhcp-range="+poolFirst+","+poolLast+",255.254.0.0,12h", "--dhcp-lease-max=150000",
			"--dhcp-leasefile="+filepath.Join(dir, "dnsmasq.leases"), "--dhcp-authoritative", "--quiet-dhcp",
			"--dhcp-option=66,"+serverAddr.String(), "--dhcp-option=150,"+serverAddr.String())
		if !ping {
			args = append(args, "--no-ping")
			name = "dnsmasq-noping"
		}
	} else {
		// --tftp-max: the default 50 would refuse the 64-client cell.
		args = append(args, "--enable-tftp", "--tftp-root="+r.tftpRoot, "--tftp-max=128",
			"--listen-address="+serverAddr.String(), "--bind-interfaces")
	}
	return r.e.start(r.srv, name, args...)
}

func (r *rig) startKea(dir string, _ bool) (*proc, error) {
	if err := r.peerAddr(true); err != nil {
		return nil, err
	}
	conf := fmt.Sprintf(`{"Dhcp4": {
  "interfaces-config": {"interfaces": [%q], "dhcp-socket-type": "raw"},
  "lease-database": {"type": "memfile", "persist": true, "name": %q, "lfc-interval": 0},
  "valid-lifetime": 43200,
  "option-def": [{"name": "tftp-servers", "code": 150, "type": "ipv4-address", "array": true, "space": "dhcp4"}],
  "subnet4": [{"id": 1, "subnet": "198.18.0.0/15", "pools": [{"pool": "%s - %s"}],
    "option-data": [{"name": "tftp-server-name", "data": %q}, {"name": "tftp-servers", "data": %q}]}],
  "loggers": [{"name": "kea-dhcp4", "output_options": [{"output": %q}], "severity": "WARN"}]
}}`, srvIf, filepath.Join(dir, "kea-leases4.csv"), poolFirst, poolLast, serverAddr, serverAddr, filepath.Join(dir, "kea.log"))
	path := filepath.Join(dir, "kea-dhcp4.json")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	return r.e.start(r.srv, "kea", "env", "KEA_PIDFILE_DIR="+dir, "KEA_LOCKFILE_DIR="+dir,
		"/usr/sbin/kea-dhcp4", "-c", path)
}

// launch starts srv with its files in dir (created) and gives it settle to
// open its sockets; it stops srv again when ctx ends first.
func (r *rig) launch(ctx context.Context, srv server, dir string, dhcp bool, settle time.Duration) (*proc, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	p, err := srv.start(r, dir, dhcp)
	if err != nil {
		return nil, err
	}
	select {
	case <-time.After(settle):
		return p, nil
	case <-ctx.Done():
		p.stop()
		return nil, ctx.Err()
	}
}

// waitTFTP waits until the server answers a read request.
func (r *rig) waitTFTP(ctx context.Context, p *proc, name string) error {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if ok, err := p.exited(); ok {
			return fmt.Errorf("pfbench: %s exited: %v (log %s)", p.name, err, p.log.Name())
		}
		conn, err := namespace.Open(r.cli, func() (*net.UDPConn, error) {
			return net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(clientAddr, 0)))
		})
		if err != nil {
			return err
		}
		c := tftpclient.Client{Timeout: 300 * time.Millisecond}
		_, err = c.Get(ctx, conn, net.UDPAddrFromAddrPort(netip.AddrPortFrom(serverAddr, 69)), name, io.Discard)
		conn.Close()
		if err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("pfbench: %s does not serve %s over TFTP (log %s)", p.name, name, p.log.Name())
}
