package sim

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/phoneflash/phoneflash/board"
)

// phones records starts and stops.
type phones struct {
	mu   sync.Mutex
	log  []string
	fail error
}

func (p *phones) Start(ch board.Channel) error { return p.add("start", ch) }
func (p *phones) Stop(ch board.Channel) error  { return p.add("stop", ch) }
func (p *phones) add(what string, ch board.Channel) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.log = append(p.log, what+" "+string(rune('0'+ch)))
	return p.fail
}

func TestPowerStartsAndStopsPhones(t *testing.T) {
	ph := &phones{}
	b := NewWith(2, Options{Phones: ph})
	ctx := context.Background()
	pse := b.SimPSE()
	steps := []struct {
		ch board.Channel
		on bool
	}{{0, true}, {0, true}, {1, true}, {0, false}, {0, false}}
	for _, s := range steps {
		if err := pse.SetPower(ctx, s.ch, s.on); err != nil {
			t.Fatal(err)
		}
	}
	if err := pse.Cycle(ctx, 1, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	want := []string{"start 0", "start 1", "stop 0", "stop 1", "start 1"}
	if diff := cmp.Diff(want, ph.log); diff != "" {
		t.Errorf("phone starts and stops (-want +got):\n%s", diff)
	}
	if pse.Powered(0) || !pse.Powered(1) {
		t.Error("power state wrong after the steps")
	}
	st, err := pse.Status(ctx, 1)
	if err != nil || !st.PowerGood || st.Class != 2 {
		t.Errorf("Status(1) = %+v, %v", st, err)
	}
	if err := pse.SetPower(ctx, 2, true); err == nil {
		t.Error("SetPower on channel 2 of 2 succeeded")
	}
}

func TestPhoneStartErrorIsReported(t *testing.T) {
	ph := &phones{fail: errors.New("no namespace")}
	b := NewWith(1, Options{Phones: ph})
	err := b.SimPSE().SetPower(context.Background(), 0, true)
	if err == nil || !strings.Contains(err.Error(), "channel 0: phone power true: no namespace") {
		t.Fatalf("SetPower = %v, want the starter's error", err)
	}
}

func TestWatchDeliversPowerEvents(t *testing.T) {
	b := New(1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan board.PSEEvent, 4)
	go b.SimPSE().Watch(ctx, func(ev board.PSEEvent) { got <- ev })
	if err := b.SimPSE().SetPower(ctx, 0, true); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-got:
		if ev.Kind != board.EventPowerGood || ev.Channel != 0 {
			t.Errorf("event = %+v", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
	}
}

func TestCloseCanPowerOff(t *testing.T) {
	ph := &phones{}
	b := NewWith(2, Options{Phones: ph, PowerOffOnClose: true})
	ctx := context.Background()
	_ = b.SimPSE().SetPower(ctx, 1, true)
	_ = b.SimLEDs().SetPort(1, board.SlowBlink)
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if !b.Closed() || b.SimPSE().Powered(1) || b.SimLEDs().Port(1) != board.Off {
		t.Error("Close did not power off and turn the LEDs off")
	}
	if diff := cmp.Diff([]string{"start 1", "stop 1"}, ph.log); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestDisplayWritesPNGAndText(t *testing.T) {
	name := filepath.Join(t.TempDir(), "oled.png")
	b := NewWith(1, Options{PNG: name})
	d := b.SimDisplay()
	if d.Text() != "" {
		t.Error("text before the first frame")
	}
	img := image.NewGray(image.Rect(0, 0, 128, 64))
	img.SetGray(0, 0, color.Gray{Y: 255})    // dot 1 of cell (0,0)
	img.SetGray(1, 3, color.Gray{Y: 255})    // dot 8 of cell (0,0)
	img.SetGray(127, 63, color.Gray{Y: 255}) // dot 8 of the last cell
	if err := d.Show(img); err != nil {
		t.Fatal(err)
	}
	text := d.Text()
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) != 16 || len([]rune(lines[0])) != 64 {
		t.Fatalf("text is %d lines of %d runes, want 16 of 64", len(lines), len([]rune(lines[0])))
	}
	if r := []rune(lines[0])[0]; r != 0x2800|0x01|0x80 {
		t.Errorf("first cell = %U, want U+2881", r)
	}
	if r := []rune(lines[15])[63]; r != 0x2880 {
		t.Errorf("last cell = %U, want U+2880", r)
	}
	raw, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	got, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if r, _, _, _ := got.At(127, 63).RGBA(); r == 0 || got.Bounds() != img.Bounds() {
		t.Error("PNG does not hold the frame")
	}
	if _, n := d.Frame(); n != 1 {
		t.Errorf("frames = %d", n)
	}
}

func TestLEDsLogPatternChanges(t *testing.T) {
	var buf bytes.Buffer
	b := NewWith(2, Options{Log: slog.New(slog.NewTextHandler(&buf, nil))})
	l := b.SimLEDs()
	_ = l.SetPort(1, board.FastBlink)
	_ = l.SetPort(1, board.FastBlink)
	_ = l.SetSystem(board.On)
	out := buf.String()
	if strings.Count(out, "pattern=fast-blink") != 1 || !strings.Contains(out, "port=1") || !strings.Contains(out, "system=true pattern=on") {
		t.Errorf("LED log:\n%s", out)
	}
	if diff := cmp.Diff([]string{"port 1 fast-blink", "port 1 fast-blink", "system on"}, l.Calls()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}
