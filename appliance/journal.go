package appliance

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/phoneflash/phoneflash/appliance/journal"
	"github.com/phoneflash/phoneflash/appliance/session"
)

// Histories reads every phone's history from the journal under stateDir, by
// MAC. It only reads, so it works while an appliance runs (`phoneflash
// status`, the report); a missing journal is empty.
func Histories(stateDir string) ([]session.History, error) {
	logs, err := journal.Read(stateDir)
	if err != nil {
		return nil, err
	}
	var out []session.History
	for _, l := range logs {
		if h := session.DecodeHistory(l.Key, l.Lines, l.Damaged); len(h.Records) > 0 {
			out = append(out, h)
		}
	}
	return out, nil
}

// History reads one phone's history (none for a phone never journalled).
func History(stateDir, mac string) (session.History, error) {
	l, err := journal.ReadKey(stateDir, session.NormalizeMAC(mac))
	if err != nil {
		return session.History{}, err
	}
	return session.DecodeHistory(l.Key, l.Lines, l.Damaged), nil
}

// recorder appends session records to the journal, keyed by MAC; the
// journal queues them, so the session lock never waits for the disk. It
// is a session.SyncRecorder: a phone's answer can wait for its records.
type recorder struct{ j *journal.Journal }

func (r recorder) Record(rec session.Record) error { return r.j.Append(rec.MAC, rec) }

func (r recorder) Synced(mac string) session.Synced {
	m := r.j.Mark(mac)
	return func(ctx context.Context) error { return r.j.Wait(ctx, m) }
}

// answerWait bounds how long a phone's TFTP answer waits for the phone's
// records to reach the disk. An SD card syncs a record in milliseconds to
// tens of them; a phone retransmits its request after about 4 s. Past the
// bound (a disk that hangs) the answer leaves anyway, as it does at once
// when the disk refuses the records (full, read-only), so that a failing
// disk never stalls the phones.
const answerWait = 2 * time.Second

// awaitRecords holds back a phone's TFTP answer until the phone's records
// up to it are on disk (synced, from Manager.Request), in the transfer's
// own goroutine, at most b.answerWait. When they are not, the answer leaves
// anyway: what is then at risk is only that a crash (SIGKILL, power loss)
// before the disk takes them resumes the phone at its last stage on disk,
// behind what it was told; the records themselves wait in memory and are
// retried. That is logged once per burst.
func (b *bench) awaitRecords(ctx context.Context, synced session.Synced, port, mac, file string) {
	if synced == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, b.answerWait)
	defer cancel()
	err := synced(ctx)
	b.early.note(b.log, err, port, mac, file)
}

// earlyAnswers counts the answers that left before their phone's records
// were on disk, since the disk last took them in time.
type earlyAnswers struct {
	mu sync.Mutex
	n  int
}

// note logs the first answer of a burst sent before its records were on
// disk, and the first one after it that waited for them again.
func (e *earlyAnswers) note(log *slog.Logger, err error, port, mac, file string) {
	e.mu.Lock()
	n := e.n
	if err != nil {
		e.n++
	} else {
		e.n = 0
	}
	e.mu.Unlock()
	switch {
	case err != nil && n == 0:
		log.Warn("journal: answering a phone before its records are on disk; until the disk takes them, a crash would resume it behind what it was told",
			"port", port, "mac", mac, "file", file, "err", err)
	case err == nil && n > 0:
		log.Info("journal: answers wait for their records again", "port", port, "mac", mac, "file", file, "answered_early", n)
	}
}

// resume takes back the sessions of the journal (after a restart or a
// crash), so every phone continues where it was.
func (b *bench) resume() {
	hs, err := Histories(b.cfg.StateDir)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			b.log.Warn("journal: reading sessions to resume", "err", err)
		}
		return
	}
	var states []session.State
	for _, h := range hs {
		s, ok, err := h.Resumable()
		if err != nil {
			b.log.Warn("journal: skipping a session that does not decode", "mac", h.MAC, "err", err)
			continue
		}
		if ok {
			states = append(states, s)
		}
	}
	if len(states) > 0 {
		b.mgr.Resume(states)
		b.log.Info("resumed phone sessions from the journal", "phones", len(states))
	}
}

// journalFlush bounds how long the way out waits for the journal to reach
// the disk: well inside the 100 s gokrazy leaves between SIGTERM and
// SIGKILL, with the hardware's safe state before it.
const journalFlush = 20 * time.Second

// close flushes the journal: what the phones did until the end is on disk.
func (b *bench) close() {
	if b.jrnl == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), journalFlush)
	defer cancel()
	if err := b.jrnl.Close(ctx); err != nil {
		b.log.Error("closing journal: the last records of the phones may be lost", "err", err)
	}
}
