package status

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/phoneflash/phoneflash/appliance/session"
)

var (
	update = flag.Bool("update", false, "rewrite the golden PNGs in testdata/ (look at each before committing)")
	view   = flag.String("view", "", "also write x4 copies of the rendered frames to this `dir`ectory, for a person to look at")
)

const target = "SIP11.9-4-2SR1-1S"

func phone(mac string, st session.Stage) session.Phone {
	return session.Phone{MAC: mac, Stage: st, Target: target}
}

func loading(mac string, k, n int, bytes, total int64) session.Phone {
	p := phone(mac, session.StageLoading)
	p.FileIndex, p.FileCount, p.Bytes, p.Total = k, n, bytes, total
	return p
}

func bench(phones ...[]session.Phone) Snapshot {
	s := Snapshot{State: Ready, Uplink: "192.168.1.23", Target: target}
	for i, ph := range phones {
		s.Ports = append(s.Ports, PortView{Index: i, Name: fmt.Sprintf("eth%d", i+1), Phones: ph})
	}
	return s
}

func one(p session.Phone) []session.Phone { return []session.Phone{p} }

type golden struct {
	name string
	s    Snapshot
	tick int
}

func goldens() []golden {
	var out []golden
	for _, st := range session.Stages {
		var p session.Phone
		switch st {
		case session.StageEmpty:
			out = append(out, golden{"stage-empty", bench(nil), 0})
			continue
		case session.StageLoading:
			p = loading("00:1B:54:AB:BB:CC", 3, 5, 620_000, 1_000_000)
		case session.StageFailed:
			p = phone("001B54ABBBCC", st)
			p.Reason = "no account"
		default:
			p = phone("001B54ABBBCC", st)
		}
		out = append(out, golden{"stage-" + string(st), bench(one(p)), 0})
	}
	// The status page behind a phone's reset instructions.
	nr := bench(one(phone("001B54ABBBCC", session.StageNeedsReset)))
	out = append(out, golden{"stage-needs-reset-status", nr, TicksPerPage})

	full := bench(
		one(loading("001B54AA0001", 3, 5, 3_100_000, 5_000_000)),
		one(phone("001B54AA0002", session.StageDone)),
		one(phone("001B54AA0003", session.StageDHCP)),
		one(func() session.Phone {
			p := phone("001B54AA0004", session.StageFailed)
			p.Reason = "password too long"
			return p
		}()),
	)
	out = append(out,
		golden{"bench-4", full, 0},
		golden{"bench-4-shift-1", full, TicksPerShift},
		golden{"bench-4-shift-2", full, 2 * TicksPerShift},
	)
	sw := bench(
		[]session.Phone{
			phone("001B54000001", session.StageDone), phone("001B54000002", session.StageConfig),
			loading("001B54000003", 1, 5, 10_000, 4_000_000), phone("001B54000004", session.StageApplying),
			phone("001B54000005", session.StageStepping),
		},
		one(phone("001B54000006", session.StagePowered)),
	)
	out = append(out, golden{"pages-1", sw, 0}, golden{"pages-2", sw, TicksPerPage})
	reg := bench(
		one(registered("001B54AA0001", session.StageRegistering, session.RegWaiting, false)),
		one(registered("001B54AA0002", session.StageDone, session.RegRegistered, false)),
		one(registered("001B54AA0003", session.StageDone, session.RegUnreachable, false)),
		[]session.Phone{registered("001B54AA0004", session.StageFailed, session.RegRefused, false),
			registered("001B54AA0005", session.StageDone, session.RegRegistered, true)},
	)
	out = append(out, golden{"registration", reg, 0}, golden{"registration-2", reg, TicksPerPage})
	empty := bench(nil, nil, nil, nil)
	empty.State, empty.Uplink = "no firmware", ""
	out = append(out, golden{"empty-no-firmware", empty, 0})
	long := bench(one(phone("001B54ABBBCC", session.StagePowered)))
	long.State, long.Uplink = "/perm read-only", "192.168.100.200"
	out = append(out, golden{"long-state", long, 0}, golden{"long-state-uplink", long, TicksPerPage})
	return out
}

func TestGoldenFrames(t *testing.T) {
	for _, g := range goldens() {
		t.Run(g.name, func(t *testing.T) {
			got := toGray(Render(g.s, g.tick))
			name := filepath.Join("testdata", g.name+".png")
			if *view != "" {
				writePNG(t, filepath.Join(*view, g.name+".x4.png"), scale4(got))
			}
			if *update {
				writePNG(t, name, got)
				return
			}
			b, err := os.ReadFile(name)
			if err != nil {
				t.Fatalf("%v (run go test -update and look at the PNG)", err)
			}
			want, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if diffs := differ(want, got); diffs > 0 {
				out := filepath.Join(t.TempDir(), g.name+".png")
				writePNG(t, out, got)
				t.Errorf("%d pixels differ from %s; got frame written to %s", diffs, name, out)
			}
		})
	}
}

func toGray(img image.Image) *image.Gray {
	g := image.NewGray(img.Bounds())
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			if r, _, _, _ := img.At(x, y).RGBA(); r >= 0x8000 {
				g.SetGray(x, y, color.Gray{Y: 255})
			}
		}
	}
	return g
}

func differ(want image.Image, got *image.Gray) int {
	if want.Bounds() != got.Bounds() {
		return got.Bounds().Dx() * got.Bounds().Dy()
	}
	n := 0
	for y := 0; y < got.Rect.Dy(); y++ {
		for x := 0; x < got.Rect.Dx(); x++ {
			r, _, _, _ := want.At(x, y).RGBA()
			if (r >= 0x8000) != (got.GrayAt(x, y).Y > 0) {
				n++
			}
		}
	}
	return n
}

func scale4(g *image.Gray) *image.Gray {
	out := image.NewGray(image.Rect(0, 0, g.Rect.Dx()*4, g.Rect.Dy()*4))
	for y := 0; y < out.Rect.Dy(); y++ {
		for x := 0; x < out.Rect.Dx(); x++ {
			if g.GrayAt(x/4, y/4).Y > 0 {
				out.SetGray(x, y, color.Gray{Y: 255})
			} else if x%4 == 0 && y%4 == 0 {
				out.SetGray(x, y, color.Gray{Y: 40}) // pixel grid, for the eye
			}
		}
	}
	return out
}

func writePNG(t *testing.T, name string, img image.Image) {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
