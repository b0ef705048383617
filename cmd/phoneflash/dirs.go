package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/phoneflash/phoneflash/appliance"
)

// servedDir is a directory serve writes: its flag, the word the status
// line uses when it cannot be used, and how it is replaced then.
type servedDir struct {
	flag, what string
	dir        *string
	// fallback makes the directory used instead of dir and says what
	// becomes of what is written there.
	fallback func(dir string) (tmp, fate string, err error)
}

// stateDirs are the directories serve writes.
func stateDirs(cfg *appliance.Config) []servedDir {
	return []servedDir{
		{"-firmware", "firmware", &cfg.FirmwareDir, func(string) (string, string, error) {
			tmp, err := os.MkdirTemp("", "phoneflash-firmware-")
			return tmp, "firmware is forgotten at every restart", err
		}},
		{"-state", "state", &cfg.StateDir, stateFallback},
	}
}

// prepareDirs makes -firmware and -state usable before the configuration is
// validated: a missing directory is created with its parents (a freshly
// formatted /perm is empty), and a file is written and removed to prove
// that the directory takes writes. Without fallback the first problem is
// returned, one line naming the flag. With fallback (-perm-fallback, the
// gokrazy image) a directory that cannot be used (no /perm, or a read-only
// one) is replaced by a temporary directory, the problem goes to
// cfg.Problems for the display, the page and /healthz, and the returned
// lines say what was replaced. A usable -state takes back what an earlier
// run recorded in its fallback (mergeStateFallback).
func prepareDirs(cfg *appliance.Config, fallback bool) ([]string, error) {
	var notes []string
	stateUsable := true
	for _, d := range stateDirs(cfg) {
		err := usableDir(d.flag, *d.dir)
		if err == nil {
			continue
		}
		if !fallback {
			return nil, err
		}
		tmp, fate, ferr := d.fallback(*d.dir)
		if ferr != nil {
			return nil, fmt.Errorf("%v; no fallback directory either: %w", err, ferr)
		}
		notes = append(notes, fmt.Sprintf("%v; using %s until it is fixed: %s", err, tmp, fate))
		cfg.Problems = append(cfg.Problems, d.what+" dir unusable")
		*d.dir = tmp
		stateUsable = stateUsable && d.flag != "-state"
	}
	if stateUsable {
		note, err := mergeStateFallback(cfg.StateDir)
		if err != nil {
			return nil, err
		}
		if note != "" {
			notes = append(notes, note)
		}
	}
	return notes, nil
}

// stateFallbackDir is where serve keeps its state while -state dir cannot
// be used: one directory per state directory (two appliances on one
// machine, the tests, do not share one), the same at every restart, so
// that what was recorded there is found again.
func stateFallbackDir(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(os.TempDir(), "phoneflash-state-fallback-"+hex.EncodeToString(sum[:6]))
}

// stateFallback prepares the fallback of -state dir, seeded with a copy of
// what dir still lets be read (appliance.SeedFallback), unless it holds an
// earlier run's continuation already.
func stateFallback(dir string) (string, string, error) {
	tmp := stateFallbackDir(dir)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return "", "", err
	}
	seeded, err := appliance.SeedFallback(dir, tmp)
	if err != nil {
		return "", "", err
	}
	from := "starting empty"
	if seeded > 0 {
		from = fmt.Sprintf("continuing from a copy of its journal and leases (%d files)", seeded)
	}
	return tmp, from + "; the phones' journal and leases are merged back once it is usable again, " +
		"and forgotten with everything else there when the machine restarts (gokrazy's /tmp is in memory)", nil
}

// mergeStateFallback takes the journal and leases recorded while dir was
// unusable (what a restart on a writable dir would otherwise forget: a
// phone that went on to done in the meantime, an address handed out) back
// into dir, removes the fallback directory and returns the line that says
// so ("" when there was nothing to take).
func mergeStateFallback(dir string) (string, error) {
	tmp := stateFallbackDir(dir)
	if _, err := os.Stat(tmp); err != nil {
		return "", nil
	}
	phones, records, err := appliance.MergeFallback(dir, tmp)
	if err != nil {
		return "", fmt.Errorf("-state %s: %w; the records are still in %s", dir, err, tmp)
	}
	if err := os.RemoveAll(tmp); err != nil {
		return "", fmt.Errorf("-state %s: merged %s, but cannot remove it: %w", dir, tmp, err)
	}
	if records == 0 {
		return "", nil
	}
	return fmt.Sprintf("-state %s is usable again: took %d records of %d phones from %s, written while it was not", dir, records, phones, tmp), nil
}

// usableDir creates dir when it is missing and checks that it takes a file.
func usableDir(flag, dir string) error {
	if dir == "" {
		return fmt.Errorf("%s: no directory given", flag)
	}
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("%s %s: directory does not exist and cannot be created (%v); create it, format /perm on gokrazy (mkfs.ext4 on partition 4), or point %s elsewhere", flag, dir, rootCause(err), flag)
		}
	case err != nil:
		return fmt.Errorf("%s %s: %v", flag, dir, rootCause(err))
	case !fi.IsDir():
		return fmt.Errorf("%s %s: not a directory; point %s at a directory", flag, dir, flag)
	}
	f, err := os.CreateTemp(dir, ".phoneflash-write-check-*")
	if err != nil {
		return fmt.Errorf("%s %s: directory is not writable (%v); fix its permissions or point %s elsewhere", flag, dir, rootCause(err), flag)
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// rootCause strips the path wrapping of a file system error: the message
// already names the directory.
func rootCause(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
