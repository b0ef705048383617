// Package fwgen writes synthetic firmware of the SEP-XML Cisco 79xx phones
// (7906/7911, 7941/7961, 7942/7962, 7945/7965, 7970/7971, 7975, and any
// family a model table names) in the real formats: the signed-TLV header
// (with a placeholder signature and the right embedded file name), `.loads`
// bodies laid out as Cisco's are, `.sbn` images that start with the
// CNU_File_Archive_3.0 magic followed by deterministic filler, COP files
// (header + gzip'd tar with copstart.sh and loadNNN.txt), and the .zip and
// .tar.gz forms. One package holds the term files of every model of its
// family (term42 and term62 with SIP42.*), as Cisco's do. Nothing it writes
// is Cisco's: the images hold no code and no phone accepts them. Output is
// deterministic, so tests, the demo and benchmarks can compare hashes.
//
// Sizes: Scale 1 gives the real file sizes of the 7906/7911 SIP 9.4(2)SR1
// load, from the domain notes (8,395,271 bytes for the five images). The
// SCCP 8.5(2) sizes are not known (notes §7, UNCONFIRMED); this package uses
// invented sizes a few kilobytes above the SCCP 8.3(3)ES2 figures. Other
// families and releases reuse the family 11 sizes of their protocol
// (invented too).
package fwgen

import (
	"cmp"
	"math"
	"strings"
)

// Image is one `.sbn` file of a load, at its full size.
type Image struct {
	Name string
	Size int64 // bytes at Scale 1, header included
}

// Load describes one synthetic load.
type Load struct {
	Name     string  // load name, e.g. SIP11.9-4-2SR1-1S
	Release  string  // the "# RELEASE load version" comment, e.g. 9-4-2ES9
	Images   []Image // in the order the .loads lists them
	Trailing []bool  // per image: written with a trailing space, as Cisco does
	Models   []int   // device types given in loadNNN.txt (307, 369)
	// The family's models, as Family sets them; empty fields mean the
	// 7906/7911 (family 11).
	Terms      []string // term numbers of the term files written with the load: 06, 11
	ModelNames []string // per Models entry, the name in loadNNN.txt: 7911G
	COP        string   // the models part of the container names: 7911_7906
	For        string   // the body's "# for ..." comment: 7906 and 7911
}

// SCCP852 is the stepping-stone load SCCP11.8-5-2S (images *.8-5-2TH1-9.sbn).
// Its sizes are invented (see the package comment).
func SCCP852() Load {
	return Load{
		Name:    "SCCP11.8-5-2S",
		Release: "8-5-2TH1-9",
		Images: []Image{
			{"jar11sccp.8-5-2TH1-9.sbn", 309_576},
			{"cnu11.8-5-2TH1-9.sbn", 553_318},
			{"apps11.8-5-2TH1-9.sbn", 2_512_047},
			{"dsp11.8-5-2TH1-9.sbn", 328_191},
			{"cvm11sccp.8-5-2TH1-9.sbn", 2_401_266},
		},
		Trailing: []bool{false, false, false, true, true},
		Models:   []int{307, 369},
	}
}

// SIP942 is the target load SIP11.9-4-2SR1-1S (images *.9-4-2ES9.sbn) at the
// real sizes: 8,395,271 bytes for the five images.
func SIP942() Load {
	return Load{
		Name:    "SIP11.9-4-2SR1-1S",
		Release: "9-4-2ES9",
		Images: []Image{
			{"jar11sip.9-4-2ES9.sbn", 1_620_152},
			{"cnu11.9-4-2ES9.sbn", 559_855},
			{"apps11.9-4-2ES9.sbn", 3_156_351},
			{"dsp11.9-4-2ES9.sbn", 364_207},
			{"cvm11sip.9-4-2ES9.sbn", 2_694_706},
		},
		Trailing: []bool{false, false, false, true, true},
		Models:   []int{307, 369},
	}
}

// Loads is both synthetic loads, stepping stone first.
func Loads() []Load { return []Load{SCCP852(), SIP942()} }

// LoadsFile is the load's own `.loads` file name.
func (l Load) LoadsFile() string { return l.Name + ".loads" }

// TermFiles are the default-load files written with the load: one per
// model of its family.
func (l Load) TermFiles() []string {
	terms := l.Terms
	if terms == nil {
		terms = []string{"06", "11"}
	}
	var out []string
	for _, t := range terms {
		out = append(out, "term"+t+".default.loads")
	}
	return out
}

// cop is the models part of the container names.
func (l Load) cop() string { return cmp.Or(l.COP, "7911_7906") }

// ImageNames lists the image names in order.
func (l Load) ImageNames() []string {
	var out []string
	for _, img := range l.Images {
		out = append(out, img.Name)
	}
	return out
}

// base is the release part of Cisco's container names: sip.9-4-2SR1-1.
func (l Load) base() string {
	proto, ver, _ := strings.Cut(l.Name, ".")
	proto = strings.TrimRight(proto, "0123456789")
	return strings.ToLower(proto) + "." + strings.TrimSuffix(ver, "S")
}

// COPName is Cisco's COP file name: cmterm-7911_7906-sip.9-4-2SR1-1.cop.sgn.
func (l Load) COPName() string { return "cmterm-" + l.cop() + "-" + l.base() + ".cop.sgn" }

// ZipName is the name of the zip form: cmterm-7911_7906-sip.9-4-2SR1-1.zip.
func (l Load) ZipName() string { return "cmterm-" + l.cop() + "-" + l.base() + ".zip" }

// TarGzName is the COP with its header stripped: ….tar.gz.
func (l Load) TarGzName() string { return "cmterm-" + l.cop() + "-" + l.base() + ".tar.gz" }

// ImageSize is the size of image i at scale (1 = real size). Sizes never go
// below what a header and the archive magic need.
func (l Load) ImageSize(i int, scale float64) int64 {
	return scaled(l.Images[i].Size, scale)
}

// TotalImageBytes is the sum of the image sizes at scale.
func (l Load) TotalImageBytes(scale float64) int64 {
	var n int64
	for i := range l.Images {
		n += l.ImageSize(i, scale)
	}
	return n
}

// minImageSize covers a signed header and the CNU archive preamble.
const minImageSize = 512

func scaled(size int64, scale float64) int64 {
	if scale <= 0 {
		scale = 1
	}
	n := int64(math.Round(float64(size) * scale))
	return max(n, minImageSize)
}
