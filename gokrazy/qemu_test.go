package gokrazy_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/phoneflash/phoneflash/appliance/nettest"
)

// Debian's OVMF (package ovmf): the 4 MiB split images that gok's `vm run`
// embeds too.
const (
	ovmfCode = "/usr/share/OVMF/OVMF_CODE_4M.fd"
	ovmfVars = "/usr/share/OVMF/OVMF_VARS_4M.fd"
)

// benchMAC is the VM's bench NIC (eth1), so that the phone's side can tell
// who answers 10.79.1.1.
const benchMAC = "52:54:00:79:00:01"

// vm is the image booted in QEMU: eth0 on QEMU's user network (the uplink,
// with phoneflash's page and gokrazy's interface forwarded to loopback
// ports), a spare NIC on a closed user network, and the bench NIC on a tap
// device that lives in the phone's namespace.
type vm struct {
	t        *testing.T
	cmd      *exec.Cmd
	serial   string // file with the serial console
	done     chan error
	page     string // http://127.0.0.1:P, phoneflash's port 80
	gokrazy  string // http://127.0.0.1:P, gokrazy's port 8080
	password string // gokrazy's web password
}

// serialLog is the serial console as QEMU wrote it so far.
func (v *vm) serialLog() string {
	b, _ := os.ReadFile(v.serial)
	return string(b)
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// openTap creates tap device name inside namespace ns and returns its file
// descriptor for QEMU (-netdev tap,fd=N); the device goes away when the
// last descriptor is closed. It never exists in the test's own namespace.
func openTap(t *testing.T, ns, name string) *os.File {
	t.Helper()
	var f *os.File
	err := nettest.Do(ns, func() error {
		fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("open /dev/net/tun: %w", err)
		}
		ifr, err := unix.NewIfreq(name)
		if err != nil {
			unix.Close(fd)
			return err
		}
		ifr.SetUint16(unix.IFF_TAP | unix.IFF_NO_PI)
		if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
			unix.Close(fd)
			return fmt.Errorf("TUNSETIFF %s: %w", name, err)
		}
		f = os.NewFile(uintptr(fd), "/dev/net/tun:"+name)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	nettest.Must(t, ns, "ip", "link", "set", name, "up")
	return f
}

// startVM boots img the way gok's `vm run` does (gokrazy/tools
// internal/gok/vmrun.go: the same machine, watchdog, NIC model, memory and
// EFI firmware) with what that command cannot do here: TCG with one vCPU
// (this machine's KVM runs no guest), the forwarded uplink ports and a
// second NIC on tap.
func startVM(t *testing.T, img string, tap *os.File, password string) *vm {
	t.Helper()
	dir := t.TempDir()
	vars := filepath.Join(dir, "OVMF_VARS_4M.fd")
	b, err := os.ReadFile(ovmfVars)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(vars, b, 0o644); err != nil {
		t.Fatal(err)
	}
	pagePort, gokPort := freePort(t), freePort(t)
	args := []string{
		"-name", "phoneflash",
		"-boot", "order=d",
		"-drive", "file=" + img + ",format=raw",
		"-device", "i6300esb,id=watchdog0",
		"-watchdog-action", "reset",
		"-smp", "1",
		"-device", "e1000,netdev=net0",
		"-netdev", fmt.Sprintf("user,id=net0,hostfwd=tcp:127.0.0.1:%d-:80,hostfwd=tcp:127.0.0.1:%d-:8080", pagePort, gokPort),
		// A spare NIC first, so that the kernel finds the bench NIC as
		// eth2 and the profile's pin has to rename it.
		"-device", "e1000,netdev=net2",
		"-netdev", "user,id=net2,restrict=on",
		"-device", "e1000,netdev=net1,mac=" + benchMAC,
		"-netdev", "tap,id=net1,fd=3",
		"-m", "1024",
		"-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + ovmfCode,
		"-drive", "if=pflash,format=raw,unit=1,readonly=off,file=" + vars,
		"-accel", "tcg",
		"-nographic",
	}
	v := &vm{t: t, serial: filepath.Join(dir, "serial.log"), done: make(chan error, 1), password: password,
		page: "http://127.0.0.1:" + strconv.Itoa(pagePort), gokrazy: "http://127.0.0.1:" + strconv.Itoa(gokPort)}
	v.cmd = exec.Command("qemu-system-x86_64", args...)
	v.cmd.ExtraFiles = []*os.File{tap}
	out, err := os.Create(v.serial)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close() // QEMU has its own copy
	v.cmd.Stdout, v.cmd.Stderr = out, out
	if err := v.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { v.done <- v.cmd.Wait() }()
	t.Cleanup(func() {
		v.stop()
		if t.Failed() {
			t.Logf("serial console:\n%s", tail(v.serialLog(), 12000))
		}
	})
	return v
}

// stop ends QEMU (the process this test started) and waits for it.
func (v *vm) stop() {
	if v.cmd.ProcessState != nil {
		return
	}
	v.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-v.done:
		v.done <- err
	case <-time.After(10 * time.Second):
		v.cmd.Process.Kill()
		v.done <- <-v.done
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// waitPage waits until phoneflash's /healthz answers on the uplink and
// returns it and how long that took.
func (v *vm) waitPage(since time.Time, limit time.Duration) (int, string, time.Duration) {
	v.t.Helper()
	deadline := since.Add(limit)
	for {
		select {
		case err := <-v.done:
			v.done <- err
			v.t.Fatalf("QEMU exited before the page answered: %v", err)
		default:
		}
		code, body, err := get(v.page+"/healthz", "", "")
		if err == nil {
			return code, body, time.Since(since)
		}
		if time.Now().After(deadline) {
			v.t.Fatalf("phoneflash's page did not answer within %s: %v", limit, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

var client = &http.Client{Timeout: 10 * time.Second}

// get fetches url, with basic auth when user or password is set.
func get(url, user, password string) (int, string, error) {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return 0, "", err
	}
	return do(req, user, password)
}

func do(req *http.Request, user, password string) (int, string, error) {
	if user != "" || password != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// gokrazyLog reads phoneflash's stderr from gokrazy's /log stream (what the
// user sees in gokrazy's web interface) until a line contains want, and
// returns the lines read.
func (v *vm) gokrazyLog(want string, limit time.Duration) []string {
	v.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", v.gokrazy+"/log?path=/user/phoneflash&stream=stderr", nil)
	if err != nil {
		v.t.Fatal(err)
	}
	req.SetBasicAuth("gokrazy", v.password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		v.t.Fatalf("gokrazy /log: %v", err)
	}
	defer resp.Body.Close()
	var lines []string
	var buf bytes.Buffer
	chunk := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(chunk)
		buf.Write(chunk[:n])
		for {
			line, rest, ok := strings.Cut(buf.String(), "\n")
			if !ok {
				break
			}
			buf.Reset()
			buf.WriteString(rest)
			lines = append(lines, line)
			if strings.Contains(line, want) {
				return lines
			}
		}
		if err != nil {
			v.t.Fatalf("gokrazy /log ended without %q: %v\n%s", want, err, strings.Join(lines, "\n"))
		}
	}
}
