package appliance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/phoneflash/phoneflash/appliance/status"
	"github.com/phoneflash/phoneflash/board"
)

// redrawEvery is how often the hardware loop redraws the display and
// updates the LEDs: at most 4 frames a second, which a 400 kHz I²C bus
// keeps up with.
const redrawEvery = 250 * time.Millisecond

// runHardware powers every bench port's PoE channel (design step 1, "Port
// powered"), then redraws the display and sets the LEDs from snap until ctx
// is done. A PoE board that does not answer yet powers the ports when it
// does (board/pi keeps the wish); its fault is on the status line.
func runHardware(ctx context.Context, cfg Config, hw board.Hardware, snap func() status.Snapshot, log *slog.Logger) error {
	for i := range cfg.Ports {
		if err := setPortPower(ctx, hw, i, true); err != nil && !errors.Is(err, board.ErrMissing) {
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

// hardwareFaults is what the hardware reports missing now, if it can tell.
func hardwareFaults(hw board.Hardware) []board.Fault {
	if r, ok := hw.(board.FaultReporter); ok {
		return r.Faults()
	}
	return nil
}

func faultTexts(fs []board.Fault) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Text
	}
	return out
}

// systemPattern is the system LED: the status line's pattern, except that a
// missing part is told apart when the OLED cannot say it: double blink for
// the PoE side (no board, no 48 V, no I²C bus: phones get no power), slow
// blink for the OLED itself.
func systemPattern(s status.Snapshot, faults []board.Fault) board.Pattern {
	display := false
	for _, f := range faults {
		switch f.Part {
		case board.PartBus, board.PartPSE, board.PartSupply:
			return board.DoubleBlink
		case board.PartDisplay:
			display = true
		}
	}
	if display {
		return board.SlowBlink
	}
	return status.SystemPattern(s)
}

// unhealthy is what /healthz and the page report: state that is being
// forgotten (a /perm that could not be used, a journal that cannot be
// written) and hardware that does not answer.
func (b *bench) unhealthy() []string {
	out := slices.Clone(b.cfg.Problems)
	if b.jrnl == nil {
		out = append(out, "state read-only: phone progress is not saved")
	}
	return append(out, faultTexts(hardwareFaults(b.hw))...)
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
	if sys := systemPattern(s, hardwareFaults(h.hw)); !h.shown || sys != h.system {
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
