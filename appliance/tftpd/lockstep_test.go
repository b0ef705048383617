package tftpd

import (
	"bytes"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/phoneflash/phoneflash/internal/tftpclient"
)

// lockstep downloads name like a Cisco phone: RRQ without options, 512-byte
// blocks, one ACK per block, a 4 s patience and no retransmission. It skips
// the ACK of block dropAt once (as if that DATA packet were lost) and
// acknowledges block dupAt three times; 0 means neither (block numbers
// wrap to 0 in a large file). A repeated DATA packet is
// acknowledged again, as RFC 1350 asks. It returns the data, how long the
// lost block took to come again, and how many copies of block dupAt+1
// arrived (more than one: the server resent on duplicate ACKs, the
// Sorcerer's Apprentice bug).
func lockstep(t *testing.T, addr, name string, dropAt, dupAt uint16) ([]byte, time.Duration, int) {
	t.Helper()
	srv, _ := net.ResolveUDPAddr("udp4", addr)
	var dropped time.Time
	var resend time.Duration
	var copies int
	c := tftpclient.Client{Timeout: 4 * time.Second, Data: func(block, next uint16) (int, error) {
		switch {
		case block != next && block != next-1:
			return 0, fmt.Errorf("block %d, want %d", block, next)
		case block == dupAt+1 && dupAt != 0:
			copies++
		}
		switch {
		case block != next:
			return 1, nil // our ACK was late or lost: acknowledge again
		case block == dropAt && dropAt != 0 && dropped.IsZero():
			dropped = time.Now()
			return 0, nil // lost: no ACK
		case block == dropAt && dropAt != 0:
			resend = time.Since(dropped)
		case block == dupAt:
			return 3, nil
		}
		return 1, nil
	}}
	var data bytes.Buffer
	if _, err := c.Get(t.Context(), loopback(t), srv, name, &data); err != nil {
		t.Fatal(err)
	}
	return data.Bytes(), resend, copies
}
func TestPhoneLikeTransfer(t *testing.T) {
	file := randomBytes(512*20 + 7)
	addr, rec := startServer(t, map[string][]byte{"cnu11.sbn": file}, Options{Timeout: time.Second, Retries: 3})
	// lockstep fails if a block takes longer than the phone's 4 s.
	got, resend, copies := lockstep(t, addr, "cnu11.sbn", 5, 9)
	if !bytes.Equal(got, file) {
		t.Fatalf("got %d bytes, want %d identical", len(got), len(file))
	}
	if resend < 900*time.Millisecond {
		t.Errorf("lost block came again after %s, before the 1s timeout", resend)
	}
	if copies != 1 {
		t.Errorf("block 10 arrived %d times after three ACKs of block 9, want once", copies)
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		ev, ok := rec.last(EventDone)
		if ok && ev.Bytes == int64(len(file)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("done event %+v, want %d bytes", ev, len(file))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestBlockNumberWraps(t *testing.T) {
	if testing.Short() {
		t.Skip("32 MiB transfer")
	}
	file := randomBytes(512*65536 + 3000) // past block 65535
	addr, _ := startServer(t, map[string][]byte{"big.sbn": file}, Options{})
	got, _, _ := lockstep(t, addr, "big.sbn", 0, 0)
	if !bytes.Equal(got, file) {
		t.Fatalf("got %d bytes, want %d identical", len(got), len(file))
	}
}
