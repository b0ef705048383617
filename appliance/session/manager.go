package session

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// ManagerConfig wires a Manager. Only Machine and Target are required.
type ManagerConfig struct {
	Machine    Machine
	Target     string
	Now        func() time.Time        // default time.Now
	Accounts   Accounts                // nil: no account table
	Journal    Recorder                // nil: nothing persisted; called with the lock held, so it must not wait for the disk (a SyncRecorder also tells when records are on disk: see Request)
	PowerCycle func(port string) error // carries out PowerCycle; run on its own goroutine
	Log        *slog.Logger            // default discards
	// CheckSync sends the NOTIFY of a CheckSync action and returns the
	// phone's answer; run on its own goroutine. nil: never sent.
	CheckSync func(CheckSync) (answer string, ok bool)
}

// Manager owns every phone's session, keyed by MAC: it serialises events,
// runs Step, carries out the actions and tells subscribers about changes.
type Manager struct {
	cfg    ManagerConfig
	mu     sync.Mutex
	phones map[string]State
	subs   map[chan struct{}]struct{}
}

// NewManager returns a Manager with no phones.
func NewManager(cfg ManagerConfig) *Manager {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Manager{cfg: cfg, phones: map[string]State{}, subs: map[chan struct{}]struct{}{}}
}

// Resume takes back sessions read from the journal after a restart; each
// continues where it was and its history records the restart.
func (m *Manager) Resume(states []State) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.cfg.Now()
	for _, s := range states {
		next, acts := m.cfg.Machine.Resume(s, now)
		m.phones[next.MAC] = next
		m.carryOut(next, Tick{}, acts, now)
	}
	m.notify()
}

// Handle applies one event. For a TFTPRequest it returns the answer;
// otherwise the zero Answer. Sessions begin with a phone's DHCP: a TFTP
// request from a MAC without one is not found.
func (m *Manager) Handle(e Event) Answer {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.handle(e)
}

// Request answers a phone's TFTP request as Handle does and returns with
// the answer the wait for the phone's records up to it to be on disk (nil
// when there is nothing to wait for: no SyncRecorder, or a MAC without a
// session). The phone acts on its answer (a config naming a load, the last
// one it needs), so the answer must leave only after that wait, lest a
// restart resume the phone behind what it was told. The caller waits
// outside the Manager's lock, in its own goroutine, so that no phone ever
// waits for another phone's disk write.
func (m *Manager) Request(e TFTPRequest) (Answer, Synced) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a := m.handle(e)
	rec, ok := m.cfg.Journal.(SyncRecorder)
	if _, known := m.phones[NormalizeMAC(e.MAC)]; !ok || !known {
		return a, nil
	}
	return a, rec.Synced(NormalizeMAC(e.MAC))
}

// handle is Handle with m.mu held.
func (m *Manager) handle(e Event) Answer {
	now := m.cfg.Now()
	var answer Answer
	switch e := e.(type) {
	case Power:
		m.each(func(s State) bool { return s.Port == e.Port }, e, now)
		m.notify()
	case Link:
		m.each(func(s State) bool { return s.Port == e.Port }, e, now)
		m.notify()
	case Tick:
		m.each(func(State) bool { return true }, e, now)
	case DHCP:
		if !ValidMAC(e.MAC) {
			m.cfg.Log.Warn("dhcp from an invalid MAC ignored", "mac", e.MAC, "port", e.Port)
			return answer
		}
		s := m.phone(e.MAC, now)
		if e.Port != "" { // before assign: rows may match by port
			s.Port, s.PortIndex = e.Port, e.PortIndex
		}
		m.assign(&s)
		m.step(s, e, now)
	case TFTPRequest:
		s, ok := m.phones[NormalizeMAC(e.MAC)]
		if !ok {
			return notFound(cleanName(e.File))
		}
		answer = m.step(s, e, now)
	case TFTPProgress:
		m.stepKnown(e.MAC, e, now)
	case TFTPDone:
		m.stepKnown(e.MAC, e, now)
	case TFTPFailed:
		m.stepKnown(e.MAC, e, now)
	case SIP:
		m.stepKnown(e.MAC, e, now)
	case ConfigChanged:
		m.stepKnown(e.MAC, e, now)
	case CheckSyncAnswered:
		m.stepKnown(e.MAC, e, now)
	}
	return answer
}

func (m *Manager) stepKnown(mac string, e Event, now time.Time) {
	if s, ok := m.phones[NormalizeMAC(mac)]; ok {
		m.step(s, e, now)
	}
}

func (m *Manager) phone(mac string, now time.Time) State {
	mac = NormalizeMAC(mac)
	if s, ok := m.phones[mac]; ok {
		return s
	}
	return NewState(mac, m.cfg.Target, now)
}

// busy reports whether a phone other than mac on port is loading or
// applying. The caller holds m.mu.
func (m *Manager) busy(port, mac string) bool {
	for _, o := range m.phones {
		if o.MAC != mac && o.Port == port && (o.Stage == StageLoading || o.Stage == StageApplying) {
			return true
		}
	}
	return false
}

// assign gives a phone its row of the account table once.
func (m *Manager) assign(s *State) {
	if m.cfg.Accounts == nil || s.Account != "" {
		return
	}
	taken := func(key string) bool {
		for mac, o := range m.phones {
			if mac != s.MAC && o.Account == key {
				return true
			}
		}
		return false
	}
	if key, ok := m.cfg.Accounts.Assign(s.MAC, s.Port, taken); ok {
		s.Account = key
	}
}

func (m *Manager) each(match func(State) bool, e Event, now time.Time) {
	for _, s := range m.phones {
		if match(s) {
			m.step(s, e, now)
		}
	}
}

// step runs the machine for one phone and carries out its actions.
func (m *Manager) step(s State, e Event, now time.Time) Answer {
	mach := m.cfg.Machine
	if can := mach.PowerControl; can != nil {
		// A port's power is shared by every phone on it: never cut it while
		// another phone there fetches or writes a load.
		mach.PowerControl = func(port string) bool { return can(port) && !m.busy(port, s.MAC) }
	}
	next, acts := mach.Step(s, e, now)
	m.phones[next.MAC] = next
	answer := m.carryOut(next, e, acts, now)
	if len(acts) > 0 || e.eventName() == "tftp-progress" {
		m.notify()
	}
	return answer
}

func (m *Manager) carryOut(s State, e Event, acts []Action, now time.Time) Answer {
	var answer Answer
	for _, a := range acts {
		switch a := a.(type) {
		case Answer:
			answer = a
		case Log:
			m.logLine(s, e, a)
		case Journal:
			if m.cfg.Journal == nil {
				continue
			}
			if err := m.cfg.Journal.Record(RecordOf(s, a.Kind, a.Detail, now)); err != nil {
				m.cfg.Log.Error("journal", "mac", s.MAC, "err", err)
			}
		case PowerCycle:
			m.powerCycle(a.Port)
		case CheckSync:
			m.checkSync(a)
		}
	}
	return answer
}

func (m *Manager) logLine(s State, e Event, a Log) {
	args := []any{"event", e.eventName(), "port", s.Port, "mac", s.MAC}
	if s.Model != "" {
		args = append(args, "model", string(s.Model))
	}
	if a.File != "" {
		args = append(args, "file", a.File)
	}
	if a.Reason != "" {
		args = append(args, "reason", a.Reason)
	}
	m.cfg.Log.Log(context.Background(), a.Level, a.Msg, args...)
}

func (m *Manager) powerCycle(port string) {
	if m.cfg.PowerCycle == nil {
		m.cfg.Log.Warn("power cycle asked but no power control wired", "port", port)
		return
	}
	go func() {
		if err := m.cfg.PowerCycle(port); err != nil {
			m.cfg.Log.Error("power cycle", "port", port, "err", err)
		}
	}()
}

// Snapshot returns every phone, by port and MAC.
func (m *Manager) Snapshot() []Phone {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Phone, 0, len(m.phones))
	for _, s := range m.phones {
		out = append(out, s.Phone())
	}
	slices.SortFunc(out, func(a, b Phone) int {
		return cmp.Or(cmp.Compare(a.PortIndex, b.PortIndex), cmp.Compare(a.MAC, b.MAC))
	})
	return out
}

// State returns one phone's session.
func (m *Manager) State(mac string) (State, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.phones[NormalizeMAC(mac)]
	return s, ok
}

// Subscribe returns a channel that receives a value after changes (several
// changes may coalesce into one) and a function to unsubscribe.
func (m *Manager) Subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	m.mu.Lock()
	m.subs[ch] = struct{}{}
	m.mu.Unlock()
	return ch, func() {
		m.mu.Lock()
		delete(m.subs, ch)
		m.mu.Unlock()
	}
}

func (m *Manager) notify() {
	for ch := range m.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Run feeds Tick events every interval until ctx is done.
func (m *Manager) Run(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			m.Handle(Tick{})
		}
	}
}
