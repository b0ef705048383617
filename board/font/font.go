// Package font is a small 5x8 bitmap font (ASCII 32-126) for the bench's
// 128x64 one-bit OLED: 21 characters fit on a line. The glyphs are authored
// in font5x8.txt, a readable picture of each character.
package font

import (
	_ "embed"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"strings"
	"sync"
)

// Glyph cell geometry in pixels at scale 1.
const (
	W       = 5 // glyph width
	H       = 8 // glyph height, including the descender row
	Advance = 6 // horizontal distance from one character to the next
)

//go:embed font5x8.txt
var source string

// Face holds the parsed glyphs. It is immutable.
type Face struct {
	rows [95][H]uint8 // bit 4 is the leftmost column
}

// Default returns the embedded font, parsed once.
var Default = sync.OnceValue(func() *Face {
	f, err := Parse(source)
	if err != nil {
		panic(err) // the embedded file is tested
	}
	return f
})

// Parse reads the glyph picture format of font5x8.txt.
func Parse(src string) (*Face, error) {
	f := &Face{}
	seen := 0
	lines := strings.Split(src, "\n")
	for i := 0; i < len(lines); i++ {
		name, ok := strings.CutPrefix(lines[i], "= ")
		if !ok {
			continue
		}
		c := name
		if name == "space" {
			c = " "
		}
		if len(c) != 1 || c[0] < 32 || c[0] > 126 {
			return nil, fmt.Errorf("font: line %d: glyph %q is not one printable ASCII character", i+1, name)
		}
		if i+H >= len(lines) {
			return nil, fmt.Errorf("font: line %d: glyph %q has fewer than %d rows", i+1, name, H)
		}
		for r := 0; r < H; r++ {
			row := lines[i+1+r]
			if len(row) != W || strings.Trim(row, "#.") != "" {
				return nil, fmt.Errorf("font: line %d: row %q of %q is not %d of '#' and '.'", i+2+r, row, name, W)
			}
			var bits uint8
			for x := 0; x < W; x++ {
				if row[x] == '#' {
					bits |= 1 << (W - 1 - x)
				}
			}
			f.rows[c[0]-32][r] = bits
		}
		seen++
		i += H
	}
	if seen != 95 {
		return nil, fmt.Errorf("font: %d glyphs, want 95 (ASCII 32-126)", seen)
	}
	return f, nil
}

// Width is the width in pixels of s drawn at scale, without the trailing gap.
func Width(s string, scale int) int {
	n := len(s)
	if n == 0 {
		return 0
	}
	return (n*Advance - (Advance - W)) * scale
}

// Draw lights the pixels of s in dst with its top-left corner at (x, y),
// each font pixel a scale x scale square, and returns the x after the
// text. Characters outside ASCII 32-126 are drawn as '?'.
func (f *Face) Draw(dst draw.Image, x, y int, s string, scale int) int {
	if scale < 1 {
		scale = 1
	}
	b := dst.Bounds()
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 32 || c > 126 {
			c = '?'
		}
		g := &f.rows[c-32]
		for r := 0; r < H; r++ {
			for col := 0; col < W; col++ {
				if g[r]&(1<<(W-1-col)) == 0 {
					continue
				}
				fillSquare(dst, b, x+col*scale, y+r*scale, scale)
			}
		}
		x += Advance * scale
	}
	return x
}

func fillSquare(dst draw.Image, b image.Rectangle, x, y, n int) {
	for dy := 0; dy < n; dy++ {
		for dx := 0; dx < n; dx++ {
			if image.Pt(x+dx, y+dy).In(b) {
				dst.Set(x+dx, y+dy, color.White)
			}
		}
	}
}
