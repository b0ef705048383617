package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/phoneflash/phoneflash/appliance"
	"github.com/phoneflash/phoneflash/appliance/nettest"
	"github.com/phoneflash/phoneflash/appliance/session"
)

// missingPerm is a /perm that cannot hold directories: a regular file, as
// when gokrazy's /perm partition was never formatted and the path leads
// nowhere writable.
func missingPerm(t *testing.T) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "perm")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestPrepareDirsWithoutFallback(t *testing.T) {
	perm := missingPerm(t)
	cfg := appliance.Config{FirmwareDir: filepath.Join(perm, "phoneflash", "firmware"), StateDir: t.TempDir()}
	_, err := prepareDirs(&cfg, false)
	if err == nil || !strings.Contains(err.Error(), "-firmware "+cfg.FirmwareDir+": directory does not exist and cannot be created") {
		t.Fatalf("prepareDirs = %v, want the -firmware line", err)
	}
}

// TestPermFallback: with -perm-fallback, directories that cannot be used are
// replaced by temporary ones, each replacement is one line saying what is
// forgotten, and the problems are handed to the appliance.
func TestPermFallback(t *testing.T) {
	perm := missingPerm(t)
	good := t.TempDir()
	cfg := appliance.Config{FirmwareDir: good, StateDir: filepath.Join(perm, "phoneflash", "state")}
	notes, err := prepareDirs(&cfg, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(cfg.StateDir) })
	if cfg.FirmwareDir != good || !strings.HasPrefix(cfg.StateDir, os.TempDir()) {
		t.Fatalf("dirs = %s, %s: want the usable one kept and the other replaced", cfg.FirmwareDir, cfg.StateDir)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "-state "+filepath.Join(perm, "phoneflash", "state")) ||
		!strings.Contains(notes[0], "using "+cfg.StateDir) || !strings.Contains(notes[0], "forgotten") {
		t.Errorf("notes = %q", notes)
	}
	if !slices.Equal(cfg.Problems, []string{"state dir unusable"}) {
		t.Errorf("Problems = %q", cfg.Problems)
	}
}

// TestPermFallbackMergedBack: serve restarted while -state cannot be used
// keeps its journal in the same fallback directory each time; once -state
// is usable again, what the phones did meanwhile is merged back (a phone
// that went on to done stays done) and the fallback directory is gone.
func TestPermFallbackMergedBack(t *testing.T) {
	root := t.TempDir()
	perm := filepath.Join(root, "perm")
	state := filepath.Join(perm, "phoneflash", "state")
	if err := os.MkdirAll(state, 0o755); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now().Add(-time.Minute).UTC()
	const mac = "002290CC0003"
	journalRecords(t, state, session.Record{At: t0, MAC: mac, Kind: "stage", Stage: "loading"})

	// /perm goes away (a file where the directory was).
	if err := os.Rename(perm, perm+".away"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(perm, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := appliance.Config{FirmwareDir: t.TempDir(), StateDir: state}
	if _, err := prepareDirs(&cfg, true); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(stateFallbackDir(state)) })
	if cfg.StateDir != stateFallbackDir(state) {
		t.Fatalf("state dir %s, want the fallback %s", cfg.StateDir, stateFallbackDir(state))
	}
	journalRecords(t, cfg.StateDir, session.Record{At: t0.Add(time.Second), MAC: mac, Kind: "stage", Stage: "config"})
	// Restarted, still unusable: the same directory, with what it held.
	again := appliance.Config{FirmwareDir: cfg.FirmwareDir, StateDir: state}
	if _, err := prepareDirs(&again, true); err != nil || again.StateDir != cfg.StateDir {
		t.Fatalf("second fallback: %s, %v; want %s again", again.StateDir, err, cfg.StateDir)
	}
	journalRecords(t, again.StateDir, session.Record{At: t0.Add(2 * time.Second), MAC: mac, Kind: "stage", Stage: "done"})

	// /perm is back.
	if err := os.Remove(perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(perm+".away", perm); err != nil {
		t.Fatal(err)
	}
	back := appliance.Config{FirmwareDir: cfg.FirmwareDir, StateDir: state}
	notes, err := prepareDirs(&back, true)
	if err != nil {
		t.Fatal(err)
	}
	if back.StateDir != state || len(back.Problems) != 0 {
		t.Fatalf("state dir %s, problems %q; want %s and none", back.StateDir, back.Problems, state)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "took 2 records of 1 phones") {
		t.Errorf("notes = %q, want the merge named", notes)
	}
	h, err := appliance.History(state, mac)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Records) != 3 || h.Last().Stage != "done" {
		t.Errorf("journal after the merge: %+v, want loading, config, done", h.Records)
	}
	if _, err := os.Stat(stateFallbackDir(state)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the fallback directory is still there: %v", err)
	}
}

func journalRecords(t *testing.T, stateDir string, recs ...session.Record) {
	t.Helper()
	if err := appliance.AppendRecords(stateDir, recs...); err != nil {
		t.Fatal(err)
	}
}

// TestPermFallbackReadOnly: a /perm mounted read-only (a tmpfs here) is
// not written to; the appliance runs from temporary directories.
func TestPermFallbackReadOnly(t *testing.T) {
	nettest.RequireRoot(t)
	perm := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "ro,size=1m", "pfi-perm", perm).CombinedOutput(); err != nil {
		t.Skipf("mounting a read-only tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", perm).Run() })
	cfg := appliance.Config{FirmwareDir: filepath.Join(perm, "phoneflash", "firmware"), StateDir: filepath.Join(perm, "phoneflash", "state")}
	notes, err := prepareDirs(&cfg, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(cfg.FirmwareDir); os.RemoveAll(cfg.StateDir) })
	if len(notes) != 2 || !strings.Contains(notes[0], "read-only file system") {
		t.Errorf("notes = %q, want both directories replaced because /perm is read-only", notes)
	}
	if !slices.Equal(cfg.Problems, []string{"firmware dir unusable", "state dir unusable"}) {
		t.Errorf("Problems = %q", cfg.Problems)
	}
	if left, _ := os.ReadDir(perm); len(left) != 0 {
		t.Errorf("read-only /perm got %v", left)
	}
}

// TestValidateCreatesNothing: the library only looks; a missing directory
// is an error naming the flag, and nothing is created or written.
func TestValidateCreatesNothing(t *testing.T) {
	dir := t.TempDir()
	o, err := serveFlags([]string{"-ports", "eth1", "-firmware", filepath.Join(dir, "fw"), "-state", dir}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	err = flagWording(o.cfg.Validate(fakeEnv("eth1")))
	if err == nil || !strings.Contains(err.Error(), "-firmware "+filepath.Join(dir, "fw")+": directory does not exist") {
		t.Fatalf("Validate = %v, want the missing -firmware named", err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("Validate left %v in the state directory", left)
	}
}

// TestIntegrationServeFirstBootFallbackAndSignal runs the real binary in a
// namespace of its own as the gokrazy image does (-perm-fallback,
// -wait-ports) on a /perm that cannot be used: it serves anyway, /healthz
// answers 503 naming both directories, and SIGTERM ends it with 143 so that
// gokrazy's restart starts it again.
func TestIntegrationServeFirstBootFallbackAndSignal(t *testing.T) {
	nettest.RequireRoot(t)
	nettest.RequireCommand(t, "curl")
	bin, _ := buildSim(t)
	ns := nettest.NS(t, nettest.Unique("pfi"))
	perm := missingPerm(t)
	var log bytes.Buffer
	cmd := nettest.Command(ns, bin, "serve", "-ports", "pfinone0", "-wait-ports", "-perm-fallback",
		"-firmware", filepath.Join(perm, "phoneflash", "firmware"), "-state", filepath.Join(perm, "phoneflash", "state"),
		"-http", "127.0.0.1:8079")
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill(); <-done })
	var code, health string
	deadline := time.Now().Add(30 * time.Second)
	for code != "503" {
		if time.Now().After(deadline) {
			t.Fatalf("/healthz = %s %q after 30 s, want 503", code, health)
		}
		time.Sleep(100 * time.Millisecond)
		out, _ := nettest.Run(ns, "curl", "-s", "-w", "\n%{http_code}", "http://127.0.0.1:8079/healthz")
		i := strings.LastIndexByte(out, '\n')
		health, code = out[:max(i, 0)], out[i+1:]
	}
	for _, want := range []string{"degraded: firmware dir unusable", "degraded: state dir unusable"} {
		if !strings.Contains(health, want) {
			t.Errorf("/healthz = %q, want %q", health, want)
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	var err error
	select {
	case err = <-done:
		done <- err
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop within 20 s of SIGTERM")
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitStopped {
		t.Fatalf("serve after SIGTERM: %v, want exit code %d\n%s", err, exitStopped, log.String())
	}
	if !strings.Contains(log.String(), "until it is fixed") {
		t.Errorf("log does not say which directories were replaced:\n%s", log.String())
	}
}
