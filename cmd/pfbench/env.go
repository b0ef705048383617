package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/phoneflash/phoneflash/internal/namespace"
)

// prefix starts the name of every namespace, interface and cgroup the
// benchmark creates, so a crashed earlier run can be cleaned up by name.
const prefix = "pfk"

// env owns what the benchmark creates on the machine: namespaces and
// cgroups. Undo removes all of it, in reverse order, also after Ctrl-C.
type env struct {
	mu      sync.Mutex
	undo    []func()
	cgRoot  string // the cgroup2 mount point
	logf    func(format string, args ...any)
	workDir string
}

func newEnv(workDir string, logf func(string, ...any)) (*env, error) {
	root, err := cgroup2Mount()
	if err != nil {
		return nil, err
	}
	e := &env{cgRoot: root, logf: logf, workDir: workDir}
	e.removeStale()
	return e, nil
}

// cgroup2Mount finds where the unified hierarchy is mounted: /sys/fs/cgroup
// on a pure cgroup2 machine, /sys/fs/cgroup/unified on a hybrid one.
func cgroup2Mount() (string, error) {
	f, err := os.Open("/proc/self/mounts")
	if err != nil {
		return "", fmt.Errorf("pfbench: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 3 && fields[2] == "cgroup2" {
			return fields[1], nil
		}
	}
	return "", errors.New("pfbench: no cgroup2 hierarchy mounted (needed for per-server CPU time)")
}

func (e *env) onUndo(f func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.undo = append(e.undo, f)
}

// Undo runs the registered clean-ups, newest first. It is safe to call twice.
func (e *env) Undo() {
	e.mu.Lock()
	undo := e.undo
	e.undo = nil
	e.mu.Unlock()
	for _, f := range slices.Backward(undo) {
		f()
	}
}

// removeStale deletes namespaces and cgroups left by an earlier run that
// was killed before it could clean up. Only names with our prefix.
func (e *env) removeStale() {
	namespace.RemoveStale(prefix)
	dirs, _ := filepath.Glob(filepath.Join(e.cgRoot, prefix+"-*"))
	for _, d := range dirs {
		killCgroup(d)
	}
}

// ns creates a network namespace with lo up, removed by Undo.
func (e *env) ns(name string) (string, error) {
	name = prefix + "-" + name
	namespace.Remove(name) // a leftover of the same name
	if err := namespace.Add(name); err != nil {
		return "", fmt.Errorf("pfbench: %w", err)
	}
	e.onUndo(func() { namespace.Remove(name) })
	return name, nil
}

// proc is a server or client process group in its own cgroup.
type proc struct {
	name string
	cg   string // cgroup directory
	cmd  *exec.Cmd
	done chan error
	log  *os.File
}

// start runs args inside ns, in a fresh cgroup named after name, with its
// output in a log file under the work directory.
func (e *env) start(ns, name string, args ...string) (*proc, error) {
	cg := filepath.Join(e.cgRoot, prefix+"-"+name)
	killCgroup(cg)
	if err := os.Mkdir(cg, 0o755); err != nil {
		return nil, fmt.Errorf("pfbench: cgroup: %w", err)
	}
	e.onUndo(func() { killCgroup(cg) })
	fd, err := syscall.Open(cg, syscall.O_DIRECTORY|syscall.O_RDONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("pfbench: cgroup: %w", err)
	}
	defer syscall.Close(fd)
	logf, err := os.Create(filepath.Join(e.workDir, name+".log"))
	if err != nil {
		return nil, err
	}
	p := &proc{name: name, cg: cg, cmd: namespace.Command(ns, args...), done: make(chan error, 1), log: logf}
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	p.cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: fd, Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("pfbench: start %s: %w", name, err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	return p, nil
}

// exited reports whether the process has ended, with its error.
func (p *proc) exited() (bool, error) {
	select {
	case err := <-p.done:
		p.done <- err
		return true, err
	default:
		return false, nil
	}
}

// stop sends SIGTERM, waits up to 5 s, then kills everything left in the
// cgroup and removes it.
func (p *proc) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
	}
	killCgroup(p.cg)
	p.log.Close()
}

// wait waits for the process to exit or ctx to end.
func (p *proc) wait(ctx context.Context) error {
	select {
	case err := <-p.done:
		p.done <- err
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// killCgroup kills every process in the cgroup and removes it.
func killCgroup(cg string) {
	if _, err := os.Stat(cg); err != nil {
		return
	}
	os.WriteFile(filepath.Join(cg, "cgroup.kill"), []byte("1"), 0)
	for range 50 {
		if err := os.Remove(cg); err == nil || errors.Is(err, os.ErrNotExist) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}
