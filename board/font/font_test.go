package font

import (
	"image"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEmbeddedFontParses(t *testing.T) {
	if _, err := Parse(source); err != nil {
		t.Fatal(err)
	}
}

func TestParseErrors(t *testing.T) {
	for _, src := range []string{"= AB\n", "= A\n#####\n", "= A\n#####\n#x...\n.....\n.....\n.....\n.....\n.....\n.....\n", ""} {
		if _, err := Parse(src); err == nil {
			t.Errorf("Parse(%q) succeeded", src)
		}
	}
}

// render draws s and returns it as '#'/'.' rows.
func render(s string, scale int) []string {
	img := image.NewGray(image.Rect(0, 0, Width(s, scale), H*scale))
	Default().Draw(img, 0, 0, s, scale)
	var out []string
	for y := 0; y < img.Rect.Dy(); y++ {
		var b strings.Builder
		for x := 0; x < img.Rect.Dx(); x++ {
			if img.GrayAt(x, y).Y > 0 {
				b.WriteByte('#')
			} else {
				b.WriteByte('.')
			}
		}
		out = append(out, b.String())
	}
	return out
}

func TestDraw(t *testing.T) {
	want := []string{
		"..#....###.",
		".##...#...#",
		"..#.......#",
		"..#......#.",
		"..#.....#..",
		"..#....#...",
		".###..#####",
		"...........",
	}
	if diff := cmp.Diff(want, render("12", 1)); diff != "" {
		t.Errorf("12 (-want +got):\n%s", diff)
	}
	big := render("-", 2)
	if len(big) != 16 || big[6] != "##########" || big[7] != "##########" || big[5] != ".........." {
		t.Errorf("'-' at scale 2 = %q", big)
	}
	if got := render("\x01", 1); got[0] != render("?", 1)[0] {
		t.Error("a control character is not drawn as '?'")
	}
	if Width("", 1) != 0 || Width("abc", 1) != 17 || Width("abc", 2) != 34 {
		t.Error("Width wrong")
	}
}
