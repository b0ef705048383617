// Package journal is a crash-safe, append-only log of JSON lines per key in
// the state directory: one file per phone, named by its MAC. It knows
// nothing of what the lines say; the appliance keeps each phone's history
// in it and resumes from it after a restart.
//
// Append never waits for the disk: it queues the line and returns, so that a
// caller holding a lock (the session manager, while DHCP and TFTP wait for
// its answers) is never held up by an fsync. Each key with lines queued has
// a writer goroutine of its own that appends them to the key's file and
// syncs it, in the order they were appended, and retries what the disk
// refused (full, read-only) until it takes it; so one key's slow or stuck
// sync never delays another key's lines. Memory is bounded (see
// Options.MaxQueued). Close waits, up to a deadline, until everything queued
// is on disk.
//
// Mark and Wait let a caller hold back what must not happen before a key's
// lines are on disk (the appliance's answer to a phone, which the phone acts
// on): Mark, cheap enough to call under a lock, notes how far the key's lines
// go; Wait, called outside it, returns once they are on disk, at once with
// an error when the disk refuses them, or when its context ends.
//
// What a SIGKILL loses is what was queued and not yet written (normally the
// last milliseconds; a caller that waited for a Mark loses nothing up to it);
// a torn last line is ignored on reading and cut off before appending.
package journal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Subdir is where the journal lives inside the state directory.
const Subdir = "journal"

// ErrClosed is returned by Append after Close.
var ErrClosed = errors.New("journal: closed")

// Options tune a Journal; the zero value is the production setting.
type Options struct {
	// Log receives the writers' trouble, a line when it starts and one
	// when it ends: writes failing (with the error) and succeeding again;
	// the queue full and drained (with the lines replaced). Default: discard.
	Log *slog.Logger
	// MaxQueued bounds the bytes waiting for the disk (default 4 MiB).
	// Beyond it each key still takes a line, but a key's newest line
	// replaces the last one it has queued: the disk gets the oldest lines
	// it missed, for a history without gaps at its start, and the newest,
	// for the state to resume from.
	MaxQueued int
	// Sync makes a file's appended lines durable. Default (*os.File).Sync;
	// tests make it slow, block it or fail it.
	Sync func(*os.File) error
}

// DefaultMaxQueued is Options.MaxQueued's default: a few thousand records,
// each with its phone's state.
const DefaultMaxQueued = 4 << 20

// Journal appends lines to the per-key files under a state directory. It is
// safe for concurrent use.
type Journal struct {
	dir  string
	opts Options

	mu      sync.Mutex
	keys    map[string]*keyLog
	queued  int    // bytes queued and in writers' hands
	seq     uint64 // of the newest line appended
	closed  bool
	dropped int           // lines replaced since the disk last caught up
	failing int           // keys whose last write failed
	changed chan struct{} // closed and replaced when lines reached the disk or were refused
	quit    chan struct{} // closed by Close: the writers stop
	writers sync.WaitGroup
}

// keyLog is one key's lines on their way to its file. Its fields are
// guarded by Journal.mu, but file, which only the key's writer (one at a
// time) and Close (after the writers stopped) touch.
type keyLog struct {
	queue   []entry  // appended, not yet taken by the writer
	taken   []entry  // in the writer's hands
	writing bool     // a writer goroutine serves the key
	err     error    // why its last write failed; nil once one succeeded
	file    *os.File // open for appending
}

// entry is one queued line, numbered in append order.
type entry struct {
	line  []byte // with its newline
	seq   uint64
	first uint64 // seq of the oldest line it stands for (it replaced the lines after; see MaxQueued)
}

// pending counts the lines of k that stand for lines up to seq target and
// are not on disk yet. The caller holds Journal.mu.
func (k *keyLog) pending(target uint64) int {
	n := 0
	for _, q := range [][]entry{k.taken, k.queue} {
		for _, e := range q {
			if e.first > target {
				break
			}
			n++
		}
	}
	return n
}

// Open opens (creating it) the journal under stateDir and repairs files
// whose last line was torn by a crash.
func Open(stateDir string, opts Options) (*Journal, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.MaxQueued <= 0 {
		opts.MaxQueued = DefaultMaxQueued
	}
	if opts.Sync == nil {
		opts.Sync = (*os.File).Sync
	}
	dir := filepath.Join(stateDir, Subdir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	names, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	for _, n := range names {
		if err := repair(n); err != nil {
			return nil, err
		}
	}
	return &Journal{dir: dir, opts: opts, keys: map[string]*keyLog{}, changed: make(chan struct{}), quit: make(chan struct{})}, nil
}

// repair cuts a file back to its last complete line, reading only its tail.
func repair(name string) error {
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("journal: repair %s: %w", name, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("journal: repair %s: %w", name, err)
	}
	end := fi.Size()
	buf := make([]byte, 4096)
	for end > 0 {
		n := min(end, int64(len(buf)))
		if _, err := f.ReadAt(buf[:n], end-n); err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("journal: repair %s: %w", name, err)
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			end = end - n + int64(i) + 1
			break
		}
		end -= n
	}
	if end == fi.Size() {
		return nil
	}
	if err := f.Truncate(end); err != nil {
		return fmt.Errorf("journal: repair %s: %w", name, err)
	}
	return nil
}

// ValidKey reports whether key can name a file of the journal: a MAC or a
// similar short name, never a path.
func ValidKey(key string) bool {
	return key != "" && len(key) <= 64 && !strings.ContainsAny(key, "/\\.\x00")
}

// Append queues v, encoded as one JSON line, for key's file. It returns at
// once: errors of the disk are the writer's to retry and log.
func (j *Journal) Append(key string, v any) error {
	if !ValidKey(key) {
		return fmt.Errorf("journal: %q is not a MAC address", key)
	}
	line, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("journal: %s: %w", key, err)
	}
	line = append(line, '\n')
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return ErrClosed
	}
	j.seq++
	k := j.keys[key]
	if k == nil {
		k = &keyLog{}
		j.keys[key] = k
	}
	first := false
	if n := len(k.queue); n > 0 && j.queued+len(line) > j.opts.MaxQueued {
		last := k.queue[n-1]
		j.queued -= len(last.line)
		k.queue[n-1] = entry{line, j.seq, last.first}
		first = j.dropped == 0
		j.dropped++
	} else {
		k.queue = append(k.queue, entry{line, j.seq, j.seq})
	}
	j.queued += len(line)
	queued := j.queued
	start := !k.writing
	if start {
		k.writing = true
		j.writers.Add(1)
	}
	j.mu.Unlock()
	if start {
		go j.serve(key, k)
	}
	if first {
		j.opts.Log.Warn("journal: the disk is behind; until it catches up each phone's newest record replaces its last queued one",
			"mac", key, "queued_bytes", queued)
	}
	return nil
}

// Mark is how far one key's lines went at a moment: Wait waits for them.
type Mark struct {
	key string
	seq uint64
}

// Mark returns the mark of the lines appended to key so far. It does not
// wait for anything, so it may be called under a lock that Append is.
func (j *Journal) Mark(key string) Mark {
	j.mu.Lock()
	defer j.mu.Unlock()
	return Mark{key, j.seq}
}

// Wait waits until the lines of m's key appended before m are on disk (or
// were replaced by one that is, see Options.MaxQueued). When the disk
// refused the key's last write it returns at once with that error (the
// lines stay queued and are retried); when ctx ends first, with ctx's.
func (j *Journal) Wait(ctx context.Context, m Mark) error {
	for {
		j.mu.Lock()
		left, refused, changed := 0, error(nil), j.changed
		if k := j.keys[m.key]; k != nil {
			left, refused = k.pending(m.seq), k.err
		}
		j.mu.Unlock()
		switch {
		case left == 0:
			return nil
		case refused != nil:
			return fmt.Errorf("journal: %s: %d records not on disk: %w", m.key, left, refused)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("journal: %s: %d records not on disk yet: %w", m.key, left, ctx.Err())
		}
	}
}

// Flush waits until every line appended before it is on disk (or was
// replaced by one that is, see Options.MaxQueued), or until ctx is done.
func (j *Journal) Flush(ctx context.Context) error {
	j.mu.Lock()
	target := j.seq
	j.mu.Unlock()
	for {
		j.mu.Lock()
		left := 0
		for _, k := range j.keys {
			left += k.pending(target)
		}
		changed := j.changed
		j.mu.Unlock()
		if left == 0 {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("journal: %d records not on disk yet: %w", left, ctx.Err())
		}
	}
}

// Close refuses further lines, waits until what is queued is on disk (or
// ctx is done: on a gokrazy update SIGKILL follows SIGTERM after 100 s),
// stops the writers and closes the files. A writer stuck in a sync past the
// deadline is left behind; the process is about to exit.
func (j *Journal) Close(ctx context.Context) error {
	if !j.refuse() {
		return nil // closed before
	}
	flushErr := j.Flush(ctx)
	close(j.quit)
	stopped := make(chan struct{})
	go func() {
		j.writers.Wait()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-ctx.Done():
		return errors.Join(flushErr, fmt.Errorf("journal: writer still busy: %w", ctx.Err()))
	}
	errs := []error{flushErr}
	for _, k := range j.keys { // the writers have stopped: no lock needed, none taken
		if k.file != nil {
			errs = append(errs, k.file.Close())
			k.file = nil
		}
	}
	return errors.Join(errs...)
}

// refuse makes Append refuse lines from now on; it reports whether it
// was the first to.
func (j *Journal) refuse() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	first := !j.closed
	j.closed = true
	return first
}
