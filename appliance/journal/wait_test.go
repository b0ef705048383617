package journal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// keyGate is a Sync that blocks the syncs of one key's file until opened
// and lets every other file through.
type keyGate struct {
	gate
	key string
}

func (g keyGate) sync(f *os.File) error {
	if filepath.Base(f.Name()) == g.key+".jsonl" {
		return g.gate.sync(f)
	}
	return f.Sync()
}

// TestWaitForOwnKeyOnly: with one key's sync stuck, another key's lines
// reach the disk and its Wait returns; the stuck key's Wait returns when
// its sync does, and not before.
func TestWaitForOwnKeyOnly(t *testing.T) {
	dir := t.TempDir()
	const stuck, free = "001122AABB01", "001122AABB02"
	g := keyGate{newGate(), stuck}
	j := open(t, dir, Options{Sync: g.sync})
	appendAll(t, j, rec{stuck, 0, ""})
	awaitSignal(t, g.entered, "sync of the stuck key")
	appendAll(t, j, rec{stuck, 1, ""}, rec{free, 0, ""}, rec{free, 1, ""})
	mStuck, mFree := j.Mark(stuck), j.Mark(free)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := j.Wait(ctx, mFree); err != nil {
		t.Fatalf("Wait for the key whose disk works, while another key's sync is stuck: %v", err)
	}
	l, err := ReadKey(dir, free)
	if err != nil || len(l.Lines) != 2 {
		t.Fatalf("after Wait, %d lines of %s on disk (%v), want 2", len(l.Lines), free, err)
	}
	short, cancelShort := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancelShort()
	if err := j.Wait(short, mStuck); !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "2 records not on disk") {
		t.Fatalf("Wait for the stuck key: %v, want its deadline with 2 records not on disk", err)
	}

	waited := make(chan error, 1)
	go func() { waited <- j.Wait(ctx, mStuck) }()
	close(g.open)
	if err := <-waited; err != nil {
		t.Fatalf("Wait once the sync returned: %v", err)
	}
	if l, _ := ReadKey(dir, stuck); len(l.Lines) != 2 {
		t.Fatalf("%d lines of %s on disk after Wait, want 2", len(l.Lines), stuck)
	}
}

// TestWaitMarksOnlyWhatCameBefore: lines appended after a Mark do not hold
// up its Wait, even while they are stuck.
func TestWaitMarksOnlyWhatCameBefore(t *testing.T) {
	dir := t.TempDir()
	const key = "001122AABB01"
	var block atomic.Bool
	g := newGate()
	sync := func(f *os.File) error {
		if block.Load() && !isDir(f) {
			return g.sync(f)
		}
		return f.Sync()
	}
	j := open(t, dir, Options{Sync: sync})
	appendAll(t, j, rec{key, 0, ""})
	m := j.Mark(key)
	if err := j.Wait(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	block.Store(true)
	defer close(g.open)
	appendAll(t, j, rec{key, 1, ""})
	awaitSignal(t, g.entered, "sync")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := j.Wait(ctx, m); err != nil {
		t.Fatalf("Wait for a mark before the stuck line: %v", err)
	}
}

func isDir(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.IsDir()
}

// TestWaitRefused: a disk that refuses the lines (EIO here; full or
// read-only in life) ends Wait at once with the disk's error, not at the
// caller's deadline; once it takes them again, Wait returns nil.
func TestWaitRefused(t *testing.T) {
	dir := t.TempDir()
	const key = "001122AABB01"
	var refuse atomic.Bool
	refuse.Store(true)
	sync := func(f *os.File) error {
		if refuse.Load() && !isDir(f) {
			return fmt.Errorf("injected: %w", syscall.EIO)
		}
		return f.Sync()
	}
	j := open(t, dir, Options{Sync: sync})
	appendAll(t, j, rec{key, 0, ""})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := j.Wait(ctx, j.Mark(key))
	if !errors.Is(err, syscall.EIO) || ctx.Err() != nil {
		t.Fatalf("Wait on a refusing disk: %v (context %v), want the disk's error before the deadline", err, ctx.Err())
	}
	refuse.Store(false)
	appendAll(t, j, rec{key, 1, ""})
	m := j.Mark(key)
	for err := j.Wait(ctx, m); err != nil; err = j.Wait(ctx, m) {
		if ctx.Err() != nil {
			t.Fatalf("Wait once the disk takes lines again: %v", err)
		}
		time.Sleep(10 * time.Millisecond) // the writer retries after its pause
	}
	l, _ := ReadKey(dir, key)
	if got := decode(t, l); len(got) != 2 || got[0].N != 0 || got[1].N != 1 {
		t.Fatalf("on disk: %+v, want records 0 and 1", got)
	}
}

// TestWaitForReplacedLine: a line replaced while the disk is behind (see
// Options.MaxQueued) is waited for until the line that replaced it is on
// disk.
func TestWaitForReplacedLine(t *testing.T) {
	dir := t.TempDir()
	const key = "001122AABB01"
	g := newGate()
	pad := strings.Repeat("x", 100)
	line, _ := json.Marshal(rec{key, 0, pad})
	j := open(t, dir, Options{Sync: g.sync, MaxQueued: 3*(len(line)+1) + 10}) // three lines
	appendAll(t, j, rec{key, 0, pad})
	awaitSignal(t, g.entered, "sync")
	appendAll(t, j, rec{key, 1, pad}, rec{key, 2, pad})
	m := j.Mark(key)
	appendAll(t, j, rec{key, 3, pad}) // replaces record 2
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if err := j.Wait(cancelled, m); err == nil {
		t.Fatal("Wait said a replaced line is on disk while the one that replaced it is queued")
	}
	close(g.open)
	if err := j.Wait(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	l, _ := ReadKey(dir, key)
	var ns []int
	for _, r := range decode(t, l) {
		ns = append(ns, r.N)
	}
	if fmt.Sprint(ns) != "[0 1 3]" {
		t.Fatalf("on disk: %v, want [0 1 3]", ns)
	}
}
