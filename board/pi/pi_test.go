package pi

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/conn/v3/i2c/i2ctest"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/devices/v3/ssd1306/image1bit"

	"github.com/phoneflash/phoneflash/board"
	"github.com/phoneflash/phoneflash/internal/clocktest"
)

const profileJSON = `{
	"i2c_bus": "/dev/i2c-1",
	"pse": {"addr": "0x20", "int_pin": "GPIO25", "on_exit": "off"},
	"oled": {"addr": "0x3D"},
	"ports": [
		{"interface": "eth1", "poe_channel": 0, "led": "GPIO17"},
		{"interface": "eth2", "poe_channel": 3, "led": "GPIO27"},
		{"interface": "eth3"}
	],
	"system_led": "GPIO24"
}`

func pins() (map[string]*gpiotest.Pin, func(string) gpio.PinIO) {
	m := map[string]*gpiotest.Pin{}
	for _, n := range []string{"GPIO17", "GPIO27", "GPIO24", "GPIO25"} {
		m[n] = &gpiotest.Pin{N: n, EdgesChan: make(chan gpio.Level, 1), L: gpio.High}
	}
	return m, func(name string) gpio.PinIO {
		if p, ok := m[name]; ok {
			return p
		}
		return nil
	}
}

var oledInit = []byte{0x00, 0xAE, 0xD3, 0x00, 0x40, 0xA1, 0xC8, 0xDA, 0x12, 0x81, 0xFF, 0xA4, 0xA6,
	0xD5, 0xF0, 0x8D, 0x14, 0xD9, 0xF1, 0xDB, 0x40, 0x2E, 0xA8, 0x3F, 0x20, 0x00, 0x21, 0x00, 0x7F, 0x22, 0x00, 0x07, 0xAF}

// psebus and oledbus answer the PSE (0x20) and the OLED (0x3D) from their
// own transcripts, so that the order between the two devices (each driven
// by its own goroutine) does not matter. An address without a transcript
// does not answer.
type muxBus map[uint16]*i2ctest.Playback

func (m muxBus) Tx(addr uint16, w, r []byte) error {
	p, ok := m[addr]
	if !ok {
		return errors.New("i2c: no device answers")
	}
	return p.Tx(addr, w, r)
}
func (m muxBus) SetSpeed(physic.Frequency) error { return nil }
func (m muxBus) String() string                  { return "mux" }

func pseW(reg, v byte) i2ctest.IO { return i2ctest.IO{Addr: 0x20, W: []byte{reg, v}} }
func pseR(reg byte, v ...byte) i2ctest.IO {
	return i2ctest.IO{Addr: 0x20, W: []byte{reg}, R: v}
}

// pseInit is the TPS23861 set-up with INTEN (the profile wires INT), general
// mask 1 read as 0x00, and the 48 V input answering vpwr.
func pseInit(vpwr uint16) []i2ctest.IO {
	return []i2ctest.IO{pseW(0x12, 0xAA), pseW(0x13, 0x0F), pseW(0x14, 0xFF), pseW(0x01, 0xF7),
		pseR(0x17, 0x00), pseW(0x17, 0x80), pseW(0x1A, 0x80), pseR(0x2E, byte(vpwr), byte(vpwr>>8))}
}

// frameOps is the first draw of a frame: all 8 pages.
func frameOps(f *image1bit.VerticalLSB) []i2ctest.IO {
	var ops []i2ctest.IO
	for page := 0; page < 8; page++ {
		ops = append(ops,
			i2ctest.IO{Addr: 0x3D, W: []byte{0x00, 0xB0 | byte(page), 0x00, 0x10}},
			i2ctest.IO{Addr: 0x3D, W: append([]byte{0x40}, f.Pix[page*128:(page+1)*128]...)})
	}
	return ops
}

func add(p *i2ctest.Playback, ops ...i2ctest.IO) {
	p.Lock()
	defer p.Unlock()
	p.Ops = append(p.Ops, ops...)
}

func closeAll(t *testing.T, ps ...*i2ctest.Playback) {
	t.Helper()
	for _, p := range ps {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	}
}

func TestBuildAndLeaveSafe(t *testing.T) {
	p, err := board.ParseProfile([]byte(profileJSON))
	if err != nil {
		t.Fatal(err)
	}
	// Close: PoE off in -ports order (eth2 = channel 3, eth1 = channel 0).
	pse := &i2ctest.Playback{Ops: append(pseInit(0x3333), pseW(0x19, 0x80), pseW(0x19, 0x10)), DontPanic: true}
	// The goodbye frame is the panel's first draw.
	disp := &i2ctest.Playback{Ops: append([]i2ctest.IO{{Addr: 0x3D, W: oledInit}}, frameOps(Goodbye())...), DontPanic: true}
	m, lookup := pins()
	hw, err := New(p, []string{"eth2", "eth1", "eth3"}, Deps{Bus: muxBus{0x20: pse, 0x3D: disp}, Pin: lookup})
	if err != nil {
		t.Fatal(err)
	}
	for port, want := range []struct {
		ch board.Channel
		ok bool
	}{{3, true}, {0, true}, {0, false}} {
		if ch, ok := hw.ChannelOf(port); ch != want.ch || ok != want.ok {
			t.Errorf("ChannelOf(%d) = %d, %v; want %d, %v", port, ch, ok, want.ch, want.ok)
		}
	}
	if hw.PSE() == nil || hw.Display() == nil || hw.LEDs() == nil {
		t.Fatal("a part is missing")
	}
	if f := hw.Faults(); len(f) != 0 {
		t.Errorf("Faults = %v on a working bench", f)
	}
	if err := hw.LEDs().SetPort(0, board.On); err != nil {
		t.Fatal(err)
	}
	if m["GPIO27"].Read() != gpio.High || m["GPIO17"].Read() != gpio.Low {
		t.Error("port 0 (eth2) LED is not GPIO27")
	}
	if m["GPIO25"].P != gpio.PullUp {
		t.Error("interrupt pin not pulled up")
	}
	if err := hw.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if m["GPIO27"].Read() != gpio.Low {
		t.Error("LED still lit after Close")
	}
	closeAll(t, pse, disp)
}

func TestNewErrors(t *testing.T) {
	p, err := board.ParseProfile([]byte(profileJSON))
	if err != nil {
		t.Fatal(err)
	}
	_, lookup := pins()
	noPin := func(missing string) func(string) gpio.PinIO {
		return func(name string) gpio.PinIO {
			if name == missing {
				return nil
			}
			return lookup(name)
		}
	}
	tests := []struct {
		name  string
		ports []string
		deps  Deps
		want  string
	}{
		{"port not in profile", []string{"eth9"}, Deps{Bus: muxBus{}, Pin: lookup}, "-ports eth9: not in the board profile"},
		{"no bus", []string{"eth1"}, Deps{Pin: lookup}, "no bus was opened"},
		{"missing int pin", []string{"eth1"}, Deps{Bus: muxBus{}, Pin: noPin("GPIO25")}, "pse.int_pin GPIO25: no such GPIO"},
		{"missing LED pin", []string{"eth1"}, Deps{Bus: muxBus{}, Pin: noPin("GPIO17")}, "led of port eth1 GPIO17: no such GPIO"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(p, tt.ports, tt.deps)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want error containing %q", err, tt.want)
			}
		})
	}
}

// waitFaults waits until the board reports exactly want (texts, in order).
func waitFaults(t *testing.T, hw *Board, want ...string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var got []string
		for _, f := range hw.Faults() {
			got = append(got, f.Text)
		}
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Faults = %q, want %q", got, want)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestMissingPartsComeLater: the PoE board and the OLED do not answer at
// start (not wired, supply off). New still builds the bench, which reports
// both as missing, keeps the wanted power and the newest frame, and sets
// both up when they answer at a later retry: the power is applied, the
// frame drawn, and a PoE board without its 48 V says so.
func TestMissingPartsComeLater(t *testing.T) {
	p, err := board.ParseProfile([]byte(profileJSON))
	if err != nil {
		t.Fatal(err)
	}
	clock := clockwork.NewFakeClock()
	pse := &i2ctest.Playback{DontPanic: true}
	disp := &i2ctest.Playback{DontPanic: true}
	_, lookup := pins()
	hw, err := New(p, []string{"eth1", "eth2"}, Deps{Bus: muxBus{0x20: pse, 0x3D: disp}, Pin: lookup, Clock: clock, Retry: time.Second})
	if err != nil {
		t.Fatalf("New with a silent PSE and OLED: %v", err)
	}
	waitFaults(t, hw, "PoE board missing", "OLED missing")
	ctx := context.Background()
	if err := hw.PSE().SetPower(ctx, 3, true); !errors.Is(err, board.ErrMissing) {
		t.Fatalf("SetPower without a PoE board = %v, want ErrMissing", err)
	}
	frame := Goodbye()
	if err := hw.Display().Show(frame); err != nil {
		t.Fatalf("Show without a panel = %v, want it kept for later", err)
	}
	// The PoE board answers, without its 48 V; channel 3 was wanted.
	add(pse, append(pseInit(0x0000), pseW(0x19, 0x08))...)
	add(disp, append([]i2ctest.IO{{Addr: 0x3D, W: oledInit}}, frameOps(frame)...)...)
	clocktest.Tick(t, clock, time.Second)
	waitFaults(t, hw, "no 48 V for PoE")
	waitCount(t, disp, 17)
	add(pse, pseW(0x19, 0x10), pseW(0x19, 0x80)) // on_exit off, in -ports order
	if err := hw.Close(ctx); err != nil {
		t.Fatal(err)
	}
	closeAll(t, pse, disp)
}

// TestPSELostAndFound: a PoE board that stops answering while watched is
// reported missing and set up again (with the wanted power) when it is
// back; Watch itself never fails.
func TestPSELostAndFound(t *testing.T) {
	p, err := board.ParseProfile([]byte(`{"i2c_bus": "/dev/i2c-1", "pse": {"addr": "0x20"},
		"ports": [{"interface": "eth1", "poe_channel": 1}]}`))
	if err != nil {
		t.Fatal(err)
	}
	clock := clockwork.NewFakeClock()
	init := []i2ctest.IO{pseW(0x12, 0xAA), pseW(0x13, 0x0F), pseW(0x14, 0xFF), pseW(0x01, 0xF7),
		pseR(0x17, 0x00), pseW(0x17, 0x00), pseW(0x1A, 0x80), pseR(0x2E, 0x33, 0x33)}
	pse := &i2ctest.Playback{Ops: append(init, pseW(0x19, 0x02)), DontPanic: true}
	hw, err := New(p, []string{"eth1"}, Deps{Bus: muxBus{0x20: pse}, Pin: func(string) gpio.PinIO { return nil }, Clock: clock, Retry: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := hw.PSE().SetPower(ctx, 1, true); err != nil {
		t.Fatal(err)
	}
	watched := make(chan error, 1)
	go func() { watched <- hw.PSE().Watch(ctx, func(board.PSEEvent) {}) }()
	// The board goes quiet: Watch's polls (every 200 ms) fail five times in
	// a row and the board is dropped.
	for i := 0; i < 5; i++ {
		clocktest.Tick(t, clock, 200*time.Millisecond)
	}
	waitFaults(t, hw, "PoE board missing")
	// It answers again at the next retry: set up, channel 1 powered again.
	add(pse, append(init, pseW(0x19, 0x02))...)
	clocktest.Tick(t, clock, time.Hour)
	waitFaults(t, hw)
	waitCount(t, pse, 2*len(init)+2)
	cancel()
	if err := <-watched; err != nil {
		t.Fatalf("Watch = %v, want nil after the context ends", err)
	}
	if err := hw.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	closeAll(t, pse)
}

func waitCount(t *testing.T, p *i2ctest.Playback, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		p.Lock()
		c := p.Count
		p.Unlock()
		if c >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("bus: %d ops done, want %d", c, n)
		}
		time.Sleep(time.Millisecond)
	}
}
