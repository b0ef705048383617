package logtest

import (
	"context"
	"log/slog"
	"strings"
	"sync"
)

// Sink is a slog.Handler that keeps every record as a line of text
// ("LEVEL message key=value ...") and tells a test when a record it waits
// for arrives. The zero value is ready. Attributes and groups added with
// Logger.With and WithGroup are not kept.
type Sink struct {
	mu      sync.Mutex
	lines   []string
	waiters []waiter
}

type waiter struct {
	match func(slog.Record) bool
	ch    chan struct{}
}

// Logger is a logger that writes to s.
func (s *Sink) Logger() *slog.Logger { return slog.New(s) }

// Await returns a channel that is closed at the first record from now on
// that match accepts.
func (s *Sink) Await(match func(slog.Record) bool) <-chan struct{} {
	ch := make(chan struct{})
	s.mu.Lock()
	s.waiters = append(s.waiters, waiter{match, ch})
	s.mu.Unlock()
	return ch
}

// Message matches a record whose message is msg.
func Message(msg string) func(slog.Record) bool {
	return func(r slog.Record) bool { return r.Message == msg }
}

// AtLeast matches a record of level or above.
func AtLeast(level slog.Level) func(slog.Record) bool {
	return func(r slog.Record) bool { return r.Level >= level }
}

// String returns the lines kept so far, one a record.
func (s *Sink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.lines, "\n")
}

// Count is how many times sub stands in the lines kept so far.
func (s *Sink) Count(sub string) int { return strings.Count(s.String(), sub) }

func (s *Sink) Enabled(context.Context, slog.Level) bool { return true }
func (s *Sink) WithAttrs([]slog.Attr) slog.Handler       { return s }
func (s *Sink) WithGroup(string) slog.Handler            { return s }

func (s *Sink) Handle(_ context.Context, r slog.Record) error {
	line := r.Level.String() + " " + r.Message
	r.Attrs(func(a slog.Attr) bool { line += " " + a.String(); return true })
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lines = append(s.lines, line)
	kept := s.waiters[:0]
	for _, w := range s.waiters {
		if w.match(r) {
			close(w.ch)
		} else {
			kept = append(kept, w)
		}
	}
	s.waiters = kept
	return nil
}
