package appliance

import (
	"context"
	"fmt"
	"time"

	"github.com/phoneflash/phoneflash/appliance/journal"
)

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
	if len(hs) == 0 {
		return 0, 0, nil
	}
	j, err := journal.Open(stateDir, journal.Options{})
	if err != nil {
		return 0, 0, fmt.Errorf("merging the journal of %s: %w", from, err)
	}
	for _, h := range hs {
		var since time.Time
		own, err := History(stateDir, h.MAC)
		if err != nil {
			j.Close(context.Background())
			return 0, 0, fmt.Errorf("merging the journal of %s: %w", from, err)
		}
		if len(own.Records) > 0 {
			since = own.Last().At
		}
		took := 0
		for _, r := range h.Records {
			if !r.At.After(since) {
				continue
			}
			if err := j.Append(h.MAC, r); err != nil {
				j.Close(context.Background())
				return 0, 0, fmt.Errorf("merging the journal of %s: %w", from, err)
			}
			took++
		}
		if took > 0 {
			phones++
			records += took
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := j.Close(ctx); err != nil {
		return 0, 0, fmt.Errorf("merging the journal of %s into %s: %w", from, stateDir, err)
	}
	return phones, records, nil
}
