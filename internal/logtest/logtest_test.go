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
