package appliance

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/phoneflash/phoneflash/appliance/status"
	"github.com/phoneflash/phoneflash/board"
)

// redrawEvery is how often the hardware loop redraws the display and
// updates the LEDs: at most 4 frames a second, which a 400 kHz I²C bus
// keeps up with.
const redrawEvery = 250 * time.Millisecond

// emptySnapshot is what the bench shows until the session layer provides
// its snapshot: every port by name, no phones.
func emptySnapshot(cfg Config) func() status.Snapshot {
	return func() status.Snapshot {
		s := status.Snapshot{State: status.Ready, Target: cfg.Target}
		for i, p := range cfg.Ports {
			s.Ports = append(s.Ports, status.PortView{Index: i, Name: p.Name})
		}
		return s
	}
}

// runHardware powers every bench port's PoE channel (design step 1, "Port
// powered"), then redraws the display and sets the LEDs from snap until ctx
// is done. A nil snap shows the ports without phones.
func runHardware(ctx context.Context, cfg Config, hw board.Hardware, snap func() status.Snapshot, log *slog.Logger) error {
	if snap == nil {
		snap = emptySnapshot(cfg)
	}
	for i := range cfg.Ports {
		if err := setPortPower(ctx, hw, i, true); err != nil {
			log.Warn("powering bench port", "port", cfg.Ports[i].Name, "err", err)
		}
	}
	h := &hwLoop{hw: hw, log: log, start: time.Now()}
	t := time.NewTicker(redrawEvery)
	defer t.Stop()
	for {
		h.update(snap())
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// hwLoop remembers what it last showed so unchanged frames and patterns are
// not sent again.
type hwLoop struct {
	hw     board.Hardware
	log    *slog.Logger
	start  time.Time // monotonic: the Pi has no RTC
	last   []byte
	ports  map[int]board.Pattern
	system board.Pattern
	shown  bool
}

func (h *hwLoop) update(s status.Snapshot) {
	if d := h.hw.Display(); d != nil {
		frame := status.Render(s, int(time.Since(h.start)/time.Second))
		if !bytes.Equal(frame.Pix, h.last) {
			if err := d.Show(frame); err != nil {
				h.log.Warn("display", "err", err)
			}
			h.last = frame.Pix
		}
	}
	leds := h.hw.LEDs()
	if leds == nil {
		return
	}
	if h.ports == nil {
		h.ports = map[int]board.Pattern{}
	}
	for _, p := range s.Ports {
		pat := status.PortPattern(p)
		if old, ok := h.ports[p.Index]; ok && old == pat {
			continue
		}
		if err := leds.SetPort(p.Index, pat); err != nil {
			h.log.Warn("port LED", "port", p.Name, "err", err)
		}
		h.ports[p.Index] = pat
	}
	if sys := status.SystemPattern(s); !h.shown || sys != h.system {
		if err := leds.SetSystem(sys); err != nil {
			h.log.Warn("system LED", "err", err)
		}
		h.system, h.shown = sys, true
	}
}

// setPortPower switches the PoE power of bench port i; a port without
// switched power is left alone.
func setPortPower(ctx context.Context, hw board.Hardware, port int, on bool) error {
	pse := hw.PSE()
	ch, ok := hw.ChannelOf(port)
	if pse == nil || !ok {
		return nil
	}
	if err := pse.SetPower(ctx, ch, on); err != nil {
		return fmt.Errorf("port %d power %v: %w", port, on, err)
	}
	return nil
}

// cyclePort power-cycles bench port i: the recovery step for a phone stuck
// on its loader.
func cyclePort(ctx context.Context, hw board.Hardware, port int, off time.Duration) error {
	pse := hw.PSE()
	ch, ok := hw.ChannelOf(port)
	if pse == nil || !ok {
		return fmt.Errorf("port %d: no switched power; power-cycle the phone by hand", port)
	}
	if err := pse.Cycle(ctx, ch, off); err != nil {
		return fmt.Errorf("port %d power cycle: %w", port, err)
	}
	return nil
}
