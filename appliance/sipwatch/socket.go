package sipwatch

import (
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// Conn is a packet socket on one interface that receives, in both
// directions, only the frames the SIP filter accepts.
type Conn struct {
	f     *os.File
	iface string
}

// recvBuffer is the socket's receive buffer: a burst of SIP during a
// flood waits here instead of being dropped.
const recvBuffer = 1 << 20

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// Listen opens a packet socket on iface (AF_PACKET, SOCK_RAW, every
// protocol, so frames the host sends are seen too) with Filter(ports)
// attached in the kernel. The socket is created with protocol 0, which
// receives nothing, and bound to the interface only once the filter is in
// place, so no unfiltered frame is ever queued. It needs CAP_NET_RAW; it is
// opened in the network namespace of the calling thread.
func Listen(iface string, ports []uint16) (*Conn, error) {
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return nil, fmt.Errorf("sipwatch: interface %s: %w", iface, err)
	}
	ins, err := Filter(ports)
	if err != nil {
		return nil, err
	}
	raw, err := bpf.Assemble(ins)
	if err != nil {
		return nil, fmt.Errorf("sipwatch: assemble filter: %w", err)
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("sipwatch: packet socket on %s: %w", iface, err)
	}
	prog := make([]unix.SockFilter, len(raw))
	for i, r := range raw {
		prog[i] = unix.SockFilter{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	err = errors.Join(
		unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}),
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, recvBuffer),
		unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifi.Index}))
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("sipwatch: packet socket on %s: %w", iface, err)
	}
	return &Conn{f: os.NewFile(uintptr(fd), "sipwatch:"+iface), iface: iface}, nil
}

// Interface is the name of the interface the socket is bound to.
func (c *Conn) Interface() string { return c.iface }

// ReadFrame reads one Ethernet frame into b.
func (c *Conn) ReadFrame(b []byte) (int, error) { return c.f.Read(b) }

// SetReadDeadline bounds the next ReadFrame.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.f.SetReadDeadline(t) }

// Close closes the socket; a blocked ReadFrame returns.
func (c *Conn) Close() error { return c.f.Close() }
