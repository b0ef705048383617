package session

import (
	"encoding/csv"
	"fmt"
	"io"
	"time"
)

// Summary is one phone as the status table and the report show it.
type Summary struct {
	MAC, Port, Model, Stage string
	From, Load, Target      string
	Account, Result, Reason string
	Started, Ended          time.Time
	Restarts                int
	Damaged                 int
}

// Duration is the time from the first record until the phone finished (or
// until its newest record while it is still going).
func (s Summary) Duration() time.Duration { return s.Ended.Sub(s.Started).Round(time.Second) }

// Summarize reduces a history (with at least one record) to its summary.
func Summarize(h History) Summary {
	last := h.Last()
	s := Summary{MAC: h.MAC, Port: last.Port, Model: last.Model, Stage: last.Stage, From: last.From,
		Load: last.Load, Target: last.Target, Account: last.Account, Result: last.Result, Reason: last.Reason,
		Started: h.Records[0].At, Ended: last.At, Damaged: h.Damaged}
	for _, r := range h.Records {
		if r.Kind == RestartKind {
			s.Restarts++
		}
		if s.Model == "" {
			s.Model = r.Model
		}
	}
	// A finished phone's duration ends when it first reached its final
	// stage, not at later records (a done phone asking for its config again).
	if last.Stage == string(StageDone) || last.Stage == string(StageFailed) {
		var end time.Time
		for _, r := range h.Records {
			switch {
			case r.Stage != last.Stage:
				end = time.Time{}
			case end.IsZero():
				end = r.At
			}
		}
		s.Ended = end
	}
	if s.Result == "" {
		s.Result = "in progress (" + s.Stage + ")"
	}
	return s
}

// CSVHeader is the report's header line.
var CSVHeader = []string{"mac", "model", "from_load", "to_load", "account", "result", "duration_s"}

// WriteCSV writes the report: every phone handled, one line each.
func WriteCSV(w io.Writer, hs []History) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return fmt.Errorf("session: report: %w", err)
	}
	for _, h := range hs {
		if len(h.Records) == 0 {
			continue
		}
		s := Summarize(h)
		cw.Write([]string{s.MAC, s.Model, s.From, s.Load, s.Account, s.Result, fmt.Sprint(int64(s.Duration().Seconds()))})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("session: report: %w", err)
	}
	return nil
}
