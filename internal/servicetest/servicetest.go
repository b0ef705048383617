// Package servicetest runs a blocking Run(ctx) error service for a test:
// the one place the module's tests start a server, the appliance or a
// watcher in the background, cancel it, and insist that it returns nil
// within a generous time.
package servicetest

import (
	"context"
	"sync"
	"testing"
	"time"
)

// StopTimeout is how long stop waits for the service to return after its
// context is cancelled.
const StopTimeout = 10 * time.Second

// Start runs run in a goroutine with a context of its own and returns
// stop: it cancels that context and waits for run to return, failing t if
// run returned an error or did not return within StopTimeout. stop runs at
// the end of the test too, if the test did not call it.
func Start(t testing.TB, run func(context.Context) error) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	var once sync.Once
	stop = func() {
		t.Helper()
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("after cancel the service returned %v, want nil", err)
				}
			case <-time.After(StopTimeout):
				t.Fatalf("the service did not return within %s of its cancel", StopTimeout)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}
