package defaults

import (
	"log/slog"
	"time"
)

// Logger returns l, or a logger that discards everything when l is nil:
// a library's Options.Log left unset logs nothing.
func Logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}

// Clock returns now, or time.Now when now is nil: Options.Now is injected
// by tests and left unset in production.
func Clock(now func() time.Time) func() time.Time {
	if now == nil {
		return time.Now
	}
	return now
}

// Callback returns f, or a callback that does nothing when f is nil: a
// server's event callback left unset drops its events.
func Callback[E any, F ~func(E)](f F) F {
	if f == nil {
		return func(E) {}
	}
	return f
}
