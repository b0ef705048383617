package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/conn/v3/i2c/i2ctest"
	"periph.io/x/conn/v3/physic"
)

// benchBus is a fake I²C bus with a TPS23861 at 0x20 (a register file) and
// an SSD1306 at 0x3C; every other address does not answer.
type benchBus struct {
	mu   sync.Mutex
	regs [256]byte
	ptr  byte
	oled int // bytes written to the OLED
}

func (b *benchBus) String() string                  { return "fake-i2c" }
func (b *benchBus) SetSpeed(physic.Frequency) error { return nil }
func (b *benchBus) Tx(addr uint16, w, r []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch addr {
	case 0x20:
		if len(w) > 0 {
			b.ptr = w[0]
		}
		if len(w) == 2 {
			b.regs[w[0]] = w[1]
		}
		for i := range r {
			r[i] = b.regs[int(b.ptr)+i]
		}
		return nil
	case 0x3C:
		b.oled += len(w)
		return nil
	}
	return errors.New("nack")
}

func writeProfile(t *testing.T, json string) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "board.json")
	if err := os.WriteFile(name, []byte(json), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

const benchProfile = `{"i2c_bus": "fake", "pse": {"addr": "0x20"}, "oled": {"addr": "0x3C"},
	"ports": [{"interface": "eth1", "poe_channel": 0, "led": "GPIO17", "usb_path": "1-1.2"}, {"interface": "eth2", "poe_channel": 1, "led": "GPIO27", "mac": "00:0e:c6:00:00:09"}],
	"system_led": "GPIO24"}`

// usbNIC is a /sys/class/net with one RTL8153 adapter in USB socket 1-1.2,
// found by the kernel as eth3.
func usbNIC(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	dev := filepath.Join(root, "devices", "usb1", "1-1", "1-1.2", "1-1.2:1.0")
	net := filepath.Join(root, "class", "net", "eth3")
	for _, d := range []string{dev, net, filepath.Join(root, "bus", "usb", "drivers", "r8152")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for target, link := range map[string]string{
		"../../../../../bus/usb/drivers/r8152":      filepath.Join(dev, "driver"),
		"../../../../../bus/usb":                    filepath.Join(dev, "subsystem"),
		"../../../devices/usb1/1-1/1-1.2/1-1.2:1.0": filepath.Join(net, "device"),
	} {
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(net, "address"), []byte("00:e0:4c:68:00:01\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(net)
}

func TestBoardcheckOnFakeBench(t *testing.T) {
	bus := &benchBus{}
	bus.regs[0x0D] = 0x24 // channel 1: valid signature, class 2
	bus.regs[0x34], bus.regs[0x35] = 0xB6, 0x03
	bus.regs[0x2E], bus.regs[0x2F] = 0x00, 0x28 // 37.5 V: the 48 V supply sags
	pins := map[string]*gpiotest.Pin{}
	for _, n := range []string{"GPIO17", "GPIO27", "GPIO24"} {
		pins[n] = &gpiotest.Pin{N: n}
	}
	open := func(name string) (Machine, error) {
		if name != "fake" {
			t.Errorf("opened bus %q", name)
		}
		return Machine{Bus: bus, Pin: func(n string) gpio.PinIO {
			if p, ok := pins[n]; ok {
				return p
			}
			return nil
		}}, nil
	}
	var out, errOut bytes.Buffer
	args := []string{"-profile", writeProfile(t, benchProfile), "-cycle", "1", "-off", "1ms", "-led-step", "1ms", "-record", "-sys-net", usbNIC(t)}
	if code := run(context.Background(), args, &out, &errOut, open); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	got := out.String()
	for _, want := range []string{
		"  eth3       driver r8152      usb_path 1-1.2               mac 00:e0:4c:68:00:01\n",
		"  port eth1 pinned to (usb 1-1.2): eth3 (r8152), renamed eth1 when phoneflash starts\n",
		"  port eth2 pinned to (mac 00:0e:c6:00:00:09): not plugged in\n",
		"i2c scan of fake-i2c: 0x20 0x3C\n",
		"poe input: 37.499V, below 44V",
		"no 48 V, no phone gets power",
		"poe channel 1: detect=valid class=2 enabled=false power-good=false 58.0 mA",
		"power-cycling channel 1 (1ms off)",
		"oled at 0x3C: test pattern drawn",
		"led eth1 GPIO17 on\nled eth2 GPIO27 on\nled system GPIO24 on\n",
		"[]i2ctest.IO{\n\t{Addr: 0x20, W: []byte{0x12, 0xAA}},\n",
		"\t{Addr: 0x20, W: []byte{0x19, 0x20}},\n\t{Addr: 0x20, W: []byte{0x19, 0x02}},\n", // PWOFF, PWON channel 1
		"\t{Addr: 0x20, W: []byte{0x30}, R: []byte{0x00, 0x00}},\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q\n--- output:\n%s", want, got)
		}
	}
	if bus.oled < 1024 {
		t.Errorf("only %d bytes went to the OLED; a full frame is 1024", bus.oled)
	}
	for n, p := range pins {
		if p.Read() != gpio.Low {
			t.Errorf("LED %s left lit", n)
		}
	}
}

func TestFormatOps(t *testing.T) {
	got := FormatOps([]i2ctest.IO{{Addr: 0x20, W: []byte{0x0C}, R: []byte{0x24}}, {Addr: 0x3C, W: []byte{0x00, 0xAE}}})
	want := "[]i2ctest.IO{\n\t{Addr: 0x20, W: []byte{0x0C}, R: []byte{0x24}},\n\t{Addr: 0x3C, W: []byte{0x00, 0xAE}},\n}\n"
	if got != want {
		t.Errorf("FormatOps =\n%s\nwant\n%s", got, want)
	}
}

func TestUsageErrors(t *testing.T) {
	never := func(string) (Machine, error) { t.Error("opened hardware"); return Machine{}, nil }
	var out, errOut bytes.Buffer
	if code := run(context.Background(), nil, &out, &errOut, never); code != 2 {
		t.Errorf("no -profile: exit %d, want 2", code)
	}
	bad := writeProfile(t, `{"ports": []}`)
	errOut.Reset()
	if code := run(context.Background(), []string{"-profile", bad}, &out, &errOut, never); code != 2 || !strings.Contains(errOut.String(), "ports: none") {
		t.Errorf("bad profile: exit %d, stderr %q", code, errOut.String())
	}
}
