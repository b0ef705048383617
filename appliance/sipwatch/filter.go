package sipwatch

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// DefaultPorts are the SIP ports watched: 5060 (UDP, TCP) and 5061 (TLS,
// counted as TCP; its content cannot be read, but its SYNs can).
var DefaultPorts = []uint16{5060, 5061}

// maxPorts keeps every jump of the filter within BPF's 8-bit offsets.
const maxPorts = 16

// snapLen is what the kernel passes of an accepted frame: all of it, up to
// a 64 KiB segmentation-offload super-packet.
const snapLen = 0x40000

// Filter returns the classic BPF program the kernel runs on every frame of
// the interface: it accepts unfragmented (or first-fragment) IPv4 UDP and
// TCP whose source or destination port is one of ports, in either
// direction, and drops everything else before it reaches user space.
//
//	ldh [12]            ; EtherType
//	jne #0x800, drop
//	ldb [23]            ; IP protocol
//	jeq #6, ports       ; TCP
//	jne #17, drop       ; UDP
//	ports: ldh [20]     ; flags and fragment offset
//	jset #0x1fff, drop  ; a later fragment has no ports
//	ldxb 4*([14]&0xf)   ; X = IP header length
//	ldh [x+14]          ; source port
//	jeq #p, accept ...
//	ldh [x+16]          ; destination port
//	jeq #p, accept ...
//	drop: ret #0
//	accept: ret #snapLen
func Filter(ports []uint16) ([]bpf.Instruction, error) {
	if len(ports) == 0 || len(ports) > maxPorts {
		return nil, fmt.Errorf("sipwatch: filter: %d ports, want 1 to %d", len(ports), maxPorts)
	}
	n := len(ports)
	// Instruction indexes: the header checks take 8, then each port list is
	// one load and n jumps, then drop and accept.
	drop := 8 + 2*(n+1)
	accept := drop + 1
	prog := []bpf.Instruction{
		bpf.LoadAbsolute{Off: 12, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: 0x0800, SkipTrue: uint8(drop - 2)},
		bpf.LoadAbsolute{Off: 23, Size: 1},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: protoTCP, SkipTrue: 1},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: protoUDP, SkipTrue: uint8(drop - 5)},
		bpf.LoadAbsolute{Off: 20, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpBitsSet, Val: 0x1fff, SkipTrue: uint8(drop - 7)},
		bpf.LoadMemShift{Off: 14},
	}
	for _, off := range []uint32{14, 16} {
		prog = append(prog, bpf.LoadIndirect{Off: off, Size: 2})
		for _, p := range ports {
			i := len(prog)
			prog = append(prog, bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(p), SkipTrue: uint8(accept - i - 1)})
		}
	}
	prog = append(prog, bpf.RetConstant{Val: 0}, bpf.RetConstant{Val: snapLen})
	if len(prog) != accept+1 {
		return nil, fmt.Errorf("sipwatch: filter: %d instructions, want %d", len(prog), accept+1)
	}
	return prog, nil
}
