package dhcpd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/phoneflash/phoneflash/internal/atomicfile"
)

// Lease persistence is a snapshot (leases-PORT.json, replaced atomically)
// plus a journal (leases-PORT.log): every burst of changed bindings appends
// one JSON line per MAC and fsyncs, so an ACK costs one short append instead
// of rewriting every lease. The journal holds every change since the
// snapshot, in order, so replaying it over the snapshot gives the current
// state even after a power cut between writing a new snapshot and emptying
// the journal. When the journal grows past twice the live leases (at least
// minCompact lines) it is folded into a new snapshot.
const minCompact = 1000

func journalPath(dir, port string) string { return filepath.Join(dir, "leases-"+port+".log") }

// readJournal returns the journal's records in order. A line that does not
// parse (an append torn by a power cut) ends it.
func readJournal(dir, port string) ([]leaseRecord, error) {
	b, ok, err := readState(journalPath(dir, port))
	if err != nil || !ok {
		return nil, wrapf(err, "dhcpd: port %s: reading lease journal", port)
	}
	var recs []leaseRecord
	for _, line := range bytes.Split(b, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var r leaseRecord
		if err := json.Unmarshal(line, &r); err != nil || r.MAC == "" {
			break
		}
		recs = append(recs, r)
	}
	return recs, nil
}

// appendJournal appends recs as JSON lines and fsyncs (the directory too,
// when it creates the journal).
func appendJournal(dir, port string, recs []leaseRecord) error {
	var buf []byte
	for _, r := range recs {
		line, err := json.Marshal(r)
		if err != nil {
			return err
		}
		buf = append(append(buf, line...), '\n')
	}
	_, statErr := os.Stat(journalPath(dir, port))
	f, err := os.OpenFile(journalPath(dir, port), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("dhcpd: port %s: lease journal: %w", port, err)
	}
	_, err = f.Write(buf)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && errors.Is(statErr, os.ErrNotExist) {
		err = atomicfile.SyncDir(dir) // a new journal's name must survive a power cut too
	}
	if err != nil {
		return fmt.Errorf("dhcpd: port %s: lease journal: %w", port, err)
	}
	return nil
}

// compact writes a snapshot of recs and then empties the journal.
func compact(dir, port string, recs []leaseRecord) error {
	if err := writeLeases(dir, port, recs); err != nil {
		return err
	}
	if err := os.Remove(journalPath(dir, port)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("dhcpd: port %s: emptying lease journal: %w", port, err)
	}
	return nil
}

// recordsOf returns the journal lines for macs: the binding of each, or a
// removal when it has no bound lease any more.
func (t *table) recordsOf(macs []string, now time.Time) []leaseRecord {
	seen := map[string]bool{}
	var out []leaseRecord
	for _, mac := range macs {
		if seen[mac] {
			continue
		}
		seen[mac] = true
		l := t.byMAC[mac]
		if l == nil || !l.Bound {
			out = append(out, leaseRecord{MAC: mac, Gone: true})
			continue
		}
		out = append(out, leaseRecord{MAC: l.MAC, IP: l.IP.String(), Hostname: l.Hostname,
			RemainingSec: max(0, int64(l.Expiry.Sub(now)/time.Second))})
	}
	return out
}

// bound counts the bound leases.
func (t *table) bound() int { return t.nBound }
