package oled

import (
	"image"
	"image/color"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2ctest"
)

// initCmd is the SSD1306 init sequence for a 128x64 panel as ssd1306 v3.7.4
// sends it: control byte 0x00, then display off, offset 0, start line 0,
// segment remap, COM scan reversed, COM pins 0x12, contrast 0xFF, resume,
// normal, clock 0xF0, charge pump on, precharge 0xF1, VCOMH 0x40, scroll off,
// multiplex 63, horizontal addressing, columns 0-127, pages 0-7, display on.
var initCmd = []byte{0x00, 0xAE, 0xD3, 0x00, 0x40, 0xA1, 0xC8, 0xDA, 0x12, 0x81, 0xFF, 0xA4, 0xA6,
	0xD5, 0xF0, 0x8D, 0x14, 0xD9, 0xF1, 0xDB, 0x40, 0x2E, 0xA8, 0x3F, 0x20, 0x00, 0x21, 0x00, 0x7F, 0x22, 0x00, 0x07, 0xAF}

// testFrame has an 8x8 block in the top-left corner and the bottom-right
// pixel lit, as an *image.Gray (the slow, converting path).
func testFrame() *image.Gray {
	img := image.NewGray(image.Rect(0, 0, 128, 64))
	for y := 0; y < 8; y++ {
		for x := 0; x < 8; x++ {
			img.SetGray(x, y, color.Gray{Y: 255})
		}
	}
	img.SetGray(127, 63, color.Gray{Y: 200})
	return img
}

// fullFrameOps is the first draw of testFrame: every page, all 128 columns.
func fullFrameOps(addr uint16) []i2ctest.IO {
	var ops []i2ctest.IO
	for page := 0; page < 8; page++ {
		data := make([]byte, 129)
		data[0] = 0x40
		switch page {
		case 0:
			for i := 1; i <= 8; i++ {
				data[i] = 0xFF
			}
		case 7:
			data[128] = 0x80
		}
		ops = append(ops,
			i2ctest.IO{Addr: addr, W: []byte{0x00, 0xB0 | byte(page), 0x00, 0x10}},
			i2ctest.IO{Addr: addr, W: data})
	}
	return ops
}

func waitDrawn(t *testing.T, d *Display, n int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for d.drawn.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d frames drawn, want %d", d.drawn.Load(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestInitAndOneFrame(t *testing.T) {
	for _, addr := range []uint16{0x3C, 0x3D} {
		ops := append([]i2ctest.IO{{Addr: addr, W: initCmd}}, fullFrameOps(addr)...)
		ops = append(ops, i2ctest.IO{Addr: addr, W: []byte{0x00, 0xAE}}) // Close(nil): display off
		bus := &i2ctest.Playback{Ops: ops, DontPanic: true}
		d, err := New(bus, &Opts{Addr: addr, OnError: func(err error) { t.Error(err) }})
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Show(testFrame()); err != nil {
			t.Fatal(err)
		}
		waitDrawn(t, d, 1)
		if err := d.Close(nil); err != nil {
			t.Fatal(err)
		}
		if err := bus.Close(); err != nil {
			t.Fatalf("addr %#x: %v", addr, err)
		}
	}
}

// gate holds the first transaction after arm until release.
type gate struct {
	i2c.Bus
	mu      sync.Mutex
	armed   bool
	entered chan struct{}
	release chan struct{}
}

func (g *gate) Tx(addr uint16, w, r []byte) error {
	g.mu.Lock()
	held := g.armed
	g.armed = false
	g.mu.Unlock()
	if held {
		g.entered <- struct{}{}
		<-g.release
	}
	return g.Bus.Tx(addr, w, r)
}

func TestNewestFrameWins(t *testing.T) {
	ops := append([]i2ctest.IO{{Addr: 0x3C, W: initCmd}}, fullFrameOps(0x3C)...)
	// Frame C differs from the first only in pixel (20, 3): page 0, column 20.
	ops = append(ops,
		i2ctest.IO{Addr: 0x3C, W: []byte{0x00, 0xB0, 0x04, 0x11}},
		i2ctest.IO{Addr: 0x3C, W: []byte{0x40, 0x08}},
		i2ctest.IO{Addr: 0x3C, W: []byte{0x00, 0xB0, 0x04, 0x11}}, // goodbye frame = first frame
		i2ctest.IO{Addr: 0x3C, W: []byte{0x40, 0x00}})
	pb := &i2ctest.Playback{Ops: ops, DontPanic: true}
	g := &gate{Bus: pb, entered: make(chan struct{}), release: make(chan struct{})}
	d, err := New(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	g.mu.Lock()
	g.armed = true
	g.mu.Unlock()
	if err := d.Show(testFrame()); err != nil {
		t.Fatal(err)
	}
	<-g.entered // drawing the first frame, bus busy
	white := image.NewUniform(color.White)
	b := image.NewGray(image.Rect(0, 0, 128, 64))
	for y := range 64 {
		for x := range 128 {
			b.Set(x, y, white)
		}
	}
	c := testFrame()
	c.SetGray(20, 3, color.Gray{Y: 255})
	for _, f := range []image.Image{b, c} {
		if err := d.Show(f); err != nil {
			t.Fatal(err)
		}
	}
	close(g.release)
	waitDrawn(t, d, 2)
	if err := d.Close(testFrame()); err != nil {
		t.Fatal(err)
	}
	if err := pb.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Show(c); err == nil {
		t.Error("Show after Close succeeded")
	}
}

func TestBadAddress(t *testing.T) {
	if _, err := New(&i2ctest.Playback{DontPanic: true}, &Opts{Addr: 0x78}); err == nil {
		t.Fatal("New accepted address 0x78")
	}
}
