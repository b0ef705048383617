package pi

import (
	"context"
	"strings"
	"testing"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/conn/v3/i2c/i2ctest"

	"github.com/phoneflash/phoneflash/board"
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

func TestBuildAndLeaveSafe(t *testing.T) {
	p, err := board.ParseProfile([]byte(profileJSON))
	if err != nil {
		t.Fatal(err)
	}
	pse := func(reg, v byte) i2ctest.IO { return i2ctest.IO{Addr: 0x20, W: []byte{reg, v}} }
	ops := []i2ctest.IO{
		pse(0x12, 0xAA), pse(0x13, 0x0F), pse(0x14, 0xFF), pse(0x01, 0x77), pse(0x17, 0x80), pse(0x1A, 0x80),
		{Addr: 0x3D, W: oledInit},
	}
	// Close: the goodbye frame (first draw: all 8 pages), then PoE off in
	// -ports order (eth2 = channel 3, eth1 = channel 0).
	bye := Goodbye()
	for page := 0; page < 8; page++ {
		ops = append(ops,
			i2ctest.IO{Addr: 0x3D, W: []byte{0x00, 0xB0 | byte(page), 0x00, 0x10}},
			i2ctest.IO{Addr: 0x3D, W: append([]byte{0x40}, bye.Pix[page*128:(page+1)*128]...)})
	}
	ops = append(ops, pse(0x19, 0x80), pse(0x19, 0x10))
	bus := &i2ctest.Playback{Ops: ops, DontPanic: true}
	m, lookup := pins()
	hw, err := New(p, []string{"eth2", "eth1", "eth3"}, Deps{Bus: bus, Pin: lookup})
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
	if err := bus.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestNewErrors(t *testing.T) {
	p, err := board.ParseProfile([]byte(profileJSON))
	if err != nil {
		t.Fatal(err)
	}
	_, lookup := pins()
	noPin := func(name string) gpio.PinIO {
		if name == "GPIO25" {
			return nil
		}
		return lookup(name)
	}
	tests := []struct {
		name  string
		ports []string
		deps  Deps
		want  string
	}{
		{"port not in profile", []string{"eth9"}, Deps{Bus: &i2ctest.Playback{DontPanic: true}, Pin: lookup}, "-ports eth9: not in the board profile"},
		{"no bus", []string{"eth1"}, Deps{Pin: lookup}, "no bus was opened"},
		{"missing int pin", []string{"eth1"}, Deps{Bus: &i2ctest.Playback{DontPanic: true}, Pin: noPin}, "pse.int_pin GPIO25: no such GPIO"},
		{"silent PSE", []string{"eth1"}, Deps{Bus: &i2ctest.Playback{DontPanic: true}, Pin: lookup}, "pse.addr 0x20: tps23861: init at 0x20"},
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
