// Package udpsock opens the module's UDP sockets that belong to one
// interface: the appliance's DHCP and TFTP servers on a bench port, and the
// DHCP clients and fake servers of the simulator, the benchmarks and the
// tests. It uses the standard library only.
package udpsock

import (
	"context"
	"errors"
	"net"
	"syscall"
)

// Option is one integer socket option set before the bind.
type Option struct{ Level, Name, Value int }

// Options the module's sockets use besides SO_BROADCAST.
var (
	// ReuseAddr lets the socket share its address and device with other
	// sockets that set it too.
	ReuseAddr = Option{syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1}
	// FreeBind binds an address not (yet) configured on any interface.
	FreeBind = Option{syscall.IPPROTO_IP, syscall.IP_FREEBIND, 1}
	// PktInfo asks for each datagram's destination address and interface.
	PktInfo = Option{syscall.IPPROTO_IP, syscall.IP_PKTINFO, 1}
)

// RecvBuffer sets the socket's receive buffer to n bytes.
func RecvBuffer(n int) Option { return Option{syscall.SOL_SOCKET, syscall.SO_RCVBUF, n} }

// Listen opens a UDP (IPv4) socket on addr, e.g. "0.0.0.0:67", in the
// network namespace of the calling thread, with SO_BROADCAST, opts and, when
// ifname is not empty, SO_BINDTODEVICE set before the bind, so that only
// datagrams arriving on ifname reach it. It sets SO_REUSEADDR only when
// opts name it: a second socket on the same address and device gets
// EADDRINUSE. A missing interface is syscall.ENODEV. Errors are net's
// (*net.OpError, naming addr); callers add what the socket was for.
func Listen(ctx context.Context, ifname, addr string, opts ...Option) (*net.UDPConn, error) {
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_BROADCAST, 1)
			for _, o := range opts {
				if serr == nil {
					serr = syscall.SetsockoptInt(int(fd), o.Level, o.Name, o.Value)
				}
			}
			if serr == nil && ifname != "" {
				serr = syscall.BindToDevice(int(fd), ifname)
			}
		})
		return errors.Join(err, serr)
	}}
	pc, err := lc.ListenPacket(ctx, "udp4", addr)
	if err != nil {
		return nil, err
	}
	return pc.(*net.UDPConn), nil
}
