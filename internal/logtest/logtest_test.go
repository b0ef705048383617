package logtest_test

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/phoneflash/phoneflash/internal/logtest"
)

// recorder is a testing.TB that keeps what is logged through it.
type recorder struct {
	testing.TB
	lines []string
}

func (r *recorder) Log(args ...any) { r.lines = append(r.lines, fmt.Sprint(args...)) }

func TestNewLevelAndLines(t *testing.T) {
	r := &recorder{TB: t}
	log := logtest.New(r, slog.LevelWarn)
	log.Info("hidden")
	log.Warn("shown", "port", "eth1")
	if len(r.lines) != 1 || !strings.Contains(r.lines[0], "msg=shown port=eth1") || strings.HasSuffix(r.lines[0], "\n") {
		t.Errorf("logged %q, want one line with the warning and no trailing newline", r.lines)
	}
}

func TestBufferConcurrent(t *testing.T) {
	var b logtest.Buffer
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 100 {
				fmt.Fprintf(&b, "%d\n", i)
				_ = b.String()
			}
		})
	}
	wg.Wait()
	if n := strings.Count(b.String(), "\n"); n != 800 {
		t.Errorf("%d lines, want 800", n)
	}
}

// finishing is a testing.TB whose cleanups the test runs itself, to stand
// for a test that has completed.
type finishing struct {
	recorder
	cleanups []func()
}

func (f *finishing) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }

func TestNewDropsRecordsAfterTheTest(t *testing.T) {
	f := &finishing{recorder: recorder{TB: t}}
	log := logtest.New(f, slog.LevelInfo)
	log.Info("during")
	for _, fn := range f.cleanups {
		fn()
	}
	log.Error("after", "from", "a library goroutine")
	if len(f.lines) != 1 || !strings.Contains(f.lines[0], "msg=during") {
		t.Errorf("logged %q, want only the record from before the test finished (t.Log panics after it)", f.lines)
	}
}
