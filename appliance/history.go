package appliance

import (
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
