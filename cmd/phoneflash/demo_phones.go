package main

import (
	"errors"
	"fmt"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/phoneflash/phoneflash/board"
	"github.com/phoneflash/phoneflash/board/sim"
)

// launcher is the demo's sim.PhoneStarter: power on a channel starts the
// phonesim process of that port in its namespace (the first time after a
// per-port delay, so phones appear one after another), power off kills it
// (a power cut: the flash file survives) and the operator's keyed reset is
// SIGUSR1.
type launcher struct {
	phones  map[board.Channel]simPhone
	stagger time.Duration

	mu      sync.Mutex
	procs   map[board.Channel]*phoneProc
	pending map[board.Channel]*time.Timer
	started map[board.Channel]bool
	errs    []error
	closed  bool
}

var _ sim.PhoneStarter = (*launcher)(nil)

type phoneProc struct {
	cmd  *exec.Cmd
	done chan struct{}
}

func newLauncher(phones map[board.Channel]simPhone, stagger time.Duration) *launcher {
	return &launcher{phones: phones, stagger: stagger, procs: map[board.Channel]*phoneProc{},
		pending: map[board.Channel]*time.Timer{}, started: map[board.Channel]bool{}}
}

// Start powers the phone on channel ch.
func (l *launcher) Start(ch board.Channel) error {
	if _, ok := l.phones[ch]; !ok {
		return nil // an empty port
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || l.procs[ch] != nil || l.pending[ch] != nil {
		return nil
	}
	delay := time.Duration(0)
	if !l.started[ch] {
		delay = time.Duration(ch) * l.stagger
	}
	l.started[ch] = true
	l.pending[ch] = time.AfterFunc(delay, func() { l.launch(ch) })
	return nil
}

func (l *launcher) launch(ch board.Channel) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pending[ch] == nil || l.closed {
		return
	}
	delete(l.pending, ch)
	cmd, err := l.phones[ch].start()
	if err != nil {
		l.errs = append(l.errs, err)
		return
	}
	p := &phoneProc{cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); close(p.done) }()
	l.procs[ch] = p
}

// Stop cuts the power of the phone on channel ch: SIGKILL.
func (l *launcher) Stop(ch board.Channel) error {
	l.mu.Lock()
	if t := l.pending[ch]; t != nil {
		t.Stop()
		delete(l.pending, ch)
	}
	p := l.procs[ch]
	delete(l.procs, ch)
	l.mu.Unlock()
	if p == nil {
		return nil
	}
	p.cmd.Process.Kill()
	<-p.done
	return nil
}

// Settled reports whether every phone has been powered and its phonesim
// has ended by itself (its -until state reached, or an error), with no
// power-on pending: its result file is then its last word.
func (l *launcher) Settled() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for ch := range l.phones {
		p := l.procs[ch]
		if !l.started[ch] || l.pending[ch] != nil || p == nil {
			return false
		}
		select {
		case <-p.done:
		default:
			return false
		}
	}
	return true
}

// KeyReset is the operator keying the factory-reset sequence on the phone
// of channel ch.
func (l *launcher) KeyReset(ch board.Channel) error {
	l.mu.Lock()
	p := l.procs[ch]
	l.mu.Unlock()
	if p == nil {
		return fmt.Errorf("port %d: no phone running", ch+1)
	}
	return p.cmd.Process.Signal(syscall.SIGUSR1)
}

// Close stops every phone with SIGTERM (they write their results) and
// returns what went wrong starting them.
func (l *launcher) Close() error {
	l.mu.Lock()
	l.closed = true
	for ch, t := range l.pending {
		t.Stop()
		delete(l.pending, ch)
	}
	procs := l.procs
	l.procs = map[board.Channel]*phoneProc{}
	errs := l.errs
	l.mu.Unlock()
	for _, p := range procs {
		p.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, p := range procs {
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			p.cmd.Process.Kill()
			<-p.done
		}
	}
	return errors.Join(errs...)
}
