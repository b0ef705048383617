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

func TestSink(t *testing.T) {
	var s logtest.Sink
	log := s.Logger()
	ready := s.Await(logtest.Message("ready"))
	failed := s.Await(logtest.AtLeast(slog.LevelError))
	log.Info("starting", "port", 1)
	select {
	case <-ready:
		t.Fatal("Await(Message(ready)) fired at another message")
	case <-failed:
		t.Fatal("Await(AtLeast(Error)) fired at an info record")
	default:
	}
	log.Info("ready")
	log.Error("disk full", "err", "no space")
	for what, ch := range map[string]<-chan struct{}{"ready": ready, "error": failed} {
		select {
		case <-ch:
		default:
			t.Errorf("the wait for %s did not fire", what)
		}
	}
	log.Info("ready") // a second match closes nothing twice
	if got, want := s.String(), "INFO starting port=1\nINFO ready\nERROR disk full err=no space\nINFO ready"; got != want {
		t.Errorf("lines:\n%s\nwant:\n%s", got, want)
	}
	if n := s.Count("ready"); n != 2 {
		t.Errorf("Count(ready) = %d, want 2", n)
	}
}
