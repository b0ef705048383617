package session

import (
	"fmt"
	"log/slog"
	"time"
)

// Retry gives a phone that failed or needs a reset a fresh attempt: it
// waits, as powered, for the phone to ask again, keeping what is known of
// its model, load and plan; stall timers and the automatic power cycles
// start afresh.
func (m Machine) Retry(s State, now time.Time) (State, []Action, error) {
	if s.Stage != StageFailed && s.Stage != StageNeedsReset {
		return s, nil, fmt.Errorf("nothing to retry: the phone is %s", s.Stage)
	}
	o := &out{}
	was := s.Stage
	s.clearFile()
	s.Offer = Offer{}
	s.TermCount, s.Cycled, s.AutoCycles, s.Fatal = 0, false, 0, false
	s.Refused, s.RefusedLoad = "", ""
	s.Active = now
	m.enter(&s, StagePowered, "", o, now)
	o.log(slog.LevelInfo, "retry asked by the operator", "", "was "+string(was))
	o.journal("retry", "operator asked for a retry (was "+string(was)+")")
	return s, o.acts, nil
}

// Retry gives the phone with mac a fresh attempt (see Machine.Retry).
func (m *Manager) Retry(mac string) error {
	return m.operate("retry", mac, func(mac string, s State, now time.Time) error {
		next, acts, err := m.cfg.Machine.Retry(s, now)
		if err != nil {
			return err
		}
		m.phones[mac] = next
		m.carryOut(next, Tick{}, acts, now)
		return nil
	})
}

// Forget drops the phone with mac from the sessions; its journal keeps the
// history, ending with a forget record. If it asks again it starts afresh.
func (m *Manager) Forget(mac string) error {
	return m.operate("forget", mac, func(mac string, s State, now time.Time) error {
		delete(m.phones, mac)
		m.cfg.Log.Info("phone forgotten by the operator", "port", s.Port, "mac", mac, "stage", string(s.Stage))
		if m.cfg.Journal != nil {
			if err := m.cfg.Journal.Record(RecordOf(s, ForgetKind, "operator forgot the phone at stage "+string(s.Stage), now)); err != nil {
				m.cfg.Log.Error("journal", "mac", mac, "err", err)
			}
		}
		return nil
	})
}

// operate runs an operator's verb on the known phone with mac under the
// manager's lock, and tells the watchers when it succeeded.
func (m *Manager) operate(verb, mac string, f func(mac string, s State, now time.Time) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	mac = NormalizeMAC(mac)
	s, ok := m.phones[mac]
	if !ok {
		return fmt.Errorf("session: %s %s: no such phone", verb, mac)
	}
	if err := f(mac, s, m.cfg.Now()); err != nil {
		return fmt.Errorf("session: %s %s: %w", verb, mac, err)
	}
	m.notify()
	return nil
}
