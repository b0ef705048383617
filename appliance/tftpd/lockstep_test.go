package tftpd

import (
	"bytes"
	"encoding/binary"
	"net"
	"testing"
	"time"
)

// lockstep downloads name like a Cisco phone: RRQ without options, 512-byte
// blocks, one ACK per block. It skips the ACK of block dropAt once (as if
// that DATA packet were lost) and acknowledges block dupAt three times.
// A repeated DATA packet is acknowledged again, as RFC 1350 asks. It returns
// the data, how long the lost block took to come again, and how many copies
// of block dupAt+1 arrived (more than one: the server resent on duplicate
// ACKs, the Sorcerer's Apprentice bug).
func lockstep(t *testing.T, addr, name string, dropAt, dupAt uint16) ([]byte, time.Duration, int) {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	srv, _ := net.ResolveUDPAddr("udp4", addr)
	if _, err := pc.WriteTo(rrq(name), srv); err != nil {
		t.Fatal(err)
	}
	var data []byte
	var want uint16 = 1
	var dropped time.Time
	var resend time.Duration
	var copies int
	buf := make([]byte, 1024)
	for {
		pc.SetReadDeadline(time.Now().Add(4 * time.Second)) // the phone's patience
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			t.Fatalf("waiting for block %d: %v", want, err)
		}
		op, block := binary.BigEndian.Uint16(buf), binary.BigEndian.Uint16(buf[2:])
		if op != 3 {
			t.Fatalf("opcode %d at block %d: %q", op, want, buf[4:n])
		}
		if block == dupAt+1 && dupAt != 0 {
			copies++
		}
		if block == want-1 { // our ACK was late or lost: acknowledge again
			pc.WriteTo([]byte{0, 4, byte(block >> 8), byte(block)}, from)
			continue
		}
		if block != want {
			t.Fatalf("block %d, want %d", block, want)
		}
		if block == dropAt && dropped.IsZero() {
			dropped = time.Now()
			continue // lost: no ACK
		}
		if block == dropAt {
			resend = time.Since(dropped)
		}
		data = append(data, buf[4:n]...)
		ack := []byte{0, 4, byte(block >> 8), byte(block)}
		acks := 1
		if block == dupAt {
			acks = 3
		}
		for range acks {
			pc.WriteTo(ack, from)
		}
		if n < 516 {
			return data, resend, copies
		}
		want++
	}
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
