package clocktest_test

import (
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/phoneflash/phoneflash/internal/clocktest"
)

func TestClock(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	c := clocktest.New(t0)
	if got := c.Now(); !got.Equal(t0) {
		t.Fatalf("Now = %v, want %v", got, t0)
	}
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() { c.Advance(time.Second); c.Now() })
	}
	wg.Wait()
	if got := c.Now(); !got.Equal(t0.Add(10 * time.Second)) {
		t.Errorf("after ten seconds: %v", got)
	}
	c.Set(t0)
	if got := c.Advance(time.Minute); !got.Equal(t0.Add(time.Minute)) {
		t.Errorf("Advance after Set = %v", got)
	}
}

func TestTick(t *testing.T) {
	fc := clockwork.NewFakeClock()
	start := fc.Now()
	woke := make(chan time.Time, 1)
	go func() {
		<-fc.After(time.Hour)
		woke <- fc.Now()
	}()
	clocktest.Tick(t, fc, time.Hour)
	select {
	case at := <-woke:
		if got := at.Sub(start); got != time.Hour {
			t.Errorf("woke after %v, want 1h", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the sleeper did not wake after Tick")
	}
}
