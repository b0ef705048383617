package journal

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phoneflash/phoneflash/internal/logtest"
)

// awaitSignal waits for a value on ch, for what.
func awaitSignal(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(30 * time.Second):
		t.Fatalf("no %s within 30 s", what)
	}
}

// gate is a Sync that tells when it is entered and blocks until opened.
type gate struct{ entered, open chan struct{} }

func newGate() gate { return gate{entered: make(chan struct{}, 1), open: make(chan struct{})} }

func (g gate) sync(f *os.File) error {
	select {
	case g.entered <- struct{}{}:
	default:
	}
	<-g.open
	return f.Sync()
}

// TestAppendDoesNotWaitForTheDisk: with the writer stuck in a sync, Append
// keeps returning, Flush says what is missing, and once the sync returns
// everything reaches the disk in order.
func TestAppendDoesNotWaitForTheDisk(t *testing.T) {
	dir := t.TempDir()
	g := newGate()
	j := open(t, dir, Options{Sync: g.sync})
	appendAll(t, j, rec{"001122AABB01", 0, ""})
	awaitSignal(t, g.entered, "sync")
	for i := 1; i < 500; i++ {
		appendAll(t, j, rec{fmt.Sprintf("001122AABB%02d", i%4), i, ""})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := j.Flush(ctx); err == nil || !strings.Contains(err.Error(), "500 records not on disk") {
		t.Fatalf("Flush with the disk stuck: %v, want 500 records not on disk", err)
	}
	close(g.open)
	closeJournal(t, j)
	logs, _ := Read(dir)
	n := 0
	for _, l := range logs {
		last := -1
		for _, r := range decode(t, l) {
			if r.N <= last {
				t.Fatalf("%s: %d after %d", l.Key, r.N, last)
			}
			last = r.N
			n++
		}
	}
	if n != 500 {
		t.Fatalf("%d records on disk, want 500", n)
	}
}

// TestOrderUnderConcurrency: phones appending at once, with a disk that
// fails now and then, keep each phone's lines in order, each once.
func TestOrderUnderConcurrency(t *testing.T) {
	dir := t.TempDir()
	var mu sync.Mutex
	calls := 0
	flaky := func(f *os.File) error {
		mu.Lock()
		calls++
		fail := calls%7 == 0
		mu.Unlock()
		time.Sleep(time.Millisecond) // a slow disk: phones append while it writes
		if fail {
			return errors.New("injected sync failure")
		}
		return f.Sync()
	}
	j := open(t, dir, Options{Sync: flaky})
	const phones, each = 8, 150
	var wg sync.WaitGroup
	for p := range phones {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := fmt.Sprintf("0011220000%02d", p)
			for i := range each {
				if err := j.Append(key, rec{key, i, ""}); err != nil {
					t.Error(err)
					return
				}
				runtime.Gosched()
			}
		}()
	}
	wg.Wait()
	closeJournal(t, j)
	logs, err := Read(dir)
	if err != nil || len(logs) != phones {
		t.Fatalf("%d phones on disk, want %d: %v", len(logs), phones, err)
	}
	for _, l := range logs {
		got := decode(t, l)
		if len(got) != each || l.Damaged != 0 {
			t.Fatalf("%s: %d records, %d damaged; want %d", l.Key, len(got), l.Damaged, each)
		}
		for i, r := range got {
			if r.N != i || r.Key != l.Key {
				t.Fatalf("%s: record %d is %+v", l.Key, i, r)
			}
		}
	}
}

// TestQueueBounded: with the disk stuck (both phones' writers hold a line
// in a sync), a phone's queue stops growing at the bound; the disk then
// gets the oldest lines and the newest, and the burst is logged once.
func TestQueueBounded(t *testing.T) {
	dir := t.TempDir()
	g := newGate()
	logs := &logtest.Sink{}
	const max = 2000
	j := open(t, dir, Options{Sync: g.sync, MaxQueued: max, Log: logs.Logger()})
	for _, key := range []string{"001122AABB01", "001122AABB02"} {
		appendAll(t, j, rec{key, 0, ""})
		awaitSignal(t, g.entered, "sync") // record 0 is in the key's writer's hands
	}
	pad := strings.Repeat("x", 100)
	for i := 1; i < 1000; i++ {
		appendAll(t, j, rec{"001122AABB01", i, pad}, rec{"001122AABB02", i, pad})
	}
	j.mu.Lock()
	queued := j.queued
	j.mu.Unlock()
	if queued > max+2*200 {
		t.Fatalf("%d bytes queued, want at most the bound %d and a line per phone", queued, max)
	}
	close(g.open)
	closeJournal(t, j)
	rl, _ := Read(dir)
	for _, l := range rl {
		got := decode(t, l)
		if len(got) < 2 || len(got) > 20 || got[len(got)-1].N != 999 {
			t.Fatalf("%s: %d records ending at %d; want a few, ending with the newest", l.Key, len(got), got[len(got)-1].N)
		}
		for i := 1; i < len(got)-1; i++ {
			if got[i].N != got[i-1].N+1 {
				t.Fatalf("%s: a gap before the newest record: %d then %d", l.Key, got[i-1].N, got[i].N)
			}
		}
	}
	if logs.Count("the disk is behind") != 1 || logs.Count("dropped=") != 1 {
		t.Errorf("want one line when the disk fell behind and one when it caught up:\n%s", logs)
	}
}

// TestCloseFlushes: Close returns once what was queued is on disk; with the
// disk stuck it gives up at its deadline and says so.
func TestCloseFlushes(t *testing.T) {
	dir := t.TempDir()
	g := newGate()
	j := open(t, dir, Options{Sync: g.sync})
	for i := range 50 {
		appendAll(t, j, rec{"001122AABB01", i, ""})
	}
	awaitSignal(t, g.entered, "sync")
	closed := make(chan error, 1)
	go func() { closed <- j.Close(context.Background()) }()
	close(g.open)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	rl, _ := Read(dir)
	if got := decode(t, rl[0]); len(got) != 50 {
		t.Fatalf("%d records on disk after Close, want 50", len(got))
	}

	stuck := newGate()
	defer close(stuck.open)
	j = open(t, t.TempDir(), Options{Sync: stuck.sync})
	appendAll(t, j, rec{"001122AABB01", 0, ""})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := j.Close(ctx); !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "1 records not on disk") {
		t.Fatalf("Close with the disk stuck: %v, want the deadline and what is missing", err)
	}
}
