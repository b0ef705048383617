package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vishvananda/netns"
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
	out, _ := exec.Command("ip", "netns", "list").Output()
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(f[0], prefix+"-") {
			exec.Command("ip", "netns", "del", f[0]).Run()
		}
	}
	dirs, _ := filepath.Glob(filepath.Join(e.cgRoot, prefix+"-*"))
	for _, d := range dirs {
		killCgroup(d)
	}
}

// ns creates a network namespace with lo up.
func (e *env) ns(name string) (string, error) {
	name = prefix + "-" + name
	exec.Command("ip", "netns", "del", name).Run()
	if err := run("", "ip", "netns", "add", name); err != nil {
		return "", err
	}
	e.onUndo(func() { exec.Command("ip", "netns", "del", name).Run() })
	return name, run(name, "ip", "link", "set", "lo", "up")
}

// veth creates a pair with end a in nsA and end b in nsB, both up. It never
// exists in the machine's own namespace.
func veth(nsA, a, nsB, b string) error {
	if err := run(nsA, "ip", "link", "add", a, "type", "veth", "peer", "name", b, "netns", nsB); err != nil {
		return err
	}
	if err := run(nsA, "ip", "link", "set", a, "up"); err != nil {
		return err
	}
	return run(nsB, "ip", "link", "set", b, "up")
}

// command returns a command that runs inside namespace ns ("" = ours).
func command(ns string, args ...string) *exec.Cmd {
	if ns == "" {
		return exec.Command(args[0], args[1:]...)
	}
	return exec.Command("ip", append([]string{"netns", "exec", ns}, args...)...)
}

func run(ns string, args ...string) error {
	out, err := command(ns, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pfbench: %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// inNS runs fn on an OS thread switched into namespace ns: sockets opened
// there stay in ns. The thread is never returned to the scheduler.
func inNS(ns string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // not unlocked: the thread dies with the goroutine
		h, err := netns.GetFromName(ns)
		if err != nil {
			errc <- fmt.Errorf("pfbench: namespace %s: %w", ns, err)
			return
		}
		defer h.Close()
		if err := netns.Set(h); err != nil {
			errc <- fmt.Errorf("pfbench: entering %s: %w", ns, err)
			return
		}
		errc <- fn()
	}()
	return <-errc
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
	p := &proc{name: name, cg: cg, cmd: command(ns, args...), done: make(chan error, 1), log: logf}
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
