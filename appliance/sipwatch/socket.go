package sipwatch

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/phoneflash/phoneflash/internal/packetsock"
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

// Listen opens a packet socket on iface (AF_PACKET, SOCK_RAW, every
// protocol, so frames the host sends are seen too) with Filter(ports)
// attached in the kernel before it is bound to the interface
// (internal/packetsock), so no unfiltered frame is ever queued. It needs
// CAP_NET_RAW; it is opened in the network namespace of the calling thread.
func Listen(iface string, ports []uint16) (*Conn, error) {
	ins, err := Filter(ports)
	if err != nil {
		return nil, err
	}
	f, err := packetsock.Listen(iface, "sipwatch:"+iface,
		packetsock.Config{Type: unix.SOCK_RAW, Protocol: unix.ETH_P_ALL, Filter: ins, RecvBuffer: recvBuffer})
	if err != nil {
		return nil, fmt.Errorf("sipwatch: %w", err)
	}
	return &Conn{f: f, iface: iface}, nil
}

// Interface is the name of the interface the socket is bound to.
func (c *Conn) Interface() string { return c.iface }

// ReadFrame reads one Ethernet frame into b.
func (c *Conn) ReadFrame(b []byte) (int, error) { return c.f.Read(b) }

// SetReadDeadline bounds the next ReadFrame.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.f.SetReadDeadline(t) }

// Close closes the socket; a blocked ReadFrame returns.
func (c *Conn) Close() error { return c.f.Close() }
