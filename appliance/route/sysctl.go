package route

import (
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/vishvananda/netns"
)

// ipForward is net.ipv4.ip_forward. Files under /proc/sys/net belong to the
// network namespace of the thread that opens them.
const ipForward = "/proc/sys/net/ipv4/ip_forward"

// sysctl is one file under /proc/sys/net as namespace ns sees it.
type sysctl struct {
	ns   netns.NsHandle // <= 0: the process's own
	path string
}

func (s sysctl) read() (string, error) {
	var v string
	err := inNS(s.ns, func() error {
		b, err := os.ReadFile(s.path)
		v = strings.TrimSpace(string(b))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", s.path, err)
	}
	return v, nil
}

func (s sysctl) write(v string) error {
	err := inNS(s.ns, func() error { return os.WriteFile(s.path, []byte(v+"\n"), 0o644) })
	if err != nil {
		return fmt.Errorf("setting %s to %s: %w", s.path, v, err)
	}
	return nil
}

// inNS runs fn on an OS thread switched into ns, or on the caller's thread
// when ns is the process's own. A thread that cannot be switched back is
// left locked, so the runtime discards it.
func inNS(ns netns.NsHandle, fn func() error) error {
	if ns <= 0 {
		return fn()
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			errc <- fmt.Errorf("current network namespace: %w", err)
			return
		}
		defer orig.Close()
		if err := netns.Set(ns); err != nil {
			errc <- fmt.Errorf("entering network namespace: %w", err)
			return
		}
		ferr := fn()
		if err := netns.Set(orig); err != nil {
			errc <- fmt.Errorf("leaving network namespace: %w", err)
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}
