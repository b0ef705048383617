package kamailio

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// Instance is one running Kamailio.
type Instance struct {
	Config Config // with defaults filled in
	Dir    string // runtime directory: kamailio.cfg, pid file, ctl socket
	NS     string // network namespace it runs in ("" = the caller's)

	cmd      *exec.Cmd
	log      *tail
	done     chan struct{}
	waitErr  error
	stopOnce sync.Once
	stopErr  error
}

// StartTimeout bounds how long Start waits for the ctl socket to answer.
const StartTimeout = 20 * time.Second

// Start writes the configuration into a fresh runtime directory and starts
// Kamailio in namespace ns, returning once its ctl socket answers.
func Start(ns string, c Config) (*Instance, error) {
	// A short directory: the ctl socket's path must fit in sun_path.
	dir, err := os.MkdirTemp("", "pfkam")
	if err != nil {
		return nil, fmt.Errorf("kamailio: runtime directory: %w", err)
	}
	k := &Instance{Config: c.withDefaults(), Dir: dir, NS: ns, log: newTail(64 << 10), done: make(chan struct{})}
	text, err := Render(c, k.ctl())
	if err == nil {
		err = os.WriteFile(k.cfgPath(), []byte(text), 0o644)
	}
	if err == nil {
		err = k.spawn()
	}
	if err == nil {
		err = k.waitReady()
	}
	if err != nil {
		k.Stop()
		return nil, fmt.Errorf("%w\nkamailio log:\n%s", err, k.Log())
	}
	return k, nil
}

func (k *Instance) ctl() string     { return filepath.Join(k.Dir, "ctl") }
func (k *Instance) cfgPath() string { return filepath.Join(k.Dir, "kamailio.cfg") }

// spawn starts the creator process in the foreground (-DD): it forks the
// workers and stays our child, so stopping it stops them.
func (k *Instance) spawn() error {
	args := []string{"kamailio", "-DD", "-E", "-f", k.cfgPath(), "-P", filepath.Join(k.Dir, "kamailio.pid"),
		"-Y", k.Dir, "-w", k.Dir, "-m", "16", "-M", "4"}
	if k.NS != "" {
		args = append([]string{"ip", "netns", "exec", k.NS}, args...)
	}
	k.cmd = exec.Command(args[0], args[1:]...)
	k.cmd.Stdout, k.cmd.Stderr = k.log, k.log
	// A worker that outlives the creator keeps the log pipe open; without
	// a bound, Wait (and so Stop) would wait for it forever.
	k.cmd.WaitDelay = 2 * time.Second
	// Its own process group: Stop's SIGKILL reaches the workers too.
	k.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := k.cmd.Start(); err != nil {
		close(k.done)
		return fmt.Errorf("kamailio: start in namespace %q: %w", k.NS, err)
	}
	go func() {
		k.waitErr = k.cmd.Wait()
		close(k.done)
	}()
	return nil
}

// waitReady polls the ctl socket until it answers.
func (k *Instance) waitReady() error {
	deadline := time.Now().Add(StartTimeout)
	for {
		_, err := k.RPC(context.Background(), "core.version")
		if err == nil {
			return nil
		}
		select {
		case <-k.done:
			return fmt.Errorf("kamailio: exited before it was ready: %v", k.waitErr)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("kamailio: ctl socket %s did not answer within %v: %w", k.ctl(), StartTimeout, err)
		}
	}
}

// RPC runs one kamcmd command through this instance's ctl socket.
func (k *Instance) RPC(ctx context.Context, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "kamcmd", append([]string{"-s", "unix:" + k.ctl()}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("kamailio: kamcmd %v: %w: %s", args, err, out)
	}
	return string(out), nil
}

// Running says whether the process is still up.
func (k *Instance) Running() bool {
	select {
	case <-k.done:
		return false
	default:
		return true
	}
}

// Stop ends Kamailio (SIGTERM, SIGKILL after 5 s) and removes its runtime
// directory. It is safe to call more than once.
func (k *Instance) Stop() error {
	k.stopOnce.Do(func() {
		if k.cmd != nil && k.cmd.Process != nil && k.Running() {
			k.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-k.done:
			case <-time.After(5 * time.Second):
				syscall.Kill(-k.cmd.Process.Pid, syscall.SIGKILL)
				<-k.done
				k.stopErr = errors.New("kamailio: did not stop on SIGTERM within 5 s; killed")
			}
			syscall.Kill(-k.cmd.Process.Pid, syscall.SIGKILL) // a worker that outlived the creator
		}
		if err := os.RemoveAll(k.Dir); err != nil {
			k.stopErr = errors.Join(k.stopErr, fmt.Errorf("kamailio: remove %s: %w", k.Dir, err))
		}
	})
	return k.stopErr
}

// Log returns the last 64 KiB of Kamailio's log.
func (k *Instance) Log() string { return k.log.String() }

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func newTail(max int) *tail { return &tail{max: max} }

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
