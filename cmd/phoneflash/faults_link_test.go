package main

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"net"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/phoneflash/phoneflash/appliance/nettest"
	"github.com/phoneflash/phoneflash/internal/namespace"
)

// impair makes the link between the appliance and port's switch lose
// about loss of the frames in each direction and reorder about reorder of
// them. With the kernel's netem it is `tc qdisc add ... netem` on both
// ends; kernels without sch_netem (such as this project's CI VMs) get the
// same faults from a relay in the test: the switch's end of the link is
// taken off the bridge and the relay forwards frames between it and a new
// veth pair on the bridge, dropping and delaying some.
func (b *accBench) impair(t *testing.T, port int, loss, reorder float64, seed uint64) string {
	t.Helper()
	pct := func(f float64) string { return strconv.FormatFloat(f*100, 'f', -1, 64) + "%" }
	netem := []string{"qdisc", "add", "dev", b.ports[port], "root", "netem", "loss", pct(loss), "delay", "2ms", "reorder", pct(reorder)}
	if err := exec.Command("ip", append([]string{"netns", "exec", b.app, "tc"}, netem...)...).Run(); err == nil {
		netem[3] = "up"
		if err := exec.Command("ip", append([]string{"netns", "exec", b.switches[port], "tc"}, netem...)...).Run(); err != nil {
			t.Fatalf("netem on the switch side: %v", err)
		}
		return "tc netem"
	}
	sw := b.switches[port]
	for _, step := range [][]string{
		{"link", "set", "dev", "up", "nomaster"},
		{"link", "set", "dev", "up", "promisc", "on"},
		{"link", "add", "lossy", "type", "veth", "peer", "name", "lossyb"},
		{"link", "set", "dev", "lossyb", "master", "br0"},
		{"link", "set", "dev", "lossyb", "up"},
		{"link", "set", "dev", "lossy", "promisc", "on"},
		{"link", "set", "dev", "lossy", "up"},
	} {
		if err := namespace.IP(sw, step...); err != nil {
			t.Fatal(err)
		}
	}
	a, err := packetSocket(sw, "up")
	if err != nil {
		t.Fatal(err)
	}
	c, err := packetSocket(sw, "lossy")
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{loss: loss, reorder: reorder, rnd: rand.New(rand.NewPCG(seed, 7))}
	r.wg.Add(2)
	go r.forward(a, c)
	go r.forward(c, a)
	t.Cleanup(func() {
		r.stopped.Store(true)
		r.wg.Wait() // the reads time out every 100 ms
		syscall.Close(a)
		syscall.Close(c)
	})
	return "relay"
}

// packetSocket opens an AF_PACKET socket on dev in namespace ns that sees
// every frame.
func packetSocket(ns, dev string) (int, error) {
	var fd int
	err := nettest.Do(ns, func() error {
		ifi, err := net.InterfaceByName(dev)
		if err != nil {
			return err
		}
		proto := htons(syscall.ETH_P_ALL)
		fd, err = syscall.Socket(syscall.AF_PACKET, syscall.SOCK_RAW|syscall.SOCK_CLOEXEC, int(proto))
		if err != nil {
			return err
		}
		tv := syscall.NsecToTimeval((100 * time.Millisecond).Nanoseconds())
		return errors.Join(syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv),
			syscall.Bind(fd, &syscall.SockaddrLinklayer{Protocol: proto, Ifindex: ifi.Index}))
	})
	return fd, err
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// relay forwards frames between two packet sockets with loss and delay.
type relay struct {
	loss, reorder float64
	mu            sync.Mutex
	rnd           *rand.Rand
	wg            sync.WaitGroup
	stopped       atomic.Bool
	dropped       atomic.Int64
	delayed       atomic.Int64
	passed        atomic.Int64
}

func (r *relay) forward(from, to int) {
	defer r.wg.Done()
	buf := make([]byte, 65536)
	for !r.stopped.Load() {
		n, sa, err := syscall.Recvfrom(from, buf, 0)
		if err != nil {
			if r.stopped.Load() {
				return
			}
			continue
		}
		if ll, ok := sa.(*syscall.SockaddrLinklayer); ok && ll.Pkttype == syscall.PACKET_OUTGOING {
			continue // what we sent ourselves
		}
		frame := append([]byte(nil), buf[:n]...)
		noChecksum(frame)
		r.mu.Lock()
		x := r.rnd.Float64()
		delay := time.Duration(1+r.rnd.IntN(5)) * time.Millisecond
		r.mu.Unlock()
		switch {
		case x < r.loss:
			r.dropped.Add(1)
		case x < r.loss+r.reorder:
			r.delayed.Add(1)
			time.AfterFunc(delay, func() { syscall.Write(to, frame) })
		default:
			r.passed.Add(1)
			syscall.Write(to, frame)
		}
	}
}

// noChecksum clears the UDP checksum of an IPv4 frame: frames between veth
// ends may carry a checksum the sender left to offload, which is wrong once
// the frame is copied; 0 means "none" in IPv4.
func noChecksum(f []byte) {
	if len(f) < 14+20+8 || binary.BigEndian.Uint16(f[12:]) != 0x0800 || f[14+9] != syscall.IPPROTO_UDP {
		return
	}
	ihl := int(f[14]&0x0f) * 4
	if len(f) >= 14+ihl+8 && binary.BigEndian.Uint16(f[14+6:])&0x1fff == 0 { // first fragment
		f[14+ihl+6], f[14+ihl+7] = 0, 0
	}
}
