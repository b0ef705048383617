package udpsock_test

import (
	"context"
	"errors"
	"net"
	"os"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/phoneflash/phoneflash/internal/udpsock"
)

// getsockopt reads one option of c's socket with get.
func getsockopt[T any](t *testing.T, c *net.UDPConn, get func(fd int) (T, error)) T {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var v T
	var gerr error
	if err := rc.Control(func(fd uintptr) { v, gerr = get(int(fd)) }); err != nil || gerr != nil {
		t.Fatal(err, gerr)
	}
	return v
}

func sockopt(t *testing.T, c *net.UDPConn, level, name int) int {
	t.Helper()
	return getsockopt(t, c, func(fd int) (int, error) { return unix.GetsockoptInt(fd, level, name) })
}

func device(t *testing.T, c *net.UDPConn) string {
	t.Helper()
	return getsockopt(t, c, func(fd int) (string, error) { return unix.GetsockoptString(fd, unix.SOL_SOCKET, unix.SO_BINDTODEVICE) })
}

// TestOptions: the options asked for are on the socket the kernel made,
// and only those.
func TestOptions(t *testing.T) {
	ctx := context.Background()
	plain, err := udpsock.Listen(ctx, "", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if sockopt(t, plain, unix.SOL_SOCKET, unix.SO_BROADCAST) != 1 || sockopt(t, plain, unix.SOL_SOCKET, unix.SO_REUSEADDR) != 0 ||
		sockopt(t, plain, unix.IPPROTO_IP, unix.IP_PKTINFO) != 0 || device(t, plain) != "" {
		t.Error("a plain socket: want SO_BROADCAST only")
	}
	all, err := udpsock.Listen(ctx, "", "127.0.0.1:0", udpsock.ReuseAddr, udpsock.FreeBind, udpsock.PktInfo, udpsock.RecvBuffer(1<<16))
	if err != nil {
		t.Fatal(err)
	}
	defer all.Close()
	for _, o := range []struct {
		name       string
		level, opt int
		atLeast    int
	}{
		{"SO_REUSEADDR", unix.SOL_SOCKET, unix.SO_REUSEADDR, 1},
		{"IP_FREEBIND", unix.IPPROTO_IP, unix.IP_FREEBIND, 1},
		{"IP_PKTINFO", unix.IPPROTO_IP, unix.IP_PKTINFO, 1},
		{"SO_RCVBUF", unix.SOL_SOCKET, unix.SO_RCVBUF, 1 << 16},
	} {
		if got := sockopt(t, all, o.level, o.opt); got < o.atLeast {
			t.Errorf("%s = %d, want at least %d", o.name, got, o.atLeast)
		}
	}
}

// TestBind: an address on no interface binds only with FreeBind; a second
// socket on a taken address gets EADDRINUSE unless both set ReuseAddr.
func TestBind(t *testing.T) {
	ctx := context.Background()
	if c, err := udpsock.Listen(ctx, "", "192.0.2.77:0"); err == nil {
		c.Close()
		t.Error("bound an address this host does not have without FreeBind")
	}
	c, err := udpsock.Listen(ctx, "", "192.0.2.77:0", udpsock.FreeBind)
	if err != nil {
		t.Fatalf("FreeBind: %v", err)
	}
	c.Close()

	a, err := udpsock.Listen(ctx, "", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if b, err := udpsock.Listen(ctx, "", a.LocalAddr().String()); !errors.Is(err, syscall.EADDRINUSE) {
		if err == nil {
			b.Close()
		}
		t.Errorf("second socket on %s: %v, want EADDRINUSE", a.LocalAddr(), err)
	}
	r1, err := udpsock.Listen(ctx, "", "127.0.0.1:0", udpsock.ReuseAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer r1.Close()
	r2, err := udpsock.Listen(ctx, "", r1.LocalAddr().String(), udpsock.ReuseAddr)
	if err != nil {
		t.Fatalf("second socket with ReuseAddr: %v", err)
	}
	r2.Close()
}

// TestDevice: the socket is bound to the interface named; a missing one is
// ENODEV.
func TestDevice(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("SO_BINDTODEVICE needs root (CAP_NET_RAW) on older kernels")
	}
	c, err := udpsock.Listen(context.Background(), "lo", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := device(t, c); got != "lo" {
		t.Errorf("bound to %q, want lo", got)
	}
	if c, err := udpsock.Listen(context.Background(), "pfc-nosuch0", "0.0.0.0:0"); !errors.Is(err, syscall.ENODEV) {
		if err == nil {
			c.Close()
		}
		t.Errorf("missing interface: %v, want ENODEV", err)
	}
}
