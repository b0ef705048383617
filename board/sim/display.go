package sim

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"
	"sync"

	"github.com/phoneflash/phoneflash/board"
	"github.com/phoneflash/phoneflash/internal/atomicfile"
)

// Display keeps the newest frame, and writes it as a PNG when configured.
type Display struct {
	png string

	mu     sync.Mutex
	frame  image.Image
	frames int
}

var _ board.Display = (*Display)(nil)

// Bounds is the 128x64 SSD1306 frame.
func (d *Display) Bounds() image.Rectangle { return image.Rect(0, 0, 128, 64) }

// Show stores the frame and, with a PNG path, replaces the file atomically.
func (d *Display) Show(frame image.Image) error {
	d.mu.Lock()
	d.frame = frame
	d.frames++
	d.mu.Unlock()
	if d.png == "" {
		return nil
	}
	return writePNG(d.png, frame)
}

func writePNG(name string, img image.Image) error {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return fmt.Errorf("sim display: encode: %w", err)
	}
	if err := atomicfile.WriteFile(name, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("sim display: %w", err)
	}
	return nil
}

// Frame returns the newest frame and how many were shown.
func (d *Display) Frame() (image.Image, int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.frame, d.frames
}

// Text renders the newest frame for a terminal: 2x4 pixels per braille
// character, 64 columns by 16 lines for the 128x64 panel. It is "" before
// the first frame.
func (d *Display) Text() string {
	f, _ := d.Frame()
	if f == nil {
		return ""
	}
	return Braille(f)
}

// brailleDots are the bits of the dots for pixel (x%2, y%4) of a cell
// (Unicode braille patterns, U+2800).
var brailleDots = [4][2]rune{{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}}

// Braille renders an image as braille characters, a pixel lit when it is
// brighter than half.
func Braille(img image.Image) string {
	b := img.Bounds()
	var sb strings.Builder
	for y := b.Min.Y; y < b.Max.Y; y += 4 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r := rune(0x2800)
			for dy := 0; dy < 4; dy++ {
				for dx := 0; dx < 2; dx++ {
					if image.Pt(x+dx, y+dy).In(b) && lit(img.At(x+dx, y+dy)) {
						r |= brailleDots[dy][dx]
					}
				}
			}
			sb.WriteRune(r)
		}
		sb.WriteByte('\n')
	}
	return sb.String()
}

func lit(c color.Color) bool {
	r, g, bl, _ := c.RGBA()
	return (r | g | bl) >= 0x8000
}
