// Package journal is a crash-safe, append-only log of JSON lines per key in
// the state directory: one file per phone, named by its MAC. It knows
// nothing of what the lines say; the appliance keeps each phone's history
// in it and resumes from it after a restart.
//
// Append never waits for the disk: it queues the line and returns, so that a
// caller holding a lock (the session manager, while DHCP and TFTP wait for
// its answers) is never held up by another phone's fsync. One writer
// goroutine appends what is queued to each key's file and syncs it, keeping
// each key's lines in the order they were appended, and retries what the
// disk refused (full, read-only) until it takes it. Memory is bounded (see
// Options.MaxQueued). Close waits, up to a deadline, until everything queued
// is on disk.
//
// What a SIGKILL loses is what was queued and not yet synced (normally the
// last milliseconds); a torn last line is ignored on reading and cut off
// before appending.
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
	// Log receives the writer's trouble, a line when it starts and one
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
	queue   map[string][]entry // appended, not yet taken by the writer
	taken   map[string][]entry // in the writer's hands
	queued  int                // bytes in queue and taken
	seq     uint64             // of the newest line appended
	closed  bool
	dropped int           // lines replaced since the disk last caught up
	wake    chan struct{} // 1-buffered: lines were queued
	changed chan struct{} // closed and replaced when lines reached the disk
	quit    chan struct{} // closed by Close: the writer stops
	done    chan struct{} // closed when the writer has stopped

	files map[string]*os.File // the writer's own
}

// entry is one queued line, numbered in append order.
type entry struct {
	line []byte // with its newline
	seq  uint64
}

// Open opens (creating it) the journal under stateDir, repairs files whose
// last line was torn by a crash, and starts the writer.
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
	j := &Journal{dir: dir, opts: opts, queue: map[string][]entry{}, files: map[string]*os.File{},
		wake: make(chan struct{}, 1), changed: make(chan struct{}), quit: make(chan struct{}), done: make(chan struct{})}
	go j.run()
	return j, nil
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
	q := j.queue[key]
	first := false
	if n := len(q); n > 0 && j.queued+len(line) > j.opts.MaxQueued {
		j.queued -= len(q[n-1].line)
		q[n-1] = entry{line, j.seq}
		first = j.dropped == 0
		j.dropped++
	} else {
		q = append(q, entry{line, j.seq})
	}
	j.queue[key] = q
	j.queued += len(line)
	queued := j.queued
	j.mu.Unlock()
	select {
	case j.wake <- struct{}{}:
	default:
	}
	if first {
		j.opts.Log.Warn("journal: the disk is behind; until it catches up each phone's newest record replaces its last queued one",
			"mac", key, "queued_bytes", queued)
	}
	return nil
}

// Flush waits until every line appended before it is on disk (or was
// replaced, see Options.MaxQueued), or until ctx is done.
func (j *Journal) Flush(ctx context.Context) error {
	j.mu.Lock()
	target := j.seq
	j.mu.Unlock()
	for {
		j.mu.Lock()
		left := j.waiting(target)
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

// waiting counts the lines up to seq target not yet on disk. The caller
// holds j.mu.
func (j *Journal) waiting(target uint64) int {
	n := 0
	for _, m := range []map[string][]entry{j.queue, j.taken} {
		for _, q := range m {
			for _, e := range q {
				if e.seq > target {
					break
				}
				n++
			}
		}
	}
	return n
}

// Close refuses further lines, waits until what is queued is on disk (or
// ctx is done: on a gokrazy update SIGKILL follows SIGTERM after 100 s),
// stops the writer and closes the files. A writer stuck in a sync past the
// deadline is left behind; the process is about to exit.
func (j *Journal) Close(ctx context.Context) error {
	if !j.refuse() {
		return nil // closed before
	}
	flushErr := j.Flush(ctx)
	close(j.quit)
	select {
	case <-j.done:
	case <-ctx.Done():
		return errors.Join(flushErr, fmt.Errorf("journal: writer still busy: %w", ctx.Err()))
	}
	var errs []error
	for key, f := range j.files {
		errs = append(errs, f.Close())
		delete(j.files, key)
	}
	return errors.Join(append([]error{flushErr}, errs...)...)
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
