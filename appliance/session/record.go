package session

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Record is one entry of a phone's history, one line of its journal: what
// happened (Kind, Detail) and the phone's state right after it. The summary
// fields feed the report and the page without decoding State.
type Record struct {
	At      time.Time       `json:"at"`
	MAC     string          `json:"mac"`
	Port    string          `json:"port,omitempty"`
	Model   string          `json:"model,omitempty"`
	Kind    string          `json:"kind"`
	Detail  string          `json:"detail,omitempty"`
	Stage   string          `json:"stage"`
	From    string          `json:"from,omitempty"`
	Load    string          `json:"load,omitempty"`
	Target  string          `json:"target,omitempty"`
	Account string          `json:"account,omitempty"`
	Result  string          `json:"result,omitempty"`
	Reason  string          `json:"reason,omitempty"`
	State   json.RawMessage `json:"state,omitempty"`

	// Registration is the phone's registration after this record, once
	// its SIP config was served.
	Registration *RegistrationView `json:"registration,omitempty"`
}

// Recorder keeps records: the appliance appends them to the journal. The
// Manager calls Record with its lock held, while DHCP and TFTP wait for its
// answers, so Record must not wait for the disk (the journal queues).
type Recorder interface {
	Record(r Record) error
}

// SyncRecorder is a Recorder that can tell when a phone's records are on
// disk, so that the phone's TFTP answer leaves only after them (see
// Manager.Request).
type SyncRecorder interface {
	Recorder
	// Synced returns the wait for the records of mac recorded so far. The
	// Manager calls it with its lock held: it must not wait itself.
	Synced(mac string) Synced
}

// Synced waits until a phone's records up to a point are on disk. It
// returns an error when the disk refused them (they stay queued and are
// retried) or ctx ended first.
type Synced func(ctx context.Context) error

// RecordOf builds the record of kind and detail for state s at time at.
func RecordOf(s State, kind, detail string, at time.Time) Record {
	raw, _ := json.Marshal(s) // State has only marshalable fields
	p := s.Phone()
	return Record{At: at, MAC: s.MAC, Port: s.Port, Model: string(s.Model), Kind: kind, Detail: detail,
		Stage: string(s.Stage), From: s.From, Load: p.Load, Target: s.Target, Account: s.Label,
		Result: p.Result, Reason: s.Reason, Registration: p.Registration, State: raw}
}

// Record kinds that mean something to the history itself (the machine's
// other kinds are read by people only).
const (
	// ForgetKind ends the history of a phone the operator forgot: a
	// restarted appliance does not resume it.
	ForgetKind = "forget"
	// RestartKind is the first record after the appliance restarted.
	RestartKind = "restart"
)

// History is one phone's records, oldest first.
type History struct {
	MAC     string
	Records []Record
	Damaged int // lines that could not be read (a torn last line after a crash)
}

// Last is the newest record; the history must have one.
func (h History) Last() Record { return h.Records[len(h.Records)-1] }

// DecodeHistory reads a phone's journal lines, oldest first; a line that is
// not a record adds to damaged.
func DecodeHistory(mac string, lines []json.RawMessage, damaged int) History {
	h := History{MAC: mac, Damaged: damaged}
	for _, l := range lines {
		var r Record
		if err := json.Unmarshal(l, &r); err != nil {
			h.Damaged++
			continue
		}
		h.Records = append(h.Records, r)
	}
	return h
}

// Resumable returns the newest saved state of the history, for a restarted
// appliance to continue from. A phone that was forgotten, or whose history
// has no state, has none (false).
func (h History) Resumable() (State, bool, error) {
	if len(h.Records) == 0 || h.Last().Kind == ForgetKind {
		return State{}, false, nil
	}
	for i := len(h.Records) - 1; i >= 0; i-- {
		if raw := h.Records[i].State; len(raw) > 0 {
			s, err := DecodeState(raw)
			if err != nil {
				return State{}, false, fmt.Errorf("session: %s: %w", h.MAC, err)
			}
			return s, true, nil
		}
	}
	return State{}, false, nil
}
