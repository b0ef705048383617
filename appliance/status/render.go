package status

import (
	"fmt"
	"image"
	"image/color"
	"strings"

	"periph.io/x/devices/v3/ssd1306/image1bit"

	"github.com/phoneflash/phoneflash/appliance/session"
	"github.com/phoneflash/phoneflash/board/font"
	"github.com/phoneflash/phoneflash/firmware"
)

// Frame geometry. Content stays inside 127x63 so the anti burn-in shift of
// one pixel never pushes it off the panel.
const (
	Width        = 128
	Height       = 64
	cols         = 21 // characters per line
	lineH        = 11 // port line: 8 rows of text, 2 of progress bar, 1 gap
	portsTop     = 20
	LinesPerPage = 4
	// TicksPerPage is how long a page stays, in ticks (Render's clock; the
	// appliance ticks once a second).
	TicksPerPage = 4
	// TicksPerShift is how often the whole frame moves by a pixel.
	TicksPerShift = 60
)

// shifts is the anti burn-in walk of the frame's origin.
var shifts = [...]image.Point{{0, 0}, {1, 0}, {1, 1}, {0, 1}}

// Render draws snapshot s as it looks at tick (a monotonic count, one per
// second): the page of port lines or reset instructions for that tick,
// shifted against burn-in.
func Render(s Snapshot, tick int) *image1bit.VerticalLSB {
	img := image1bit.NewVerticalLSB(image.Rect(0, 0, Width, Height))
	c := canvas{img: img, off: shifts[(tick/TicksPerShift)%len(shifts)]}
	screens := Screens(s)
	n := (tick / TicksPerPage) % screens
	if tick < 0 {
		n = 0
	}
	resets := needsReset(s)
	if n < len(resets) {
		c.instructions(resets[n])
		return img
	}
	c.status(s, n-len(resets), screens-len(resets), tick)
	return img
}

// Screens is how many screens Render rotates through: the reset
// instructions for each phone that needs one, then the pages of port lines.
func Screens(s Snapshot) int { return len(needsReset(s)) + pages(s) }

func pages(s Snapshot) int { return max(1, (len(lines(s))+LinesPerPage-1)/LinesPerPage) }

// line is one row of the port list: a phone, or a port with none.
type line struct {
	port  PortView
	phone *session.Phone
}

func lines(s Snapshot) []line {
	var out []line
	for _, p := range s.Ports {
		if len(p.Phones) == 0 {
			out = append(out, line{port: p})
		}
		for i := range p.Phones {
			out = append(out, line{port: p, phone: &p.Phones[i]})
		}
	}
	return out
}

func needsReset(s Snapshot) []line {
	var out []line
	for _, l := range lines(s) {
		if l.phone != nil && l.phone.Stage == session.StageNeedsReset {
			out = append(out, l)
		}
	}
	return out
}

// canvas draws with the burn-in offset applied.
type canvas struct {
	img *image1bit.VerticalLSB
	off image.Point
}

func (c canvas) text(x, y int, s string, scale int) {
	font.Default().Draw(c.img, x+c.off.X, y+c.off.Y, s, scale)
}

func (c canvas) fill(r image.Rectangle) {
	r = r.Add(c.off).Intersect(c.img.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c.img.SetBit(x, y, image1bit.On)
		}
	}
}

func (c canvas) dot(x, y int) { c.img.Set(x+c.off.X, y+c.off.Y, color.White) }

func clip(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// status draws the header and one page of port lines.
func (c canvas) status(s Snapshot, page, pages, tick int) {
	uplink := s.Uplink
	if uplink == "" {
		uplink = "no uplink"
	}
	target := "to " + s.Target
	if len(s.State)+1+len(uplink) <= cols {
		c.text(0, 0, s.State, 1)
		c.text((cols-len(uplink))*font.Advance, 0, uplink, 1)
	} else {
		// A long state ("/perm read-only") matters more than the uplink: it
		// gets the whole line, and the second line alternates between the
		// target and the uplink.
		c.text(0, 0, clip(s.State, cols), 1)
		if (tick/TicksPerPage)%2 == 1 {
			target = uplink
		}
	}
	if pages > 1 {
		ind := fmt.Sprintf("%d/%d", page+1, pages)
		c.text((cols-len(ind))*font.Advance, 9, ind, 1)
		target = clip(target, cols-len(ind)-1)
	}
	c.text(0, 9, clip(target, cols), 1)
	c.fill(image.Rect(0, 18, 127, 19))
	all := lines(s)
	for i := 0; i < LinesPerPage; i++ {
		k := page*LinesPerPage + i
		if k >= len(all) {
			break
		}
		c.portLine(portsTop+i*lineH, all[k])
	}
}

// portLine draws "1 BBCC loading 3/5" and, while loading, a progress bar
// under it.
func (c canvas) portLine(y int, l line) {
	mac, stage, detail := "----", string(session.StageEmpty), ""
	if ph := l.phone; ph != nil {
		mac = last4(ph.MAC)
		stage = string(ph.Stage)
		switch ph.Stage {
		case session.StageLoading:
			if ph.FileCount > 0 {
				detail = fmt.Sprintf("%d/%d", ph.FileIndex, ph.FileCount)
			}
		case session.StageFailed, session.StageNeedsReset:
			detail = ph.Reason
		}
	}
	txt := fmt.Sprintf("%d %s %s", l.port.Index+1, mac, stage)
	if detail != "" {
		txt += " " + detail
	}
	c.text(0, y, clip(txt, cols), 1)
	if ph := l.phone; ph != nil && ph.Stage == session.StageLoading {
		c.bar(y+8, ph.Bytes, ph.Total)
	}
}

// bar is a 2-pixel progress bar over the line's width, with a dotted track
// for the part still to come.
func (c canvas) bar(y int, done, total int64) {
	const w = 127
	filled := 0
	if total > 0 {
		filled = int(min(max(done, 0), total) * w / total)
	}
	c.fill(image.Rect(0, y, filled, y+2))
	for x := filled; x < w; x += 2 {
		c.dot(x, y+1)
	}
}

func last4(mac string) string {
	m := strings.ToUpper(strings.NewReplacer(":", "", "-", "", ".", "").Replace(mac))
	if len(m) < 4 {
		return fmt.Sprintf("%4s", m)
	}
	return m[len(m)-4:]
}

// instructions is the large screen that tells a person how to factory-reset
// the phone on a port.
func (c canvas) instructions(l line) {
	p := l.port.Index + 1
	c.text(0, 0, fmt.Sprintf("P%d: hold #, power on,", p), 1)
	c.text(0, 9, "then key:", 1)
	c.text((cols-4)*font.Advance, 9, last4(l.phone.MAC), 1)
	half := len(firmware.ResetKeys) / 2
	for i, part := range []string{firmware.ResetKeys[:half], firmware.ResetKeys[half:]} {
		w := font.Width(part, 2)
		c.text((127-w)/2, 21+i*20, part, 2)
	}
}
