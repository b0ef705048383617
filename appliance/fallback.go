package appliance

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/phoneflash/phoneflash/appliance/journal"
	"github.com/phoneflash/phoneflash/appliance/session"
	"github.com/phoneflash/phoneflash/firmware"
	"github.com/phoneflash/phoneflash/internal/atomicfile"
)

// A state directory that cannot be written (a read-only /perm) can often
// still be read. The appliance then runs from a fallback directory seeded
// with a copy of it (SeedFallback): the phones' journal, so every session
// continues where it was, and the DHCP leases, so no address a phone still
// holds is handed to another one. Once the state directory takes writes
// again, MergeFallback brings back what happened meanwhile.

// seededFiles are the state's files a fallback starts from, besides the
// journal: the leases (snapshot and log per port), the web page's password
// and the user's model rows.
func seededFiles(dir string) ([]string, error) {
	names, err := filepath.Glob(filepath.Join(dir, "leases-*"))
	if err != nil {
		return nil, err
	}
	for _, n := range []string{passwordFile, firmware.ModelFileName} {
		if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
			names = append(names, filepath.Join(dir, n))
		}
	}
	return names, nil
}

// SeedFallback copies what stateDir holds of the phones (journal, leases,
// the page's password, models.json) into fallback, unless fallback has a
// journal already (it is the continuation of an earlier copy). It returns
// how many files it copied; a stateDir that cannot be read is not an
// error (0: the fallback starts empty).
func SeedFallback(stateDir, fallback string) (int, error) {
	if _, err := os.Stat(filepath.Join(fallback, journal.Subdir)); err == nil {
		return 0, nil
	}
	logs, _ := filepath.Glob(filepath.Join(stateDir, journal.Subdir, "*.jsonl"))
	files, _ := seededFiles(stateDir)
	n := 0
	for _, src := range append(logs, files...) {
		rel, err := filepath.Rel(stateDir, src)
		if err != nil {
			return n, err
		}
		err = copyFile(src, filepath.Join(fallback, rel))
		if errors.Is(err, fs.ErrPermission) || errors.Is(err, fs.ErrNotExist) {
			continue // unreadable there: the fallback goes without it
		}
		if err != nil {
			return n, fmt.Errorf("seeding %s from %s: %w", fallback, stateDir, err)
		}
		n++
	}
	return n, nil
}

// MergeFallback brings back into stateDir what the appliance did while it
// ran from fallback: the journal's newer records (MergeJournal) and the
// leases of every port whose fallback leases are newer than stateDir's
// (the log removed first, then the snapshot and the log replaced, so a
// crash in between leaves the older state, never a mix that replays old
// bindings over new ones). It returns how many phones and records of the
// journal it took.
func MergeFallback(stateDir, fallback string) (phones, records int, err error) {
	phones, records, err = MergeJournal(stateDir, fallback)
	if err != nil {
		return 0, 0, err
	}
	snaps, err := filepath.Glob(filepath.Join(fallback, "leases-*.json"))
	if err != nil {
		return 0, 0, err
	}
	for _, snap := range snaps {
		base := filepath.Base(snap)
		log := base[:len(base)-len(".json")] + ".log"
		if !newer(snap, filepath.Join(stateDir, base)) {
			continue
		}
		if err := os.Remove(filepath.Join(stateDir, log)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return 0, 0, fmt.Errorf("taking back the leases of %s: %w", fallback, err)
		}
		for _, name := range []string{base, log} {
			err := copyFile(filepath.Join(fallback, name), filepath.Join(stateDir, name))
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return 0, 0, fmt.Errorf("taking back the leases of %s: %w", fallback, err)
			}
		}
	}
	return phones, records, nil
}

// newer says whether a was modified after b (or b is missing).
func newer(a, b string) bool {
	fa, err := os.Stat(a)
	if err != nil {
		return false
	}
	fb, err := os.Stat(b)
	return err != nil || fa.ModTime().After(fb.ModTime())
}

// copyFile copies src to dst (its directory made), replacing dst at once
// and keeping src's modification time.
func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	fi, err := os.Stat(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(dst, data, fi.Mode().Perm()); err != nil {
		return err
	}
	return os.Chtimes(dst, time.Time{}, fi.ModTime())
}

// MergeJournal takes into stateDir's journal what an appliance recorded in
// from's while stateDir could not be written (-perm-fallback): for every
// phone, the records newer than stateDir's last record of that phone, in
// their order. A phone that went on to done while /perm was read-only is
// done again once it is writable; a record older than what stateDir holds
// (a fallback directory left from long ago) is not taken. It returns how
// many phones and records it took; from is left as it was.
func MergeJournal(stateDir, from string) (phones, records int, err error) {
	hs, err := Histories(from)
	if err != nil {
		return 0, 0, fmt.Errorf("merging the journal of %s: %w", from, err)
	}
	var take []session.Record
	for _, h := range hs {
		own, err := History(stateDir, h.MAC)
		if err != nil {
			return 0, 0, fmt.Errorf("merging the journal of %s: %w", from, err)
		}
		var since time.Time
		if len(own.Records) > 0 {
			since = own.Last().At
		}
		took := 0
		for _, r := range h.Records {
			if r.At.After(since) {
				take = append(take, r)
				took++
			}
		}
		if took > 0 {
			phones++
		}
	}
	if len(take) == 0 {
		return 0, 0, nil
	}
	if err := AppendRecords(stateDir, take...); err != nil {
		return 0, 0, fmt.Errorf("merging the journal of %s: %w", from, err)
	}
	return phones, len(take), nil
}

// AppendRecords appends recs to the journal under stateDir, each to its
// phone's, and returns once they are on disk (at most 10 s).
func AppendRecords(stateDir string, recs ...session.Record) error {
	j, err := journal.Open(stateDir, journal.Options{})
	if err != nil {
		return err
	}
	for _, r := range recs {
		if err := j.Append(r.MAC, r); err != nil {
			j.Close(context.Background())
			return err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return j.Close(ctx)
}
