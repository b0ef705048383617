package netconf

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/phoneflash/phoneflash/internal/defaults"
)

// EventKind says what happened to a bench port.
type EventKind string

// Event kinds.
const (
	EventAppear     EventKind = "appear"     // the interface exists (at start or plugged in)
	EventVanish     EventKind = "vanish"     // the interface is gone (unplugged or renamed)
	EventUp         EventKind = "up"         // administratively up
	EventDown       EventKind = "down"       // administratively down
	EventCarrierOn  EventKind = "carrier-on" // a cable with something at the other end
	EventCarrierOff EventKind = "carrier-off"
	EventConfigured EventKind = "configured" // Apply changed something on it
	EventError      EventKind = "error"      // configuring it failed (Err)
)

// Event reports a change of one bench port.
type Event struct {
	Kind  EventKind
	Port  string
	Index int // the interface's index (appear: the new one; vanish: the one gone)
	Err   error
}

// Watcher keeps the bench ports configured and reports their state.
type Watcher struct {
	Ports   []Port
	Handle  *netlink.Handle // nil: the current network namespace
	NS      *netns.NsHandle // namespace of Handle for subscriptions; nil: current
	OnEvent func(Event)
	Log     *slog.Logger
	Pins    PinSet // bench ports named by their NIC (pin.go)
}

type linkState struct {
	index            int
	present, up, car bool
}

// Run applies the configuration, then follows link updates until ctx is
// done, re-applying whenever a bench port changes.
func (w *Watcher) Run(ctx context.Context) error {
	h := w.Handle
	if h == nil {
		nh, err := netlink.NewHandle()
		if err != nil {
			return fmt.Errorf("netconf: netlink handle: %w", err)
		}
		defer nh.Close()
		h = nh
	}
	log := defaults.Logger(w.Log)
	byName := map[string]Port{}
	for _, p := range w.Ports {
		byName[p.Name] = p
	}
	states := map[string]linkState{}
	for ctx.Err() == nil {
		ch := make(chan netlink.LinkUpdate, 64)
		done := make(chan struct{})
		opts := netlink.LinkSubscribeOptions{Namespace: w.NS, ListExisting: true,
			ErrorCallback: func(err error) {
				if ctx.Err() == nil {
					log.Warn("netlink subscription", "err", err)
				}
			}}
		if err := netlink.LinkSubscribeWithOptions(ch, done, opts); err != nil {
			return fmt.Errorf("netconf: subscribe to link updates: %w", err)
		}
		w.Pins.apply(h, log)
		if err := Apply(ctx, h, w.Ports); err != nil && ctx.Err() == nil {
			log.Error("configuring bench ports", "err", err)
		}
		w.follow(ctx, h, ch, byName, states)
		close(done)
		go func() { // drain until the subscription goroutine closes ch
			for range ch {
			}
		}()
		if ctx.Err() == nil {
			log.Warn("netlink subscription ended; subscribing again")
			time.Sleep(time.Second)
		}
	}
	return nil
}

// follow handles updates until ctx is done or the subscription ends.
func (w *Watcher) follow(ctx context.Context, h *netlink.Handle, ch <-chan netlink.LinkUpdate, byName map[string]Port, states map[string]linkState) {
	for {
		select {
		case <-ctx.Done():
			return
		case u, ok := <-ch:
			if !ok {
				return
			}
			if !w.Pins.renamed(h, u, w.Log) {
				w.update(h, u, byName, states)
			}
		}
	}
}

func (w *Watcher) update(h *netlink.Handle, u netlink.LinkUpdate, byName map[string]Port, states map[string]linkState) {
	attrs := u.Link.Attrs()
	// A bench port renamed to something else vanishes under its old name.
	for name, st := range states {
		if st.present && st.index == int(u.Index) && name != attrs.Name {
			w.emitAll(transitions(name, st, linkState{}))
			states[name] = linkState{}
		}
	}
	p, bench := byName[attrs.Name]
	if !bench {
		return // never touch anything that is not a bench port
	}
	next := linkState{index: int(u.Index), present: u.Header.Type != unix.RTM_DELLINK}
	if next.present {
		next.up = attrs.Flags&net.FlagUp != 0
		next.car = attrs.RawFlags&unix.IFF_LOWER_UP != 0
	}
	// Configure first, so that whoever starts serving on "appear" finds
	// the port up with its address.
	var changed bool
	var err error
	if next.present {
		changed, err = applyPort(h, p)
	}
	w.emitAll(transitions(p.Name, states[p.Name], next))
	states[p.Name] = next
	switch {
	case !next.present, errors.Is(err, errAbsent):
	case err != nil:
		w.emit(Event{Kind: EventError, Port: p.Name, Index: next.index, Err: err})
	case changed:
		w.emit(Event{Kind: EventConfigured, Port: p.Name, Index: next.index})
	}
}

// transitions are the events between two states of a port. An interface
// replaced under the same name (a new index without its removal being
// seen) vanishes and appears again.
func transitions(name string, prev, next linkState) []Event {
	if prev.present && next.present && prev.index != next.index {
		return append(transitions(name, prev, linkState{}), transitions(name, linkState{}, next)...)
	}
	var evs []Event
	index := next.index
	if !next.present {
		index = prev.index
	}
	add := func(k EventKind) { evs = append(evs, Event{Kind: k, Port: name, Index: index}) }
	if prev.present != next.present && next.present {
		add(EventAppear)
	}
	if prev.up != next.up {
		add(pick(next.up, EventUp, EventDown))
	}
	if prev.car != next.car {
		add(pick(next.car, EventCarrierOn, EventCarrierOff))
	}
	if prev.present != next.present && !next.present {
		add(EventVanish)
	}
	return evs
}

func pick(b bool, yes, no EventKind) EventKind {
	if b {
		return yes
	}
	return no
}

func (w *Watcher) emitAll(evs []Event) {
	for _, ev := range evs {
		w.emit(ev)
	}
}

func (w *Watcher) emit(ev Event) {
	if w.Log != nil {
		attrs := []any{"port", ev.Port, "index", ev.Index}
		if ev.Err != nil {
			attrs = append(attrs, "err", ev.Err)
		}
		w.Log.Info("link "+string(ev.Kind), attrs...)
	}
	if w.OnEvent != nil {
		w.OnEvent(ev)
	}
}
