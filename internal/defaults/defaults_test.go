package defaults

import (
	"bytes"
	"log/slog"
	"testing"
	"time"
)

func TestPositive(t *testing.T) {
	for _, tc := range []struct{ v, want int }{{0, 7}, {-1, 7}, {1, 1}, {9, 9}} {
		if got := Positive(tc.v, 7); got != tc.want {
			t.Errorf("Positive(%d, 7) = %d, want %d", tc.v, got, tc.want)
		}
	}
	if got := Positive(-time.Second, time.Minute); got != time.Minute {
		t.Errorf("Positive(-1s, 1m) = %v, want 1m", got)
	}
	if got := Positive(time.Second, time.Minute); got != time.Second {
		t.Errorf("Positive(1s, 1m) = %v, want 1s", got)
	}
}

func TestLogger(t *testing.T) {
	if Logger(nil) == nil {
		t.Fatal("Logger(nil) = nil, want a logger that discards")
	}
	Logger(nil).Info("goes nowhere") // must not panic
	var buf bytes.Buffer
	l := slog.New(slog.NewTextHandler(&buf, nil))
	if Logger(l) != l {
		t.Error("Logger(l) is not l")
	}
}

func TestClock(t *testing.T) {
	if got := Clock(nil)(); time.Since(got) > time.Minute || time.Until(got) > time.Minute {
		t.Errorf("Clock(nil)() = %v, want about now", got)
	}
	fixed := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	if got := Clock(func() time.Time { return fixed })(); !got.Equal(fixed) {
		t.Errorf("Clock(fixed)() = %v, want %v", got, fixed)
	}
}

func TestCallback(t *testing.T) {
	type event struct{ n int }
	var nothing func(event)
	Callback(nothing)(event{1}) // must not panic
	var got []int
	Callback(func(e event) { got = append(got, e.n) })(event{2})
	if len(got) != 1 || got[0] != 2 {
		t.Errorf("Callback(f) called f with %v, want [2]", got)
	}
}
