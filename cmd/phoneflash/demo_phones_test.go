package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/phoneflash/phoneflash/board"
)

// fakePhonesim records in its -flash file when it starts, gets SIGUSR1
// (the keyed reset) and SIGTERM; SIGKILL (a power cut) leaves no line.
const fakePhonesim = `#!/bin/sh
while [ $# -gt 0 ]; do case "$1" in -flash) f="$2"; shift;; esac; shift; done
trap 'echo usr1 >> "$f"' USR1
trap 'echo term >> "$f"; exit 0' TERM
echo "start $(date +%s%N)" >> "$f"
while :; do sleep 0.02; done
`

func lines(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return strings.Fields(strings.ReplaceAll(string(b), "\n", " "))
}

// waitLines waits until the file has n words.
func waitLines(t *testing.T, name string, n int) []string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		l := lines(t, name)
		if len(l) >= n {
			return l
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %q after 5 s, want %d words", name, l, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestLauncher(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "phonesim")
	if err := os.WriteFile(bin, []byte(fakePhonesim), 0o755); err != nil {
		t.Fatal(err)
	}
	phones := map[board.Channel]simPhone{}
	for ch := range 3 {
		phones[board.Channel(ch)] = simPhone{Bin: bin, Iface: "eth0", MAC: "00:22:90:00:00:0" + strconv.Itoa(ch),
			Model: "7906", Scenario: "sip", Flash: filepath.Join(dir, fmt.Sprintf("ch%d", ch)), Timescale: 50}
	}
	const stagger = 150 * time.Millisecond
	ln := newLauncher(phones, stagger)
	defer ln.Close()
	for ch := range 4 { // channel 3 has no phone: nothing happens
		if err := ln.Start(board.Channel(ch)); err != nil {
			t.Fatal(err)
		}
	}
	// Powered one after another: starts a stagger apart, in port order.
	var starts []int64
	for ch := range 3 {
		l := waitLines(t, phones[board.Channel(ch)].Flash, 2)
		ns, _ := strconv.ParseInt(l[1], 10, 64)
		starts = append(starts, ns)
	}
	// Process start-up jitters on a loaded machine: check the order, and
	// that the three starts span at least one stagger (they are planned two
	// apart), not each gap's exact length.
	for i := 1; i < 3; i++ {
		if starts[i] <= starts[i-1] {
			t.Errorf("phone %d started before phone %d: %v", i+1, i, starts)
		}
	}
	if span := time.Duration(starts[2] - starts[0]); span < stagger {
		t.Errorf("phones 1 to 3 started within %s, want them a stagger (%s) apart each", span, stagger)
	}
	// The operator keys the reset: SIGUSR1.
	if err := ln.KeyReset(1); err != nil {
		t.Fatal(err)
	}
	if l := waitLines(t, phones[1].Flash, 3); l[2] != "usr1" {
		t.Errorf("after KeyReset: %q, want usr1", l)
	}
	if err := ln.KeyReset(3); err == nil {
		t.Error("KeyReset of an empty port succeeded")
	}
	// A power cut is SIGKILL (no term line); power back starts it again at
	// once, with the same flash file.
	t0 := time.Now()
	if err := ln.Stop(2); err != nil {
		t.Fatal(err)
	}
	if err := ln.Start(2); err != nil {
		t.Fatal(err)
	}
	l := waitLines(t, phones[2].Flash, 4)
	if l[2] != "start" || time.Since(t0) > time.Second {
		t.Errorf("after the power cut: %q after %s, want a second start at once and no term", l, time.Since(t0))
	}
	// Close stops every phone with SIGTERM.
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	for ch := range 3 {
		if l := lines(t, phones[board.Channel(ch)].Flash); l[len(l)-1] != "term" {
			t.Errorf("phone %d after Close: %q, want term last", ch+1, l)
		}
	}
	if err := ln.Start(0); err != nil || len(lines(t, phones[0].Flash)) != 3 {
		t.Errorf("Start after Close: %v, %q; want nothing started", err, lines(t, phones[0].Flash))
	}
}
