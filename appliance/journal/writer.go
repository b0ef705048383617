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

// run is the writer: it takes everything queued, appends it key by key and
// syncs each file once, and puts back what the disk refused, to retry.
func (j *Journal) run() {
	defer close(j.done)
	var delay time.Duration
	var failing time.Time // when the current burst of failures began
	for {
		wake := j.wake
		var retry <-chan time.Time
		if delay > 0 { // new lines do not hurry a retry
			wake, retry = nil, time.After(delay)
		}
		select {
		case <-wake:
		case <-retry:
		case <-j.quit:
			return
		}
		batch := j.take()
		if len(batch) == 0 {
			continue
		}
		failed, err := j.write(batch)
		caughtUp, dropped := j.settle(batch, failed)
		switch {
		case err != nil && failing.IsZero():
			failing = time.Now()
			j.opts.Log.Error("journal: cannot write to the state directory; records wait in memory and are retried",
				"dir", j.dir, "err", err)
		case err == nil && !failing.IsZero():
			j.opts.Log.Info("journal: writing again", "dir", j.dir, "failed_for", time.Since(failing).Round(time.Millisecond).String())
			failing = time.Time{}
		}
		if caughtUp && dropped > 0 {
			j.opts.Log.Warn("journal: caught up; records replaced while the disk was behind", "dir", j.dir, "dropped", dropped)
		}
		delay = nextDelay(delay, err != nil)
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

// take hands the queue to the writer; nil when it is empty.
func (j *Journal) take() map[string][]entry {
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(j.queue) == 0 {
		return nil
	}
	batch := j.queue
	j.queue, j.taken = map[string][]entry{}, batch
	return batch
}

// settle puts the lines of the failed keys back in front of what was
// queued since, and tells Flush. It reports whether the disk has caught
// up, and then how many lines were replaced while it was behind.
func (j *Journal) settle(batch map[string][]entry, failed map[string]bool) (caughtUp bool, dropped int) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for key, q := range batch {
		if failed[key] {
			j.queue[key] = append(q, j.queue[key]...)
			continue
		}
		for _, e := range q {
			j.queued -= len(e.line)
		}
	}
	j.taken = nil
	close(j.changed)
	j.changed = make(chan struct{})
	if j.queued == 0 {
		caughtUp, dropped, j.dropped = true, j.dropped, 0
	}
	return caughtUp, dropped
}

// write appends each key's lines to its file and syncs it. It returns the
// keys whose lines are not on disk, and the first error.
func (j *Journal) write(batch map[string][]entry) (map[string]bool, error) {
	failed := map[string]bool{}
	var first error
	for key, q := range batch {
		var buf []byte
		for _, e := range q {
			buf = append(buf, e.line...)
		}
		if err := j.writeKey(key, buf); err != nil {
			failed[key] = true
			if first == nil {
				first = err
			}
		}
	}
	return failed, first
}

// writeKey appends buf to key's file and syncs it. A full disk may take part
// of buf: the file is cut back, so that the lines, once there is room, start
// where the last whole line ended. If even that fails, the file is closed
// and repaired when it is opened again.
func (j *Journal) writeKey(key string, buf []byte) error {
	f, err := j.file(key)
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
		delete(j.files, key)
	}
	return fmt.Errorf("journal: %s: %w", key, err)
}

// file opens key's file for appending, repairing a torn last line first.
func (j *Journal) file(key string) (*os.File, error) {
	if f, ok := j.files[key]; ok {
		return f, nil
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
	j.files[key] = f
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
