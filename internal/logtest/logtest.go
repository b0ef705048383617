// Package logtest has the log helpers the module's tests share: a logger
// that writes through t.Log, a buffer that collects a process's or a
// logger's output while the test reads it, and a Sink that keeps records
// and tells the test when one it waits for arrives.
package logtest

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// New returns a logger that writes records at level and above through
// t.Log, one call per record. Records logged once the test has finished
// (by a library's goroutine that outlives the server the test closed) are
// dropped: t.Log panics then.
func New(t testing.TB, level slog.Level) *slog.Logger {
	w := &tWriter{t: t}
	t.Cleanup(w.finish)
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

type tWriter struct {
	t    testing.TB
	mu   sync.Mutex
	done bool
}

func (w *tWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}

func (w *tWriter) finish() {
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
}

// Buffer collects what other goroutines write (a process's stderr, a
// logger) and may be read while they still write. The zero value is ready.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
