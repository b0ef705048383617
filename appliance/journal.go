package appliance

import (
	"context"
	"errors"
	"os"
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
// journal queues them, so the session lock never waits for the disk.
type recorder struct{ j *journal.Journal }

func (r recorder) Record(rec session.Record) error { return r.j.Append(rec.MAC, rec) }

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
