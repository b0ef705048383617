package journal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Retry delays after a failed write: doubling from retryMin to retryMax.
const (
	retryMin = 50 * time.Millisecond
	retryMax = 2 * time.Second
)

// serve is key's writer: it takes what is queued for the key, appends it
// to the key's file and syncs it, puts back what the disk refused, to retry
// after a pause, and ends when nothing is left (Append starts it again).
func (j *Journal) serve(key string, k *keyLog) {
	defer j.writers.Done()
	var delay time.Duration
	for {
		batch := j.take(k)
		if batch == nil {
			return
		}
		var buf []byte
		for _, e := range batch {
			buf = append(buf, e.line...)
		}
		err := j.writeKey(key, k, buf)
		j.settle(key, k, batch, err)
		if delay = nextDelay(delay, err != nil); delay == 0 {
			continue
		}
		select { // new lines do not hurry a retry
		case <-time.After(delay):
		case <-j.quit:
			j.mu.Lock()
			k.writing = false
			j.mu.Unlock()
			return
		}
	}
}

func nextDelay(d time.Duration, failed bool) time.Duration {
	switch {
	case !failed:
		return 0
	case d == 0:
		return retryMin
	}
	return min(2*d, retryMax)
}

// take hands k's queue to its writer; nil when it is empty, and then the
// writer ends.
func (j *Journal) take(k *keyLog) []entry {
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(k.queue) == 0 {
		k.writing = false
		return nil
	}
	k.taken, k.queue = k.queue, nil
	return k.taken
}

// settle puts refused lines back in front of what was queued since, tells
// Mark's and Flush's waiters, and logs where the disk's trouble begins and
// ends: the first key refused, the last one taken again; a disk that
// caught up after lines were replaced.
func (j *Journal) settle(key string, k *keyLog, batch []entry, err error) {
	j.mu.Lock()
	k.taken = nil
	wasFailing := j.failing
	switch {
	case err != nil:
		k.queue = append(batch, k.queue...)
		if k.err == nil {
			j.failing++
		}
	default:
		for _, e := range batch {
			j.queued -= len(e.line)
		}
		if k.err != nil {
			j.failing--
		}
	}
	k.err = err
	failing := j.failing
	close(j.changed)
	j.changed = make(chan struct{})
	dropped := 0
	if j.queued == 0 {
		dropped, j.dropped = j.dropped, 0
	}
	j.mu.Unlock()
	switch {
	case wasFailing == 0 && failing > 0:
		j.opts.Log.Error("journal: cannot write to the state directory; records wait in memory and are retried",
			"dir", j.dir, "mac", key, "err", err)
	case wasFailing > 0 && failing == 0:
		j.opts.Log.Info("journal: writing again", "dir", j.dir, "mac", key)
	}
	if dropped > 0 {
		j.opts.Log.Warn("journal: caught up; records replaced while the disk was behind", "dir", j.dir, "dropped", dropped)
	}
}

// writeKey appends buf to key's file and syncs it. A full disk may take part
// of buf: the file is cut back, so that the lines, once there is room, start
// where the last whole line ended. If even that fails, the file is closed
// and repaired when it is opened again.
func (j *Journal) writeKey(key string, k *keyLog, buf []byte) error {
	f, err := j.file(key, k)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("journal: %s: %w", key, err)
	}
	_, err = f.Write(buf)
	if err == nil {
		if err = j.opts.Sync(f); err != nil {
			err = fmt.Errorf("sync: %w", err)
		}
	}
	if err == nil {
		return nil
	}
	if terr := f.Truncate(fi.Size()); terr != nil {
		f.Close()
		k.file = nil
	}
	return fmt.Errorf("journal: %s: %w", key, err)
}

// file opens key's file for appending, repairing a torn last line first.
func (j *Journal) file(key string, k *keyLog) (*os.File, error) {
	if k.file != nil {
		return k.file, nil
	}
	name := filepath.Join(j.dir, key+".jsonl")
	_, statErr := os.Stat(name)
	if statErr == nil {
		if err := repair(name); err != nil {
			return nil, err
		}
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	if errors.Is(statErr, os.ErrNotExist) {
		// The new file's name must survive a crash too.
		if err := j.syncDir(); err != nil {
			f.Close()
			os.Remove(name) // created again, and its name synced, next time
			return nil, err
		}
	}
	k.file = f
	return f, nil
}

func (j *Journal) syncDir() error {
	d, err := os.Open(j.dir)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	defer d.Close()
	if err := j.opts.Sync(d); err != nil {
		return fmt.Errorf("journal: sync %s: %w", j.dir, err)
	}
	return nil
}
