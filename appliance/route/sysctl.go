package route

import (
	"fmt"
	"os"
	"strings"

	"github.com/vishvananda/netns"

	"github.com/phoneflash/phoneflash/internal/namespace"
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
// when ns is the process's own.
func inNS(ns netns.NsHandle, fn func() error) error {
	if ns <= 0 {
		return fn()
	}
	return namespace.DoHandle(ns, fn)
}
