// Package clocktest has the clocks the module's tests move by hand: Clock,
// a time for the Now fields of the code under test, and helpers that step
// clockwork's fake clock once the code under test sleeps on it.
package clocktest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

// Clock is a time that only the test moves; safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// New returns a Clock at t0.
func New(t0 time.Time) *Clock { return &Clock{now: t0} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock d forward and returns the new time.
func (c *Clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// WaitSleepers waits until n goroutines sleep on fc (a timer, ticker or
// Sleep); the test fails if they do not within 5 s.
func WaitSleepers(t testing.TB, fc *clockwork.FakeClock, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := fc.BlockUntilContext(ctx, n); err != nil {
		t.Fatalf("clocktest: waiting for %d sleepers on the fake clock: %v", n, err)
	}
}

// Tick advances fc by d once a goroutine sleeps on it.
func Tick(t testing.TB, fc *clockwork.FakeClock, d time.Duration) {
	t.Helper()
	WaitSleepers(t, fc, 1)
	fc.Advance(d)
}
