package servicetest

import (
	"context"
	"errors"
	"testing"
)

// recorder is a testing.TB that keeps what would fail a test.
type recorder struct {
	testing.TB
	errors, fatals int
}

func (r *recorder) Errorf(string, ...any) { r.errors++ }
func (r *recorder) Fatalf(string, ...any) { r.fatals++ }
func (r *recorder) Helper()               {}
func (r *recorder) Cleanup(func())        {}

func TestStart(t *testing.T) {
	for _, tc := range []struct {
		name   string
		run    func(context.Context) error
		errors int
	}{
		{"returns nil after cancel", func(ctx context.Context) error { <-ctx.Done(); return nil }, 0},
		{"returns an error", func(ctx context.Context) error { <-ctx.Done(); return errors.New("boom") }, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &recorder{TB: t}
			stop := Start(r, tc.run)
			stop()
			stop() // a second call does nothing
			if r.errors != tc.errors || r.fatals != 0 {
				t.Errorf("errors %d, fatals %d; want %d, 0", r.errors, r.fatals, tc.errors)
			}
		})
	}
}
