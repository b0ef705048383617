// Package packetsock opens Linux packet sockets (AF_PACKET) with a classic
// BPF filter attached in the kernel, for the module's observers of traffic
// the kernel would not hand to an ordinary socket: the appliance's SIP
// watcher and the phone simulator's DHCP client.
package packetsock

import (
	"errors"
	"fmt"
	"net"
	"os"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// Config says what a socket receives.
type Config struct {
	// Type is unix.SOCK_RAW (frames from the Ethernet header on) or
	// unix.SOCK_DGRAM (packets from the network header on).
	Type int
	// Protocol is the Ethernet protocol received, as an ETH_P_ constant in
	// host order (unix.ETH_P_ALL also sees the frames the host sends).
	Protocol uint16
	// Filter decides, in the kernel, which frames are queued.
	Filter []bpf.Instruction
	// RecvBuffer, if above 0, is the socket's receive buffer (SO_RCVBUF).
	RecvBuffer int
}

// Listen opens a non-blocking packet socket on iface as c says, in the
// network namespace of the calling thread; it needs CAP_NET_RAW. The socket
// is created with protocol 0, which receives nothing, and bound to iface
// and c.Protocol only once the filter is in place, so no unfiltered frame
// is ever queued. The file is named name.
func Listen(iface, name string, c Config) (*os.File, error) {
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return nil, fmt.Errorf("interface %s: %w", iface, err)
	}
	raw, err := bpf.Assemble(c.Filter)
	if err != nil {
		return nil, fmt.Errorf("assemble filter: %w", err)
	}
	if len(raw) == 0 {
		return nil, errors.New("assemble filter: no instructions")
	}
	fd, err := unix.Socket(unix.AF_PACKET, c.Type|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("packet socket on %s: %w", iface, err)
	}
	prog := make([]unix.SockFilter, len(raw))
	for i, r := range raw {
		prog[i] = unix.SockFilter{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	err = unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]})
	if err == nil && c.RecvBuffer > 0 {
		err = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, c.RecvBuffer)
	}
	if err == nil {
		err = unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(c.Protocol), Ifindex: ifi.Index})
	}
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("packet socket on %s: %w", iface, err)
	}
	return os.NewFile(uintptr(fd), name), nil
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }
